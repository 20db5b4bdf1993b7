"""Helpers shared by the distributions (torch.distributions.utils): broadcasting parameters, probabilities ↔
logits, lazily computed attributes, and packing a lower triangle into a vector and back."""
from __future__ import annotations

import functools
import numbers

import numpy as np

from .. import _dtype as D
from .._ops import creation
from .._size import broadcast_shapes
from .._tensor import Tensor

__all__ = ["broadcast_all", "clamp_probs", "euler_constant", "lazy_property", "logits_to_probs", "probs_to_logits",
           "tril_matrix_to_vec", "vec_to_tril_matrix"]

euler_constant = 0.57721566490153286060  # the Euler–Mascheroni constant


class lazy_property:
    """Computed on first access, then stored on the instance (how ``probs`` follows from ``logits`` …)."""

    def __init__(self, fn):
        self.fn = fn
        functools.update_wrapper(self, fn)

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        value = self.fn(instance)
        setattr(instance, self.fn.__name__, value)
        return value


def broadcast_all(*values):
    """Tensors of one broadcast shape; Python numbers become tensors of the first tensor's dtype (else the
    default dtype)."""
    if not all(isinstance(v, (Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, torch.Tensor or objects "
                         "implementing __torch_function__.")
    ref = next((v for v in values if isinstance(v, Tensor)), None)
    dtype = ref.dtype if ref is not None else D.get_default_dtype()
    tensors = [v if isinstance(v, Tensor) else creation.tensor(v, dtype=dtype) for v in values]
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t if tuple(t.shape) == tuple(shape) else t.expand(shape) for t in tensors)


def _shown(t):
    """How torch shows a tensor in reprs and messages (its f-strings): a 0-d one as its number, else the tensor."""
    return t.item() if isinstance(t, Tensor) and t.ndim == 0 else t


def _eps(t):
    return float(np.finfo(t.dtype.np).eps)


def _tiny(t):
    return float(np.finfo(t.dtype.np).tiny)


def clamp_probs(probs):
    """``probs`` inside [eps, 1 - eps] of its dtype, so that their logs stay finite."""
    eps = _eps(probs)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    p = clamp_probs(probs)
    return (p.log() - (-p).log1p()) if is_binary else p.log()


def logits_to_probs(logits, is_binary=False):
    if is_binary:
        return logits.sigmoid()
    from ..nn import functional
    return functional.softmax(logits, -1)


def _sum_rightmost(value, dims):
    """``value`` summed over its ``dims`` rightmost dims (numbers pass through)."""
    if dims <= 0 or not isinstance(value, Tensor):
        return value
    return value.reshape(tuple(value.shape[:value.ndim - dims]) + (-1,)).sum(-1)


def _tril_mask(n, diag):
    """The (n, n) NumPy mask of the entries on and below diagonal ``diag``, in row order."""
    rows = np.arange(n)
    return rows[None, :] < rows[:, None] + (diag + 1)


def tril_matrix_to_vec(mat, diag=0):
    """The entries of ``mat``'s lower triangle (below diagonal ``diag``) row by row, as the last dim."""
    n = mat.shape[-1]
    if diag < -n or diag >= n:
        raise ValueError(f"diag ({diag}) provided is outside [{-n}, {n - 1}].")
    return mat[..., creation.tensor(_tril_mask(n, diag))]


def vec_to_tril_matrix(vec, diag=0):
    """The inverse of ``tril_matrix_to_vec``: an (n, n) matrix with zeros outside the triangle."""
    size = vec.shape[-1]
    n = (-(1 + 2 * diag) + ((1 + 2 * diag) ** 2 + 8 * size + 4 * abs(diag) * (diag + 1)) ** 0.5) / 2
    if round(n) - n > _eps(vec):
        raise ValueError(f"The size of last dimension is {size} which cannot be expressed as the lower triangular "
                         f"part of a square D x D matrix.")
    n = round(n)
    mat = vec.new_zeros(tuple(vec.shape[:-1]) + (n, n))
    mat[..., creation.tensor(_tril_mask(n, diag))] = vec
    return mat
