"""torch.backends.cpu."""
from __future__ import annotations

import functools


@functools.lru_cache(None)
def get_cpu_capability() -> str:
    """The widest vector instruction set of this CPU, in torch's words ("AVX512", "AVX2", "DEFAULT" …)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f if line.startswith("flags")), [])
    except OSError:
        flags = []
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= set(flags):
        return "AVX512"
    if "avx2" in flags:
        return "AVX2"
    return "DEFAULT"
