"""Differential tests of ``x[index]`` and ``x[index] = value`` against torch: ints, slices, None, Ellipsis, integer
and boolean tensor indices (alone, combined, separated by slices), negative indices, gradients through both, and
torch's errors for bad indices."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _ops_harness import Gen, Sample, compare_call, compare_grad  # noqa: E402


pytestmark = pytest.mark.usefixtures("fast_compiles")

g = Gen(1)
X = g.f(3, 4, 5)
MASK_34 = g.b(3, 4)
MASK_3 = np.array([True, False, True])


def T(*v, dtype="int64"):
    """An index tensor, built in whichever library runs the sample."""
    return ("T", np.array(v if len(v) != 1 or not isinstance(v[0], list) else v[0]), dtype)


def build(lib, idx):
    if isinstance(idx, tuple) and len(idx) == 3 and idx[0] == "T":
        return lib.tensor(idx[1], dtype=getattr(lib, idx[2]))
    if isinstance(idx, tuple):
        return tuple(build(lib, i) for i in idx)
    if isinstance(idx, np.ndarray):
        return lib.tensor(idx)
    return idx


GET = {
    "int": 1, "neg-int": -1, "slice": slice(1, 3), "step": slice(None, None, 2), "neg-slice": slice(-2, None),
    "empty-slice": slice(2, 1), "int-int": (1, 2), "int-slice": (1, slice(0, 2)), "slice-int": (slice(None), 1),
    "ellipsis": (Ellipsis, 2), "ellipsis-mid": (0, Ellipsis, 1), "none": None, "none-mid": (slice(None), None, 1),
    "none-ellipsis": (Ellipsis, None), "all": (1, 2, 3), "0d-tensor": T(1), "int-tensor": T([2, 0, 2]),
    "neg-tensor": T([-1, 0]), "2d-tensor": T([[0, 1], [2, 2]]), "int32-tensor": T([1], dtype="int32"),
    "list": [0, 2], "tensor-tensor": (T([0, 2]), T([1, 3])), "tensor-bcast": (T([[0], [2]]), T([1, 3])),
    "slice-tensor": (slice(None), T([3, 0])), "separated": (T([0, 1]), slice(None), T([1, 2])),
    "adjacent-after-slice": (slice(None), T([0, 1]), T([1, 2])), "tensor-int": (T([0, 2]), 1),
    "bool-mask": MASK_34, "bool-1d": MASK_3, "bool-then-slice": (MASK_3, slice(1, 3)),
    "slice-bool": (slice(None), np.array([True, False, True, True])), "true": True, "false": False,
    "ellipsis-tensor": (Ellipsis, T([4, 0])), "none-tensor": (None, T([1])),
    # errors
    "oob": 3, "oob-neg": (0, -5), "oob-tensor": T([3]), "too-many": (0, 0, 0, 0),
    "float-tensor": T([0.0], dtype="float32"),
    "bad-mask": np.array([True, False]), "zero-step": slice(None, None, 0), "float": 1.5,
}


@pytest.mark.parametrize("name", list(GET))
def test_getitem(name):
    idx = GET[name]
    compare_call(lambda lib, x: x[build(lib, idx)], Sample(X), message=True)


GRAD_GET = ["slice-int", "none-mid", "int-tensor", "tensor-bcast", "separated", "bool-mask", "step"]


@pytest.mark.parametrize("name", GRAD_GET)
def test_getitem_grad(name):
    idx = GET[name]
    compare_grad(lambda lib, x: x[build(lib, idx)], Sample(X))


def _set(idx, value):
    def f(lib, x, v=None):
        x = x.clone() if not x.requires_grad else x * 1
        x[build(lib, idx)] = v if v is not None else value
        return x
    return f


SET = {
    "int-scalar": (1, 0.5, None), "slice-scalar": ((slice(None), 1), -1.0, None),
    "slice-tensor": ((slice(None), 1), None, g.f(3, 5)), "bcast-row": (0, None, g.f(5)),
    "ellipsis": ((Ellipsis, 0), None, g.f(3, 4)), "mask-scalar": (MASK_34, 0.0, None),
    "mask-values": (MASK_34, None, g.f(int(MASK_34.sum()), 5)), "int-tensor": (T([2, 0]), None, g.f(2, 4, 5)),
    "tensor-pair": ((T([0, 2]), T([1, 3])), None, g.f(5)), "int-value": (0, 3, None),
    "0d-tensor-value": ((1, 1), None, g.f()), "none": ((None, 0), 2.0, None),
    "step": ((slice(None), slice(None, None, 2)), None, g.f(3, 2, 5)),
    "int64-into-float": (0, None, g.i(4, 5)),
    # errors
    "bad-shape": (0, None, g.f(3)), "oob": (5, 1.0, None),
}


@pytest.mark.parametrize("name", list(SET))
def test_setitem(name):
    idx, scalar, arr = SET[name]
    s = Sample(X) if arr is None else Sample(X, arr)
    compare_call(_set(idx, scalar), s, message=True)


@pytest.mark.parametrize("name", ["slice-tensor", "mask-values", "int-tensor", "tensor-pair", "step"])
def test_setitem_grad(name):
    idx, scalar, arr = SET[name]
    compare_grad(_set(idx, scalar), Sample(X, arr))


def test_setitem_int_tensor():
    xi = g.i(3, 4)
    compare_call(_set((0, 1), 9), Sample(xi))
    compare_call(_set(MASK_34, 2.7), Sample(xi))  # a float value written into an int tensor truncates
    compare_call(_set(slice(None), None), Sample(g.b(3, 4), g.b(4)))
    compare_call(_set(0, None), Sample(xi, g.f(4)))


def test_index_put_accumulate():
    def f(lib, x, v):
        x = x.clone()
        return x.index_put_((build(lib, T([0, 0, 2])),), v, accumulate=True)
    compare_call(f, Sample(g.f(3, 4), g.f(3, 4)))

    def f2(lib, x, v):
        return x.index_put((build(lib, T([1, 1])), build(lib, T([0, 0]))), v, accumulate=True)
    compare_call(f2, Sample(g.f(3, 4), g.f(2)))
    compare_grad(f2, Sample(g.f(3, 4), g.f(2)))
    compare_call(lambda lib, x, v: lib.index_put(x, (build(lib, T([1])),), v), Sample(g.f(3, 4), g.f(4)))
    compare_call(lambda lib, x, v: x.index_put((build(lib, T([1])),), v), Sample(g.f(3, 4), g.i(4)),
                 message=True)  # dtypes must match



def test_int_indices_in_a_loop_compile_once():
    """``x[i] = v`` / ``x[i, idx]`` in a loop over ``i``: the integer is data of the compiled kernel, not part of its
    key (a few compiles for the whole loop, not some per value), and the loop's result matches torch."""
    import ptjax
    from ptjax._stats import STATS

    def fill(lib, x, idx):
        x = x.clone()
        rows = []
        for i in range(x.shape[0]):
            x[i] = float(i)
            x[i, 1:3] += 1
            x[-1 - i, idx] = -2.0
            rows.append(x[i, idx])
        return x, lib.stack(rows)

    sample = Sample(g.f(9, 4), np.array([0, 3]))  # a shape no other test here compiles for
    before = STATS["kernel_compiles"]
    fill(ptjax, *(ptjax.tensor(a) for a in sample.args))
    assert STATS["kernel_compiles"] - before < 9
    compare_call(fill, sample)
