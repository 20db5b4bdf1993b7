"""torch.autograd.Variable, the legacy wrapper: ``Variable(t, requires_grad=True)`` returns a plain Tensor (a new leaf
sharing ``t``'s data, as torch's does), and every Tensor is an instance of ``Variable``."""
from __future__ import annotations

import warnings

__all__ = ["VariableMeta", "Variable"]


class VariableMeta(type):
    def __instancecheck__(cls, other):
        from .._tensor import Tensor   # this module loads with the autograd package, before Tensor exists
        return isinstance(other, Tensor)


class Variable(metaclass=VariableMeta):
    def __new__(cls, data=None, requires_grad=False, volatile=False):
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                          UserWarning, stacklevel=2)
        if data is None:
            from .._ops.creation import empty
            data = empty(0)
        if not isinstance(data, Variable):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        return data.detach().requires_grad_(requires_grad)
