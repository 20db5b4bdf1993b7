"""torch.fft: the transforms are op-table entries (``ptjax/_ops/fft.py``); the 2-d forms are the n-d ones over
``dim=(-2, -1)``; ``fftfreq`` / ``rfftfreq`` are creation functions."""
import jax.numpy as _jnp

from . import _dtype as _D
from ._ops.creation import _finish
from ._ops.dispatch import factory_out as _factory_out
from ._ops.registry import TABLE as _TABLE
from ._tensor import Tensor

fft, ifft, rfft, irfft, hfft, ihfft, fftn, ifftn, rfftn, irfftn, hfftn, ihfftn, fftshift, ifftshift = (
    _TABLE[f"fft_{name}"].public for name in ("fft", "ifft", "rfft", "irfft", "hfft", "ihfft", "fftn", "ifftn",
                                               "rfftn", "irfftn", "hfftn", "ihfftn", "fftshift", "ifftshift"))


def _two_dimensional(name, nd):
    def transform(input, s=None, dim=(-2, -1), norm=None):
        return nd(input, s, dim, norm)
    transform.__name__ = name
    transform.__doc__ = f"``{name}n`` over ``dim=(-2, -1)`` by default."
    return transform


fft2, ifft2, rfft2, irfft2, hfft2, ihfft2 = (
    _two_dimensional(name, nd) for name, nd in (("fft2", fftn), ("ifft2", ifftn), ("rfft2", rfftn),
                                                ("irfft2", irfftn), ("hfft2", hfftn), ("ihfft2", ihfftn)))


def _frequencies(values, dtype, device, requires_grad):
    dtype = _D.to_dtype(dtype) if dtype is not None else _D.get_default_dtype()
    return _finish(_jnp.asarray(values, dtype.np), dtype, device, requires_grad)


@_factory_out
def fftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    """The sample frequencies of an ``n``-point FFT with sample spacing ``d``."""
    return _frequencies(_jnp.fft.fftfreq(n, d), dtype, device, requires_grad)


@_factory_out
def rfftfreq(n, d=1.0, *, dtype=None, layout=None, device=None, requires_grad=False):
    return _frequencies(_jnp.fft.rfftfreq(n, d), dtype, device, requires_grad)


__all__ = [
    "Tensor",
    "fft",
    "fft2",
    "fftfreq",
    "fftn",
    "fftshift",
    "hfft",
    "hfft2",
    "hfftn",
    "ifft",
    "ifft2",
    "ifftn",
    "ifftshift",
    "ihfft",
    "ihfft2",
    "ihfftn",
    "irfft",
    "irfft2",
    "irfftn",
    "rfft",
    "rfft2",
    "rfftfreq",
    "rfftn",
]
