"""``normalize``, ``cosine_similarity``, ``pairwise_distance``, ``pdist``: p-norms with torch's gradient at 0."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np

from .._ops.registry import BINARY, op

__all__ = ["normalize", "cosine_similarity", "pairwise_distance", "pdist"]


def _safe_norm(x, p, axis, keepdims=False):
    """The p-norm with torch's gradient at 0 (zero instead of nan)."""
    if p == 2:
        s = jnp.sum(x * x, axis=axis, keepdims=keepdims)
        nz = s > 0
        return jnp.where(nz, jnp.sqrt(jnp.where(nz, s, 1)), 0)
    if p == math.inf:
        return jnp.max(jnp.abs(x), axis=axis, keepdims=keepdims)
    if p == -math.inf:
        return jnp.min(jnp.abs(x), axis=axis, keepdims=keepdims)
    if p == 0:
        return jnp.sum((x != 0).astype(x.dtype), axis=axis, keepdims=keepdims)
    if p == 1:
        return jnp.sum(x * jax.lax.stop_gradient(jnp.sign(x)), axis=axis, keepdims=keepdims)
    a = jnp.abs(x)
    nzx = a > 0
    s = jnp.sum(jnp.where(nzx, jnp.where(nzx, a, 1) ** p, 0), axis=axis, keepdims=keepdims)
    nz = s > 0
    return jnp.where(nz, jnp.where(nz, s, 1) ** (1.0 / p), 0)


def _normalize_check(input, p=2.0, dim=1, eps=1e-12):
    n = max(input.ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")


@op(jit=True, method=False, function=False, check=_normalize_check, grad_name="DivBackward0")
def _normalize(input, p=2.0, dim=1, eps=1e-12):
    x = input if input.ndim else input.reshape(1)
    denom = jnp.maximum(_safe_norm(x, p, dim, keepdims=True), eps)
    return (x / denom).reshape(input.shape)


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    res = _normalize(input, float(p), dim, float(eps))
    if out is not None:
        return out.copy_(res)
    return res


@op(tensors=("x1", "x2"), promote=BINARY, jit=True, method=False, grad_name="SumBackward1")
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    x1, x2 = jnp.broadcast_arrays(x1, x2)
    n1 = jnp.maximum(_safe_norm(x1, 2, dim, keepdims=True), eps)
    n2 = jnp.maximum(_safe_norm(x2, 2, dim, keepdims=True), eps)
    return jnp.sum((x1 / n1) * (x2 / n2), axis=dim)


@op(tensors=("x1", "x2"), promote=BINARY, jit=True, method=False, grad_name="NormBackward1")
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    d = x1 - x2 + eps
    if d.ndim == 0:
        d = d.reshape(1)
    return _safe_norm(d, p, -1, keepdims=keepdim)


@op(jit=True, method=False)
def pdist(input, p=2):
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    return _safe_norm(input[i] - input[j], p, -1)
