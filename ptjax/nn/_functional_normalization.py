"""Normalization: batch, instance, layer, group, RMS and local response norm."""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._ops.registry import op
from ..autograd.grad_mode import no_grad
from ._functional_utils import _dims

__all__ = ["batch_norm", "instance_norm", "layer_norm", "rms_norm", "group_norm", "local_response_norm"]


def _bshape(x, c_axis=1):
    return (1, -1) + (1,) * (x.ndim - 2)


@op(tensors=("input", "running_mean", "running_var", "weight", "bias", "momentum"), jit=True, method=False,
    function=False, grad_name="NativeBatchNormBackward0")
def _batch_norm_impl(input, running_mean, running_var, weight, bias, training, momentum, eps):
    """(output, new running mean, new running var) — the two last only when training with running stats.

    ``momentum`` is a dynamic scalar: BatchNorm(momentum=None) passes 1/num_batches_tracked, a new value each
    step, which must not compile a new kernel each step."""
    axes = (0,) + tuple(range(2, input.ndim))
    shp = _bshape(input)
    x = input
    if training:
        mean = jnp.mean(x, axis=axes)
        var = jnp.mean(jnp.square(x - mean.reshape(shp)), axis=axes)
    else:
        mean, var = running_mean.astype(x.dtype), running_var.astype(x.dtype)
    out = (x - mean.reshape(shp)) * lax.rsqrt(var + eps).reshape(shp)
    if weight is not None:
        out = out * weight.reshape(shp)
    if bias is not None:
        out = out + bias.reshape(shp)
    if training and running_mean is not None:
        n = x.size // x.shape[1]
        m = jnp.asarray(momentum, running_mean.dtype)
        mean_s, var_s = lax.stop_gradient(mean), lax.stop_gradient(var)
        new_mean = (1 - m) * running_mean + m * mean_s.astype(running_mean.dtype)
        new_var = (1 - m) * running_var + m * (var_s * (n / max(n - 1, 1))).astype(running_var.dtype)
        return out, new_mean, new_var
    return out


def _write_back(buf, arr):
    with no_grad():
        buf._write(arr._value.astype(buf._value.dtype))


def _update_running_stats(res, running_mean, running_var):
    """A norm kernel's output; when it also returned new running statistics, they are written into the buffers."""
    if not isinstance(res, tuple):
        return res
    out, new_mean, new_var = res
    _write_back(running_mean, new_mean)
    _write_back(running_var, new_var)
    return out


def _channel_count_check(input, training):
    if training:
        size = 1
        for i, s in enumerate(input.shape):
            if i != 1:
                size *= s
        if size == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"torch.Size([{', '.join(map(str, input.shape))}])")


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    """torch.nn.functional.batch_norm. When ``training``, normalizes with the batch statistics and updates
    ``running_mean``/``running_var`` in place (``(1 - momentum) * running + momentum * batch``, the batch variance
    unbiased); otherwise normalizes with the running statistics."""
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
    _channel_count_check(input, training)
    if input.ndim > 1:
        c = input.shape[1]
        for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                        ("bias", bias)):
            if t is not None and t.numel() != c:
                raise RuntimeError(f"{name} should contain {c} elements not {t.numel()}")
    if momentum is None:
        momentum = 0.0
    res = _batch_norm_impl(input, running_mean, running_var, weight, bias, bool(training), float(momentum),
                           float(eps))
    return _update_running_stats(res, running_mean, running_var)


@op(tensors=("input", "running_mean", "running_var", "weight", "bias", "momentum"), jit=True, method=False,
    function=False, grad_name="NativeBatchNormBackward0")
def _instance_norm_impl(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps):
    axes = tuple(range(2, input.ndim))
    shp = _bshape(input)
    x = input
    if use_input_stats:
        mean = jnp.mean(x, axis=axes, keepdims=True)
        var = jnp.mean(jnp.square(x - mean), axis=axes, keepdims=True)
    else:
        mean, var = running_mean.reshape(shp).astype(x.dtype), running_var.reshape(shp).astype(x.dtype)
    out = (x - mean) * lax.rsqrt(var + eps)
    if weight is not None:
        out = out * weight.reshape(shp)
    if bias is not None:
        out = out + bias.reshape(shp)
    if use_input_stats and running_mean is not None:
        n = int(np.prod(x.shape[2:]))
        m = jnp.asarray(momentum, running_mean.dtype)
        mean_s = lax.stop_gradient(mean).reshape(x.shape[:2])
        var_s = lax.stop_gradient(var).reshape(x.shape[:2]) * (n / max(n - 1, 1))
        new_mean = (1 - m) * running_mean + m * jnp.mean(mean_s, axis=0).astype(running_mean.dtype)
        new_var = (1 - m) * running_var + m * jnp.mean(var_s, axis=0).astype(running_var.dtype)
        return out, new_mean, new_var
    return out


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """torch.nn.functional.instance_norm: per-sample, per-channel normalization (running stats optional)."""
    if use_input_stats:
        n = int(np.prod(input.shape[2:]))
        if n == 1:
            raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                             f"torch.Size([{', '.join(map(str, input.shape))}])")
    res = _instance_norm_impl(input, running_mean, running_var, weight, bias, bool(use_input_stats),
                              float(momentum if momentum is not None else 0.0), float(eps))
    return _update_running_stats(res, running_mean, running_var)


@op(tensors=("input", "weight", "bias"), jit=True, method=False, grad_name="NativeLayerNormBackward0")
def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the last ``len(normalized_shape)`` dims (biased variance), then ``* weight + bias``."""
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if tuple(input.shape[input.ndim - len(ns):]) != ns:
        raise RuntimeError(f"Given normalized_shape={list(ns)}, expected input with shape [*, "
                           f"{', '.join(map(str, ns))}], but got input of size[{', '.join(map(str, input.shape))}]")
    axes = tuple(range(input.ndim - len(ns), input.ndim))
    mean = jnp.mean(input, axis=axes, keepdims=True)
    var = jnp.mean(jnp.square(input - mean), axis=axes, keepdims=True)
    out = (input - mean) * lax.rsqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


@op(tensors=("input", "weight"), jit=True, method=False)
def rms_norm(input, normalized_shape, weight=None, eps=None):
    """``x / sqrt(mean(x^2) + eps) * weight`` over the last dims; ``eps`` defaults to the dtype's epsilon."""
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    axes = tuple(range(input.ndim - len(ns), input.ndim))
    e = float(jnp.finfo(input.dtype).eps) if eps is None else eps
    out = input * lax.rsqrt(jnp.mean(jnp.square(input), axis=axes, keepdims=True) + e)
    return out * weight if weight is not None else out


@op(tensors=("input", "weight", "bias"), jit=True, method=False, grad_name="NativeGroupNormBackward0")
def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize each of ``num_groups`` channel groups per sample, then a per-channel affine."""
    n, c = input.shape[0], input.shape[1]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape [{', '.join(map(str, input.shape))}] and num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and (t.ndim != 1 or t.shape[0] != c):
            # torch prints the weight's shape in both messages ([0] when there is no weight)
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of channels in input, but "
                               f"got {name} of shape [{_dims(weight.shape) if weight is not None else 0}] and input "
                               f"of shape [{_dims(input.shape)}]")
    x = input.reshape(n, num_groups, -1)
    mean = jnp.mean(x, axis=-1, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axis=-1, keepdims=True)
    out = ((x - mean) * lax.rsqrt(var + eps)).reshape(input.shape)
    shp = _bshape(input)
    if weight is not None:
        out = out * weight.reshape(shp)
    if bias is not None:
        out = out + bias.reshape(shp)
    return out


@op(jit=True, method=False, function=False)
def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """``x / (k + alpha/size * sum over `size` neighbouring channels of x^2)^beta``."""
    sq = jnp.square(input)
    c = input.shape[1]
    widths = [(0, 0)] * input.ndim
    widths[1] = (size // 2, (size - 1) // 2)
    sq = jnp.pad(sq, widths)
    acc = sum(lax.slice_in_dim(sq, i, i + c, axis=1) for i in range(size))
    div = jnp.power(acc * (alpha / size) + k, beta)
    return input / div


def _cross_map_windows(channels, size):
    """The channel windows of torch's legacy CrossMapLRN2d, as 0/1 matrices ``(C, C)``: the forward's (a running
    sum that, as torch's loop does, never drops channel 0 once past it) and the backward's (symmetric-ish, offset
    ``size - (size - 1) // 2``): torch's gradient is not exactly the forward's derivative, and is reproduced here."""
    pre = int((size - 1) / 2 + 1)
    fwd = np.zeros((channels, channels))
    fwd[0, :min(pre, channels)] = 1
    for c in range(1, channels):
        fwd[c] = fwd[c - 1]
        if c < channels - pre + 1:
            fwd[c, c + pre - 1] += 1
        if c > pre:
            fwd[c, c - pre] -= 1
    inv = int(size - (size - 1) / 2)
    bwd = np.zeros((channels, channels))
    for c in range(channels):
        bwd[c, max(c - inv, 0):max(min(c - inv + size, channels), 0)] = 1
    return fwd, bwd


@op(jit=True, method=False, function=False, grad_name="CrossMapLRN2dBackward")
def _cross_map_lrn2d(input, size, alpha, beta, k):
    fwd, bwd = (jnp.asarray(m, input.dtype) for m in _cross_map_windows(input.shape[1], size))

    def scale_of(x):
        return jnp.einsum("cd,nd...->nc...", fwd, x * x) * (alpha / size) + k

    @jax.custom_vjp
    def lrn(x):
        return x * scale_of(x) ** -beta

    def lrn_fwd(x):
        scale = scale_of(x)
        out = x * scale ** -beta
        return out, (x, scale, out)

    def lrn_bwd(res, g):
        x, scale, out = res
        ratio = g * out / scale
        return (scale ** -beta * g - (2 * alpha * beta / size) * x * jnp.einsum("cd,nd...->nc...", bwd, ratio),)

    lrn.defvjp(lrn_fwd, lrn_bwd)
    return lrn(input)
