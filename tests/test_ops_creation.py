"""Differential tests of tensor creation against torch: ``tensor``/``as_tensor`` dtype inference, the factories
(``zeros ones full empty`` and their ``_like`` forms, ``arange linspace eye``), and the random factories (values
are ptjax's own, so dtype, shape, range and seeding are compared rather than numbers)."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ptjax  # noqa: E402
from _ops_harness import assert_same_error, assert_same_value  # noqa: E402


pytestmark = pytest.mark.usefixtures("fast_compiles")


def both(fn):
    """fn(lib) on torch and ptjax: equal results, or the same exception (type and message)."""
    out = []
    for lib in (torch, ptjax):
        try:
            out.append(fn(lib))
        except Exception as e:  # noqa: BLE001
            out.append(e)
    ref, got = out
    if isinstance(ref, Exception):
        assert_same_error(ref, got, message=True)
    else:
        if isinstance(got, Exception):
            raise got
        assert_same_value(ref, got, check_requires_grad=True)
    return ref, got


# ---- tensor / as_tensor -------------------------------------------------------------------------------------------

TENSOR_DATA = {
    "ints": [1, 2, 3], "floats": [1.0, 2.5], "bools": [True, False], "int-float": [1, 2.5], "bool-int": [True, 2],
    "nested": [[1, 2], [3, 4]], "nested-float": [[1, 2.0], [3, 4]], "0d-float": 3.5, "0d-int": 7, "0d-bool": True,
    "empty": [], "empty-nested": [[]], "complex": [1 + 2j, 3], "tuple": (1, 2), "np-f64": np.arange(3.0),
    "np-i32": np.arange(3, dtype=np.int32), "np-bool": np.array([True]), "np-0d": np.float64(2.0),
    "np-f16": np.ones(2, np.float16), "np-u8": np.arange(3, dtype=np.uint8),
    "ragged": [[1, 2], [3]], "ragged-deep": [[[1], [2]], [[3], [4, 5]]], "ragged-scalar": [[1], 2],
    "ragged-seq": [[1, 2], [3, [4]]],
}


@pytest.mark.parametrize("name", list(TENSOR_DATA))
def test_tensor_inference(name):
    both(lambda lib: lib.tensor(TENSOR_DATA[name]))


@pytest.mark.parametrize("dtype", ["float64", "int32", "bool", "float16", "int64", "uint8"])
def test_tensor_dtype(dtype):
    both(lambda lib: lib.tensor([0, 1.5, 2], dtype=getattr(lib, dtype)))


def test_tensor_of_tensors_and_requires_grad():
    both(lambda lib: lib.tensor([lib.tensor(1.0), lib.tensor(2.0)]))
    both(lambda lib: lib.tensor([1.0, 2.0], requires_grad=True))
    both(lambda lib: lib.tensor([1, 2], dtype=lib.float32, requires_grad=True))
    both(lambda lib: lib.tensor([1, 2], requires_grad=True))  # integer tensors cannot require grad


def test_tensor_copies_numpy():
    a = np.arange(3.0)
    t = ptjax.tensor(a)
    a[0] = 100.0
    assert t.tolist() == [0.0, 1.0, 2.0]


def test_as_tensor():
    both(lambda lib: lib.as_tensor([1, 2]))
    both(lambda lib: lib.as_tensor([1, 2], dtype=lib.float64))
    both(lambda lib: lib.as_tensor(np.arange(4, dtype=np.int16)))
    for lib in (torch, ptjax):
        t = lib.ones(3)
        assert lib.as_tensor(t) is t
        assert lib.as_tensor(t, dtype=lib.float32) is t
        assert lib.as_tensor(t, dtype=lib.float64) is not t
    both(lambda lib: lib.as_tensor(lib.ones(3), dtype=lib.int64))


# ---- factories ----------------------------------------------------------------------------------------------------

FACTORIES = [
    ("zeros", lambda lib: lib.zeros(2, 3)), ("zeros-tuple", lambda lib: lib.zeros((2, 3))),
    ("zeros-list", lambda lib: lib.zeros([2, 3])), ("zeros-0d", lambda lib: lib.zeros(())),
    ("zeros-empty", lambda lib: lib.zeros(0, 3)), ("zeros-int", lambda lib: lib.zeros(2, dtype=lib.int64)),
    ("ones", lambda lib: lib.ones(3)), ("ones-bool", lambda lib: lib.ones(2, 2, dtype=lib.bool)),
    ("ones-rg", lambda lib: lib.ones(2, requires_grad=True)),
    ("empty", lambda lib: lib.empty(2, 3).shape), ("empty-dtype", lambda lib: str(lib.empty(2, dtype=lib.int32).dtype)),
    ("full-float", lambda lib: lib.full((2, 3), 1.5)), ("full-int", lambda lib: lib.full((2,), 7)),
    ("full-bool", lambda lib: lib.full((2,), True)), ("full-dtype", lambda lib: lib.full((2,), 2, dtype=lib.float32)),
    ("full-list", lambda lib: lib.full([3], -1.0)), ("full-complex", lambda lib: lib.full((1,), 1 + 1j)),
    ("zeros_like-int", lambda lib: lib.zeros_like(lib.tensor([1, 2]))),
    ("ones_like-dtype", lambda lib: lib.ones_like(lib.tensor([1.0, 2.0]), dtype=lib.float64)),
    ("full_like", lambda lib: lib.full_like(lib.tensor([1.0, 2.0]), 3)),
    ("full_like-int", lambda lib: lib.full_like(lib.tensor([1, 2]), 2.7)),
    ("empty_like", lambda lib: lib.empty_like(lib.ones(2, 3, dtype=lib.float64)).shape),
    ("zeros_like-rg", lambda lib: lib.zeros_like(lib.ones(2), requires_grad=True)),
    ("arange", lambda lib: lib.arange(5)), ("arange-2", lambda lib: lib.arange(1, 5)),
    ("arange-float-step", lambda lib: lib.arange(0, 1, 0.25)), ("arange-neg", lambda lib: lib.arange(5, 0, -1)),
    ("arange-tenth", lambda lib: lib.arange(0, 1, 0.1)), ("arange-float", lambda lib: lib.arange(1.0, 4.0)),
    ("arange-dtype", lambda lib: lib.arange(5, dtype=lib.float32)),
    ("arange-half", lambda lib: lib.arange(-1.5, 2, 0.5)), ("arange-empty", lambda lib: lib.arange(0)),
    ("arange-int-float-dtype", lambda lib: lib.arange(0, 2.5, 0.5, dtype=lib.int64)),
    ("arange-0d-tensor", lambda lib: lib.arange(lib.tensor(3))),
    ("linspace", lambda lib: lib.linspace(0, 1, 5)), ("linspace-1", lambda lib: lib.linspace(-1, 1, 1)),
    ("linspace-0", lambda lib: lib.linspace(0, 1, 0)),
    ("linspace-int", lambda lib: lib.linspace(0, 10, 5, dtype=lib.int64)),
    ("linspace-f64", lambda lib: lib.linspace(2, -2, 7, dtype=lib.float64)),
    ("logspace", lambda lib: lib.logspace(0, 2, 3)),
    ("eye", lambda lib: lib.eye(3)), ("eye-rect", lambda lib: lib.eye(2, 3)),
    ("eye-int", lambda lib: lib.eye(3, dtype=lib.int64)), ("eye-0", lambda lib: lib.eye(0)),
    # errors, in torch's words
    ("zeros-neg", lambda lib: lib.zeros(-1)), ("ones-neg", lambda lib: lib.ones(2, -3)),
    ("full-neg", lambda lib: lib.full((-1,), 2.0)), ("empty-neg", lambda lib: lib.empty(-2)),
    ("arange-step0", lambda lib: lib.arange(0, 5, 0)), ("arange-sign", lambda lib: lib.arange(5, 0, 1)),
    ("linspace-neg", lambda lib: lib.linspace(0, 1, -1)), ("eye-neg", lambda lib: lib.eye(-1)),
]


@pytest.mark.parametrize("fn", [f for _, f in FACTORIES], ids=[n for n, _ in FACTORIES])
def test_factory(fn):
    both(fn)


# ---- random -------------------------------------------------------------------------------------------------------

RANDOM = [  # few distinct shapes: each (shape, dtype) compiles a sampler once
    ("rand", lambda lib: lib.rand(2, 3)), ("rand-tuple", lambda lib: lib.rand((2, 3))),
    ("rand-f64", lambda lib: lib.rand(2, 3, dtype=lib.float64)), ("randn", lambda lib: lib.randn(2, 3)),
    ("randn-0d", lambda lib: lib.randn(())), ("randn-rg", lambda lib: lib.randn(2, 3, requires_grad=True)),
    ("randint", lambda lib: lib.randint(0, 10, (2, 3))), ("randint-high", lambda lib: lib.randint(5, (2, 3))),
    ("randint-dtype", lambda lib: lib.randint(3, 10, (2, 3), dtype=lib.int32)),
    ("randperm", lambda lib: lib.randperm(6)), ("randperm-0", lambda lib: lib.randperm(0)),
    ("normal-size", lambda lib: lib.normal(2.0, 3.0, (2, 3))),
    ("normal-tensors", lambda lib: lib.normal(lib.zeros(2, 3), lib.ones(3))),
    ("normal-mean", lambda lib: lib.normal(lib.zeros(2, 3), 1.0)),
    ("rand_like", lambda lib: lib.rand_like(lib.ones(2, 3, dtype=lib.float64))),
    ("randn_like", lambda lib: lib.randn_like(lib.ones(2, 3))),
    ("randint_like", lambda lib: lib.randint_like(lib.ones(2, 3), 0, 4)),
]


@pytest.mark.parametrize("fn", [f for _, f in RANDOM], ids=[n for n, _ in RANDOM])
def test_random_dtype_shape(fn):
    ref, got = fn(torch), fn(ptjax)
    assert str(got.dtype) == str(ref.dtype) and tuple(got.shape) == tuple(ref.shape)
    assert got.requires_grad == ref.requires_grad


def test_random_ranges():
    ptjax.manual_seed(0)
    u = ptjax.rand(2000).numpy()
    assert u.min() >= 0 and u.max() < 1 and 0.4 < u.mean() < 0.6
    z = ptjax.randn(2000).numpy()
    assert abs(z.mean()) < 0.1 and 0.9 < z.std() < 1.1
    r = ptjax.randint(3, 7, (2000,)).numpy()
    assert r.min() == 3 and r.max() == 6
    assert sorted(ptjax.randperm(6).tolist()) == list(range(6))
    n = ptjax.normal(5.0, 0.1, (2000,)).numpy()
    assert abs(n.mean() - 5.0) < 0.02
    m = ptjax.normal(ptjax.tensor([0.0, 100.0]), ptjax.tensor([1e-3, 1e-3])).numpy()
    assert abs(m[0]) < 0.01 and abs(m[1] - 100) < 0.01


def test_manual_seed_reproducible():
    def draws():
        return [ptjax.rand(2, 3).tolist(), ptjax.randn(2, 3).tolist(), ptjax.randint(0, 100, (2, 3)).tolist(),
                ptjax.randperm(6).tolist()]
    ptjax.manual_seed(123)
    a = draws()
    ptjax.manual_seed(123)
    assert draws() == a
    assert ptjax.rand(2, 3).tolist() != ptjax.rand(2, 3).tolist()  # every draw advances the generator
    x = ptjax.rand(2, 3, generator=ptjax.Generator().manual_seed(7)).tolist()
    assert ptjax.rand(2, 3, generator=ptjax.Generator().manual_seed(7)).tolist() == x
    assert ptjax.initial_seed() == 123


def test_random_errors():
    both(lambda lib: lib.randint(5, 2, (3,)))
    both(lambda lib: lib.rand(-1))
