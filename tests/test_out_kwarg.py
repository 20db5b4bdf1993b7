"""``out=`` as torch: the result written into ``out`` (resized, with torch's warning when it had elements; cast where
torch allows the cast, else torch's error), ``out`` returned; no autograd through it; one generic path for every
op-table function, the factories and the few plain functions that take it."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ptjax  # noqa: E402
from _ops_harness import Gen, Sample, compare_call  # noqa: E402

g = Gen(2)
f, i = g.f, g.i


def _into(make_out, call):
    """``call(lib, out)`` with a fresh ``out``; checks the returned object is ``out`` and returns both."""
    def run(lib, *args):
        out = make_out(lib)
        r = call(lib, out, *args)
        if isinstance(out, tuple):
            assert all(a is b for a, b in zip(r, out))
        else:
            assert r is out
        return r, out
    return run


CASES = {
    "add": (lambda lib: lib.empty(3, 4), lambda lib, o, x, y: lib.add(x, y, out=o)),
    "add-alpha-resize-empty": (lambda lib: lib.empty(0), lambda lib, o, x, y: lib.add(x, y, alpha=2, out=o)),
    "sub-scalar": (lambda lib: lib.empty(3, 4), lambda lib, o, x, y: lib.sub(x, 1.5, out=o)),
    "mul-into-float64": (lambda lib: lib.empty(3, 4, dtype=lib.float64), lambda lib, o, x, y: lib.mul(x, y, out=o)),
    "int-add-into-float": (lambda lib: lib.empty(3, 4), lambda lib, o, x, y: lib.add(x.long(), y.long(), out=o)),
    "float-into-long-raises": (lambda lib: lib.empty(3, 4, dtype=lib.long), lambda lib, o, x, y: lib.add(x, y, out=o)),
    "div-ints-into-long-raises": (lambda lib: lib.empty(3, 4, dtype=lib.long),
                                  lambda lib, o, x, y: lib.div(x.long(), y.long() + 10, out=o)),
    "eq-into-bool": (lambda lib: lib.empty(3, 4, dtype=lib.bool), lambda lib, o, x, y: lib.eq(x, x, out=o)),
    "gt-into-float": (lambda lib: lib.empty(3, 4), lambda lib, o, x, y: lib.gt(x, y, out=o)),
    "sin": (lambda lib: lib.empty(3, 4), lambda lib, o, x, y: lib.sin(x, out=o)),
    "sin-int-into-float64": (lambda lib: lib.empty(3, 4, dtype=lib.float64),
                             lambda lib, o, x, y: lib.sin(x.long(), out=o)),
    "exp-into-long-raises": (lambda lib: lib.empty(3, 4, dtype=lib.long), lambda lib, o, x, y: lib.exp(x, out=o)),
    "matmul": (lambda lib: lib.empty(3, 3), lambda lib, o, x, y: lib.matmul(x, y.T, out=o)),
    "sum-dim": (lambda lib: lib.empty(0), lambda lib, o, x, y: lib.sum(x, 1, out=o)),
    "sum-int32-into-int32": (lambda lib: lib.empty(4, dtype=lib.int32),
                             lambda lib, o, x, y: lib.sum(x.int(), 0, out=o)),
    "where": (lambda lib: lib.empty(3, 4), lambda lib, o, x, y: lib.where(x > 0, x, y, out=o)),
    "cat": (lambda lib: lib.empty(0), lambda lib, o, x, y: lib.cat([x, x], out=o)),
    "cat-ndim-raises": (lambda lib: lib.empty(0), lambda lib, o, x, y: lib.cat([x, y], out=o)),
    "clamp": (lambda lib: lib.empty(3, 4), lambda lib, o, x, y: lib.clamp(x, -0.5, 0.5, out=o)),
    "out-None": (lambda lib: None, lambda lib, o, x, y: lib.add(x, y, out=None) if o is None else None),
    "max-dim": (lambda lib: (lib.empty(0), lib.empty(0, dtype=lib.long)),
                lambda lib, o, x, y: lib.max(x, 1, out=o)),
    "sort": (lambda lib: (lib.empty(0), lib.empty(0, dtype=lib.long)), lambda lib, o, x, y: lib.sort(x, out=o)),
    "max-dim-dtype-raises": (lambda lib: (lib.empty(0), lib.empty(0)), lambda lib, o, x, y: lib.max(x, 1, out=o)),
    "maximum": (lambda lib: lib.empty(3, 4), lambda lib, o, x, y: lib.max(x, y, out=o)),
    "zeros-dtype-of-out": (lambda lib: lib.empty(3, dtype=lib.long), lambda lib, o, x, y: lib.zeros(2, 2, out=o)),
    "arange-into-float": (lambda lib: lib.empty(0), lambda lib, o, x, y: lib.arange(5, out=o)),
    "full": (lambda lib: lib.empty(2, 2), lambda lib, o, x, y: lib.full((2, 2), 7.0, out=o)),
    "linspace": (lambda lib: lib.empty(5, dtype=lib.float64), lambda lib, o, x, y: lib.linspace(0, 1, 5, out=o)),
    "tensordot": (lambda lib: lib.empty(0), lambda lib, o, x, y: lib.tensordot(x, x.T, 1, out=o)),
    "fftfreq": (lambda lib: lib.empty(0, dtype=lib.float64), lambda lib, o, x, y: lib.fft.fftfreq(4, out=o)),
    "nonzero": (lambda lib: lib.empty(0, dtype=lib.long), lambda lib, o, x, y: lib.nonzero(x > 0, out=o)),
    "float_power": (lambda lib: lib.empty(3, 4, dtype=lib.float64),
                    lambda lib, o, x, y: lib.float_power(x, 2, out=o)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_out(name):
    make_out, call = CASES[name]
    if name == "out-None":
        compare_call(lambda lib, x, y: lib.add(x, y, out=None), Sample(f(3, 4), f(4)))
        return
    compare_call(_into(make_out, call), Sample(f(3, 4), f(4)), message=True)


def _warning_messages(lib, call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call(lib)
    return [str(w.message).split(" (Triggered internally")[0] for w in caught if w.category is UserWarning]


@pytest.mark.parametrize("call", [
    lambda lib: lib.add(lib.ones(2, 3), 1, out=lib.empty(3)),    # had elements: resized with torch's warning
    lambda lib: lib.add(lib.ones(2, 3), 1, out=lib.empty(0)),    # empty: resized silently
    lambda lib: lib.add(lib.ones(2, 3), 1, out=lib.empty(2, 3)),  # same shape: nothing to say
    lambda lib: lib.zeros(4, out=lib.empty(2)),                  # factories resize silently
])
def test_resize_warning(call):
    assert _warning_messages(ptjax, call) == _warning_messages(torch, call)


def test_out_view_writes_through_base():
    for lib in (torch, ptjax):
        base = lib.zeros(2, 4)
        lib.add(lib.ones(2, 2), 1, out=base[:, :2])
        np.testing.assert_array_equal(np.asarray(base), [[2, 2, 0, 0], [2, 2, 0, 0]])


def test_autograd_and_out():
    """torch refuses ``out=`` when autograd would need to flow through it; under no_grad it is fine."""
    def with_grad_input(lib):
        return lib.add(lib.ones(3, requires_grad=True), 1, out=lib.empty(3))

    def into_grad_out(lib):
        return lib.mul(lib.ones(3), 2, out=lib.empty(3, requires_grad=True))

    compare_call(lambda lib: with_grad_input(lib), Sample(), message=True)
    compare_call(lambda lib: into_grad_out(lib), Sample(), message=True)

    def no_grad(lib):
        with lib.no_grad():
            r = with_grad_input(lib)
        return r, r.requires_grad
    compare_call(lambda lib: no_grad(lib), Sample())


def test_out_must_be_a_tensor():
    # (torch reads a Python number given as out= as a 0-d tensor; ptjax refuses it)
    with pytest.raises(TypeError, match=r"add\(\): argument 'out' must be Tensor, not int"):
        ptjax.add(ptjax.ones(2), 1, out=5)
    with pytest.raises(TypeError, match=r"max\(\): argument 'out' must be tuple of 2 Tensors"):
        ptjax.max(ptjax.ones(2, 2), 1, out=ptjax.empty(2))


def test_history_of_out_is_cut():
    """An ``out`` that was computed (no grad needed) keeps no autograd history."""
    x = ptjax.ones(3)
    out = ptjax.add(x, 1, out=ptjax.empty(3))
    assert out.grad_fn is None and not out.requires_grad


@pytest.mark.parametrize("call", [
    lambda lib: lib.ones(2).add(lib.ones(2), out=lib.empty(2)),     # Tensor methods take no out=
    lambda lib: lib.transpose(lib.ones(2, 2), 0, 1, out=lib.empty(2, 2)),  # nor do views
    lambda lib: lib.nn.functional.relu(lib.ones(3), out=lib.empty(3)),     # nor nn.functional
])
def test_no_out_where_torch_has_none(call):
    compare_call(lambda lib: call(lib), Sample(), message=True)


def test_random_factories_write_out():
    out = ptjax.empty(0, dtype=ptjax.float64)
    r = ptjax.rand(2, 3, out=out)
    assert r is out and out.shape == (2, 3) and out.dtype is ptjax.float64
    ints = ptjax.empty(4, dtype=ptjax.int32)
    assert ptjax.randint(0, 5, (4,), out=ints) is ints and ints.dtype is ptjax.int32 and int(ints.max()) < 5
