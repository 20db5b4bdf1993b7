"""torch.testing against real torch: assert_close passes and fails on the same inputs with the same message, and
make_tensor's dtypes, shapes, ranges and options."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ptjax  # noqa: E402

nan, inf = float("nan"), float("inf")


class T:
    """A tensor argument, built in each library from NumPy data."""

    def __init__(self, data, dtype=None, requires_grad=False):
        self.data, self.dtype, self.requires_grad = np.asarray(data), dtype, requires_grad

    def build(self, lib):
        t = lib.tensor(self.data)
        if self.dtype is not None:
            t = t.to(getattr(lib, self.dtype))
        return t.requires_grad_(True) if self.requires_grad else t


def _build(lib, x):
    if isinstance(x, T):
        return x.build(lib)
    if isinstance(x, list):
        return [_build(lib, v) for v in x]
    if isinstance(x, tuple):
        return tuple(_build(lib, v) for v in x)
    if isinstance(x, dict):
        return {k: _build(lib, v) for k, v in x.items()}
    return x


def _outcome(lib, actual, expected, kwargs):
    try:
        lib.testing.assert_close(_build(lib, actual), _build(lib, expected), **kwargs)
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return type(e).__name__, str(e).replace("ptjax._tensor.Tensor", "torch.Tensor").replace("ptjax", "torch")
    return None


F = [1.0, 2.0, 3.0, 4.0]
CASES = [
    (T(F), T(F), {}),
    (T(F), T([1.0, 2.0, 3.001, 4.5]), {}),                          # close / mismatched mixture
    (T([[1.0, 2.0], [3.0, 4.0]]), T([[1.0, 2.5], [3.0, 4.0]]), {}),  # a 2-d index in the message
    (T([1, 2, 3]), T([1, 2, 4]), {}),                                # integers: "not equal", no tolerance
    (T([1, 2], "int32"), T([1, 5], "int32"), {}),                    # relative difference in float32
    (T([True, False]), T([True, True]), {}),
    (T(1.0), T(1.5), {}),                                            # 0-d: the scalar message
    (T(2), T(3), {}),
    (T(F), T(F, "float64"), {}),                                     # dtype mismatch
    (T(F), T(F, "float64"), {"check_dtype": False}),
    (T([1, 2]), T([1.0, 2.0]), {"check_dtype": False}),
    (T(F), T(F[:3]), {}),                                            # shape mismatch
    (T(F), T(F), {"rtol": 1e-3}),                                    # only one tolerance given
    (T([1.0, 2.0]), T([1.1, 2.0]), {"rtol": 0.2, "atol": 0.0}),
    (T([nan, 1.0]), T([nan, 1.0]), {}),
    (T([nan, 1.0]), T([nan, 1.0]), {"equal_nan": True}),
    (T([inf, 1.0]), T([inf, 1.0]), {}),
    (T([inf, 1.0]), T([-inf, 1.0]), {}),
    (T([1.0, 0.0]), T([1.0, 1.0]), {}),                              # relative to zero
    (T(np.zeros((2, 3)), "float16"), T(np.ones((2, 3)), "float16"), {}),
    (T([0.0, 0.0]), T([1.0, 1.0]), {"msg": "custom"}),
    (T([1.0, 2.0]), T([1.0, 3.0]), {"msg": lambda m: m + " !"}),
    (T([1.0, 2.0], requires_grad=True), T([1.0, 2.0]), {}),
    (1.0, 1.1, {}), (1, 2, {}), (1, 1.0, {}), (True, False, {}), (1.0, nan, {}),
    ([T(F), T(F)], [T(F), T([1.0, 2.0, 3.0, 5.0])], {}),             # "The failure occurred for item [1]"
    ([[T([1.0])]], [[T([2.0])]], {}),
    ({"x": T(F)}, {"x": T([0.0, 2.0, 3.0, 4.0])}, {}),
    ({"a": 1, "b": 2}, {"a": 1, "c": 2}, {}),
    ([T(F)], [T(F), T(F)], {}),
    ((1.0,), [1.0], {}),
    (T(F), [1.0, 2.0, 3.0, 4.0], {}),                                # no comparison pair
    (T(1.0), 1.0, {}),
    (T(np.zeros(0, np.float32)), T(np.zeros(0, np.float32)), {}),
    (T(np.array([1 + 1j], np.complex64)), T(np.array([1 + 2j], np.complex64)), {}),
]


@pytest.mark.parametrize("actual,expected,kwargs", CASES)
def test_assert_close_matches_torch(actual, expected, kwargs):
    assert _outcome(ptjax, actual, expected, kwargs) == _outcome(torch, actual, expected, kwargs)


def test_assert_close_numpy_arrays_and_strides():
    for lib in (torch, ptjax):
        lib.testing.assert_close(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    a, b = np.array([1.0, 2.0]), np.array([1.0, 2.5])
    assert _outcome(ptjax, a, b, {}) == _outcome(torch, a, b, {})
    got = [_stride_outcome(lib) for lib in (torch, ptjax)]
    assert got[0] == got[1] and got[0] is not None


def _stride_outcome(lib):
    try:
        lib.testing.assert_close(lib.zeros(2, 3), lib.zeros(3, 2).T, check_stride=True)
    except AssertionError as e:
        return str(e)
    return None


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int32", "uint8", "bool", "complex64"])
def test_make_tensor(dtype):
    ptjax.manual_seed(0)
    t = ptjax.testing.make_tensor(50, 4, dtype=getattr(ptjax, dtype), device="cpu")
    ref = torch.testing.make_tensor(50, 4, dtype=getattr(torch, dtype), device="cpu")
    assert str(t.dtype) == str(ref.dtype) and tuple(t.shape) == (50, 4)
    v = np.asarray(t)
    if dtype == "bool":
        assert v.any() and not v.all()
        return
    parts = [v.real, v.imag] if np.iscomplexobj(v) else [v]
    lo, hi = {"uint8": (0, 9), "int64": (-9, 9), "int32": (-9, 9)}.get(dtype, (-9, 9))
    for p in parts:  # torch's ranges: floats [-9, 9), signed integers [-9, 9], uint8 [0, 9]
        assert p.min() >= lo and p.max() <= hi and p.max() - p.min() > (hi - lo) / 2


def test_make_tensor_options():
    mt = ptjax.testing.make_tensor
    t = mt((3, 4), dtype=ptjax.float32, device="cpu", low=0.5, high=0.75, requires_grad=True)
    v = np.asarray(t.detach())
    assert t.requires_grad and v.min() >= 0.5 and v.max() < 0.75
    assert not mt(3, 4, dtype=ptjax.float32, device="cpu", noncontiguous=True).is_contiguous()
    assert (np.asarray(mt(200, dtype=ptjax.int64, device="cpu", low=-1, high=1, exclude_zero=True)) != 0).all()
    for lib in (torch, ptjax):
        with pytest.raises(ValueError, match="`low` must be less than `high`, but got 5 >= 3"):
            lib.testing.make_tensor(2, dtype=lib.float32, device="cpu", low=5, high=3)
