"""Dropout: a fresh key from ptjax's generator per call, a dynamic kernel input (no recompile per step)."""
from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp

from .._ops import dispatch as _dispatch
from .._ops.registry import op
from ._functional_activation import _SELU_ALPHA, _SELU_SCALE
from .._ops.random import key_tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


@op(tensors=("input", "key"), jit=True, method=False, function=False, grad_name="MulBackward0")
def _dropout(input, key, p, mask_shape):
    """Zero elements with probability ``p`` and scale the rest by ``1/(1-p)``; ``mask_shape`` broadcasts."""
    k = jax.random.wrap_key_data(key.astype(jnp.uint32))
    keep = jax.random.bernoulli(k, 1.0 - p, mask_shape)
    scale = 0.0 if p >= 1.0 else 1.0 / (1.0 - p)
    return input * (keep.astype(input.dtype) * jnp.asarray(scale, input.dtype))


def _run_dropout(input, p, inplace, mask_shape):
    res = _dropout(input, key_tensor(), float(p), tuple(mask_shape))
    if inplace:
        _dispatch.check_inplace(input)
        return _dispatch.assign(input, res)
    return res


def dropout(input, p=0.5, training=True, inplace=False):
    _check_p(p)
    if not training:
        return input
    return _run_dropout(input, p, inplace, input.shape)


def _feature_dropout(input, p, training, inplace, batched):
    _check_p(p)
    if not training:
        return input
    shape = tuple(input.shape)
    lead = 2 if batched else 1
    return _run_dropout(input, p, inplace, shape[:lead] + (1,) * (len(shape) - lead))


def dropout1d(input, p=0.5, training=True, inplace=False):
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input. Note that "
                           "dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a "
                           "channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, input.ndim == 3)


def _warn_rank(name, n, spatial):
    """torch's deprecation warning for ``dropout2d`` / ``dropout3d`` on an input of another rank."""
    if n not in (spatial + 1, spatial + 2):
        warnings.warn(f"{name}: Received a {n}-D input to {name}, which is deprecated and will result in an error in a "
                      "future release. To retain the behavior and silence this warning, please use dropout instead. "
                      f"Note that {name} exists to provide channel-wise dropout on inputs with {spatial} spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. "
                      f"{spatial + 1}D or {spatial + 2}D inputs).", stacklevel=3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    n = input.ndim
    _warn_rank("dropout2d", n, 2)
    if n == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                      "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior "
                      "will change in a future release to interpret the input as one without a batch dimension, i.e. "
                      "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using "
                      "dropout1d instead.", stacklevel=2)
    return _feature_dropout(input, p, training, inplace, n != 2 and n >= 3)


def dropout3d(input, p=0.5, training=True, inplace=False):
    n = input.ndim
    _warn_rank("dropout3d", n, 3)
    return _feature_dropout(input, p, training, inplace, n == 5)


@op(tensors=("input", "key"), jit=True, method=False, function=False, grad_name="AddBackward0")
def _alpha_dropout(input, key, p, mask_shape):
    k = jax.random.wrap_key_data(key.astype(jnp.uint32))
    keep = jax.random.bernoulli(k, 1.0 - p, mask_shape).astype(input.dtype)
    alpha_p = -_SELU_ALPHA * _SELU_SCALE
    a = ((1 - p) * (1 + p * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * p
    return (input * keep + alpha_p * (1 - keep)) * a + b


def _run_alpha_dropout(input, p, training, inplace, mask_shape):
    _check_p(p)
    if not training or p == 0:
        return input
    if p == 1:
        return input.mul_(0) if inplace else input * 0
    res = _alpha_dropout(input, key_tensor(), float(p), mask_shape)
    return input.copy_(res) if inplace else res


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _run_alpha_dropout(input, p, training, inplace, tuple(input.shape))


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """As ``alpha_dropout``, one mask entry per (sample, channel)."""
    shape = tuple(input.shape)
    return _run_alpha_dropout(input, p, training, inplace, shape[:2] + (1,) * (len(shape) - 2))
