"""torch.cuda's memory figures from JAX's allocator statistics (``jax.Device.memory_stats()``).

JAX's names → torch's: ``bytes_in_use`` → allocated, ``peak_bytes_in_use`` → max allocated, ``pool_bytes`` (else
``bytes_reserved``, else ``bytes_limit``) → reserved, ``bytes_limit`` → the memory the allocator may use (JAX
preallocates a fraction of the GPU). Without a GPU, or where a backend gives no statistics, the figures are 0 as in a
CPU-only torch. XLA's peak counter cannot be reset: after ``reset_peak_memory_stats`` the peak reads as the largest
of what was allocated at the reset, what is allocated now and any new overall peak — a lower bound of torch's.
"""
from __future__ import annotations

import collections

from .. import _device
from .._device import check_cuda

_PEAK_AT_RESET = {}  # device index -> (XLA's peak at the reset, bytes allocated at the reset)


def _stats(device=None) -> dict:
    if not _device.cuda_is_available():
        return {}
    from . import _jax_device
    return _jax_device(device).memory_stats() or {}


def _index(device=None) -> int:
    from . import _device_index
    return _device_index(device)


def memory_allocated(device=None) -> int:
    return int(_stats(device).get("bytes_in_use", 0))


def max_memory_allocated(device=None) -> int:
    stats = _stats(device)
    peak = int(stats.get("peak_bytes_in_use", 0))
    reset = _PEAK_AT_RESET.get(_index(device)) if stats else None
    if reset is None or peak > reset[0]:
        return peak
    return max(reset[1], int(stats.get("bytes_in_use", 0)))


def memory_reserved(device=None) -> int:
    stats = _stats(device)
    for key in ("pool_bytes", "bytes_reserved", "bytes_limit"):
        if key in stats:
            return int(stats[key])
    return 0


def max_memory_reserved(device=None) -> int:
    stats = _stats(device)
    return int(stats.get("peak_pool_bytes", memory_reserved(device)))


def reset_peak_memory_stats(device=None):
    check_cuda()
    stats = _stats(device)
    _PEAK_AT_RESET[_index(device)] = (int(stats.get("peak_bytes_in_use", 0)), int(stats.get("bytes_in_use", 0)))


def reset_max_memory_allocated(device=None):
    """Deprecated in torch for ``reset_peak_memory_stats`` (which it calls)."""
    reset_peak_memory_stats(device)


def reset_max_memory_cached(device=None):
    reset_peak_memory_stats(device)


def reset_accumulated_memory_stats(device=None):
    """Counters accumulated over the run (allocation counts): XLA keeps its own and they cannot be reset."""
    check_cuda()


def memory_cached(device=None) -> int:
    """Deprecated in torch for ``memory_reserved``."""
    return memory_reserved(device)


def max_memory_cached(device=None) -> int:
    return max_memory_reserved(device)


def empty_cache():
    """Release cached blocks: XLA's allocator keeps its pool (JAX offers no call to shrink it), so nothing to do."""


def memory_stats(device=None) -> collections.OrderedDict:
    """torch's flat keys for the figures above, plus JAX's own statistics under ``jax.<name>``."""
    stats = _stats(device)
    if not stats:
        return collections.OrderedDict()
    out = collections.OrderedDict([
        ("allocated_bytes.all.current", memory_allocated(device)),
        ("allocated_bytes.all.peak", max_memory_allocated(device)),
        ("reserved_bytes.all.current", memory_reserved(device)),
        ("reserved_bytes.all.peak", max_memory_reserved(device)),
        ("num_alloc_retries", 0),
        ("num_ooms", 0),
    ])
    if "num_allocs" in stats:
        out["allocation.all.allocated"] = int(stats["num_allocs"])
    for k, v in sorted(stats.items()):
        out[f"jax.{k}"] = v
    return out


def memory_stats_as_nested_dict(device=None) -> dict:
    """``memory_stats`` with its dotted keys as nested dictionaries."""
    nested = {}
    for key, value in memory_stats(device).items():
        node = nested
        parts = key.split(".")
        for p in parts[:-1]:
            node = node.setdefault(p, {})
        node[parts[-1]] = value
    return nested


def _mb(n) -> str:
    return f"{n / (1024 * 1024):10.1f} MiB"


def memory_summary(device=None, abbreviated=False) -> str:
    """A table in the spirit of torch's: current and peak allocated / reserved memory of the device."""
    check_cuda()
    rule = "|" + "=" * 75 + "|"
    rows = [("Allocated memory", memory_allocated(device), max_memory_allocated(device)),
            ("Reserved memory", memory_reserved(device), max_memory_reserved(device))]
    lines = [rule, f"|{'ptjax CUDA memory summary, device ID ' + str(_index(device)):^75}|", rule,
             f"| {'Metric':<30}| {'Cur Usage':>20} | {'Peak Usage':>19} |", "|" + "-" * 75 + "|"]
    lines += [f"| {name:<30}| {_mb(cur):>20} | {_mb(peak):>19} |" for name, cur, peak in rows]
    lines.append(rule)
    return "\n".join(lines) + "\n"


def mem_get_info(device=None) -> tuple:
    """``(free, total)`` bytes of the memory JAX's allocator may use on the device."""
    check_cuda()
    stats = _stats(device)
    total = int(stats.get("bytes_limit", 0))
    return total - int(stats.get("bytes_in_use", 0)), total


def device_memory_used(device=None) -> int:
    """Memory in use on the device (torch asks NVML; here JAX's allocator)."""
    return memory_allocated(device)


def memory_usage(device=None) -> int:
    """Percent of the device memory in use (torch asks NVML; here JAX's allocator)."""
    free, total = mem_get_info(device)
    return round(100 * (total - free) / total) if total else 0


def memory_snapshot(mempool_id=None) -> list:
    """torch's allocator segments; XLA's allocator does not expose them."""
    return []


def list_gpu_processes(device=None) -> str:
    """torch asks NVML (pynvml), which ptjax does not use: torch's answer when pynvml is missing."""
    return "pynvml module not found, please install nvidia-ml-py"


_FRACTION = {}


def set_per_process_memory_fraction(fraction, device=None):
    """Accepted and reported back: JAX's share of the GPU is fixed at start-up (``XLA_PYTHON_CLIENT_MEM_FRACTION``)."""
    check_cuda()
    if not isinstance(fraction, float):
        raise TypeError("Invalid type for fraction argument, must be `float`")
    if not 0 <= fraction <= 1:
        raise ValueError(f"Invalid fraction value: {fraction}. Allowed range: 0~1")
    _FRACTION[_index(device)] = fraction


def get_per_process_memory_fraction(device=None) -> float:
    check_cuda()
    return _FRACTION.get(_index(device), 1.0)


def host_memory_stats() -> collections.OrderedDict:
    """Pinned host memory: ptjax's pinned tensors are ordinary host arrays (see ``Tensor.pin_memory``)."""
    return collections.OrderedDict()


def host_memory_stats_as_nested_dict() -> dict:
    return {}


def reset_accumulated_host_memory_stats():
    """Nothing accumulated (see ``host_memory_stats``)."""


def reset_peak_host_memory_stats():
    """Nothing tracked (see ``host_memory_stats``)."""
