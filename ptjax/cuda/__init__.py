"""torch.cuda over JAX's GPUs: tells the truth about what JAX sees.

Without a GPU the names behave as in a CPU-only build of torch: ``is_available()`` is False, ``device_count()`` 0,
the memory counters 0, and what needs a device raises torch's ``AssertionError("Torch not compiled with CUDA
enabled")``. XLA owns streams, the allocator and kernel choice, so streams and events keep torch's semantics
without controlling anything (``streams.py``), and memory figures come from ``jax.Device.memory_stats()``
(``memory.py``).
"""
from __future__ import annotations

from .. import _device
from .._device import check_cuda, cuda_is_available
from . import amp  # noqa: F401 - torch.cuda.amp is there after import torch
from .._legacy_types import legacy_types
from .memory import (device_memory_used, empty_cache, get_per_process_memory_fraction, host_memory_stats,
                     host_memory_stats_as_nested_dict, list_gpu_processes, max_memory_allocated, max_memory_cached,
                     max_memory_reserved, mem_get_info, memory_allocated, memory_cached, memory_reserved,
                     memory_snapshot, memory_stats, memory_stats_as_nested_dict, memory_summary, memory_usage,
                     reset_accumulated_host_memory_stats, reset_accumulated_memory_stats, reset_max_memory_allocated,
                     reset_max_memory_cached, reset_peak_host_memory_stats, reset_peak_memory_stats,
                     set_per_process_memory_fraction)
from .random import (get_rng_state, get_rng_state_all, initial_seed, manual_seed, manual_seed_all, seed, seed_all,
                     set_rng_state, set_rng_state_all)
from .streams import Event, Stream, StreamContext, current_stream, default_stream, set_stream, stream, synchronize
from . import memory, random, streams  # noqa: F401 - torch.cuda.memory / .random / .streams

globals().update(legacy_types("torch.cuda", is_cuda=True))  # torch.cuda.FloatTensor …

__all__ = ["BFloat16Tensor", "BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "Event", "FloatTensor",
           "HalfTensor", "IntTensor", "LongTensor", "ShortTensor", "Stream", "StreamContext", "can_device_access_peer",
           "current_device", "current_stream", "default_stream", "device", "device_count", "device_memory_used",
           "device_of", "empty_cache", "get_device_capability", "get_device_name", "get_device_properties",
           "get_per_process_memory_fraction", "get_rng_state", "get_rng_state_all", "host_memory_stats",
           "host_memory_stats_as_nested_dict", "init", "initial_seed", "is_available", "is_bf16_supported",
           "is_initialized", "is_tf32_supported", "list_gpu_processes", "manual_seed", "manual_seed_all",
           "max_memory_allocated", "max_memory_cached", "max_memory_reserved", "mem_get_info", "memory_allocated",
           "memory_cached", "memory_reserved", "memory_snapshot", "memory_stats", "memory_stats_as_nested_dict",
           "memory_summary", "memory_usage", "reset_accumulated_host_memory_stats", "reset_accumulated_memory_stats",
           "reset_max_memory_allocated", "reset_max_memory_cached", "reset_peak_host_memory_stats",
           "reset_peak_memory_stats", "seed", "seed_all", "set_device", "set_per_process_memory_fraction",
           "set_rng_state", "set_rng_state_all", "set_stream", "stream", "synchronize"]


def is_available() -> bool:
    return cuda_is_available()


def device_count() -> int:
    return len(_device.accelerators())


def is_initialized() -> bool:
    """JAX initialises its GPU backend when first asked about devices: initialised exactly when there is one."""
    return cuda_is_available()


def init():
    check_cuda()


def current_device() -> int:
    check_cuda()
    return _device.current_cuda_index()


def set_device(device):
    """Make ``device`` the current CUDA device: where ``'cuda'`` without an index goes. A negative index is a no-op,
    as torch's."""
    index = _device_index(device)
    if index >= 0:
        _device.set_current_cuda_index(index)


def _device_index(device, optional=True) -> int:
    """torch's ``_get_device_index``: an int, ``'cuda:N'``, a ``torch.device``, or None (the current device)."""
    if device is None:
        return _device.current_cuda_index()
    if isinstance(device, int):
        return device
    d = _device.device(device)
    if d.type != "cuda":
        raise ValueError(f"Expected a cuda device, but got: {d}")
    return _device.current_cuda_index() if d.index is None else d.index


def _jax_device(device=None):
    check_cuda()
    return _device.to_jax_device(_device.device("cuda", _device_index(device)))


class device:
    """``with torch.cuda.device(1):``: the current CUDA device within the block (``None`` or a negative index: no
    change)."""

    def __init__(self, device):
        self.idx = -1 if device is None else _device_index(device)
        self.prev_idx = -1

    def __enter__(self):
        if self.idx >= 0:
            self.prev_idx = current_device()
            set_device(self.idx)
        return self

    def __exit__(self, *exc):
        if self.prev_idx >= 0:
            set_device(self.prev_idx)
        return False


class device_of(device):
    """``with torch.cuda.device_of(tensor):``: the tensor's device is current within the block (a no-op for a CPU
    tensor)."""

    def __init__(self, obj):
        super().__init__(obj.get_device() if obj.is_cuda else -1)


def get_device_name(device=None) -> str:
    return _jax_device(device).device_kind


def get_device_capability(device=None) -> tuple:
    """``(major, minor)`` from JAX's ``compute_capability`` ("9.0" on an H100/H200)."""
    return get_device_properties(device)._capability()


class _CudaDeviceProperties:
    """What JAX tells about a GPU, under torch's attribute names (missing ones are left out, not invented)."""

    def __init__(self, jd):
        self.name = jd.device_kind
        self.major, self.minor = _parse_capability(getattr(jd, "compute_capability", None))
        stats = jd.memory_stats() or {}
        self.total_memory = int(stats.get("bytes_limit", 0))
        self.multi_processor_count = int(getattr(jd, "core_count", 0) or 0)
        self.is_integrated = False

    def _capability(self):
        return (self.major, self.minor)

    def __repr__(self):
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // (1024 * 1024)}MB, "
                f"multi_processor_count={self.multi_processor_count})")


def _parse_capability(cc) -> tuple:
    try:
        major, minor = str(cc).split(".")[:2]
        return int(major), int(minor)
    except ValueError:
        return 0, 0


def get_device_properties(device=None) -> _CudaDeviceProperties:
    return _CudaDeviceProperties(_jax_device(device))


def is_bf16_supported(including_emulation: bool = True) -> bool:
    return cuda_is_available()


def is_tf32_supported() -> bool:
    """TF32 needs compute capability 8.0 (Ampere) or later."""
    return cuda_is_available() and get_device_capability() >= (8, 0)


def can_device_access_peer(device, peer_device) -> bool:
    """Whether two GPUs reach each other's memory. JAX does not say; GPUs of one node do under XLA's transfers."""
    check_cuda()
    for d in (device, peer_device):
        index = _device_index(d)
        if not 0 <= index < device_count():
            raise AssertionError("Invalid device id")
    return _device_index(device) != _device_index(peer_device)
