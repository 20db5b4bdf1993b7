"""``embedding``, ``embedding_bag`` and ``one_hot``."""
from __future__ import annotations

import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._ops import creation as _creation
from .._ops.registry import op
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ._functional_utils import _index_range

__all__ = ["embedding", "embedding_bag", "one_hot"]


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


def _bag_checks(input, weight, offsets, include_last_offset):
    """torch's checks of indices and offsets (read on the host, as torch's CPU kernel does)."""
    for t in (input, offsets):
        if t.dtype not in (D.int64, D.int32):
            raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                               f"Long, Int; but got {t.type()} instead (while checking arguments for embedding_bag)")
    idx = np.asarray(input._value)
    bad = (idx < 0) | (idx >= weight.shape[0])
    if bad.any():
        i = int(np.argmax(bad))
        if weight.dtype == D.float32:   # torch's float32 kernel and its generic one word it differently
            raise RuntimeError(f"Index {i} of input takes value {int(idx[i])} which is not in the valid range "
                               f"[0, {weight.shape[0]})")
        raise RuntimeError(f"embedding_bag: Expected idx >= 0 && idx < num_embeddings but found idx to be "
                           f"{int(idx[i])}")
    off = np.asarray(offsets._value)
    if off.size:
        if off[0] != 0:
            raise RuntimeError("offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from "
                               f"position 0. However, got {int(off[0])}")
        if off[-1] > idx.size:
            raise RuntimeError(f"offsets[-1] can not be greater than input's length {idx.size} but got offsets[-1] of "
                               f"{int(off[-1])}")


@op(tensors=("input", "weight", "offsets", "per_sample_weights"), jit=True, method=False, function=False,
    grad_name="EmbeddingBagBackward0")
def _embedding_bag(input, weight, offsets, per_sample_weights, mode, include_last_offset, padding_idx,
                   scale_grad_by_freq):
    """``(output, offset2bag, bag_size, max_indices)`` for 1-d ``input`` cut into bags at ``offsets``."""
    n = input.shape[0]
    # bag starts; with include_last_offset torch ignores the final offset: the last bag runs to the end
    starts = offsets[:-1] if include_last_offset else offsets
    bags = starts.shape[0]
    pos = jnp.arange(n)
    bag = jnp.searchsorted(starts, pos, side="right") - 1   # the bag of each index
    valid = bag >= 0
    if padding_idx is not None:
        valid = valid & (input != padding_idx)
    bag = jnp.clip(bag, 0, max(bags - 1, 0)).astype(jnp.int64)
    rows = jnp.take(weight, input, axis=0)
    if scale_grad_by_freq:   # the gradient of each row divided by how often its index occurs
        counts = jnp.zeros((weight.shape[0],), weight.dtype).at[input].add(1)
        rows = jax.lax.stop_gradient(rows) + (rows - jax.lax.stop_gradient(rows)) / jnp.take(counts, input)[:, None]
    size = jax.ops.segment_sum(valid.astype(jnp.int64), bag, bags)
    if mode == "max":
        masked = jnp.where(valid[:, None], rows, -jnp.inf)
        best = jax.ops.segment_max(jax.lax.stop_gradient(masked), bag, bags)
        # the first position holding each maximum: the gradient goes there only, as in torch
        hit = valid[:, None] & (masked == jnp.take(best, bag, axis=0))
        first = jax.ops.segment_min(jnp.where(hit, pos[:, None], n), bag, bags)
        out = jnp.take_along_axis(rows, jnp.clip(first, 0, n - 1), axis=0)
        out = jnp.where(size[:, None] > 0, out, jnp.zeros((), rows.dtype))
        max_indices = jnp.where(size[:, None] > 0, jnp.take(input, jnp.clip(first, 0, n - 1)), 0)
        return out, bag, size, max_indices.astype(jnp.int64)
    w = valid.astype(rows.dtype)
    if per_sample_weights is not None:
        w = w * per_sample_weights
    out = jax.ops.segment_sum(rows * w[:, None], bag, bags)
    if mode == "mean":
        out = out / jnp.maximum(size, 1).astype(out.dtype)[:, None]
    return out, bag, size, size


_BAG_MODES = ("sum", "mean", "max")


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxima of bags of embeddings without materializing the rows of each bag separately.

    ``sparse=True`` is accepted; the gradient is dense."""
    if weight.dtype == D.int64 and input.is_floating_point():
        warnings.warn("Argument order of nn.functional.embedding_bag was changed. Usage `embedding_bag(weight, "
                      "input, ...)` is deprecated, and should now be `embedding_bag(input, weight, ...)`.",
                      stacklevel=2)
        weight, input = input, weight
    if per_sample_weights is not None and input.size() != per_sample_weights.size():
        raise ValueError(f"embedding_bag: If per_sample_weights ({per_sample_weights.shape}) is not None, then it "
                         f"must have the same shape as the input ({input.shape})")
    if weight.dim() != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension {weight.dim()}")
    if input.dim() == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {_torch_type_str(offsets)}")
        offsets = _creation.arange(0, input.numel(), input.size(1), dtype=input.dtype, device=input.device)
        include_last_offset = False
        input = input.reshape(-1)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.dim() == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.dim() != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.dim()}")
    if mode not in _BAG_MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if mode == "max" and sparse:
        raise ValueError("max mode does not support sparse weights")
    if max_norm is not None:
        _embedding_renorm_(weight, input, max_norm, norm_type)
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError("embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  "GitHub.")
    return _run_embedding_bag(weight, input, offsets, scale_grad_by_freq, mode, per_sample_weights,
                              include_last_offset, padding_idx)[0]


def _run_embedding_bag(weight, input, offsets, scale_grad_by_freq, mode, per_sample_weights, include_last_offset,
                       padding_idx):
    """The four outputs of torch's ``embedding_bag`` kernel (``torch.embedding_bag``)."""
    _bag_checks(input, weight, offsets, include_last_offset)
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.size(0)
    return _embedding_bag(input, weight, offsets.to(input.dtype), per_sample_weights, mode, bool(include_last_offset),
                          padding_idx, bool(scale_grad_by_freq))


def _torch_type_str(obj):
    t = type(obj)
    return "<class 'torch.Tensor'>" if isinstance(obj, Tensor) else str(t)


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
