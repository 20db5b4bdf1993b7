"""``torch.nn.init``: in-place initialisers (run under ``no_grad``), drawing from ptjax's generator."""
from __future__ import annotations

import math
import warnings

import jax
import numpy as np

from .._ops import random as _random
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad

__all__ = ["calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_", "eye_", "dirac_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_", "orthogonal_", "sparse_"]


def calculate_gain(nonlinearity, param=None):
    """The recommended gain for a nonlinearity (torch's table)."""
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif (not isinstance(param, bool) and isinstance(param, int)) or isinstance(param, float):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def _calculate_fan_in_and_fan_out(tensor):
    dimensions = tensor.dim()
    if dimensions < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 dimensions")
    num_input_fmaps = tensor.size(1)
    num_output_fmaps = tensor.size(0)
    receptive_field_size = 1
    for s in tensor.shape[2:]:
        receptive_field_size *= s
    return num_input_fmaps * receptive_field_size, num_output_fmaps * receptive_field_size


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    valid_modes = ["fan_in", "fan_out"]
    if mode not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _no_op_if_empty(tensor):
    if 0 in tuple(tensor.shape):
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


# Initial values are drawn on the host with NumPy, seeded from ptjax's generator (one split of its key per call):
# reproducible under ``ptjax.manual_seed`` and with torch's distributions, and free of per-shape compilation (a
# compiled draw per weight shape made building a ResNet take ~30 s). Then one in-place ``copy_``.

def _write(tensor, array):
    """Copy ``array`` (a JAX array of the tensor's dtype, or a NumPy array) into ``tensor`` in place."""
    if isinstance(array, np.ndarray):
        array = jax.device_put(array.astype(tensor._value.dtype), next(iter(tensor._value.devices())))
    with no_grad():
        tensor.copy_(Tensor._make(array))
    return tensor


def _compute_dtype(tensor):
    return np.dtype(np.float64 if tensor.dtype.name == "float64" else np.float32)


def _host_rng(generator):
    key = np.asarray(jax.random.key_data(_random._key(generator))).astype(np.uint64)
    return np.random.default_rng(int(key[0]) << 32 | int(key[1]))


def _uniform_draw(rng, shape, a, b):
    return rng.uniform(a, b, shape)


def _normal_draw(rng, shape, mean, std):
    return rng.standard_normal(shape) * std + mean


def _trunc_normal_draw(rng, shape, mean, std, a, b):
    from scipy.special import ndtr, ndtri
    lo, hi = ndtr((a - mean) / std), ndtr((b - mean) / std)
    z = ndtri(rng.uniform(lo, hi, shape))
    return np.clip(z * std + mean, a, b)


def _draw(fn, tensor, generator, *args):
    arr = fn(_host_rng(generator), tuple(tensor.shape), *(float(a) for a in args))
    return _write(tensor, np.asarray(arr, dtype=_compute_dtype(tensor)))


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    """U(a, b), in place."""
    return _draw(_uniform_draw, tensor, generator, a, b)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    """N(mean, std²), in place."""
    return _draw(_normal_draw, tensor, generator, mean, std)


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """N(mean, std) truncated to ``[a, b]`` (absolute bounds, as torch)."""
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values may be "
                      "incorrect.", stacklevel=2)
    return _draw(_trunc_normal_draw, tensor, generator, mean, std, a, b)


def constant_(tensor, val):
    with no_grad():
        return tensor.fill_(val)


def ones_(tensor):
    return constant_(tensor, 1.0)


def zeros_(tensor):
    with no_grad():
        return tensor.zero_()


def eye_(tensor):
    if tensor.ndimension() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _write(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups=1):
    dimensions = tensor.ndimension()
    if dimensions not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    sizes = tuple(tensor.shape)
    if sizes[0] % groups != 0:
        raise ValueError("dim 0 must be divisible by groups")
    out_chans_per_grp = sizes[0] // groups
    min_dim = min(out_chans_per_grp, sizes[1])
    w = np.zeros(sizes)
    centre = tuple(s // 2 for s in sizes[2:])
    for g in range(groups):
        for d in range(min_dim):
            w[(g * out_chans_per_grp + d, d) + centre] = 1
    return _write(tensor, w)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if _no_op_if_empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    if _no_op_if_empty(tensor):
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    return normal_(tensor, 0, std, generator)


def orthogonal_(tensor, gain=1, generator=None):
    """A (semi-)orthogonal matrix from the QR decomposition of a normal draw, scaled by ``gain``."""
    if tensor.ndimension() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if tensor.numel() == 0:
        return tensor
    return _draw(_orthogonal_draw, tensor, generator, gain)


def _orthogonal_draw(rng, shape, gain):
    rows = shape[0]
    cols = int(np.prod(shape)) // rows
    flat = rng.standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diagonal(r))
    if rows < cols:
        q = q.T
    return q.reshape(shape) * gain


def _sparse_draw(rng, shape, num_zeros, std):
    rows, cols = shape
    w = rng.standard_normal((rows, cols)) * std
    for c in range(cols):
        w[rng.permutation(rows)[:int(num_zeros)], c] = 0
    return w


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """Each column gets ``ceil(sparsity * rows)`` zeros at random rows; the rest N(0, std)."""
    if tensor.ndimension() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows = tensor.shape[0]
    return _draw(_sparse_draw, tensor, generator, int(math.ceil(sparsity * rows)), std)


def _deprecated(meth):
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.", FutureWarning,
                      stacklevel=2)
        return meth(*args, **kwargs)
    deprecated_init.__name__ = old_name
    return deprecated_init


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
