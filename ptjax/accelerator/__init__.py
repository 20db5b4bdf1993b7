"""torch.accelerator: the device-agnostic face of the current accelerator — for ptjax, CUDA (JAX's GPUs) when there
is one. Without one, torch's answers: not available, no current accelerator, 0 devices, and torch's RuntimeError
for what needs a device."""
from __future__ import annotations

from .. import _device
from .._device import cuda_is_available

__all__ = ["current_accelerator", "current_device_idx", "current_device_index", "current_stream", "device_count",
           "device_index", "empty_cache", "get_device_capability", "get_memory_info", "is_available",
           "max_memory_allocated", "max_memory_reserved", "memory_allocated", "memory_reserved", "memory_stats",
           "reset_accumulated_memory_stats", "reset_peak_memory_stats", "set_device_idx", "set_device_index",
           "set_stream", "synchronize"]


def _check():
    if not cuda_is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    from .. import cuda
    return cuda


def is_available() -> bool:
    return cuda_is_available()


def current_accelerator(check_available: bool = False):
    """``device(type='cuda')`` where JAX has GPUs, else None."""
    return _device.device("cuda") if cuda_is_available() else None


def device_count() -> int:
    return len(_device.accelerators())


def current_device_index() -> int:
    return _check().current_device()


current_device_idx = current_device_index


def set_device_index(device):
    _check().set_device(device)


set_device_idx = set_device_index


def synchronize(device=None):
    _check().synchronize(device)


def current_stream(device=None):
    return _check().current_stream(device)


def set_stream(stream):
    _check().set_stream(stream)


def get_device_capability(device=None) -> dict:
    """The dtypes the accelerator supports, as torch's ``{"supported_dtypes": [...]}``."""
    _check()
    from .. import _dtype as D
    return {"supported_dtypes": list(D.ALL)}


def empty_cache():
    _check().empty_cache()


def memory_stats(device=None):
    return _check().memory_stats(device)


def memory_allocated(device=None) -> int:
    return _check().memory_allocated(device)


def max_memory_allocated(device=None) -> int:
    return _check().max_memory_allocated(device)


def memory_reserved(device=None) -> int:
    return _check().memory_reserved(device)


def max_memory_reserved(device=None) -> int:
    return _check().max_memory_reserved(device)


def reset_peak_memory_stats(device=None):
    _check().reset_peak_memory_stats(device)


def reset_accumulated_memory_stats(device=None):
    _check().reset_accumulated_memory_stats(device)


def get_memory_info(device=None) -> tuple:
    return _check().mem_get_info(device)


class device_index:
    """``with torch.accelerator.device_index(i):``: the current accelerator device within the block (None: no
    change)."""

    def __init__(self, device, /):
        self.idx = device
        self.prev_idx = -1

    def __enter__(self):
        if self.idx is not None:
            cuda = _check()
            self.prev_idx = cuda.current_device()
            cuda.set_device(self.idx)
        return self

    def __exit__(self, *exc):
        if self.prev_idx >= 0:
            _check().set_device(self.prev_idx)
        return False
