"""Timing helpers shared by the benchmarks: medians over repeats, measured in one process."""
from __future__ import annotations

import statistics
import time


def median_time(fn, *, repeats=7, number=None, min_time=0.2, sync=None):
    """Median seconds per call of ``fn`` over ``repeats`` timed rounds (``number`` calls each, auto-sized)."""
    fn()
    if sync:
        sync()
    if number is None:
        number, t = 1, 0.0
        while True:
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            if sync:
                sync()
            t = time.perf_counter() - t0
            if t >= min_time / repeats or number >= 1 << 20:
                break
            number *= 2
    rounds = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        if sync:
            sync()
        rounds.append((time.perf_counter() - t0) / number)
    return statistics.median(rounds)


def fmt(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:8.2f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:8.2f} ms"
    return f"{seconds:8.2f} s "


def try_import_torch():
    try:
        import torch
        torch.set_num_threads(1)
        return torch
    except ImportError:
        return None
