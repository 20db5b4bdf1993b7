"""``make_tensor``: a tensor of random values for tests (torch.testing.make_tensor's API and value ranges).

Values come from ptjax's generator (``ptjax.manual_seed``), so they are reproducible in ptjax but not torch's.
"""
from __future__ import annotations

import math

from .. import _dtype as D
from .._ops import creation, random

# torch's default ranges: floating and complex [-9, 9), signed integers [-9, 10), uint8 [0, 10)
_FLOAT_RANGE, _INT_RANGE, _UINT8_RANGE = (-9.0, 9.0), (-9, 10), (0, 10)


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad=False, noncontiguous=False,
                exclude_zero=False, memory_format=None):
    """A tensor of ``shape`` with values drawn uniformly from ``[low, high)``, clamped to the dtype's range.

    ``noncontiguous=True`` returns a strided view of a larger tensor; ``exclude_zero`` replaces zeros (by the
    smallest positive normal number for floats, by 1 for integers). ``memory_format`` is accepted and ignored.
    """
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    dtype = D.to_dtype(dtype)
    if dtype is D.bool:
        t = random.rand(*shape) < 0.5
    else:
        t = _uniform(shape, dtype, low, high)
    if exclude_zero:
        t = _replace_zeros(t, dtype)
    if noncontiguous and t.numel() > 1:
        doubled = t.repeat_interleave(2, dim=-1)
        t = doubled[..., ::2]
    t = t.to(device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _uniform(shape, dtype, low, high):
    if dtype.is_floating_point or dtype.is_complex:
        default = _FLOAT_RANGE
    else:
        default = _UINT8_RANGE if dtype is D.uint8 else _INT_RANGE
    lo, hi = _range(dtype, low, high, default)
    if dtype.is_floating_point or dtype.is_complex:
        real = dtype.to_real() if dtype.is_complex else dtype
        draw = random.rand(*shape, dtype=D.float64) * (hi - lo) + lo
        if dtype.is_complex:
            imag = random.rand(*shape, dtype=D.float64) * (hi - lo) + lo
            return creation.complex(draw.to(real), imag.to(real))
        return draw.to(dtype)
    return random.randint(math.ceil(lo), math.ceil(hi), tuple(shape), dtype=dtype)


def _range(dtype, low, high, default):
    """torch's checks and clamping of ``[low, high)``."""
    for name, v in (("low", low), ("high", high)):
        if v is not None and isinstance(v, float) and math.isnan(v):
            raise ValueError(f"`{name}` cannot be NaN, but got {name}=nan")
    if low is not None and high is not None and low >= high:
        raise ValueError(f"`low` must be less than `high`, but got {low} >= {high}")
    lo = default[0] if low is None else low
    hi = default[1] if high is None else high
    info_min, info_max = _limits(dtype)
    return max(lo, info_min), min(hi, info_max)


def _limits(dtype):
    import numpy as np
    real = dtype.to_real() if dtype.is_complex else dtype
    info = np.finfo(real.np) if real.is_floating_point else np.iinfo(real.np)
    return float(info.min), float(info.max)


def _replace_zeros(t, dtype):
    import numpy as np
    real = dtype.to_real() if dtype.is_complex else dtype
    replacement = float(np.finfo(real.np).tiny) if (dtype.is_floating_point or dtype.is_complex) else 1
    return t.masked_fill(t == 0, replacement)
