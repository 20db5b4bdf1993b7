"""``embedding`` and ``one_hot``."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._ops.registry import op
from ..autograd.grad_mode import no_grad
from ._functional_utils import _index_range

__all__ = ["embedding", "one_hot"]


def _embedding_check(input, weight, padding_idx=None, scale_grad_by_freq=False):
    if input.dtype not in (D.int64, D.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, "
                           f"Int; but got {input.type()} instead (while checking arguments for embedding)")
    if weight.ndim != 2:
        raise RuntimeError("'weight' must be 2-D")
    lo, hi = _index_range(input._value)
    if lo < 0 or hi >= weight.shape[0]:
        raise IndexError("index out of range in self")


@op(tensors=("input", "weight"), jit=True, method=False, function=False, check=_embedding_check)
def _embedding(input, weight, padding_idx=None, scale_grad_by_freq=False):
    out = jnp.take(weight, input, axis=0)
    if scale_grad_by_freq:
        counts = jnp.zeros((weight.shape[0],), weight.dtype).at[input.reshape(-1)].add(1)
        scale = (1.0 / jnp.take(counts, input))[..., None]
        out = jax.lax.stop_gradient(out) + (out - jax.lax.stop_gradient(out)) * scale
    if padding_idx is not None:
        pad = (input == padding_idx)[..., None]
        out = jnp.where(pad, jax.lax.stop_gradient(out), out)
    return out


@functools.partial(jax.jit, static_argnums=(3,))
def _renormed(w, idx, max_norm, norm_type):
    used = jnp.zeros((w.shape[0],), bool).at[idx.reshape(-1)].set(True)
    norms = jnp.sum(jnp.abs(w) ** norm_type, axis=1) ** (1.0 / norm_type)
    scale = jnp.where(used & (norms > max_norm), max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
    return w * scale[:, None]


def _embedding_renorm_(weight, input, max_norm, norm_type):
    """torch.embedding_renorm_: rows referenced by ``input`` with norm above ``max_norm`` are rescaled in place."""
    with no_grad():
        weight._write(_renormed(weight._value, input._value, np.asarray(float(max_norm)), float(norm_type)))


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    """Look up rows of ``weight``. ``sparse=True`` is accepted; the gradient is dense."""
    if padding_idx is not None:
        if padding_idx > 0:
            if padding_idx >= weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
        elif padding_idx < 0:
            if padding_idx < -weight.size(0):
                raise AssertionError("Padding_idx must be within num_embeddings")
            padding_idx = weight.size(0) + padding_idx
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    return _embedding(input, weight, padding_idx, bool(scale_grad_by_freq))


@op(tensors=("tensor",), jit=True, method=False, function=False, differentiable=False)
def _one_hot(tensor, num_classes):
    return (tensor[..., None] == jnp.arange(num_classes, dtype=tensor.dtype)).astype(jnp.int64)


def one_hot(tensor, num_classes=-1):
    if tensor.dtype is not D.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if tensor.numel() == 0:
        if num_classes == -1:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        lo, hi = 0, -1
    else:
        lo, hi = _index_range(tensor._value)
    if lo < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        num_classes = hi + 1
    elif hi >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _one_hot(tensor, int(num_classes))
