"""torch.cuda streams and events over JAX, which runs each device's work in order on streams XLA manages.

A :class:`Stream` here orders nothing (XLA already does): it keeps torch's objects and semantics (current stream,
``with torch.cuda.stream(s)``, ``wait_stream``, ``query``), so scripts that use them run unchanged. An
:class:`Event` with ``enable_timing=True`` measures what torch's does, the device time between two records: recording
waits for the device's queued work, then reads the clock.
"""
from __future__ import annotations

import threading
import time

import jax.numpy as jnp

from .. import _device
from .._device import check_cuda, placed_jit


@placed_jit()
def _marker():
    return jnp.zeros((), jnp.int32)


def _drain(jd):
    """Wait until the work queued on ``jd`` so far has run: a tiny computation queued behind it, awaited."""
    _marker(jd).block_until_ready()


def synchronize(device=None):
    """Wait for all queued work on the device (JAX dispatches asynchronously)."""
    from . import _jax_device
    _drain(_jax_device(device))


class Stream:
    """``torch.cuda.Stream(device=None, priority=0)``: a handle with torch's methods; XLA schedules the work."""

    def __init__(self, device=None, priority=0, **kwargs):
        if not _device.cuda_is_available():
            raise RuntimeError("torch.cuda.Stream requires CUDA support")
        from . import _device_index
        self.device = _device.device("cuda", _device_index(device))
        self.priority = priority
        self.stream_id = 0 if kwargs.get("_default") else id(self)

    @property
    def device_index(self):
        return self.device.index

    @property
    def cuda_stream(self):
        return self.stream_id

    def query(self) -> bool:
        """Whether all work queued so far has finished: the device is drained first, so always True."""
        self.synchronize()
        return True

    def synchronize(self):
        synchronize(self.device)

    def wait_event(self, event):
        event.wait(self)

    def wait_stream(self, stream):
        """Work on this stream waits for ``stream``'s: already so, one device runs its work in order."""

    def record_event(self, event=None):
        event = event if event is not None else Event()
        event.record(self)
        return event

    def __eq__(self, other):
        return isinstance(other, Stream) and (self.device, self.stream_id) == (other.device, other.stream_id)

    def __hash__(self):
        return hash((self.device, self.stream_id))

    def __repr__(self):
        return f"<torch.cuda.Stream device={self.device} cuda_stream={hex(self.stream_id)}>"


class _Current(threading.local):
    stream = None  # the stream set by set_stream / with stream(...) in this thread


_CURRENT = _Current()
_DEFAULT = {}


def default_stream(device=None) -> Stream:
    check_cuda()
    from . import _device_index
    index = _device_index(device)
    s = _DEFAULT.get(index)
    if s is None:
        s = _DEFAULT[index] = Stream(index, _default=True)
    return s


def current_stream(device=None) -> Stream:
    check_cuda()
    s = _CURRENT.stream
    if s is not None and (device is None or s.device == default_stream(device).device):
        return s
    return default_stream(device)


def set_stream(stream: Stream):
    if stream is not None:
        _CURRENT.stream = stream


class StreamContext:
    """``with torch.cuda.stream(s):``: ``s`` is the current stream within (None: no change)."""

    def __init__(self, stream):
        self.stream = stream
        self.prev = None

    def __enter__(self):
        self.prev = _CURRENT.stream
        if self.stream is not None:
            _CURRENT.stream = self.stream
        return self.stream

    def __exit__(self, *exc):
        _CURRENT.stream = self.prev
        return False


def stream(stream) -> StreamContext:
    return StreamContext(stream)


class Event:
    """``torch.cuda.Event(enable_timing=False, blocking=False, interprocess=False)``.

    ``record()`` waits for the device's queued work before it reads the clock, so ``elapsed_time`` is the device time
    between two records, in milliseconds, as torch's (the wait itself is what differs: torch records asynchronously).
    """

    def __init__(self, enable_timing=False, blocking=False, interprocess=False):
        if not _device.cuda_is_available():
            raise RuntimeError("Tried to instantiate dummy base class Event")
        self.enable_timing, self.blocking, self.interprocess = enable_timing, blocking, interprocess
        self._time = None
        self._device = None

    def record(self, stream=None):
        stream = stream if stream is not None else current_stream()
        stream.synchronize()
        self._time, self._device = time.perf_counter(), stream.device

    def wait(self, stream=None):
        """Make ``stream``'s future work wait for this event: already so (one device runs its work in order)."""

    def query(self) -> bool:
        return True

    def synchronize(self):
        if self._device is not None:
            synchronize(self._device)

    def elapsed_time(self, end_event) -> float:
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
        if self._time is None or end_event._time is None:
            raise RuntimeError("Both events must be recorded before calculating elapsed time.")
        return (end_event._time - self._time) * 1e3

    def __repr__(self):
        return f"<torch.cuda.Event {'recorded' if self._time is not None else 'uninitialized'}>"
