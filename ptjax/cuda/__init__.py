"""torch.cuda over JAX's GPU backend: tells the truth about what JAX sees."""
from .._device import _gpu_devices, cuda_is_available
from . import amp  # noqa: F401 - torch.cuda.amp is there after import torch


def is_available() -> bool:
    return cuda_is_available()


def device_count() -> int:
    return len(_gpu_devices())


def current_device() -> int:
    if not is_available():
        raise AssertionError("Torch not compiled with CUDA enabled")
    return 0


def get_device_name(device=None) -> str:
    if not is_available():
        raise AssertionError("Torch not compiled with CUDA enabled")
    return _gpu_devices()[device or 0].device_kind


def synchronize(device=None):
    """Wait for queued GPU work (JAX dispatches asynchronously)."""
    import jax
    for d in _gpu_devices():
        jax.device_put(0, d).block_until_ready()


def manual_seed(seed):
    from .._ops.random import manual_seed as _ms
    _ms(seed)


manual_seed_all = manual_seed


def is_bf16_supported():
    return is_available()


def empty_cache():
    pass
