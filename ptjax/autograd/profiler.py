"""torch.autograd.profiler, minimal: ``profile`` records wall-clock time of the ranges marked with
``record_function`` (nested ranges included) while it is active; ``key_averages()`` groups them by name and
``table()`` prints count, total and average time per name; ``export_chrome_trace`` writes them as a Chrome trace.

Differences from torch: individual ptjax ops are not recorded (one op is a JAX dispatch, often fused by XLA into a
larger program, so per-op timings would mislead); mark the regions you want timed with ``record_function``, or
use ``jax.profiler`` for device-level traces. Times are host wall-clock times around the range (JAX runs
asynchronously: call ``.item()`` or ``block_until_ready`` inside a range to include its device work).
"""
from __future__ import annotations

import json
import time
from collections import defaultdict

__all__ = ["profile", "record_function", "FunctionEvent", "EventList"]

_ACTIVE: list = []


class FunctionEvent:
    def __init__(self, name, start_us, end_us):
        self.name, self.start_us, self.end_us = name, start_us, end_us

    @property
    def cpu_time_total(self):
        return self.end_us - self.start_us

    def __repr__(self):
        return f"<FunctionEvent name={self.name} cpu_time_total={self.cpu_time_total:.3f}us>"


class _Average:
    def __init__(self, key):
        self.key, self.count, self.cpu_time_total = key, 0, 0.0

    @property
    def cpu_time(self):
        return self.cpu_time_total / max(self.count, 1)


class EventList(list):
    def key_averages(self):
        groups = defaultdict(lambda: None)
        for e in self:
            avg = groups[e.name] or _Average(e.name)
            avg.count += 1
            avg.cpu_time_total += e.cpu_time_total
            groups[e.name] = avg
        return _Averages(groups.values())

    def table(self, sort_by=None, row_limit=100, **kwargs):
        return self.key_averages().table(sort_by=sort_by, row_limit=row_limit)

    def export_chrome_trace(self, path):
        events = [{"name": e.name, "ph": "X", "ts": e.start_us, "dur": e.cpu_time_total, "pid": 0, "tid": 0}
                  for e in self]
        with open(path, "w") as f:
            json.dump({"traceEvents": events}, f)


class _Averages(list):
    def table(self, sort_by=None, row_limit=100, **kwargs):
        rows = sorted(self, key=lambda a: a.cpu_time_total, reverse=True) if sort_by else list(self)
        width = max([len("Name")] + [len(a.key) for a in rows])
        head = f"{'Name':<{width}}  {'CPU total':>12}  {'CPU time avg':>12}  {'# of Calls':>10}"
        lines = [head, "-" * len(head)]
        for a in rows[:row_limit]:
            lines.append(f"{a.key:<{width}}  {_fmt(a.cpu_time_total):>12}  {_fmt(a.cpu_time):>12}  {a.count:>10}")
        return "\n".join(lines)


def _fmt(us):
    return f"{us / 1e6:.3f}s" if us >= 1e6 else f"{us / 1e3:.3f}ms" if us >= 1e3 else f"{us:.3f}us"


def _now_us():
    return time.perf_counter_ns() / 1e3


class profile:
    """Collects the ``record_function`` ranges run while it is active (``enabled=False``: collects nothing); the
    other torch options are accepted."""

    def __init__(self, enabled=True, *, use_cuda=False, use_device=None, record_shapes=False, with_flops=False,
                 profile_memory=False, with_stack=False, with_modules=False, use_kineto=True, use_cpu=True,
                 experimental_config=None, acc_events=False, custom_trace_id_callback=None):
        self.enabled = enabled
        self._events = EventList()

    def __enter__(self):
        if self.enabled:
            _ACTIVE.append(self)
        return self

    def __exit__(self, *exc):
        if self.enabled:
            _ACTIVE.remove(self)
        return False

    def events(self):
        return self._events

    def key_averages(self, group_by_input_shape=False, group_by_stack_n=0):
        return self._events.key_averages()

    def table(self, sort_by=None, row_limit=100, **kwargs):
        return self._events.table(sort_by=sort_by, row_limit=row_limit)

    def export_chrome_trace(self, path):
        self._events.export_chrome_trace(path)

    def __str__(self):
        return self.table()


class record_function:
    """A named range (context manager or decorator) timed into every active ``profile``."""

    def __init__(self, name, args=None):
        self.name, self.args = name, args

    def __enter__(self):
        self._start = _now_us()
        return self

    def __exit__(self, *exc):
        end = _now_us()
        for prof in _ACTIVE:
            prof._events.append(FunctionEvent(self.name, self._start, end))
        return False

    def __call__(self, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with record_function(self.name, self.args):
                return fn(*args, **kwargs)
        return wrapper
