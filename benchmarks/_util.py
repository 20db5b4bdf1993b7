"""Timing helpers shared by the benchmarks: medians over repeats, measured in one process."""
from __future__ import annotations

import statistics
import time


def median_times(contenders, *, repeats=7, min_time=0.2, warmup=3):
    """Median seconds per call for each of ``contenders`` ({name: fn or (fn, sync)}), rounds interleaved.

    Each contender first gets ``warmup`` untimed calls, so that one-off compiles (ptjax compiles a graph's fused
    backward the second time it sees it) neither land in a round nor make the calibration settle on one call
    per round. Then the number of calls per round is sized to ``min_time / repeats``, and the ``repeats``
    rounds go round-robin over the contenders: a burst of load on a shared machine slows all of them alike
    instead of one, so the ratios stay comparable.
    """
    runs = {}
    for name, c in contenders.items():
        fn, sync = c if isinstance(c, tuple) else (c, None)
        sync = sync or (lambda: None)
        for _ in range(warmup):
            fn()
        sync()
        number = 1
        while number < 1 << 20:
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            sync()
            if time.perf_counter() - t0 >= min_time / repeats:
                break
            number *= 2
        runs[name] = (fn, sync, number, [])
    for _ in range(repeats):
        for fn, sync, number, rounds in runs.values():
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            sync()
            rounds.append((time.perf_counter() - t0) / number)
    return {name: statistics.median(rounds) for name, (_, _, _, rounds) in runs.items()}


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
