"""``linear`` and ``bilinear`` (the functionals of ``nn.Linear`` / ``nn.Bilinear``)."""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._ops.registry import op
from .._size import broadcast_shapes
from ._functional_utils import _shape_list

__all__ = ["linear", "bilinear"]


def _linear_check(input, weight, bias=None):
    ishape, wshape = input.shape, weight.shape
    if not ishape or not wshape:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {len(ishape)}D and "
                           f"{len(wshape)}D")
    if input.dtype is not weight.dtype:
        raise RuntimeError("expected m1 and m2 to have the same dtype, but got: "
                           f"{D.CPP_TYPE_NAME[input.dtype.name]} != "
                           f"{D.CPP_TYPE_NAME[weight.dtype.name]}")
    k = ishape[-1]
    if len(wshape) == 1:
        if bias is not None:
            raise RuntimeError("mat2 must be a matrix, got 1-D tensor")
        if wshape[0] != k:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{k}] and src [{wshape[0]}] to have "
                               f"the same number of elements, but got {k} and {wshape[0]} elements respectively")
        out_shape = tuple(ishape[:-1])
    else:
        if wshape[-1] != k:
            rows = int(np.prod(ishape[:-1], dtype=np.int64)) if len(ishape) > 1 else 1
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and {wshape[1]}x"
                               f"{wshape[0]})")
        out_shape = tuple(ishape[:-1]) + (wshape[0],)
    if bias is not None:
        if bias.dtype is not input.dtype:
            raise RuntimeError("self and mat2 must have the same dtype, but got "
                               f"{D.SCALAR_TYPE_NAME[bias.dtype.name]} and "
                               f"{D.SCALAR_TYPE_NAME[input.dtype.name]}")
        if bias.shape == out_shape[-1:]:  # the usual (out_features,) bias
            return
        try:
            ok = broadcast_shapes(bias.shape, out_shape) == out_shape
        except RuntimeError:
            ok = False
        if not ok:
            bad = next((i for i in range(1, bias.ndim + 1)
                        if bias.shape[-i] != 1 and (i > len(out_shape) or bias.shape[-i] != out_shape[-i])), 1)
            dim = len(out_shape) - bad
            have = bias.shape[-bad]
            raise RuntimeError(f"The expanded size of the tensor ({out_shape[dim] if dim >= 0 else 1}) must match the "
                               f"existing size ({have}) at non-singleton dimension {dim}.  Target sizes: "
                               f"{_shape_list(out_shape)}.  Tensor sizes: {_shape_list(bias.shape)}")


@op(tensors=("input", "weight", "bias"), jit=True, method=False, function=False, check=_linear_check,
    grad_name="AddmmBackward0")
def linear(input, weight, bias=None):
    """``y = x Aᵀ + b``."""
    out = jnp.matmul(input, weight.T) if weight.ndim == 2 else jnp.matmul(input, weight)
    if bias is not None:
        out = out + bias
    return out


def _bilinear_check(input1, input2, weight, bias=None):
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and {input2.ndim}")
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got {_shape_list(input1.shape)} and "
                           f"{_shape_list(input2.shape)}")
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be three-dimensional, but got {weight.ndim}")
    if input1.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got {input1.shape[-1]} but expected "
                           f"{weight.shape[1]}")
    if input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got {input2.shape[-1]} but expected "
                           f"{weight.shape[2]}")
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got {bias.shape[-1]} but expected "
                           f"{weight.shape[0]}")


@op(tensors=("input1", "input2", "weight", "bias"), jit=True, method=False, check=_bilinear_check,
    grad_name="ViewBackward0")
def bilinear(input1, input2, weight, bias=None):
    """``y_k = x1ᵀ A_k x2 + b_k``."""
    out = jnp.einsum("...i,kij,...j->...k", input1, weight, input2)
    if bias is not None:
        out = out + bias
    return out
