"""torch.backends.cuda: ``matmul.allow_tf32`` sets the float32 precision of matrix products (see
``ptjax/_precision.py``); the scaled-dot-product-attention switches are kept with torch's defaults (XLA picks the
attention kernels); ``is_built()`` tells whether JAX has a CUDA backend here."""
from __future__ import annotations

import contextlib
import enum

from .. import _precision
from .._device import cuda_is_available

__all__ = ["is_built", "cuBLASModule", "matmul", "cufft_plan_cache", "preferred_linalg_library",
           "preferred_blas_library", "SDPBackend", "flash_sdp_enabled", "enable_flash_sdp", "mem_efficient_sdp_enabled",
           "enable_mem_efficient_sdp", "math_sdp_enabled", "enable_math_sdp", "cudnn_sdp_enabled", "enable_cudnn_sdp",
           "fp16_bf16_reduction_math_sdp_allowed", "allow_fp16_bf16_reduction_math_sdp", "is_flash_attention_available",
           "can_use_flash_attention", "can_use_efficient_attention", "can_use_cudnn_attention", "sdp_kernel"]


def is_built() -> bool:
    """Whether CUDA is there: for ptjax, whether JAX has GPUs in this process."""
    return cuda_is_available()


class cuBLASModule:
    """``torch.backends.cuda.matmul``."""

    allow_fp16_reduced_precision_reduction = True
    allow_bf16_reduced_precision_reduction = True
    allow_fp16_accumulation = False

    @property
    def allow_tf32(self) -> bool:
        return _precision.matmul_allows_tf32()

    @allow_tf32.setter
    def allow_tf32(self, flag):
        _precision.set_matmul_allow_tf32(bool(flag))

    @property
    def fp32_precision(self) -> str:
        """torch's newer spelling: "tf32" when TF32 is allowed, else "ieee"."""
        return "tf32" if _precision.matmul_allows_tf32() else "ieee"

    @fp32_precision.setter
    def fp32_precision(self, value):
        if value not in ("ieee", "tf32", "none"):
            raise RuntimeError(f"Invalid precision: {value}, expected one of ieee, tf32, none")
        _precision.set_matmul_allow_tf32(value == "tf32")


matmul = cuBLASModule()


class _PlanCache:
    """``cufft_plan_cache``: XLA plans its FFTs; the cache reads as empty."""
    size = 0
    max_size = 4096

    def clear(self):
        pass

    def __getitem__(self, device):
        return self


cufft_plan_cache = _PlanCache()
_LIBRARIES = {"linalg": "default", "blas": "cublas"}


def preferred_linalg_library(backend=None) -> str:
    """Which library torch.linalg should use ("default", "cusolver", "magma"): recorded, XLA chooses."""
    if backend is not None:
        _LIBRARIES["linalg"] = str(backend).lower()
    return _LIBRARIES["linalg"]


def preferred_blas_library(backend=None) -> str:
    if backend is not None:
        _LIBRARIES["blas"] = str(backend).lower()
    return _LIBRARIES["blas"]


class SDPBackend(enum.IntEnum):
    """torch.nn.attention.SDPBackend."""
    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


_SDP = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True, "fp16_bf16_reduction_math": False}


def flash_sdp_enabled() -> bool:
    return _SDP["flash"]


def enable_flash_sdp(enabled: bool):
    _SDP["flash"] = bool(enabled)


def mem_efficient_sdp_enabled() -> bool:
    return _SDP["mem_efficient"]


def enable_mem_efficient_sdp(enabled: bool):
    _SDP["mem_efficient"] = bool(enabled)


def math_sdp_enabled() -> bool:
    return _SDP["math"]


def enable_math_sdp(enabled: bool):
    _SDP["math"] = bool(enabled)


def cudnn_sdp_enabled() -> bool:
    return _SDP["cudnn"]


def enable_cudnn_sdp(enabled: bool):
    _SDP["cudnn"] = bool(enabled)


def fp16_bf16_reduction_math_sdp_allowed() -> bool:
    return _SDP["fp16_bf16_reduction_math"]


def allow_fp16_bf16_reduction_math_sdp(enabled: bool):
    _SDP["fp16_bf16_reduction_math"] = bool(enabled)


def is_flash_attention_available() -> bool:
    """torch's FlashAttention kernels are not part of ptjax (XLA computes attention)."""
    return False


def can_use_flash_attention(params, debug: bool = False) -> bool:
    return False


def can_use_efficient_attention(params, debug: bool = False) -> bool:
    return False


def can_use_cudnn_attention(params, debug: bool = False) -> bool:
    return False


@contextlib.contextmanager
def sdp_kernel(enable_flash=True, enable_math=True, enable_mem_efficient=True, enable_cudnn=True):
    """Deprecated in torch for ``torch.nn.attention.sdpa_kernel``: the switches within the block."""
    previous = dict(_SDP)
    _SDP.update(flash=enable_flash, math=enable_math, mem_efficient=enable_mem_efficient, cudnn=enable_cudnn)
    try:
        yield
    finally:
        _SDP.update(previous)
