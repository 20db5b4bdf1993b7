"""Gradient clipping. The norms and the rescaling of all gradients run as one compiled call."""
from __future__ import annotations

import functools
import math
import warnings

import jax
import jax.numpy as jnp

from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _as_list(tensors):
    if isinstance(tensors, Tensor):
        return [tensors]
    return list(tensors)


def _vector_norm(a, p):
    a = a.reshape(-1)
    if p == math.inf:
        return jnp.max(jnp.abs(a)) if a.size else jnp.zeros((), a.dtype)
    if p == -math.inf:
        return jnp.min(jnp.abs(a))
    if p == 0:
        return jnp.sum(a != 0).astype(a.dtype)
    if p == 2:
        return jnp.sqrt(jnp.sum(a * a))
    return jnp.sum(jnp.abs(a) ** p) ** (1.0 / p)


@functools.partial(jax.jit, static_argnums=(1,))
def _total_norm(arrays, p):
    dt = jnp.result_type(*arrays)
    norms = jnp.stack([_vector_norm(a, p).astype(dt) for a in arrays])
    return _vector_norm(norms, p)


@jax.jit
def _scale(arrays, total, max_norm):
    coef = jnp.minimum(max_norm / (total + 1e-6), 1.0)
    return [(a * coef.astype(a.dtype)).astype(a.dtype) for a in arrays]


def _nonfinite_error(norm_type):
    return RuntimeError(f"The total norm of order {float(norm_type)} for gradients from `parameters` is non-finite, so "
                        "it cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
                        "anyway, set `error_if_nonfinite=False`")


@no_grad()
def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The ``norm_type``-norm of the norms of ``tensors`` (as if concatenated into one vector)."""
    tensors = [t for t in _as_list(tensors) if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        from ..._ops.creation import tensor
        return tensor(0.0)
    total = _total_norm(tuple(t._value for t in tensors), norm_type)
    if error_if_nonfinite and not bool(jnp.isfinite(total)):
        raise _nonfinite_error(norm_type)
    return Tensor._make(total)


@no_grad()
def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients by ``min(1, max_norm / (total_norm + 1e-6))``, in place."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    if not grads:
        return
    tn = total_norm._value if isinstance(total_norm, Tensor) else jnp.asarray(total_norm)
    new = _scale([g._value for g in grads], tn, jnp.asarray(float(max_norm), tn.dtype))
    for g, a in zip(grads, new):
        g._write(a)


@no_grad()
def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Rescale the gradients so their total norm is at most ``max_norm``; returns the total norm (before)."""
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


@no_grad()
def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient to ``[-clip_value, clip_value]``, in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            p.grad.clamp_(min=-clip_value, max=clip_value)
