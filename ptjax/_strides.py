"""Strided layout arithmetic for views.

A view is described, like in torch, by ``(shape, stride, offset)`` into the flat, contiguous storage of the tensor
that owns it (its ``_base``). These functions compute the layout of a view of a view; they never touch data.
"""
from __future__ import annotations

import functools

import numpy as np


def contiguous_strides(shape) -> tuple:
    strides, acc = [], 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(strides))


def is_contiguous(shape, stride) -> bool:
    expected = 1
    for s, st in zip(reversed(shape), reversed(stride)):
        if s == 1:
            continue
        if s == 0:
            return True
        if st != expected:
            return False
        expected *= s
    return True


def view_strides(old_shape, old_stride, new_shape):
    """Strides for viewing ``old`` as ``new_shape`` without a copy, or None when the memory layout forbids it.

    Groups of old dims that are laid out contiguously with one another can be re-split freely; a new dim may not
    straddle two such groups (that is torch's "spans across two contiguous subspaces").
    """
    numel = 1
    for s in old_shape:
        numel *= s
    if numel == 0 or not old_shape:
        return contiguous_strides(new_shape)
    new_stride = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base_stride = old_stride[-1]
    tensor_numel, view_numel = 1, 1
    for tensor_d in range(len(old_shape) - 1, -1, -1):
        tensor_numel *= old_shape[tensor_d]
        # end of a contiguous chunk of old dims?
        if tensor_d == 0 or (old_shape[tensor_d - 1] != 1 and
                             old_stride[tensor_d - 1] != tensor_numel * chunk_base_stride):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_stride[view_d] = view_numel * chunk_base_stride
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if tensor_d > 0:
                chunk_base_stride = old_stride[tensor_d - 1]
                tensor_numel, view_numel = 1, 1
    if view_d != -1:
        return None
    return tuple(new_stride)


def infer_size(shape, numel: int) -> tuple:
    """Resolve one ``-1`` in a view/reshape target shape, with torch's errors."""
    shape = tuple(int(s) for s in shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for s in shape:
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s}")
    known = 1
    for s in shape:
        if s != -1:
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
        shape = shape[:neg[0]] + (numel // known,) + shape[neg[0] + 1:]
    elif known != numel:
        raise RuntimeError(f"shape '[{', '.join(map(str, shape))}]' is invalid for input of size {numel}")
    return shape


@functools.lru_cache(maxsize=4096)
def flat_indices(shape, stride, offset) -> np.ndarray:
    """Positions in the flat storage of each element of the view, in row-major order of the view."""
    idx = np.full(shape, offset, dtype=np.int64)
    for d, (s, st) in enumerate(zip(shape, stride)):
        shp = [1] * len(shape)
        shp[d] = s
        idx = idx + (np.arange(s, dtype=np.int64) * st).reshape(shp)
    idx = idx.reshape(-1)
    idx.setflags(write=False)
    return idx
