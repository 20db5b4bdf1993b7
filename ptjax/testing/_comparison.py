"""``assert_close``: torch.testing's comparison, with its default tolerances and its failure messages.

Tensors (ptjax's, or NumPy arrays) are compared on the host with NumPy in their own dtype, so the differences
reported are the ones torch reports; Python numbers as Python numbers; sequences and mappings item by item.
"""
from __future__ import annotations

import cmath
import collections.abc
import math
import numbers

import numpy as np

from .. import _dtype as D
from .._tensor import Tensor

# (rtol, atol) by dtype when neither is given; exact comparison for every other dtype
_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
               "float64": (1e-7, 1e-7), "complex64": (1.3e-6, 1e-5), "complex128": (1e-7, 1e-7)}


class _Mismatch(AssertionError):
    """A failed comparison; ``path`` is where inside nested sequences / mappings it happened."""

    def __init__(self, message, path=""):
        super().__init__(message)
        self.message, self.path = message, path


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None, equal_nan=False,
                 check_device=True, check_dtype=True, check_layout=True, check_stride=False, msg=None):
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close (torch.testing.assert_close).

    ``|actual - expected| <= atol + rtol * |expected|`` elementwise, with the defaults per dtype that torch uses
    (float32: rtol 1.3e-6, atol 1e-5; float64: 1e-7, 1e-7; …; integers and bool exactly). ``msg`` replaces the
    message, or (a callable) rewrites it. ``check_layout`` is accepted: ptjax tensors are all strided.
    """
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got no "
                         f"{'rtol' if rtol is None else 'atol'}.")
    options = {"rtol": rtol, "atol": atol, "equal_nan": equal_nan, "check_device": check_device,
               "check_dtype": check_dtype, "check_stride": check_stride}
    try:
        _compare(actual, expected, options, "")
    except _Mismatch as e:
        message = e.message + (f"\n\nThe failure occurred for item {e.path}" if e.path else "")
        if callable(msg):
            message = msg(message)
        elif msg is not None:
            message = msg
        raise AssertionError(message) from None


def _is_tensor_like(x):
    return isinstance(x, (Tensor, np.ndarray))


def _compare(actual, expected, options, path):
    if _is_tensor_like(actual) and _is_tensor_like(expected) and type(actual) is type(expected):
        return _compare_tensors(actual, expected, options, path)
    if isinstance(actual, (bool, np.bool_)) and isinstance(expected, (bool, np.bool_)):
        if bool(actual) is not bool(expected):
            raise _Mismatch(f"Booleans mismatch: {bool(actual)} is not {bool(expected)}", path)
        return None
    if _is_number(actual) and _is_number(expected):
        return _compare_scalars(actual, expected, options, path)
    if isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        return _compare_mappings(actual, expected, options, path)
    if _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Mismatch(f"The length of the sequences mismatch: {len(actual)} != {len(expected)}", path)
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _compare(a, e, options, f"{path}[{i}]")
        return None
    raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and {type(expected)}.")


def _is_number(x):
    return isinstance(x, numbers.Number) and not isinstance(x, (bool, np.bool_))


def _is_sequence(x):
    return isinstance(x, collections.abc.Sequence) and not isinstance(x, str)


def _compare_mappings(actual, expected, options, path):
    if set(actual) != set(expected):
        missing = sorted(set(expected) - set(actual), key=repr)
        extra = sorted(set(actual) - set(expected), key=repr)
        raise _Mismatch(f"The keys of the mappings do not match:\nMissing keys in the actual mapping: {missing}\n"
                        f"Additional keys in the actual mapping: {extra}", path)
    for k in actual:
        _compare(actual[k], expected[k], options, f"{path}[{k!r}]")


def _compare_scalars(actual, expected, options, path):
    if type(actual) is not type(expected) and options["check_dtype"] and not (
            isinstance(actual, np.generic) or isinstance(expected, np.generic)):
        raise _Mismatch(f"The (d)types do not match: {type(actual)} != {type(expected)}.", path)
    exact = isinstance(actual, numbers.Integral) and isinstance(expected, numbers.Integral)
    rtol, atol = (0.0, 0.0) if exact else _tolerances(D.float64, options)
    a, e = (int(actual), int(expected)) if exact else (complex(actual), complex(expected))
    if not isinstance(actual, complex) and not isinstance(expected, complex) and not exact:
        a, e = float(actual), float(expected)
    if _scalar_close(a, e, rtol, atol, options["equal_nan"]):
        return
    abs_diff = abs(a - e)
    rel_diff = abs_diff / abs(e) if e != 0 else (math.nan if cmath.isnan(abs_diff) else math.inf)
    kind = "equal" if exact else "close"
    raise _Mismatch(f"Scalars are not {kind}!\n\nExpected {e} but got {a}.\n"
                    f"Absolute difference: {abs_diff}{_allowed(atol, exact)}\n"
                    f"Relative difference: {rel_diff}{_allowed(rtol, exact)}", path)


def _scalar_close(a, e, rtol, atol, equal_nan):
    if a == e:
        return True
    if equal_nan and cmath.isnan(a) and cmath.isnan(e):
        return True
    return cmath.isfinite(a) and cmath.isfinite(e) and abs(a - e) <= atol + rtol * abs(e)


def _allowed(tol, exact):
    return "" if exact else f" (up to {tol} allowed)"


def _tolerances(dtype, options):
    if options["rtol"] is not None:
        return options["rtol"], options["atol"]
    return _TOLERANCES.get(dtype.name, (0.0, 0.0))


def _meta(t):
    if isinstance(t, Tensor):
        return t.dtype, t.shape, t.device
    return D.to_dtype(t.dtype), tuple(t.shape), None


def _compare_tensors(actual, expected, options, path):
    (a_dtype, a_shape, a_device), (e_dtype, e_shape, e_device) = _meta(actual), _meta(expected)
    if tuple(a_shape) != tuple(e_shape):
        raise _Mismatch(f"The values for attribute 'shape' do not match: {a_shape} != {e_shape}.", path)
    if options["check_device"] and a_device != e_device:
        raise _Mismatch(f"The values for attribute 'device' do not match: {a_device} != {e_device}.", path)
    if options["check_dtype"] and a_dtype is not e_dtype:
        raise _Mismatch(f"The values for attribute 'dtype' do not match: {a_dtype} != {e_dtype}.", path)
    if options["check_stride"] and isinstance(actual, Tensor) and actual.stride() != expected.stride():
        raise _Mismatch(f"The values for attribute 'stride()' do not match: {actual.stride()} != "
                        f"{expected.stride()}.", path)
    dtype = a_dtype if a_dtype is e_dtype else D.promote_types(a_dtype, e_dtype)
    a = np.asarray(actual.detach() if isinstance(actual, Tensor) else actual).astype(dtype.np, copy=False)
    e = np.asarray(expected.detach() if isinstance(expected, Tensor) else expected).astype(dtype.np, copy=False)
    rtol, atol = _tolerances(dtype, options)
    exact = not (dtype.is_floating_point or dtype.is_complex)
    if exact:  # differences of integers as integers (bool as 0/1), torch's relative difference as float32
        a, e = a.astype(np.int64), e.astype(np.int64)
    matches = _tensor_matches(a, e, rtol, atol, options["equal_nan"], exact)
    if matches.all():
        return
    if a.ndim == 0:
        return _compare_scalars(a.item(), e.item(), {**options, "rtol": rtol, "atol": atol, "check_dtype": False},
                                path)
    raise _Mismatch(_tensor_message(a, e, matches, rtol, atol, exact), path)


def _tensor_matches(a, e, rtol, atol, equal_nan, exact):
    if exact:
        return a == e
    with np.errstate(invalid="ignore", over="ignore"):  # infinities match only themselves
        close = (a == e) | (np.isfinite(a) & np.isfinite(e) & (np.abs(a - e) <= atol + rtol * np.abs(e)))
    if equal_nan:
        close |= np.isnan(a) & np.isnan(e)
    return close


def _tensor_message(a, e, matches, rtol, atol, exact):
    n, bad = matches.size, int((~matches).sum())
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        abs_diff = np.abs(a - e)
        rel_diff = abs_diff / np.abs(e) if not exact else abs_diff.astype(np.float32) / np.abs(e).astype(np.float32)
    abs_diff = np.where(matches, 0, abs_diff).reshape(-1)  # only mismatches count
    rel_diff = np.where(matches, 0, rel_diff).reshape(-1)
    lines = [f"Tensor-likes are not {'equal' if exact else 'close'}!", "",
             f"Mismatched elements: {bad} / {n} ({100 * bad / n:.1f}%)"]
    for what, diff, tol in (("absolute", abs_diff, atol), ("relative", rel_diff, rtol)):
        i = _argmax_nan_first(diff)
        index = tuple(k.item() for k in np.unravel_index(i, a.shape))
        lines.append(f"Greatest {what} difference: {diff[i].item()} at index {index}{_allowed(tol, exact)}")
    return "\n".join(lines)


def _argmax_nan_first(x):
    """The first position of the largest value, NaN counting as largest (as torch.max)."""
    nan = np.isnan(x) if x.dtype.kind in "fc" else np.zeros(x.shape, bool)
    return int(np.argmax(nan)) if nan.any() else int(np.argmax(x))
