"""``nn.Parameter`` and ``nn.Buffer``: tensors that a Module registers when assigned as attributes."""
from __future__ import annotations

import jax.numpy as jnp

from .. import _dtype as D
from .._tensor import Tensor


def _array_of(data):
    if data is None:
        return jnp.zeros((0,), D.get_default_dtype().np)
    if not isinstance(data, Tensor):
        raise TypeError(f"Parameter data must be a Tensor, not {type(data).__name__}")
    return data._value


class Parameter(Tensor):
    """A Tensor that is a module parameter: ``requires_grad=True`` by default; ``Module.__setattr__`` registers it.

    ``Parameter(t)`` holds ``t``'s current value (ptjax arrays are immutable, so this is the same as torch's
    storage sharing until one of the two is written in place).
    """

    def __new__(cls, data=None, requires_grad=True):
        t = cls._make(_array_of(data))
        t._requires_grad = bool(requires_grad)
        if requires_grad and not (t.dtype.is_floating_point or t.dtype.is_complex):
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        return t

    def __init__(self, data=None, requires_grad=True):
        pass  # everything happens in __new__ (Tensor.__init__ is torch's legacy constructor)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(Tensor._make(self._value), self._requires_grad)
        if self._grad is not None:
            result._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto):
        import numpy as np
        return (_rebuild_parameter, (np.asarray(self._value), self._requires_grad))


def _rebuild_parameter(a, requires_grad):
    return Parameter(Tensor._make(jnp.asarray(a)), requires_grad)


class Buffer(Tensor):
    """``nn.Buffer(tensor, persistent=True)``: assigning one to a Module attribute registers a buffer.

    Like torch, the registered buffer is a plain Tensor; the marker class is only used for assignment.
    """

    def __new__(cls, data=None, *, persistent=True):
        t = cls._make(_array_of(data))
        t.persistent = persistent
        return t

    def __init__(self, data=None, *, persistent=True):
        pass


def is_lazy(param):
    return False
