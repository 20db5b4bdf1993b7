"""Graph breaks: a compiled function that needs a tensor's value in Python.

ptjax does not split a function into several programs around such a spot. The call that hits one runs eagerly
(with correct results), and so do later calls with the same guards; a warning names the file and line once.
``fullgraph=True`` turns it into :class:`Unsupported`. One case is not a break of the program: a
``Tensor.item()`` whose number is only returned (see :mod:`ptjax._compile.scalars`).
"""
from __future__ import annotations

import warnings

import jax

from .location import traceback_location


class GraphBreak(Exception):
    """The function needs a tensor's value in Python: it cannot become one program."""

    def __init__(self, reason, location):
        super().__init__(f"{reason} at {location}")
        self.reason, self.location = reason, location


class Unsupported(RuntimeError):
    """``torch._dynamo.exc.Unsupported``: raised for a graph break under ``fullgraph=True``."""


CONCRETIZATION = (jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError,
                  jax.errors.TracerBoolConversionError, jax.errors.TracerIntegerConversionError)


def as_break(err):
    """A :class:`GraphBreak` for an exception raised while tracing, or None if it is not a graph break."""
    if isinstance(err, GraphBreak):
        return err
    if isinstance(err, CONCRETIZATION):
        kind = {jax.errors.TracerBoolConversionError: "Python control flow (bool) on a tensor's value",
                jax.errors.TracerIntegerConversionError: "a tensor's value used as a Python int"}.get(
            type(err), "a tensor's value needed in Python (.item(), .tolist(), .numpy(), print, data-dependent "
                       "shape)")
        return GraphBreak(kind, traceback_location(err.__traceback__))
    return None


_warned = set()


def report(brk, fn_name, fullgraph, *, runs_eagerly=True):
    """Warn once per location, or raise :class:`Unsupported` under ``fullgraph=True``."""
    tail = ("this call and later ones with the same inputs run eagerly (not compiled)" if runs_eagerly else
            "the compiled program returns the tensor and .item() converts it after the call")
    msg = f"ptjax.compile: graph break in {fn_name} at {brk.location}: {brk.reason}; {tail}"
    if fullgraph:
        raise Unsupported(msg.replace("graph break", "graph break (fullgraph=True)", 1))
    key = (brk.location, brk.reason)
    if key not in _warned:
        _warned.add(key)
        warnings.warn(msg, UserWarning, stacklevel=4)
