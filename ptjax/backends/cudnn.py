"""torch.backends.cudnn: ``allow_tf32`` (default True) sets the float32 precision of convolutions (see
``ptjax/_precision.py``); ``enabled`` / ``benchmark`` / ``deterministic`` … keep torch's defaults (XLA selects and
autotunes the cuDNN kernels itself). Available where JAX has a GPU."""
from __future__ import annotations

import sys
import types

from .. import _precision
from .._device import cuda_is_available
from . import _flags

enabled = True
benchmark = False
benchmark_limit = 10
deterministic = False


def is_available() -> bool:
    return cuda_is_available()


def version():
    """cuDNN's version as torch gives it (90100 for 9.1.0), read from JAX's CUDA plugin; None without a GPU."""
    if not cuda_is_available():
        return None
    try:
        from jax._src.lib import cuda_versions
        return int(cuda_versions.cudnn_get_version())
    except (ImportError, AttributeError):
        return None


def is_acceptable(tensor) -> bool:
    """Whether cuDNN would take this tensor: a CUDA tensor of a floating dtype, with cuDNN enabled."""
    return bool(enabled and cuda_is_available() and tensor.is_cuda and tensor.dtype.is_floating_point)


class _FP32Precision:
    """``cudnn.conv`` / ``cudnn.rnn``: torch's newer ``fp32_precision`` spelling ("tf32" / "ieee")."""

    def __init__(self, conv: bool):
        self._conv = conv
        self._value = "tf32"

    @property
    def fp32_precision(self) -> str:
        return ("tf32" if _precision.conv_allows_tf32() else "ieee") if self._conv else self._value

    @fp32_precision.setter
    def fp32_precision(self, value):
        if value not in ("ieee", "tf32", "none"):
            raise RuntimeError(f"Invalid precision: {value}, expected one of ieee, tf32, none")
        if self._conv:
            _precision.set_conv_allow_tf32(value != "ieee")
        else:
            self._value = value


conv = _FP32Precision(conv=True)
rnn = _FP32Precision(conv=False)
fp32_precision = "none"


def set_flags(_enabled=None, _benchmark=None, _benchmark_limit=None, _deterministic=None, _allow_tf32=None):
    return tuple(_flags.set_flags(sys.modules[__name__], enabled=_enabled, benchmark=_benchmark,
                                  benchmark_limit=_benchmark_limit, deterministic=_deterministic,
                                  allow_tf32=_allow_tf32).values())


def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
    """``with torch.backends.cudnn.flags(...)``: the flags within the block (torch's defaults for this call)."""
    return _flags.flags(sys.modules[__name__], enabled=enabled, benchmark=benchmark, benchmark_limit=benchmark_limit,
                        deterministic=deterministic, allow_tf32=allow_tf32)


class CudnnModule(types.ModuleType):
    """The module's class: ``allow_tf32`` is a property (it changes the convolutions' precision)."""

    @property
    def allow_tf32(self) -> bool:
        return _precision.conv_allows_tf32()

    @allow_tf32.setter
    def allow_tf32(self, flag):
        _precision.set_conv_allow_tf32(bool(flag))


sys.modules[__name__].__class__ = CudnnModule
