"""``Tensor.item()`` inside a compiled function: the value is not known until the program has run.

:class:`DeferredScalar` stands for it while tracing. Returned from the function (``return loss.item()``), it
becomes one more output of the program, converted to a Python number after the call: the graph is not broken.
Any other use (arithmetic, comparison, ``float()``, formatting) needs the number in Python during the trace, so
it raises :class:`GraphBreak` and the call runs eagerly (or ``fullgraph=True`` reports it).
"""
from __future__ import annotations

from .breaks import GraphBreak
from .location import user_location


class DeferredScalar:
    """The result of ``Tensor.item()`` on a traced value; see the module docstring."""

    __slots__ = ("dtype", "location", "value")

    @classmethod
    def make(cls, cap, value, dtype):
        s = object.__new__(cls)
        s.value, s.dtype, s.location = value.reshape(()), dtype, user_location()
        cap.breaks.append((s.location, "Tensor.item()"))
        return s

    def _used(self, *args, **kwargs):
        raise GraphBreak("the Python number from Tensor.item() is used inside the compiled function", self.location)

    def __repr__(self):
        return "<the number of Tensor.item(), known once the compiled call has run>"


_USES = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
         "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__", "__rpow__", "__neg__", "__pos__",
         "__abs__", "__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__", "__bool__", "__float__", "__int__",
         "__index__", "__complex__", "__round__", "__format__", "__str__", "__hash__", "__iter__", "__len__",
         "__getitem__")
for _name in _USES:
    setattr(DeferredScalar, _name, DeferredScalar._used)
