"""Indexing where torch's rules differ from NumPy's (and so from JAX's): integers applied as selects before the tensor
indices (``x[0, :, [1, 3]]`` is (3, 2) in torch, (2, 3) in NumPy), 0-d integer tensors likewise, Python ``range`` and
list indices, the legacy reading of a list holding slices or sequences as a tuple, and torch's errors — for reading,
writing (``x[idx] = v``, ``index_put_``) and gradients, against torch."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ptjax  # noqa: E402
from _ops_harness import Gen, Sample, compare_call, compare_grad  # noqa: E402

pytestmark = pytest.mark.usefixtures("fast_compiles")

g = Gen(3)
X = g.f(2, 3, 4, 5)

# each index is written with ``T`` for the library's tensor constructor
INDICES = [
    "0, :, [1, 3]", "[0], :, [1, 3]", ":, 0, :, [1, 3]", "0, [0, 1], :, [1, 3]", "[0, 1], :, 0", "None, 0, :, [1, 3]",
    "0, ..., [1, 3]", "..., 0, [1, 2]", "0, :, [[1], [3]], 0", "[0, 1], None, [0, 1]", "1, [0, 1], 2, [0, 1]",
    "T(0), :, [1, 3]", "T([0, 1]), :, 1, [1, 3]", "[[0]], 0, :, [[1, 2]]", ":, [0, 1], :, 0", "0, True, :, [1, 2]",
    "0, :, :, [True, False, True, False, True]", "T(1), [0, 1]", "range(2), [0, 2]", "0, range(1, 3)",
    ":, range(0, 4, 2), T([[1], [2]])", "(0, 1), :, 2", "[1, 0], [2, 1], 3", "-1, :, [-1, 0]",
]


def _get(index):
    def fn(lib, x):
        T = lib.tensor  # noqa: F841 - used by the index expression
        return eval(f"x[{index}]")
    return fn


def _set(index, value_shape):
    def fn(lib, x, v):
        T = lib.tensor  # noqa: F841
        y = x.clone()
        exec(f"y[{index}] = v")
        return y
    return fn


def _value_shape(index):
    return tuple(eval(f"z[{index}]", {"T": torch.tensor, "z": torch.zeros(X.shape)}).shape)


@pytest.mark.parametrize("index", INDICES)
def test_getitem(index):
    compare_call(_get(index), Sample(X))


@pytest.mark.parametrize("index", INDICES)
def test_setitem(index):
    shape = _value_shape(index)
    compare_call(_set(index, shape), Sample(X, g.f(*shape)))
    if len(shape) >= 1:  # a value broadcast along the leading dims
        compare_call(_set(index, shape), Sample(X, g.f(*shape[-1:])))


@pytest.mark.parametrize("index", ["0, :, [1, 3]", "T(1), :, 2, [0, 3]", "range(2), [0, 2]", "..., 0, [1, 2]"])
def test_gradients(index):
    compare_grad(_get(index), Sample(X))
    shape = _value_shape(index)
    compare_grad(_set(index, shape), Sample(X, g.f(*shape)))


@pytest.mark.parametrize("accumulate", [False, True])
def test_index_put(accumulate):
    def fn(lib, x, v):
        return x.clone().index_put_((lib.tensor(1), lib.tensor([1, 2, 1])), v, accumulate=accumulate)
    compare_call(fn, Sample(g.f(2, 3, 4), g.f(3, 4)))


@pytest.mark.parametrize("element", [None, 1, slice(None)])
def test_index_put_takes_tensors_only(element):
    compare_call(lambda lib, x: x.clone().index_put_((lib.tensor([0]), element), lib.tensor(1.0)),
                 Sample(g.f(2, 3, 4)), message=True)


@pytest.mark.parametrize("index", ["0, :, [1, 7]", "[0, 5]", ":, [0, 5]", "[0, 1], [0, 5]", "[0, 1], :, [0, 7]",
                                   "1, :, [0, 9]", "[0, 1], [0, 1], [0, 7]", "T(4), [0, 1]", "0, :, T(9)"])
def test_out_of_bounds_messages(index):
    """torch numbers the tensor indices (not the dims) in its bounds error for advanced indexing."""
    def fn(lib, x):
        T = lib.tensor  # noqa: F841
        return eval(f"x[{index}]")
    compare_call(fn, Sample(g.f(2, 3, 4)), message=True)


@pytest.mark.parametrize("index,value", [("0, :, [1, 3]", (2, 3)), ("[0, 1]", (5,)), ("0", (5,)),
                                         ("T(1), :, [0, 2]", (2, 3))])
def test_setitem_shape_messages(index, value):
    compare_call(_set(index, value), Sample(g.f(2, 3, 4), g.f(*value)), message=True)


@pytest.mark.parametrize("index", ["[0, slice(None)]", "[[0, 1]]", "[T([0, 1]), T([1, 2])]", "[[0, 1], [1, 2]]"])
def test_list_read_as_tuple_warns_as_torch(index):
    """A list holding a slice, a sequence or a tensor is a tuple of indices (with torch's deprecation warning)."""
    def messages(lib):
        x = lib.tensor(g.f(2, 3, 4))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            eval(f"x[{index}]", {"x": x, "T": lib.tensor})
        return [str(w.message).split(" (Triggered internally")[0] for w in caught]
    assert messages(ptjax) == messages(torch)
    compare_call(lambda lib, x: eval(f"x[{index}]", {"x": x, "T": lib.tensor}), Sample(g.f(2, 3, 4)))


def test_list_of_ints_is_one_index():
    compare_call(lambda lib, x: x[[1, 0, 1]], Sample(g.f(2, 3)))


def test_range_nll_pattern():
    """The tutorials' ``logp[range(n), target]``: values and gradient."""
    logits, target = g.f(5, 4), np.array([0, 3, 1, 1, 2])

    def nll(lib, z, t):
        logp = z.log_softmax(1)
        return -logp[range(len(t)), t].mean()
    compare_call(nll, Sample(logits, target))
    compare_grad(nll, Sample(logits, target))
