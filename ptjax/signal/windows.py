"""torch.signal.windows: the window functions of ``scipy.signal.windows`` that torch has.

Each window is computed in float64 with NumPy and then made a tensor of ``dtype`` (float32 by default, the
default dtype), so values agree with torch's to float32 rounding. ``sym=False`` gives the periodic window (the
symmetric one of length ``M + 1`` without its last point), as in torch and SciPy. Difference from torch: with
``requires_grad=True`` the result is a leaf (torch returns it with a ``grad_fn``).
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from .. import _dtype as D
from .. import _layout
from .._ops.creation import tensor

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine", "general_hamming",
           "hamming", "hann", "kaiser", "nuttall"]


def _window(name, M, sym, dtype, layout, device, requires_grad, points):
    """Checks as torch's (in the name of the function torch reports), then ``points(n)`` for ``n`` points as a
    float64 array, made periodic when ``sym`` is False (``sym=None``: ``points(M)`` as it is)."""
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout is not _layout.strided:
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    dtype = D.get_default_dtype() if dtype is None else dtype
    if dtype not in (D.float32, D.float64):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dtype}")
    if M == 0:
        values = np.zeros(0)
    elif sym is None:
        values = points(M)
    elif M == 1:
        values = np.ones(1)
    else:
        values = points(M if sym else M + 1)[:M]
    return tensor(values, dtype=dtype, device=device, requires_grad=requires_grad)


def general_cosine(M, *, a, sym=True, dtype=None, layout=_layout.strided, device=None, requires_grad=False):
    """``sum_k a[k] * cos(k * x)`` for ``x`` from ``-pi`` to ``pi``."""
    if not isinstance(a, Iterable) or isinstance(a, str):
        raise TypeError("Coefficients must be a list/tuple")
    coefficients = [float(c) for c in a]

    def points(n):
        x = np.linspace(-math.pi, math.pi, n)
        return sum(c * np.cos(k * x) for k, c in enumerate(coefficients))
    return _window("general_cosine", M, sym, dtype, layout, device, requires_grad, points)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=_layout.strided, device=None, requires_grad=False):
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout, device=device,
                          requires_grad=requires_grad)


def hamming(M, *, sym=True, dtype=None, layout=_layout.strided, device=None, requires_grad=False):
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)


def hann(M, *, sym=True, dtype=None, layout=_layout.strided, device=None, requires_grad=False):
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=_layout.strided, device=None, requires_grad=False):
    def points(n):
        x = np.linspace(-math.pi, math.pi, n)
        return 0.42 + 0.5 * np.cos(x) + 0.08 * np.cos(2 * x)
    return _window("blackman", M, sym, dtype, layout, device, requires_grad, points)


def nuttall(M, *, sym=True, dtype=None, layout=_layout.strided, device=None, requires_grad=False):
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=_layout.strided, device=None, requires_grad=False):
    def points(n):
        k = np.arange(n) * (2.0 / (n - 1))
        return np.where(k <= 1.0, k, 2.0 - k)
    return _window("bartlett", M, sym, dtype, layout, device, requires_grad, points)


def cosine(M, *, sym=True, dtype=None, layout=_layout.strided, device=None, requires_grad=False):
    return _window("cosine", M, sym, dtype, layout, device, requires_grad,
                   lambda n: np.sin(math.pi * (np.arange(n) + 0.5) / n))


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=_layout.strided, device=None,
                requires_grad=False):
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")

    # torch's centre: the middle of the symmetric window, or of the periodic one (M + 1 points) when M > 1
    c = (M if not sym and M > 1 else M - 1) / 2 if center is None else center
    return _window("exponential", M, None, dtype, layout, device, requires_grad,
                   lambda n: np.exp(-np.abs(np.arange(n) - c) / tau))


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=_layout.strided, device=None, requires_grad=False):
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    return _window("gaussian", M, sym, dtype, layout, device, requires_grad,
                   lambda n: np.exp(-((np.arange(n) - (n - 1) / 2) ** 2) / (2 * std ** 2)))


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=_layout.strided, device=None, requires_grad=False):
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    return _window("kaiser", M, sym, dtype, layout, device, requires_grad,
                   lambda n: np.i0(beta * np.sqrt(1 - (np.arange(n) * (2.0 / (n - 1)) - 1) ** 2)) / np.i0(beta))
