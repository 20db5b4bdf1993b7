"""Shared by the backend modules: torch's ``set_flags`` / ``flags`` over a module's attributes."""
from __future__ import annotations

import contextlib


def set_flags(module, **values):
    """Set the flags given (None: unchanged); return the previous values of all of them, as torch's set_flags."""
    previous = {name: getattr(module, name) for name in values}
    for name, value in values.items():
        if value is not None:
            setattr(module, name, value)
    return previous


@contextlib.contextmanager
def flags(module, **values):
    """Within the block the flags have the values given; restored after."""
    previous = set_flags(module, **values)
    try:
        yield
    finally:
        set_flags(module, **previous)
