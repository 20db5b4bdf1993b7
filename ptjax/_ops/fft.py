"""``torch.fft``'s transforms as op-table entries (``fft_fft``, ``fft_rfft`` …, named as torch's native functions;
``ptjax.fft`` exposes them under torch.fft's names).

dtypes follow torch: real inputs of float32 (and integers, bool) give complex64, float64 gives complex128;
``rfft``/``ihfft`` need a real input and ``irfft``/``hfft`` return a real one. torch's CPU FFT has no float16 /
bfloat16 kernels; neither does this one. Gradients come from ``jax.vjp`` of the same transforms.
"""
from __future__ import annotations

import jax.numpy as jnp

from .. import _dtype as D
from .registry import op

_NORMS = (None, "backward", "ortho", "forward")
_SWAPPED = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}
_TORCH_NAME = {"float16": "Half", "bfloat16": "BFloat16", "complex64": "ComplexFloat",
               "complex128": "ComplexDouble"}


def _complex_of(dtype):
    """The complex dtype a transform of ``dtype`` returns (torch: int/bool → the default float's complex)."""
    if dtype in (jnp.complex64, jnp.complex128):
        return dtype
    if dtype == jnp.float64 or (not jnp.issubdtype(dtype, jnp.floating) and D.get_default_dtype() is D.float64):
        return jnp.complex128
    return jnp.complex64


def _real_of(dtype):
    return jnp.float64 if _complex_of(dtype) == jnp.complex128 else jnp.float32


_REAL_INPUT_MESSAGE = {  # torch's words, which differ per transform
    "rfft": "rfft expects a real input tensor, but got {}", "ihfft": "ihfft expects a real input tensor, but got {}",
    "rfftn": "rfftn expects a real-valued input tensor, but got {}",
    "ihfftn": "Only supports floating-point dtypes, but found: {}"}


def _check(real_input=None):
    """A ``check`` for every transform: a known ``norm``, no half-precision input, a real input for the
    transforms named in ``_REAL_INPUT_MESSAGE``."""
    def check(input, n_or_s=None, dim=None, norm=None):
        if norm not in _NORMS:
            raise RuntimeError(f'Invalid normalization mode: "{norm}"')
        name = input.dtype.name
        if name in ("float16", "bfloat16"):
            raise RuntimeError(f"Unsupported dtype {_TORCH_NAME[name]}")
        if real_input and input.is_complex():
            raise RuntimeError(_REAL_INPUT_MESSAGE[real_input].format(_TORCH_NAME[name]))
    return check


def _norm(norm):
    return "backward" if norm is None else norm


def _dims(input, s, dim):
    """torch's (s, dim) for the n-dimensional transforms: ``dim`` defaults to the last ``len(s)`` dims, or all."""
    if isinstance(dim, int):
        dim = (dim,)
    if dim is None:
        dim = tuple(range(input.ndim - len(s), input.ndim)) if s is not None else tuple(range(input.ndim))
    dim = tuple(d % input.ndim if input.ndim else d for d in dim)
    if s is not None:
        s = tuple(s)
        if len(s) != len(dim):
            raise RuntimeError("When given, dim and shape arguments must have the same length")
        s = tuple(input.shape[d] if n == -1 else n for n, d in zip(s, dim, strict=True))
    return s, dim


def _c2c(input):
    return input.astype(_complex_of(input.dtype))


def _r2c(input):
    return input.astype(_real_of(input.dtype))


def _transform(name, grad_name, real_input=None):
    return op(f"fft_{name}", method=False, function=False, jit=True, grad_name=grad_name,
              check=_check(real_input))


# ---- one-dimensional -------------------------------------------------------------------------------------------

@_transform("fft", "FftC2CBackward0")
def fft_fft(input, n=None, dim=-1, norm=None):
    return jnp.fft.fft(_c2c(input), n, dim, _norm(norm))


@_transform("ifft", "FftC2CBackward0")
def fft_ifft(input, n=None, dim=-1, norm=None):
    return jnp.fft.ifft(_c2c(input), n, dim, _norm(norm))


@_transform("rfft", "FftR2CBackward0", real_input="rfft")
def fft_rfft(input, n=None, dim=-1, norm=None):
    return jnp.fft.rfft(_r2c(input), n, dim, _norm(norm))


@_transform("irfft", "FftC2RBackward0")
def fft_irfft(input, n=None, dim=-1, norm=None):
    return jnp.fft.irfft(_c2c(input), n, dim, _norm(norm))


@_transform("hfft", "FftC2RBackward0")
def fft_hfft(input, n=None, dim=-1, norm=None):
    """The FFT of a Hermitian-symmetric signal given by its first half: ``irfft(conj(x))`` with swapped norm."""
    return jnp.fft.irfft(jnp.conj(_c2c(input)), n, dim, _SWAPPED[norm])


@_transform("ihfft", "ConjBackward0", real_input="ihfft")
def fft_ihfft(input, n=None, dim=-1, norm=None):
    return jnp.conj(jnp.fft.rfft(_r2c(input), n, dim, _SWAPPED[norm]))


# ---- n-dimensional (the 2-d forms are these with dim=(-2, -1)) -------------------------------------------------

@_transform("fftn", "FftC2CBackward0")
def fft_fftn(input, s=None, dim=None, norm=None):
    s, dim = _dims(input, s, dim)
    return jnp.fft.fftn(_c2c(input), s, dim, _norm(norm)) if dim else _c2c(input)


@_transform("ifftn", "FftC2CBackward0")
def fft_ifftn(input, s=None, dim=None, norm=None):
    s, dim = _dims(input, s, dim)
    return jnp.fft.ifftn(_c2c(input), s, dim, _norm(norm)) if dim else _c2c(input)


@_transform("rfftn", "FftR2CBackward0", real_input="rfftn")
def fft_rfftn(input, s=None, dim=None, norm=None):
    s, dim = _dims(input, s, dim)
    return jnp.fft.rfftn(_r2c(input), s, dim, _norm(norm))


@_transform("irfftn", "FftC2RBackward0")
def fft_irfftn(input, s=None, dim=None, norm=None):
    s, dim = _dims(input, s, dim)
    return jnp.fft.irfftn(_c2c(input), s, dim, _norm(norm))


@_transform("hfftn", "FftC2RBackward0")
def fft_hfftn(input, s=None, dim=None, norm=None):
    s, dim = _dims(input, s, dim)
    return jnp.fft.irfftn(jnp.conj(_c2c(input)), s, dim, _SWAPPED[norm])


@_transform("ihfftn", "ConjBackward0", real_input="ihfftn")
def fft_ihfftn(input, s=None, dim=None, norm=None):
    s, dim = _dims(input, s, dim)
    return jnp.conj(jnp.fft.rfftn(_r2c(input), s, dim, _SWAPPED[norm]))


# ---- conjugation -----------------------------------------------------------------------------------------------

@op(inplace=True)
def conj_physical(input):
    """The complex conjugate, materialized (real inputs are returned unchanged). The autograd engine also uses it
    to hand torch's complex-gradient convention to differentiable (``create_graph``) backward passes."""
    return jnp.conj(input) if jnp.iscomplexobj(input) else input


# ---- shifts ----------------------------------------------------------------------------------------------------

def _shift_dims(input, dim):
    if dim is None:
        return tuple(range(input.ndim))
    return (dim,) if isinstance(dim, int) else tuple(dim)


@op("fft_fftshift", method=False, function=False, grad_name="RollBackward0")
def fft_fftshift(input, dim=None):
    """Moves the zero frequency to the centre: a roll by ``size // 2`` along each of ``dim`` (all by default)."""
    dims = _shift_dims(input, dim)
    return jnp.roll(input, tuple(input.shape[d] // 2 for d in dims), dims)


@op("fft_ifftshift", method=False, function=False, grad_name="RollBackward0")
def fft_ifftshift(input, dim=None):
    dims = _shift_dims(input, dim)
    return jnp.roll(input, tuple(-(input.shape[d] // 2) for d in dims), dims)

