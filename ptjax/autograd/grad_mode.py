"""Grad modes: ``no_grad``, ``enable_grad``, ``set_grad_enabled``, ``inference_mode``.

Each is a context manager and a decorator, as in torch. The current mode is one module-level flag read by every op.
"""
from __future__ import annotations

import functools


class _Mode:
    enabled = True


def is_grad_enabled() -> bool:
    return _Mode.enabled


class _GradModeContext:
    """Base of the grad-mode managers: sets ``_Mode.enabled`` on entry, restores it on exit."""

    _target: bool

    def __enter__(self):
        self._prev = _Mode.enabled
        _Mode.enabled = self._target
        return self

    def __exit__(self, *exc):
        _Mode.enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(*self._ctor_args()):
                return fn(*args, **kwargs)
        return wrapper

    def _ctor_args(self):
        return ()


class no_grad(_GradModeContext):
    _target = False


class enable_grad(_GradModeContext):
    _target = True


class set_grad_enabled(_GradModeContext):
    """Sets the mode at construction (usable as a plain call, like torch) and restores it on ``__exit__``."""

    def __init__(self, mode: bool):
        self._prev = _Mode.enabled
        self._target = bool(mode)
        _Mode.enabled = self._target

    def __enter__(self):
        return self

    def _ctor_args(self):
        return (self._target,)


class inference_mode(_GradModeContext):
    """Like ``no_grad`` (ptjax has no separate inference tensors: JAX arrays carry no version counters)."""

    def __init__(self, mode: bool = True):
        self._target = not mode

    def _ctor_args(self):
        return (not self._target,)


def is_inference_mode_enabled() -> bool:
    return False


class _Flag:
    """A switch torch's engine reads and ptjax's has no use for: kept and restored like torch's (usable as a plain
    call, a context manager or a decorator), with no effect on computation."""

    _value = True

    def __init__(self, mode=True):
        cls = type(self)
        self.prev, self.mode = cls._value, bool(mode)
        cls._value = self.mode

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        type(self)._value = self.prev

    def __call__(self, fn):
        type(self)._value = self.prev

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper

    def clone(self):
        return self.__class__(self.mode)


class set_multithreading_enabled(_Flag):
    """torch's multithreaded backward switch (ptjax's backward is one thread dispatching XLA programs)."""


class enforce_grad_layout_policy(_Flag):
    """torch's gradient-strides contract switch (ptjax's gradients are dense JAX arrays with no strides)."""
