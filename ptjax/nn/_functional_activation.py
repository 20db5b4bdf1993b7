"""Activations and the softmax family (the functionals of ``nn/modules/activation.py``)."""
from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp

from .._ops import pointwise as _pointwise
from .._ops.reduction import log_softmax as _log_softmax_op
from .._ops.reduction import softmax as _softmax_op
from .._ops.registry import op
from .._ops.random import key_tensor
from ._functional_utils import _inplace

__all__ = [
    "relu", "relu_", "hardtanh", "hardtanh_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "celu", "celu_",
    "selu", "selu_", "gelu", "silu", "mish", "softplus", "threshold", "threshold_", "logsigmoid", "softsign",
    "tanhshrink", "hardshrink", "softshrink", "hardsigmoid", "hardswish", "glu", "prelu", "rrelu", "rrelu_",
    "sigmoid", "tanh", "softmax", "log_softmax", "softmin", "gumbel_softmax"
]


def relu(input, inplace=False):
    return input.relu_() if inplace else _pointwise.relu(input)


def relu_(input):
    return input.relu_()


@op("hardtanh", jit=True, method=False, function=False, grad_name="HardtanhBackward0")
def _hardtanh_op(input, min_val=-1.0, max_val=1.0):
    # gradient 1 strictly inside (min_val, max_val), 0 at and beyond the bounds, as torch
    lo = jnp.asarray(min_val, input.dtype)
    hi = jnp.asarray(max_val, input.dtype)
    return jnp.where(input <= lo, lo, jnp.where(input >= hi, hi, input))


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return _inplace(_hardtanh_op.op, input, (min_val, max_val))
    return _hardtanh_op(input, min_val, max_val)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


@op("leaky_relu", jit=True, method=False, function=False, grad_name="LeakyReluBackward0")
def _leaky_relu_op(input, negative_slope=0.01):
    return jnp.where(input > 0, input, input * jnp.asarray(negative_slope, input.dtype))


def leaky_relu(input, negative_slope=0.01, inplace=False):
    if inplace:
        return _inplace(_leaky_relu_op.op, input, (negative_slope,))
    return _leaky_relu_op(input, negative_slope)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, True)


def _neg_expm1(x):
    # expm1 on the non-positive part only: no overflow (and no inf * 0 = nan in the gradient) for large x
    return jnp.expm1(jnp.where(x > 0, jnp.zeros((), x.dtype), x))


@op("elu", jit=True, method=False, function=False)
def _elu_op(input, alpha=1.0):
    return jnp.where(input > 0, input, alpha * _neg_expm1(input))


def elu(input, alpha=1.0, inplace=False):
    return _inplace(_elu_op.op, input, (alpha,)) if inplace else _elu_op(input, alpha)


def elu_(input, alpha=1.0):
    return elu(input, alpha, True)


@op("celu", jit=True, method=False, function=False, grad_name="EluBackward0")
def _celu_op(input, alpha=1.0):
    return jnp.where(input > 0, input, alpha * _neg_expm1(input / alpha))


def celu(input, alpha=1.0, inplace=False):
    return _inplace(_celu_op.op, input, (alpha,)) if inplace else _celu_op(input, alpha)


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@op("selu", jit=True, method=False, function=False, grad_name="EluBackward0")
def _selu_op(input):
    return _SELU_SCALE * jnp.where(input > 0, input, _SELU_ALPHA * _neg_expm1(input))


def selu(input, inplace=False):
    return _inplace(_selu_op.op, input) if inplace else _selu_op(input)


def selu_(input):
    return selu(input, True)


def _gelu_check(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")


@op(jit=True, method=False, function=False, check=_gelu_check)
def gelu(input, approximate="none"):
    if approximate == "tanh":
        c = math.sqrt(2.0 / math.pi)
        return 0.5 * input * (1.0 + jnp.tanh(c * (input + 0.044715 * input ** 3)))
    return 0.5 * input * (1.0 + jax.scipy.special.erf(input * (1.0 / math.sqrt(2.0))))


@op("silu", jit=True, method=False, function=False)
def _silu_op(input):
    return input * jax.nn.sigmoid(input)


def silu(input, inplace=False):
    return _inplace(_silu_op.op, input) if inplace else _silu_op(input)


@op("mish", jit=True, method=False, function=False)
def _mish_op(input):
    return input * jnp.tanh(jax.nn.softplus(input))


def mish(input, inplace=False):
    return _inplace(_mish_op.op, input) if inplace else _mish_op(input)


@op(jit=True, method=False, function=False)
def softplus(input, beta=1.0, threshold=20.0):
    bx = input * beta
    return jnp.where(bx > threshold, input, jax.nn.softplus(bx) / beta)


@op("threshold", tensors=("input",), jit=True, method=False, function=False)
def _threshold_op(input, threshold, value):
    return jnp.where(input > threshold, input, jnp.asarray(value, input.dtype))


def threshold(input, threshold_, value, inplace=False):
    if inplace:
        return _inplace(_threshold_op.op, input, (threshold_, value))
    return _threshold_op(input, threshold_, value)


def threshold_(input, threshold_, value):
    return threshold(input, threshold_, value, True)


@op(jit=True, method=False, function=False, grad_name="LogSigmoidBackward0")
def logsigmoid(input):
    return jax.nn.log_sigmoid(input)


@op(jit=True, method=False, function=False, grad_name="DivBackward0")
def softsign(input):
    return input / (1 + jnp.abs(input))


@op(jit=True, method=False, function=False, grad_name="SubBackward0")
def tanhshrink(input):
    return input - jnp.tanh(input)


@op(jit=True, method=False)
def hardshrink(input, lambd=0.5):
    return jnp.where((input > lambd) | (input < -lambd), input, jnp.zeros((), input.dtype))


@op(jit=True, method=False, function=False)
def softshrink(input, lambd=0.5):
    z = jnp.zeros((), input.dtype)
    return jnp.where(input > lambd, input - lambd, jnp.where(input < -lambd, input + lambd, z))


@op("hardsigmoid", jit=True, method=False, function=False)
def _hardsigmoid_op(input):
    z, one = jnp.zeros((), input.dtype), jnp.ones((), input.dtype)
    return jnp.where(input <= -3, z, jnp.where(input >= 3, one, input / 6 + 0.5))


def hardsigmoid(input, inplace=False):
    return _inplace(_hardsigmoid_op.op, input) if inplace else _hardsigmoid_op(input)


@op("hardswish", jit=True, method=False, function=False)
def _hardswish_op(input):
    z = jnp.zeros((), input.dtype)
    return jnp.where(input <= -3, z, jnp.where(input >= 3, input, input * (input + 3) / 6))


def hardswish(input, inplace=False):
    return _inplace(_hardswish_op.op, input) if inplace else _hardswish_op(input)


def _glu_check(input, dim=-1):
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim % input.ndim
    if input.shape[d] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {input.shape[d]}")


@op(jit=True, method=False, function=False, check=_glu_check)
def glu(input, dim=-1):
    a, b = jnp.split(input, 2, axis=dim)
    return a * jax.nn.sigmoid(b)


def _prelu_check(input, weight):
    n = weight.numel()
    if n != 1:
        ch = input.shape[1] if input.ndim >= 2 else 1
        if n != ch:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = {n} "
                               f"and channel size = {ch}.")


@op(tensors=("input", "weight"), jit=True, method=False, check=_prelu_check,
    grad_name="PreluKernelBackward0")
def prelu(input, weight):
    w = weight.reshape(-1)
    if w.shape[0] != 1 and input.ndim >= 2:
        w = w.reshape((1, -1) + (1,) * (input.ndim - 2))
    elif w.shape[0] == 1:
        w = w.reshape(())
    return jnp.where(input > 0, input, w * input)


@op(tensors=("input", "key"), jit=True, method=False, function=False, grad_name="RreluWithNoiseBackward0")
def _rrelu_train(input, key, lower, upper):
    k = jax.random.wrap_key_data(key.astype(jnp.uint32))
    a = jax.random.uniform(k, input.shape, jnp.float32, lower, upper).astype(input.dtype)
    return jnp.where(input >= 0, input, input * a)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    if training:
        res = _rrelu_train(input, key_tensor(), float(lower), float(upper))
        return input.copy_(res) if inplace else res
    return leaky_relu(input, (lower + upper) / 2, inplace)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


def sigmoid(input):
    return _pointwise.sigmoid(input)


def tanh(input):
    return _pointwise.tanh(input)


def _get_softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an "
                  "argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("softmax", input.ndim, _stacklevel)
    return _softmax_op(input, dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.ndim, _stacklevel)
    return _log_softmax_op(input, dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("softmin", input.ndim, _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return _softmax_op(-input, dim)


@op(tensors=("logits", "key"), jit=True, method=False, function=False)
def _gumbel_softmax(logits, key, tau, hard, dim):
    k = jax.random.wrap_key_data(key.astype(jnp.uint32))
    g = jax.random.gumbel(k, logits.shape, jnp.float32).astype(logits.dtype)
    y = jax.nn.softmax((logits + g) / tau, axis=dim)
    if hard:
        idx = jnp.argmax(y, axis=dim, keepdims=True)
        y_hard = (jnp.arange(y.shape[dim]).reshape([-1 if i == dim % y.ndim else 1 for i in range(y.ndim)])
                  == idx).astype(y.dtype)
        return y_hard - jax.lax.stop_gradient(y) + y
    return y


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    return _gumbel_softmax(logits, key_tensor(), float(tau), bool(hard), dim)
