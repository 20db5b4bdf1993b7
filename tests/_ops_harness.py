"""Shared machinery for the differential op tests (``tests/test_ops_*.py``): run the same call on real torch and
on ptjax, from the same NumPy inputs, and compare values, dtypes, shapes, gradients and the method / in-place forms.

Inputs are written as NumPy arrays (turned into a tensor of each library) or plain Python values (passed as they
are). ``TL([...])`` marks a list of arrays that becomes a list of tensors (``cat``, ``stack`` …).
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import ptjax

try:  # the oracle; test modules skip themselves with pytest.importorskip("torch")
    import torch
except ImportError:  # pragma: no cover
    torch = None

RTOL, ATOL = 1e-4, 1e-5


class TL(list):
    """A list of arrays that becomes a list of tensors."""


class DT:
    """A dtype argument, by name: ``DT("float64")`` is ``torch.float64`` / ``ptjax.float64``."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


class Sample:
    """One call: positional ``args`` and keyword ``kwargs``; ``grad=False`` skips the gradient check."""

    def __init__(self, *args, grad=True, name=None, **kwargs):
        # NumPy arithmetic on 0-d arrays returns NumPy scalars: those are meant as 0-d tensors
        args = tuple(np.asarray(a) if isinstance(a, np.generic) else a for a in args)
        kwargs = {k: np.asarray(v) if isinstance(v, np.generic) else v for k, v in kwargs.items()}
        self.args, self.kwargs, self.grad, self.name = args, kwargs, grad, name

    def __repr__(self):
        if self.name:
            return self.name
        parts = [_describe(a) for a in self.args] + [f"{k}={_describe(v)}" for k, v in self.kwargs.items()]
        return ",".join(parts) or "noargs"


def _describe(a):
    if isinstance(a, np.ndarray):
        return f"{_SHORT.get(a.dtype.name, a.dtype.name)}{list(a.shape)}".replace(" ", "")
    if isinstance(a, TL):
        return "[" + ";".join(_describe(x) for x in a) + "]"
    if isinstance(a, slice):
        return f"{a.start}:{a.stop}:{a.step}"
    return repr(a).replace(" ", "")


_SHORT = {"float32": "f", "float64": "d", "int64": "i", "int32": "i32", "bool": "b", "uint8": "u8", "float16": "h"}


# ---- sample inputs ---------------------------------------------------------------------------------------------

class Gen:
    """Deterministic NumPy inputs (a fresh generator per sample list keeps test ids stable)."""

    def __init__(self, seed=0):
        self.rng = np.random.default_rng(seed)

    def f(self, *shape, lo=-2.0, hi=2.0, dtype=np.float32):
        return np.asarray(self.rng.uniform(lo, hi, shape)).astype(dtype)

    def pos(self, *shape):
        return self.f(*shape, lo=0.5, hi=2.0)

    def unit(self, *shape):
        return self.f(*shape, lo=-0.9, hi=0.9)

    def i(self, *shape, lo=-5, hi=6, dtype=np.int64):
        return np.asarray(self.rng.integers(lo, hi, shape)).astype(dtype)

    def nzi(self, *shape, dtype=np.int64):
        a = self.rng.integers(1, 6, shape) * self.rng.choice([-1, 1], shape)
        return np.asarray(a).astype(dtype)

    def b(self, *shape):
        return np.asarray(self.rng.random(shape) < 0.5)

    def distinct(self, *shape):
        """Floats with no ties (for max/sort/median, whose gradients pick one element)."""
        n = int(np.prod(shape, dtype=np.int64))
        return (self.rng.permutation(n).astype(np.float32) * 0.37 - n * 0.15).reshape(shape)


# ---- running one side ------------------------------------------------------------------------------------------

def to_lib(lib, x, requires_grad=False, leaves=None):
    """NumPy inputs → tensors of ``lib``; float tensors become leaves requiring grad when ``requires_grad``."""
    if isinstance(x, TL):
        return [to_lib(lib, a, requires_grad, leaves) for a in x]
    if isinstance(x, DT):
        return getattr(lib, x.name)
    if isinstance(x, np.ndarray):
        t = lib.tensor(x)
        if requires_grad and t.is_floating_point():
            t.requires_grad_(True)
            if leaves is not None:
                leaves.append(t)
        return t
    return x


def run(lib, fn, sample, requires_grad=False):
    """(result or exception, leaves, tensor args)."""
    leaves = []
    args = [to_lib(lib, a, requires_grad, leaves) for a in sample.args]
    kwargs = {k: to_lib(lib, v, requires_grad, leaves) for k, v in sample.kwargs.items()}
    try:
        return fn(lib, *args, **kwargs), leaves, args, kwargs
    except Exception as e:  # noqa: BLE001 - compared with the other library's behaviour
        return e, leaves, args, kwargs


def flat_tensors(out):
    if isinstance(out, (tuple, list)):
        r = []
        for o in out:
            r.extend(flat_tensors(o))
        return r
    return [out]


def to_numpy(t):
    if isinstance(t, torch.Tensor):
        t = t.detach()
        if t._is_zerotensor():
            t = torch.zeros(t.shape, dtype=t.dtype)
        if t.dtype == torch.bfloat16:
            t = t.float()
        return t.numpy()
    if isinstance(t, ptjax.Tensor):
        return np.asarray(t)  # (the array protocol: no detached view, so no view layout is computed)
    return np.asarray(t)


def assert_same_value(ref, got, rtol=RTOL, atol=ATOL, what="output", check_requires_grad=False):
    """Same structure, same kind (tensor/scalar), same dtype name and shape, close values."""
    if isinstance(ref, (tuple, list)):
        assert isinstance(got, (tuple, list)), f"{what}: expected a sequence, got {type(got).__name__}"
        assert len(ref) == len(got), f"{what}: expected {len(ref)} outputs, got {len(got)}"
        if hasattr(ref, "values") and hasattr(ref, "indices"):
            assert hasattr(got, "values") and hasattr(got, "indices"), f"{what}: not a (values, indices) tuple"
        for i, (r, g) in enumerate(zip(ref, got)):
            assert_same_value(r, g, rtol, atol, f"{what}[{i}]", check_requires_grad)
        return
    if isinstance(ref, torch.Tensor):
        assert isinstance(got, ptjax.Tensor), f"{what}: expected a Tensor, got {type(got).__name__}"
        assert str(got.dtype) == str(ref.dtype), f"{what}: dtype {got.dtype} != torch's {ref.dtype}"
        assert tuple(got.shape) == tuple(ref.shape), f"{what}: shape {tuple(got.shape)} != torch's {tuple(ref.shape)}"
        if check_requires_grad:
            assert got.requires_grad == ref.requires_grad, \
                f"{what}: requires_grad {got.requires_grad} != torch's {ref.requires_grad}"
        r, g = to_numpy(ref), to_numpy(got)
        if r.dtype.kind in "biu":
            np.testing.assert_array_equal(g, r, err_msg=what)
        else:
            np.testing.assert_allclose(g, r, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
        return
    if isinstance(ref, torch.Size):
        assert tuple(got) == tuple(ref), what
        return
    if isinstance(ref, (bool, int, float)):
        assert type(got) is type(ref), f"{what}: {type(got).__name__} != torch's {type(ref).__name__}"
        if isinstance(ref, float) and not (math.isnan(ref) and math.isnan(got)):
            assert math.isclose(got, ref, rel_tol=rtol, abs_tol=atol), f"{what}: {got} != {ref}"
        elif not isinstance(ref, float):
            assert got == ref, f"{what}: {got} != {ref}"
        return
    assert got == ref, f"{what}: {got!r} != {ref!r}"


def assert_same_error(ref, got, what="call", message=False):
    assert isinstance(got, Exception), f"{what}: torch raised {type(ref).__name__}({ref}) but ptjax returned {got!r}"
    # torch's IndexError / ValueError / TypeError … are subclasses of nothing exotic; compare the class names
    # (NotImplementedError is a RuntimeError: ptjax may raise the base class where torch lacks a kernel)
    assert type(got).__name__ == type(ref).__name__ or isinstance(got, type(ref)) or (
        isinstance(ref, NotImplementedError) and type(got) is RuntimeError), \
        f"{what}: torch raised {type(ref).__name__}({ref}), ptjax raised {type(got).__name__}({got})"
    if message:
        assert str(got) == str(ref), f"{what}: message {str(got)!r} != torch's {str(ref)!r}"


def compare_call(fn, sample, rtol=RTOL, atol=ATOL, message=False):
    """Run ``fn(lib, *args)`` in both libraries (no grad) and compare results, or the raised exceptions."""
    ref = run(torch, fn, sample)[0]
    got = run(ptjax, fn, sample)[0]
    if isinstance(ref, Exception):
        assert_same_error(ref, got, message=message)
        return ref, got
    if isinstance(got, Exception):
        raise got
    assert_same_value(ref, got, rtol, atol)
    return ref, got


def compare_grad(fn, sample, rtol=RTOL, atol=ATOL, seed=0):
    """Float inputs require grad; a random cotangent for every float output; compare autograd.grad of both."""
    ref, t_leaves, _, _ = run(torch, fn, sample, requires_grad=True)
    got, p_leaves, _, _ = run(ptjax, fn, sample, requires_grad=True)
    if isinstance(ref, Exception):
        assert_same_error(ref, got, "call with requires_grad inputs")
        return
    if isinstance(got, Exception):
        raise got
    assert_same_value(ref, got, rtol, atol, check_requires_grad=True)
    refs, gots = flat_tensors(ref), flat_tensors(got)
    pairs = [(r, g) for r, g in zip(refs, gots) if isinstance(r, torch.Tensor) and r.requires_grad]
    if not pairs or not t_leaves:
        return
    rng = np.random.default_rng(seed)
    cts = [rng.standard_normal(tuple(r.shape)).astype(to_numpy(r).dtype) for r, _ in pairs]
    t_grads = torch.autograd.grad([r for r, _ in pairs], t_leaves, [torch.tensor(c) for c in cts],
                                  allow_unused=True)
    p_grads = ptjax.autograd.grad([g for _, g in pairs], p_leaves, [ptjax.tensor(c) for c in cts],
                                  allow_unused=True)
    assert len(t_grads) == len(p_grads)
    for i, (tg, pg, leaf) in enumerate(zip(t_grads, p_grads, t_leaves)):
        if tg is None:
            tg = torch.zeros_like(leaf)
        if pg is None:
            pg = ptjax.zeros(tuple(leaf.shape), dtype=getattr(ptjax, str(leaf.dtype).split(".")[1]))
        assert_same_value(tg, pg, rtol, atol, f"grad[{i}]")


# ---- table-driven op tests (``tests/test_ops_table.py``, ``tests/test_ops_breadth.py``) -------------------------

class OpInfo:
    """One op: how to call it (``fn(lib, *args, **kwargs)``), its samples, and which forms to check.

    ``method``: ``True`` checks ``Tensor.<name>`` whenever torch has it; a string names the method; ``False`` skips.
    ``inplace``: likewise for ``Tensor.<name>_``, or a callable ``(lib, x, *args, **kwargs)`` for operators.
    """

    def __init__(self, name, samples, fn=None, method=True, inplace=True, grad=True, rtol=RTOL, atol=ATOL,
                 message=False, grad_samples=1):
        self.name, self.samples = name, samples
        self.fn = fn or (lambda lib, *a, **k: getattr(lib, name)(*a, **k))
        self.method = name if method is True else method
        self.inplace = (name + "_") if inplace is True else inplace
        self.grad, self.rtol, self.atol, self.message = grad, rtol, atol, message
        self.grad_samples = grad_samples  # how many float samples get a gradient check (each compiles a pullback)


def _has_float(s):
    vals = list(s.args) + list(s.kwargs.values())
    vals += [a for v in vals if isinstance(v, TL) for a in v]
    return any(isinstance(v, np.ndarray) and v.dtype.kind == "f" for v in vals)


def op_cases(ops, with_grad=False):
    """pytest params (info, sample) for a list of OpInfo; ``with_grad``: the samples that get a gradient check."""
    cases = []
    for info in ops:
        n = 0
        for k, s in enumerate(info.samples):
            if with_grad:
                if not (info.grad and s.grad and _has_float(s)) or n >= info.grad_samples or "raises" in repr(s):
                    continue
                n += 1
            cases.append(pytest.param(info, s, id=f"{info.name}-{k}-{s!r}"))
    return cases


def _method_fn(name):
    def f_(lib, x, *a, **k):
        return getattr(x, name)(*a, **k)
    return f_


def _inplace_fn(name):
    def f_(lib, x, *a, **k):
        y = x.clone()
        r = getattr(y, name)(*a, **k)
        assert r is y, f"{name} did not return self"
        return r
    return f_


def check_forms(info, sample):
    """Forward: the function form; then the method and the in-place method where torch has them."""
    compare_call(info.fn, sample, info.rtol, info.atol, message=info.message)
    first = sample.args[0] if sample.args else None
    if not isinstance(first, np.ndarray):
        return
    if info.method and hasattr(torch.Tensor, info.method):
        assert hasattr(ptjax.Tensor, info.method), f"ptjax.Tensor has no method {info.method}"
        compare_call(_method_fn(info.method), sample, info.rtol, info.atol)
    if isinstance(info.inplace, str) and hasattr(torch.Tensor, info.inplace):
        assert hasattr(ptjax.Tensor, info.inplace), f"ptjax.Tensor has no method {info.inplace}"
        compare_call(_inplace_fn(info.inplace), sample, info.rtol, info.atol)
