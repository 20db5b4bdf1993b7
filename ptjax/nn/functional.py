"""``torch.nn.functional``: each functional is an op-table entry (pure JAX, torch's signature).

Python wrappers exist only where torch's function has arguments that are not the kernel's business:
``inplace=``, the deprecated ``size_average``/``reduce``, a fresh random key for dropout, or checks that read
values (class indices out of range), which torch also does on the host.
"""
from __future__ import annotations

import functools
import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._ops import dispatch as _dispatch
from .._ops import random as _random
from .._ops.registry import BINARY, FLOAT, SAME, TABLE, op
from .._size import broadcast_shapes
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad

__all__ = [
    "linear", "bilinear", "relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "celu", "celu_",
    "selu", "selu_", "gelu", "silu", "mish", "softplus", "hardtanh", "hardtanh_", "threshold", "threshold_",
    "logsigmoid", "softsign", "tanhshrink", "hardshrink", "softshrink", "hardsigmoid", "hardswish", "glu", "prelu",
    "rrelu", "rrelu_", "sigmoid", "tanh", "softmax", "softmin", "log_softmax", "gumbel_softmax", "dropout",
    "dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout", "embedding", "one_hot", "pad",
    "normalize", "cosine_similarity", "pairwise_distance", "pdist", "cross_entropy", "nll_loss", "mse_loss",
    "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
    "poisson_nll_loss", "gaussian_nll_loss", "soft_margin_loss", "margin_ranking_loss", "hinge_embedding_loss",
    "cosine_embedding_loss", "triplet_margin_loss", "multilabel_soft_margin_loss", "multi_margin_loss",
]

_C_NAMES = {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
            "int64": "long int", "int32": "int", "int16": "short int", "int8": "signed char", "uint8": "unsigned char",
            "bool": "bool", "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}


def _tname(d):
    return _dispatch._torch_type_name(d)


def _shape_list(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


# ---- reductions ------------------------------------------------------------------------------------------------

_REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average, reduce, emit_warning=True):
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                      stacklevel=3)
    return ret


def _reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return jnp.mean(loss)
    if reduction == "sum":
        return jnp.sum(loss)
    return loss


def _warn_target_size(input, target, stacklevel=4):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=stacklevel)


def _check_broadcast(a, b):
    try:
        return broadcast_shapes(a.shape, b.shape)
    except RuntimeError:
        for i in range(1, max(a.ndim, b.ndim) + 1):
            x = a.shape[-i] if i <= a.ndim else 1
            y = b.shape[-i] if i <= b.ndim else 1
            if x != y and x != 1 and y != 1:
                raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                                   f"non-singleton dimension {max(a.ndim, b.ndim) - i}") from None
        raise


# ---- linear ----------------------------------------------------------------------------------------------------

def _linear_check(input, weight, bias=None):
    ishape, wshape = input.shape, weight.shape
    if not ishape or not wshape:
        raise RuntimeError(f"both arguments to linear need to be at least 1D, but they are {len(ishape)}D and "
                           f"{len(wshape)}D")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {_C_NAMES[input.dtype.name]} != "
                           f"{_C_NAMES[weight.dtype.name]}")
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
            raise RuntimeError(f"self and mat2 must have the same dtype, but got {_tname(bias.dtype)} and "
                               f"{_tname(input.dtype)}")
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


@op(tensors=("input1", "input2", "weight", "bias"), jit=True, method=False, function=False, check=_bilinear_check,
    grad_name="ViewBackward0")
def bilinear(input1, input2, weight, bias=None):
    """``y_k = x1ᵀ A_k x2 + b_k``."""
    out = jnp.einsum("...i,kij,...j->...k", input1, weight, input2)
    if bias is not None:
        out = out + bias
    return out


# ---- activations -----------------------------------------------------------------------------------------------

def _inplace(o, input, args=()):
    return _dispatch.inplace(o, input, tuple(args), {})


def relu(input, inplace=False):
    return input.relu_() if inplace else TABLE["relu"].public(input)


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


@op(jit=True, method=False, function=False)
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


@op(tensors=("input", "weight"), jit=True, method=False, function=False, check=_prelu_check,
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
        res = _rrelu_train(input, _key_tensor(), float(lower), float(upper))
        return input.copy_(res) if inplace else res
    return leaky_relu(input, (lower + upper) / 2, inplace)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, True)


def sigmoid(input):
    return TABLE["sigmoid"].public(input)


def tanh(input):
    return TABLE["tanh"].public(input)


# ---- softmax family --------------------------------------------------------------------------------------------

def _softmax_check(input, dim, dtype=None):
    n = max(input.ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")


def _softmax_cast(x, dtype):
    if dtype is not None:
        x = x.astype(D.to_dtype(dtype).np)
    elif not jnp.issubdtype(x.dtype, jnp.inexact):
        raise RuntimeError(f'"softmax_lastdim_kernel_impl" not implemented for \'{_tname(D._NP_TO_DTYPE[x.dtype])}\'')
    return x


@op("softmax", jit=True, method=True, function=False, check=_softmax_check)
def _softmax_op(input, dim, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim`` (Tensor.softmax, torch.softmax)."""
    x = _softmax_cast(input, dtype)
    if x.ndim == 0:
        return jnp.ones_like(x)
    return jax.nn.softmax(x, axis=dim)


@op("log_softmax", jit=True, method=True, function=False, check=_softmax_check)
def _log_softmax_op(input, dim, dtype=None):
    """``x - logsumexp(x)`` along ``dim`` (Tensor.log_softmax, torch.log_softmax)."""
    x = _softmax_cast(input, dtype)
    if x.ndim == 0:
        return jnp.zeros_like(x)
    return jax.nn.log_softmax(x, axis=dim)


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
    return _gumbel_softmax(logits, _key_tensor(), float(tau), bool(hard), dim)


# ---- dropout ---------------------------------------------------------------------------------------------------

@jax.jit
def _key_i64(k):
    return jax.random.key_data(k).astype(jnp.int64)


def _key_tensor(generator=None):
    """A fresh JAX key (from ptjax's generator) as an int64 tensor: a dynamic kernel input, never static."""
    return Tensor._make(_key_i64(_random._key(generator)))


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
    res = _dropout(input, _key_tensor(), float(p), tuple(mask_shape))
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


def dropout2d(input, p=0.5, training=True, inplace=False):
    n = input.ndim
    if n not in (3, 4):
        warnings.warn(f"dropout2d: Received a {n}-D input to dropout2d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use dropout "
                      "instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).",
                      stacklevel=2)
    if n == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                      "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior "
                      "will change in a future release to interpret the input as one without a batch dimension, i.e. "
                      "shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using "
                      "dropout1d instead.", stacklevel=2)
    return _feature_dropout(input, p, training, inplace, n != 2 and n >= 3)


def dropout3d(input, p=0.5, training=True, inplace=False):
    n = input.ndim
    if n not in (4, 5):
        warnings.warn(f"dropout3d: Received a {n}-D input to dropout3d, which is deprecated and will result in an "
                      "error in a future release. To retain the behavior and silence this warning, please use dropout "
                      "instead. Note that dropout3d exists to provide channel-wise dropout on inputs with 3 spatial "
                      "dimensions, a channel dimension, and an optional batch dimension (i.e. 4D or 5D inputs).",
                      stacklevel=2)
    return _feature_dropout(input, p, training, inplace, n == 5)


@op(tensors=("input", "key"), jit=True, method=False, function=False, grad_name="AddBackward0")
def _alpha_dropout(input, key, p, mask_shape):
    k = jax.random.wrap_key_data(key.astype(jnp.uint32))
    keep = jax.random.bernoulli(k, 1.0 - p, mask_shape).astype(input.dtype)
    alpha_p = -_SELU_ALPHA * _SELU_SCALE
    a = ((1 - p) * (1 + p * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * p
    return (input * keep + alpha_p * (1 - keep)) * a + b


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    if not training or p == 0:
        return input
    if p == 1:
        return input.mul_(0) if inplace else input * 0
    res = _alpha_dropout(input, _key_tensor(), float(p), tuple(input.shape))
    return input.copy_(res) if inplace else res


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    _check_p(p)
    if not training or p == 0:
        return input
    if p == 1:
        return input.mul_(0) if inplace else input * 0
    shape = tuple(input.shape)
    res = _alpha_dropout(input, _key_tensor(), float(p), shape[:2] + (1,) * (len(shape) - 2))
    return input.copy_(res) if inplace else res


# ---- embedding, one_hot ----------------------------------------------------------------------------------------

def _traced(a):
    return isinstance(a, jax.core.Tracer)


def _index_range(a):
    """(min, max) of an index array, read on the host like torch's CPU checks; (0, -1) when empty or traced."""
    if a.size == 0 or _traced(a):
        return 0, -1
    h = np.asarray(a)  # index checks read the (small) index array on the host: no compile per shape
    lo, hi = int(h.min()), int(h.max())
    return lo, hi


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


# ---- pad -------------------------------------------------------------------------------------------------------

_PAD_SUPPORT = ("Supported combinations for non-constant padding:\n"
                "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def _pad_check(input, pad, mode="constant", value=None):
    n = len(pad)
    if n % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if n // 2 > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {n} and input of dimension {input.ndim}")
    if mode == "constant":
        for i in range(n // 2):
            d = input.ndim - 1 - i
            new = input.shape[d] + pad[2 * i] + pad[2 * i + 1]
            if new < 0:
                raise RuntimeError(f"The input size {input.shape[d]}, plus negative padding {pad[2 * i]} and "
                                   f"{pad[2 * i + 1]} resulted in a negative output size, which is invalid. Check "
                                   f"dimension {d} of your input.")
        return
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if (n, input.ndim) not in ((2, 2), (2, 3), (4, 3), (4, 4), (6, 4), (6, 5)):
        raise NotImplementedError(f"Padding size {n} is not supported for {input.ndim}D input tensor.\n{_PAD_SUPPORT}")
    for i in range(n // 2):
        d = input.ndim - 1 - i
        lo, hi, size = pad[2 * i], pad[2 * i + 1], input.shape[d]
        if mode == "reflect" and (lo >= size or hi >= size):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, but "
                               f"got: padding ({lo}, {hi}) at dimension {d} of input {_shape_list(input.shape)}")
        if mode == "circular" and (lo > size or hi > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")


@op(jit=True, method=False, function=False, check=_pad_check, grad_name="ConstantPadNdBackward0")
def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad)//2`` dimensions: ``(left_last, right_last, left_prev, right_prev, …)``."""
    n = len(pad) // 2
    widths = [(0, 0)] * (input.ndim - n) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(n))]
    if mode == "constant":
        v = jnp.asarray(0 if value is None else value).astype(input.dtype)
        return jax.lax.pad(input, v, [(lo, hi, 0) for lo, hi in widths])
    x = input
    # negative widths crop first (torch allows them for the non-constant modes too)
    crop = tuple(slice(max(-lo, 0), x.shape[i] - max(-hi, 0)) for i, (lo, hi) in enumerate(widths))
    x = x[crop]
    widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    return jnp.pad(x, widths, mode={"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode])


# ---- distances -------------------------------------------------------------------------------------------------

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


@op(tensors=("x1", "x2"), promote=BINARY, jit=True, method=False, function=False, grad_name="SumBackward1")
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    x1, x2 = jnp.broadcast_arrays(x1, x2)
    n1 = jnp.maximum(_safe_norm(x1, 2, dim, keepdims=True), eps)
    n2 = jnp.maximum(_safe_norm(x2, 2, dim, keepdims=True), eps)
    return jnp.sum((x1 / n1) * (x2 / n2), axis=dim)


@op(tensors=("x1", "x2"), promote=BINARY, jit=True, method=False, function=False, grad_name="NormBackward1")
def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    d = x1 - x2 + eps
    if d.ndim == 0:
        d = d.reshape(1)
    return _safe_norm(d, p, -1, keepdims=keepdim)


@op(jit=True, method=False, function=False)
def pdist(input, p=2):
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    return _safe_norm(input[i] - input[j], p, -1)


# ---- losses ----------------------------------------------------------------------------------------------------

def _class_axis(input):
    return 1 if input.ndim >= 2 else 0


def _nll_check(input, target, weight, ignore_index, reduction):
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim != 1 and target.ndim >= 1 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0]}).")
    if input.ndim <= 2:
        if target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if input.ndim == 1 and target.ndim != 0:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported") if target.ndim > 1 \
                else ValueError(f"Expected input batch_size (1) to match target batch_size ({target.shape[0]}).") \
                if target.shape[0] != 1 else None
    elif input.ndim == 4 and target.ndim != 3:
        raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got targets of dimension: "
                           f"{target.ndim}")
    else:
        expected = (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) != expected:
            raise RuntimeError(f"Expected target size {_shape_list(expected)}, got {_shape_list(target.shape)}")
    if target.dtype not in (D.int64, D.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_tname(target.dtype)}")
    c = input.shape[_class_axis(input)]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != c):
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no classes but got weight "
                           f"tensor of shape: {_shape_list(weight.shape)}")
    _check_targets(target._value, c, ignore_index)


def _check_targets(t, c, ignore_index):
    if t.size == 0 or _traced(t):
        return
    h = np.asarray(t).reshape(-1)  # on the host, as torch's CPU check: no compile per shape
    if 0 <= h.min() and h.max() < c:
        return
    bad = ((h < 0) | (h >= c)) & (h != ignore_index)
    if bad.any():
        raise IndexError(f"Target {int(h[np.argmax(bad)])} is out of bounds.")


def _nll(logp, target, weight, ignore_index, reduction):
    """Negative log-likelihood of class indices; returns (loss reduced as asked, per-element weights)."""
    ax = _class_axis(logp)
    valid = target != ignore_index
    t = jnp.where(valid, target, 0).astype(jnp.int32)
    picked = jnp.squeeze(jnp.take_along_axis(logp, jnp.expand_dims(t, ax), axis=ax), ax)
    w = jnp.take(weight, t) if weight is not None else jnp.ones_like(picked)
    w = jnp.where(valid, w, 0).astype(logp.dtype)
    loss = -picked * w
    if reduction == "none":
        return loss, w
    if reduction == "sum":
        return jnp.sum(loss), w
    return jnp.sum(loss) / jnp.sum(w), w


@op(tensors=("input", "target", "weight"), jit=True, method=False, function=False, check=_nll_check,
    grad_name="NllLossBackward0")
def _nll_loss(input, target, weight, ignore_index, reduction):
    return _nll(input, target, weight, ignore_index, reduction)[0]


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    return _nll_loss(input, target, weight, int(ignore_index), reduction)


def _ce_check(input, target, weight, ignore_index, reduction, label_smoothing):
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if _is_prob_target(input, target):
        c = input.shape[_class_axis(input)]
        if weight is not None and (weight.ndim != 1 or weight.shape[0] != c):
            raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no classes but got "
                               f"weight tensor of shape: {_shape_list(weight.shape)}")
        return
    _nll_check(input, target, weight, ignore_index, reduction)


def _is_prob_target(input, target):
    return tuple(input.shape) == tuple(target.shape) and (target.dtype.is_floating_point
                                                          if isinstance(target, Tensor)
                                                          else jnp.issubdtype(target.dtype, jnp.floating))


@op(tensors=("input", "target", "weight"), jit=True, method=False, function=False, check=_ce_check,
    grad_name="NllLossBackward0")
def _cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing):
    ax = _class_axis(input)
    c = input.shape[ax]
    logp = jax.nn.log_softmax(input, axis=ax)
    wshape = [1] * input.ndim
    wshape[ax] = c
    wb = weight.reshape(wshape) if weight is not None else None
    if _is_prob_target(input, target):
        t = target.astype(logp.dtype)
        if label_smoothing > 0:
            t = t * (1 - label_smoothing) + label_smoothing / c
        prod = logp * t if wb is None else logp * t * wb
        loss = -jnp.sum(prod, axis=ax)
        if reduction == "mean":
            return jnp.sum(loss) / (input.size // c) if input.size else jnp.sum(loss) / 0
        return _reduce(loss, reduction)
    nll, w = _nll(logp, target, weight, ignore_index, reduction)
    if label_smoothing <= 0:
        return nll
    valid = target != ignore_index
    smooth = -jnp.sum(logp if wb is None else logp * wb, axis=ax)
    smooth = jnp.where(valid, smooth, 0)
    if reduction == "mean":
        denom = jnp.sum(w) if weight is not None else jnp.sum(valid).astype(logp.dtype)
        smooth = jnp.sum(smooth) / denom
    elif reduction == "sum":
        smooth = jnp.sum(smooth)
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / c)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    reduction = _reduction(size_average, reduce, reduction)
    return _cross_entropy(input, target, weight, int(ignore_index), reduction, float(label_smoothing))


def _weight_size_check(input, weight):
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")


def _pointwise_loss_check(input, target, reduction, weight=None, *_):
    _warn_target_size(input, target, stacklevel=6)
    _check_broadcast(input, target)
    _weight_size_check(input, weight)


def _pointwise_loss(name, elementwise, weighted_mean="sum", grad_name=None):
    """A loss ``reduce(weight * elementwise(input - target))``; with a weight, 'mean' divides by
    ``weight.sum()`` (mse, l1) or by the element count (huber), as torch does."""

    def check(input, target, reduction, weight, param):
        _pointwise_loss_check(input, target, reduction, weight)

    def fn(input, target, reduction, weight, param):
        x, y = jnp.broadcast_arrays(input, target)
        loss = elementwise(x - y, param)
        if weight is None:
            return _reduce(loss, reduction)
        loss = loss * weight
        if reduction == "mean":
            return jnp.sum(loss) / (jnp.sum(weight) if weighted_mean == "sum" else loss.size)
        return _reduce(loss, reduction)

    fn.__name__ = name
    return op(name, tensors=("input", "target", "weight"), promote=BINARY, jit=True, method=False, function=False,
              check=check, grad_name=grad_name)(fn)


def _l1(d, _):
    return d * jax.lax.stop_gradient(jnp.sign(d))  # |d| with torch's zero gradient at d == 0


def _smooth_l1(d, beta):
    if beta == 0:
        return _l1(d, None)
    a = _l1(d, None)
    return jnp.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)


def _huber(d, delta):
    a = _l1(d, None)
    return jnp.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))


_mse_loss = _pointwise_loss("_mse_loss", lambda d, _: d * d, grad_name="MseLossBackward0")
_l1_loss = _pointwise_loss("_l1_loss", _l1, grad_name="MeanBackward0")
_smooth_l1_loss = _pointwise_loss("_smooth_l1_loss", _smooth_l1, grad_name="SmoothL1LossBackward0")
_huber_loss = _pointwise_loss("_huber_loss", _huber, weighted_mean="count", grad_name="HuberLossBackward0")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    return _mse_loss(input, target, _reduction(size_average, reduce, reduction), weight, None)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    return _l1_loss(input, target, _reduction(size_average, reduce, reduction), weight, None)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _smooth_l1_loss(input, target, _reduction(size_average, reduce, reduction), None, float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _huber_loss(input, target, _reduction(None, None, reduction), weight, float(delta))


@jax.custom_vjp
def _bce_elem(x, t):
    return -(t * jnp.maximum(jnp.log(x), -100) + (1 - t) * jnp.maximum(jnp.log1p(-x), -100))


def _bce_fwd(x, t):
    return _bce_elem(x, t), (x, t)


def _bce_bwd(res, g):
    x, t = res
    eps = jnp.asarray(1e-12, x.dtype)
    gx = g * (x - t) / jnp.maximum((1 - x) * x, eps)
    gt = g * (jnp.log1p(-x) - jnp.log(x))  # unclamped, as torch: infinite at x in {0, 1}
    return gx, gt


_bce_elem.defvjp(_bce_fwd, _bce_bwd)


def _outside_01(h):
    return bool(((h < 0) | (h > 1)).any())


def _bce_check(input, target, weight, reduction):
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) "
                         "is deprecated. Please ensure they have the same size.")
    if input.numel() and not _traced(input._value) and _outside_01(np.asarray(input._value)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    if weight is not None:
        _check_broadcast(weight, target)


@op(tensors=("input", "target", "weight"), promote=BINARY, jit=True, method=False, function=False, check=_bce_check,
    grad_name="BinaryCrossEntropyBackward0")
def _binary_cross_entropy(input, target, weight, reduction):
    loss = _bce_elem(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    return _binary_cross_entropy(input, target, weight, _reduction(size_average, reduce, reduction))


def _bce_logits_check(input, target, weight, reduction, pos_weight):
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")


@op(tensors=("input", "target", "weight", "pos_weight"), promote=BINARY, jit=True, method=False, function=False,
    check=_bce_logits_check, grad_name="BinaryCrossEntropyWithLogitsBackward0")
def _bce_with_logits(input, target, weight, reduction, pos_weight):
    sp = jax.nn.softplus(-input)  # -log(sigmoid(x)), smooth everywhere
    if pos_weight is not None:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * sp
    else:
        loss = (1 - target) * input + sp
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    return _bce_with_logits(input, target, weight, _reduction(size_average, reduce, reduction), pos_weight)


@op(tensors=("input", "target"), promote=BINARY, jit=True, method=False, function=False, grad_name="DivBackward0")
def _kl_div(input, target, reduction, log_target):
    if log_target:
        loss = jnp.exp(target) * (target - input)
    else:
        loss = jax.scipy.special.xlogy(target, target) - target * input
    if reduction == "batchmean":
        s = jnp.sum(loss)
        return s / input.shape[0] if input.ndim else s
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _kl_div(input, target, reduction, bool(log_target))


@op(tensors=("input", "target"), promote=BINARY, jit=True, method=False, function=False)
def _poisson_nll_loss(input, target, log_input, full, eps, reduction):
    if log_input:
        loss = jnp.exp(input) - target * input
    else:
        loss = input - target * jnp.log(input + eps)
    if full:
        t = jnp.where(target > 1, target, 1)
        approx = t * jnp.log(t) - t + 0.5 * jnp.log(2 * math.pi * t)
        loss = loss + jnp.where(target > 1, approx, 0)
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    return _poisson_nll_loss(input, target, bool(log_input), bool(full), float(eps), reduction)


@op(tensors=("input", "target", "var"), promote=BINARY, jit=True, method=False, function=False)
def _gaussian_nll_loss(input, target, var, full, eps, reduction):
    if var.ndim < input.ndim or (var.ndim == input.ndim and var.shape != input.shape and var.shape[-1] == 1):
        var = var.reshape(var.shape + (1,)) if var.ndim < input.ndim else var
    v = jnp.maximum(var, eps)
    v = v + (jax.lax.stop_gradient(jnp.maximum(var, eps)) - jax.lax.stop_gradient(v))
    loss = 0.5 * (jnp.log(v) + (input - target) ** 2 / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    if isinstance(var, (int, float)):
        var = Tensor._make(jnp.full(tuple(input.shape), var, input._value.dtype))
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    if var.ndim < input.ndim and tuple(var.shape) != tuple(input.shape[:-1]) and var.ndim != input.ndim:
        raise ValueError("var is of incorrect size")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    return _gaussian_nll_loss(input, target, var, bool(full), float(eps), reduction)


@op(tensors=("input", "target"), promote=BINARY, jit=True, method=False, function=False)
def _soft_margin_loss(input, target, reduction):
    return _reduce(jax.nn.softplus(-target * input), reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    return _soft_margin_loss(input, target, _reduction(size_average, reduce, reduction))


@op(tensors=("input1", "input2", "target"), promote=BINARY, jit=True, method=False, function=False)
def _margin_ranking_loss(input1, input2, target, margin, reduction):
    return _reduce(jnp.maximum(-target * (input1 - input2) + margin, 0), reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    return _margin_ranking_loss(input1, input2, target, float(margin), _reduction(size_average, reduce, reduction))


@op(tensors=("input", "target"), promote=BINARY, jit=True, method=False, function=False)
def _hinge_embedding_loss(input, target, margin, reduction):
    z = jnp.zeros((), input.dtype)
    loss = jnp.where(target == 1, input, z) + jnp.where(target == -1, jnp.maximum(margin - input, 0), z)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    return _hinge_embedding_loss(input, target, float(margin), _reduction(size_average, reduce, reduction))


@op(tensors=("input1", "input2", "target"), promote=BINARY, jit=True, method=False, function=False)
def _cosine_embedding_loss(input1, input2, target, margin, reduction):
    eps = 1e-12
    prod = jnp.sum(input1 * input2, -1)
    m1 = jnp.sum(input1 * input1, -1) + eps
    m2 = jnp.sum(input2 * input2, -1) + eps
    cos = prod / jnp.sqrt(m1 * m2)
    z = jnp.zeros((), cos.dtype)
    loss = jnp.where(target == 1, 1 - cos, z) + jnp.where(target == -1, jnp.maximum(cos - margin, 0), z)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    return _cosine_embedding_loss(input1, input2, target, float(margin), _reduction(size_average, reduce, reduction))


@op(tensors=("anchor", "positive", "negative"), promote=BINARY, jit=True, method=False, function=False)
def _triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction):
    def dist(a, b):
        d = a - b + eps
        return _safe_norm(d, p, -1)
    dp = dist(anchor, positive)
    dn = dist(anchor, negative)
    if swap:
        dn = jnp.minimum(dn, dist(positive, negative))
    return _reduce(jnp.maximum(margin + dp - dn, 0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    if margin <= 0:
        raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
    return _triplet_margin_loss(anchor, positive, negative, float(margin), float(p), float(eps), bool(swap),
                                _reduction(size_average, reduce, reduction))


@op(tensors=("input", "target", "weight"), promote=BINARY, jit=True, method=False, function=False)
def _multilabel_soft_margin_loss(input, target, weight, reduction):
    loss = -(target * jax.nn.log_sigmoid(input) + (1 - target) * jax.nn.log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = jnp.sum(loss, axis=-1) / input.shape[-1]
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    return _multilabel_soft_margin_loss(input, target, weight, _reduction(size_average, reduce, reduction))


@op(tensors=("input", "target", "weight"), jit=True, method=False, function=False)
def _multi_margin_loss(input, target, weight, p, margin, reduction):
    x = input if input.ndim == 2 else input.reshape(1, -1)
    t = target.reshape(-1)
    c = x.shape[1]
    xy = jnp.take_along_axis(x, t[:, None], axis=1)
    m = jnp.maximum(margin - xy + x, 0)
    if p == 2:
        m = m * m
    if weight is not None:
        m = m * jnp.take(weight, t)[:, None]
    m = jnp.where(jnp.arange(c)[None, :] == t[:, None], 0, m)
    loss = jnp.sum(m, axis=1) / c
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    return _multi_margin_loss(input, target, weight, int(p), float(margin), _reduction(size_average, reduce, reduction))


# ---- functionals of the layers built alongside (conv, pooling, normalization, attention) -----------------------
try:
    from ._functional_conv import *  # noqa: F401,F403
except ModuleNotFoundError as _e:
    if _e.name != "ptjax.nn._functional_conv":
        raise
try:
    from ._functional_attention import *  # noqa: F401,F403
except ModuleNotFoundError as _e:
    if _e.name != "ptjax.nn._functional_attention":
        raise
