"""Convolutions and transposed convolutions (the functionals of ``nn/modules/conv.py``).

Every functional in ``nn/_functional_*.py`` is an op-table entry: one pure JAX function with torch's signature
(``@op(..., jit=True)``), so a call is one compiled kernel and one autograd node, whose backward is ``jax.vjp`` of
the same function. Spatial arguments (``kernel_size``, ``stride``, ``padding``, ``dilation``) accept an int or a
tuple, as in torch; unbatched inputs (one spatial rank less: ``(C, H, W)`` for a 2-d op) give unbatched outputs.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from .._ops.registry import BINARY, op
from .._precision import conv_precision
from ._functional_utils import _batched, _dims, _tuple

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "conv_tbc"]


def _check_conv_shapes(x, weight, bias, groups, transposed):
    """torch's ``check_shape_forward`` (the messages of its convolution), ``x`` batched."""
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [[{_dims(weight.shape)}]] instead")
    if transposed:
        cin, cout, pre = weight.shape[0], weight.shape[1] * groups, "Given transposed=1, weight"
    else:
        cin, cout, pre = weight.shape[1] * groups, weight.shape[0], f"Given groups={groups}, weight"
    if x.shape[1] != cin:
        raise RuntimeError(f"{pre} of size [{_dims(weight.shape)}], expected input[{_dims(x.shape)}] to have {cin} "
                           f"channels, but got {x.shape[1]} channels instead")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != cout):
        pre = "Given transposed=1, weight" if transposed else "Given weight"
        raise RuntimeError(f"{pre} of size [{_dims(weight.shape)}], expected bias to be 1-dimensional with {cout} "
                           f"elements, but got bias of size [{_dims(bias.shape)}] instead")


_DIMS = {1: ("NCH", "OIH", "NCH"), 2: ("NCHW", "OIHW", "NCHW"), 3: ("NCDHW", "OIDHW", "NCDHW")}


def _bias(out, bias, nd):
    return out if bias is None else out + bias.reshape((1, -1) + (1,) * nd).astype(out.dtype)


# ---- convolution -------------------------------------------------------------------------------------------------

def _cpu_only():
    """Whether JAX runs on CPU only (the padding trick below is a measured XLA:CPU workaround; GPUs keep the plain
    convolution)."""
    global _CPU_ONLY
    if _CPU_ONLY is None:
        _CPU_ONLY = jax.default_backend() == "cpu"
    return _CPU_ONLY


_CPU_ONLY = None


def _conv_lax(x, w, stride, pads, dilation, groups, nd):
    if nd == 2 and all(p == (0, 0) for p in pads) and w.shape[2] > 1 and w.shape[3] > 1 and _cpu_only():
        # XLA:CPU runs an unpadded 2-d convolution (and its gradients) on a much slower path than a padded one:
        # pad `stride` rows on top and drop the first output row instead (identical result). See conv2d's
        # docstring for the measurements.
        y = lax.conv_general_dilated(x, w, stride, ((stride[0], 0), (0, 0)), rhs_dilation=dilation,
                                     feature_group_count=groups, dimension_numbers=_DIMS[nd],
                                     precision=conv_precision())
        return y[:, :, 1:]
    return lax.conv_general_dilated(x, w, stride, pads, rhs_dilation=dilation, feature_group_count=groups,
                                    dimension_numbers=_DIMS[nd], precision=conv_precision())


def _conv(input, weight, bias, stride, padding, dilation, groups, nd, name):
    x, unbatched = _batched(input, nd, name, conv=True)
    stride, dilation = _tuple(stride, nd, "stride"), _tuple(dilation, nd, "dilation")
    k = weight.shape[2:]
    _check_conv_shapes(x, weight, bias, groups, transposed=False)
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError("padding='same' is not supported for strided convolutions")
            tot = [d * (kk - 1) for d, kk in zip(dilation, k)]
            pads = tuple((t // 2, t - t // 2) for t in tot)
        else:
            raise ValueError(f"Invalid padding string '{padding}', should be one of {{'valid', 'same'}}")
    else:
        pads = tuple((p, p) for p in _tuple(padding, nd, "padding"))
    padded = [n + a + b for n, (a, b) in zip(x.shape[2:], pads)]
    eff = [d * (kk - 1) + 1 for d, kk in zip(dilation, k)]
    if any(n < e for n, e in zip(padded, eff)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, eff))}). Kernel size can't be greater than actual input size")
    out = _bias(_conv_lax(x, weight, stride, pads, dilation, groups, nd), bias, nd)
    return out[0] if unbatched else out


@op(tensors=("input", "weight", "bias"), promote=BINARY, jit=True, method=False, grad_name="ConvolutionBackward0")
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution over ``(N, C_in, L)`` with ``weight (C_out, C_in/groups, k)``; ``padding`` may be
    'same' / 'valid'."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


@op(tensors=("input", "weight", "bias"), promote=BINARY, jit=True, method=False, grad_name="ConvolutionBackward0")
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution over ``(N, C_in, H, W)`` with ``weight (C_out, C_in/groups, kH, kW)``.

    Implementation: ``lax.conv_general_dilated`` in NCHW/OIHW, with one twist. XLA:CPU runs an *unpadded*
    convolution and its gradients on a much slower path than a padded one, so a conv with zero padding (and a
    kernel larger than 1x1) is computed with ``stride`` extra rows of zero padding on top, and the first output
    row dropped: the result is bit-identical. Timed on the project's CPU (2 cores, XLA:CPU, jax 0.10.2, machine
    shared with other jobs: min / median of 30 interleaved runs, ms) for the MNIST CNN convs at batch 64,
    forward + backward (grads of w, b for the first conv; of x, w, b for the second):

    ================================  ============  ============  ============  =============  ==================
    shape                             NCHW + pad    NCHW lax      NHWC lax      im2col: 9      conv_general_
                                      trick (used)  (unpadded)                  slices+1 dot   dilated_patches+dot
    ================================  ============  ============  ============  =============  ==================
    1->32, 3x3, 28x28                 5.5 / 6.2     4.9 / 6.0     4.8 / 5.6     5.4 / 6.1      9.0 / 9.6
    32->64, 3x3, 26x26                34 / 51       77 / 93       74 / 107      92 / 154       263 / 400
    ================================  ============  ============  ============  =============  ==================

    The 32->64 conv alone: forward 10 ms instead of 31, input grad 13 instead of 16, weight grad 15 instead of 42.
    Other shapes (batch 16-256, 3-64 channels, 3x3/5x5, stride 2, dilation 2) were as fast or faster with the
    padding; 1x1 kernels were not (their backward got 8x slower), so they keep the plain call, as do 1-d and 3-d
    convs (no gain measured). Whole ptjax MNIST training step (conv-relu-conv-relu-maxpool-fc-relu-fc-log_softmax-
    nll, SGD, batch 64): 61 ms min / 78 median with the padding, 106 / 148 without; torch (2 threads) 61 / 80 on
    the same machine at the same time.
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


@op(tensors=("input", "weight", "bias"), promote=BINARY, jit=True, method=False, grad_name="ConvolutionBackward0")
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution over ``(N, C_in, D, H, W)``."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


def _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, nd, name):
    x, unbatched = _batched(input, nd, name, conv=True)
    _check_conv_shapes(x, weight, bias, groups, transposed=True)
    stride, dilation = _tuple(stride, nd, "stride"), _tuple(dilation, nd, "dilation")
    padding, output_padding = _tuple(padding, nd, "padding"), _tuple(output_padding, nd, "output_padding")
    for op_, s, d in zip(output_padding, stride, dilation):
        if op_ >= max(s, d):
            raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                               f"output_padding: {op_}, stride: {s}, dilation: {d}")
    cin, cout_g = weight.shape[0], weight.shape[1]
    k = weight.shape[2:]
    # (G*Cin_g, Cout_g, k...) -> (G*Cout_g, Cin_g, k...), spatially flipped: the transpose as a dilated conv
    w = weight.reshape((groups, cin // groups, cout_g) + k)
    w = jnp.swapaxes(w, 1, 2).reshape((groups * cout_g, cin // groups) + k)
    w = jnp.flip(w, axis=tuple(range(2, 2 + nd)))
    pads = tuple((d * (kk - 1) - p, d * (kk - 1) - p + o)
                 for d, kk, p, o in zip(dilation, k, padding, output_padding))
    out = lax.conv_general_dilated(x, w, (1,) * nd, pads, lhs_dilation=stride, rhs_dilation=dilation,
                                   feature_group_count=groups, dimension_numbers=_DIMS[nd], precision=conv_precision())
    out = _bias(out, bias, nd)
    return out[0] if unbatched else out


@op(tensors=("input", "weight", "bias"), promote=BINARY, jit=True, method=False, grad_name="ConvolutionBackward0")
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 1-d convolution, ``weight (C_in, C_out/groups, k)``."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


@op(tensors=("input", "weight", "bias"), promote=BINARY, jit=True, method=False, grad_name="ConvolutionBackward0")
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 2-d convolution, ``weight (C_in, C_out/groups, kH, kW)``."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")


@op(tensors=("input", "weight", "bias"), promote=BINARY, jit=True, method=False, grad_name="ConvolutionBackward0")
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """Transposed 3-d convolution, ``weight (C_in, C_out/groups, kD, kH, kW)``."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                           "conv_transpose3d")


def _conv_tbc_check(input, weight, bias, pad=0):
    if input.ndim != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.ndim != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, out_channels.")
    if bias.ndim != 1:
        raise RuntimeError("Bias must be 1-D")
    if input.shape[2] != weight.shape[1]:
        raise RuntimeError("Input dim 2 (input channels) is not == dim 1 in the weight tensor")
    if weight.shape[2] != bias.shape[0]:
        raise RuntimeError("Bias size must equal dim 2 in the weight tensor (output channels).")


@op(tensors=("input", "weight", "bias"), promote=BINARY, jit=True, method=False, check=_conv_tbc_check)
def conv_tbc(input, weight, bias, pad=0):
    """1-d convolution of a time-major ``(T, B, C_in)`` sequence with ``weight (K, C_in, C_out)``, ``pad`` zero steps
    on both ends: ``(T + 2 pad - K + 1, B, C_out)``."""
    out = lax.conv_general_dilated(jnp.transpose(input, (1, 2, 0)), jnp.transpose(weight, (2, 1, 0)), (1,),
                                   [(pad, pad)], dimension_numbers=("NCH", "OIH", "NCH"))
    return jnp.transpose(out, (2, 0, 1)) + bias
