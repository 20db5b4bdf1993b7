"""Aliasing, compared with torch doing the same sequence: views (``.data``, ``detach()``, ``view``, basic slicing,
``transpose``, ``squeeze`` …) share storage with their base, so a write through one is seen by the other; the
layout (``stride()``, ``storage_offset()``, ``is_contiguous()``) is torch's; copies (``reshape`` of a non-contiguous
tensor, ``contiguous()``, ``clone()``, advanced indexing) do not alias; and autograd through writes into views
(torch's ``CopySlices``) gives torch's gradients."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import ptjax  # noqa: E402
from _ops_harness import assert_same_value  # noqa: E402


pytestmark = pytest.mark.usefixtures("fast_compiles")


def base(lib):
    return lib.arange(12.0).reshape(3, 4)


def layout(t):
    # the stride of a size-1 dim is never used to address memory; torch's value for it depends on which op made the
    # dim (unsqueeze, slicing, indexing with None …) and ptjax infers it from the layout, so it is not compared
    stride = tuple(st if n != 1 else None for n, st in zip(t.shape, t.stride()))
    return (tuple(t.shape), stride, t.storage_offset(), t.is_contiguous())


def shares(a, b):
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def _write_seen(make_view, write):
    """Make a view of a fresh base, write through the view, then through the base: both see both writes."""
    def scenario(lib):
        a = base(lib)
        v = make_view(a)
        out = [layout(v), shares(a, v)]
        write(lib, v)
        out += [a.clone(), v.clone()]
        a.add_(100)
        out += [a.clone(), v.clone()]
        return out
    return scenario


def _fill(lib, v):
    v.fill_(-1)


def _setitem0(lib, v):
    v[0] = -5


def _mul(lib, v):
    v.mul_(2)


SCENARIOS = {
    "data": _write_seen(lambda a: a.data, _mul),
    "detach": _write_seen(lambda a: a.detach(), _fill),
    "view": _write_seen(lambda a: a.view(2, 6), _setitem0),
    "reshape-contig": _write_seen(lambda a: a.reshape(4, 3), _setitem0),
    "slice-rows": _write_seen(lambda a: a[1:], _setitem0),
    "slice-step": _write_seen(lambda a: a[:, ::2], _setitem0),
    "int-index": _write_seen(lambda a: a[1], _mul),
    "select-col": _write_seen(lambda a: a[:, 2], _fill),
    "none-ellipsis": _write_seen(lambda a: a[None, ..., 1], _mul),
    "transpose": _write_seen(lambda a: a.transpose(0, 1), _setitem0),
    "t": _write_seen(lambda a: a.t(), _mul),
    "permute": _write_seen(lambda a: a.reshape(3, 2, 2).permute(2, 0, 1), _setitem0),
    "unsqueeze": _write_seen(lambda a: a.unsqueeze(1), _setitem0),
    "squeeze": _write_seen(lambda a: a[:1].squeeze(0), _fill),
    "narrow": _write_seen(lambda a: a.narrow(1, 1, 2), _mul),
    "diagonal": _write_seen(lambda a: a.diagonal(), _fill),
    "split": _write_seen(lambda a: a.split(2, dim=1)[1], _setitem0),
    "unbind": _write_seen(lambda a: a.unbind(1)[3], _fill),
    "flatten": _write_seen(lambda a: a.flatten(), _setitem0),
    "unflatten": _write_seen(lambda a: a.unflatten(1, (2, 2)), _setitem0),
    "view-of-view": _write_seen(lambda a: a.view(2, 6)[1].view(3, 2)[1:], _fill),
    "slice-of-transpose": _write_seen(lambda a: a.t()[1:3, ::2], _setitem0),
    "expand-read": _write_seen(lambda a: a[:1].expand(2, 4), lambda lib, v: None),
    "unfold": _write_seen(lambda a: a[0].unfold(0, 2, 2), _setitem0),
}


def _copies(make_copy):
    """A copy: writes on either side stay on that side."""
    def scenario(lib):
        a = base(lib)
        c = make_copy(a)
        out = [tuple(c.shape), shares(a, c)]
        c.mul_(-1)
        a.add_(100)
        return out + [a.clone(), c.clone()]
    return scenario


SCENARIOS.update({
    "reshape-noncontig": _copies(lambda a: a.t().reshape(-1)),
    "contiguous": _copies(lambda a: a.t().contiguous()),
    "clone": _copies(lambda a: a.clone()),
    "advanced-index": _copies(lambda a: a[[0, 2]]),
    "mask-index": _copies(lambda a: a[a > 5]),
    "flatten-noncontig": _copies(lambda a: a.t().flatten()),
    "to-dtype": _copies(lambda a: a.double()),
    "tensor": _copies(lambda a: ptjax.tensor(a) if isinstance(a, ptjax.Tensor) else torch.tensor(a)),
})


def _layouts(lib):
    a = lib.arange(24.0).reshape(2, 3, 4)
    # (the single-op views of a 2-d base are covered by the write scenarios above)
    vs = [a, a.transpose(0, 2), a[:, 1:, ::2], a[..., 1], a.permute(1, 2, 0), a.expand(2, 2, 3, 4),
          a.transpose(1, 2).select(0, 1), a.view(6, 4)[2:], a[:, None, 1], a.diagonal(0, 1, 2)]
    return [layout(v) for v in vs] + [a.transpose(0, 1).is_contiguous(), a[:, :, :1].is_contiguous()]


SCENARIOS["layouts"] = _layouts


def _contiguous_is_self(lib):
    a = base(lib)
    return [a.contiguous() is a, a.t().contiguous() is a, a.t().contiguous().is_contiguous()]


SCENARIOS["contiguous-is-self"] = _contiguous_is_self


def _inplace_metadata(lib):
    a = base(lib)
    v = a[1:]
    v.unsqueeze_(0)
    out = [layout(v)]
    v[0, 0, 0] = -7
    a2 = base(lib)
    a2.unsqueeze_(1)
    a2.squeeze_()
    w = base(lib)[:, 1:]
    w.t_()
    out += [layout(v), a.clone(), layout(a2), layout(w), w.clone()]
    return out


SCENARIOS["inplace-metadata"] = _inplace_metadata


def _view_then_base_write(lib):
    """A view made before a base write, then read after (stale views refresh)."""
    a = base(lib)
    v = a[:, 1]
    a[0] = 0
    a.zero_() if False else a.mul_(3)
    w = v[1:]
    a.copy_(lib.ones(3, 4))
    return [v.clone(), w.clone(), a.clone()]


SCENARIOS["refresh"] = _view_then_base_write


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_alias(name):
    ref, got = SCENARIOS[name](torch), SCENARIOS[name](ptjax)
    assert len(ref) == len(got)
    for i, (r, g) in enumerate(zip(ref, got)):
        assert_same_value(r, g, what=f"{name}[{i}]")


# ---- autograd through views -----------------------------------------------------------------------------------------

def _grad_case(fn):
    def run(lib):
        x = lib.arange(12.0).reshape(3, 4).requires_grad_()
        w = lib.tensor([2.0, -1.0, 0.5, 3.0], requires_grad=True)
        out = fn(lib, x, w)
        ct = lib.arange(out.numel(), dtype=out.dtype).reshape(out.shape) / 7 - 0.5
        gx, gw = lib.autograd.grad(out, (x, w), ct, allow_unused=True)
        return [out.detach(), gx if gx is not None else lib.zeros(3, 4), gw if gw is not None else lib.zeros(4)]
    return run


def _setitem_view(lib, x, w):
    y = x * 1
    y[1] = w * 2          # CopySlices on y
    return y.sin()


def _inplace_on_view(lib, x, w):
    y = x.clone()
    v = y[:, 1:3]
    v.mul_(w[:2])         # an in-place op on a view of a non-leaf
    return y * y


def _view_chain(lib, x, w):
    y = x + 0
    y.t()[0].add_(w[:3])  # write through a view of a view
    return y.exp()


def _masked(lib, x, w):
    y = x * w
    y[y > 5] = 0.0
    return y


def _detach_write(lib, x, w):
    y = x * 2
    y.detach()[0] = 100.0  # not recorded: a detached alias
    return y * w


def _index_add_view(lib, x, w):
    y = x.clone()
    y[:, 0].add_(y[:, 1])
    return y.sum(0) * w


GRAD_CASES = {"setitem": _setitem_view, "inplace-view": _inplace_on_view, "view-chain": _view_chain,
              "masked": _masked, "detach-write": _detach_write, "view-read-write": _index_add_view}


@pytest.mark.parametrize("name", list(GRAD_CASES))
def test_alias_grad(name):
    ref, got = _grad_case(GRAD_CASES[name])(torch), _grad_case(GRAD_CASES[name])(ptjax)
    for i, (r, g) in enumerate(zip(ref, got)):
        assert_same_value(r, g, what=f"{name}[{i}]")


def test_views_of_leaf_errors():
    for lib in (torch, ptjax):
        x = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            x[0] = 2.0
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            x.view(3).mul_(2)
        with lib.no_grad():
            x[0] = 5.0       # allowed without grad mode
        assert x.tolist() == [5.0, 1.0, 1.0]
        x.data[1] = 7.0      # .data writes are never recorded
        assert x.tolist() == [5.0, 7.0, 1.0]


def test_expand_write_errors():
    for lib in (torch, ptjax):
        with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
            lib.ones(1, 3).expand(2, 3).add_(1)
