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


_WHAT = {"__bool__": "Python control flow on a tensor's value (bool())", "item": "Tensor.item()",
         "tolist": "Tensor.tolist()", "numpy": "Tensor.numpy()", "__array__": "a tensor converted to a NumPy array",
         "__repr__": "printing a tensor", "__str__": "printing a tensor", "__format__": "printing a tensor",
         "__int__": "int() of a tensor", "__float__": "float() of a tensor", "__index__": "a tensor used as an index",
         "__len__": "len() of a tensor"}


def as_break(err):
    """A :class:`GraphBreak` for an exception raised while tracing, or None if it is not a graph break."""
    if isinstance(err, GraphBreak):
        return err
    if not isinstance(err, CONCRETIZATION):
        return None
    what, tb = None, err.__traceback__
    while tb is not None:   # the outermost Tensor method on the way to the error says what was asked for
        code = tb.tb_frame.f_code
        if what is None and code.co_name in _WHAT and code.co_filename.endswith("_tensor.py"):
            what = _WHAT[code.co_name]
        tb = tb.tb_next
    return GraphBreak(what or "a tensor's value needed in Python (a data-dependent shape or value)",
                      traceback_location(err.__traceback__))


_warned = set()


def report(brk, fn_name, fullgraph, *, runs_eagerly=True, stacklevel=5):
    """Warn once per location, or raise :class:`Unsupported` under ``fullgraph=True``."""
    tail = ("this call and later ones with the same inputs run eagerly (not compiled)" if runs_eagerly else
            "the compiled program returns the tensor and .item() converts it after the call")
    if fullgraph:
        raise Unsupported(f"ptjax.compile(fullgraph=True): graph break in {fn_name} at {brk.location}: {brk.reason}")
    msg = f"ptjax.compile: graph break in {fn_name} at {brk.location}: {brk.reason}; {tail}"
    key = (brk.location, brk.reason)
    if key not in _warned:
        _warned.add(key)
        warnings.warn(msg, UserWarning, stacklevel=stacklevel)
