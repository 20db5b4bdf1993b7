"""Where in the user's code something happened: the innermost frame outside ptjax and JAX."""
from __future__ import annotations

import os
import sys

import jax

_SKIP = (os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep,
         os.path.dirname(os.path.abspath(jax.__file__)) + os.sep)


def _is_user(filename):
    f = os.path.abspath(filename)
    return not f.startswith(_SKIP) and "jaxlib" not in f


def user_location(frame=None):
    """``file:line`` of the innermost user frame of the current stack (or of ``frame`` and its callers)."""
    f = frame or sys._getframe(1)
    while f is not None:
        if _is_user(f.f_code.co_filename):
            return f"{f.f_code.co_filename}:{f.f_lineno}"
        f = f.f_back
    return "<unknown location>"


def traceback_location(tb):
    """``file:line`` of the innermost user frame of an exception's traceback."""
    found = None
    while tb is not None:
        if _is_user(tb.tb_frame.f_code.co_filename):
            found = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}"
        tb = tb.tb_next
    return found or "<unknown location>"


def code_location(fn):
    """``'name' (file:line)`` of a function, for messages."""
    code = getattr(fn, "__code__", None)
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or type(fn).__name__
    if code is None:
        return f"'{name}'"
    return f"'{name}' ({code.co_filename}:{code.co_firstlineno})"
