"""torch.cpu: the CPU as a device module (one device, work done in order, streams and events that order nothing)."""
from __future__ import annotations

import contextlib
import os
import time

from ..backends.cpu import get_cpu_capability

__all__ = ["is_available", "is_initialized", "synchronize", "current_device", "current_stream", "stream",
           "set_device", "device_count", "Stream", "StreamContext", "Event", "get_capabilities"]


def is_available() -> bool:
    return True


def is_initialized() -> bool:
    return True


def synchronize(device=None):
    """Wait for queued CPU work: JAX may run CPU computations asynchronously, so wait for them."""
    import jax
    jax.effects_barrier()


def current_device() -> str:
    return "cpu"


def set_device(device):
    """The CPU is one device: nothing to select."""


def device_count() -> int:
    return 1


class Stream:
    """``torch.cpu.Stream``: CPU work runs in order; the methods are there and do nothing."""

    def __init__(self, priority: int = -1):
        self.priority = priority

    def wait_stream(self, stream):
        pass

    def record_event(self, event=None):
        return event if event is not None else Event()

    def wait_event(self, event):
        pass

    def query(self) -> bool:
        return True

    def synchronize(self):
        synchronize()


_DEFAULT_STREAM = Stream()
_CURRENT = [_DEFAULT_STREAM]


def current_stream(device=None) -> Stream:
    return _CURRENT[0]


class StreamContext(contextlib.AbstractContextManager):
    def __init__(self, stream):
        self.stream = stream
        self.prev = None

    def __enter__(self):
        self.prev = _CURRENT[0]
        if self.stream is not None:
            _CURRENT[0] = self.stream
        return self.stream

    def __exit__(self, *exc):
        _CURRENT[0] = self.prev
        return False


def stream(stream) -> StreamContext:
    return StreamContext(stream)


class Event:
    """``torch.cpu.Event``: a point in time on the CPU."""

    def __init__(self, enable_timing: bool = False):
        self.enable_timing = enable_timing
        self._time = None

    def record(self, stream=None):
        synchronize()
        self._time = time.perf_counter()

    def query(self) -> bool:
        return True

    def wait(self, stream=None):
        pass

    def synchronize(self):
        synchronize()

    def elapsed_time(self, end_event) -> float:
        return (end_event._time - self._time) * 1e3


def get_capabilities() -> dict:
    """What torch reports about the CPU, as far as the OS tells: the vector ISA and the core count."""
    return {"cpu_capability": get_cpu_capability(), "num_logical_cores": os.cpu_count()}
