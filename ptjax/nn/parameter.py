"""``nn.Parameter`` and ``nn.Buffer``: tensors that a Module registers when assigned as attributes; the
uninitialized placeholders of lazy modules (``UninitializedParameter``, ``UninitializedBuffer``)."""
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


_UNINITIALIZED_USE = ("Attempted to use an uninitialized parameter in {}. This error happens when you are using a "
                      "`LazyModule` or explicitly manipulating `torch.nn.parameter.UninitializedParameter` objects. "
                      "When using LazyModules Call `forward` with a dummy batch to initialize the parameters before "
                      "calling torch functions")


class UninitializedTensorMixin:
    """A placeholder of unknown shape: no data until :meth:`materialize` gives it a shape (and turns it into a
    ``cls_to_become``). Using it before raises torch's errors."""

    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None):
        """Give the placeholder real (uninitialized) storage of ``shape`` and turn it into ``cls_to_become``."""
        from .._ops import creation
        device = self.device if device is None else device
        dtype = self.dtype if dtype is None else dtype
        self.data = creation.empty(*((shape,) if isinstance(shape, int) else tuple(shape)), device=device,
                                   dtype=dtype)
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. This error usually happens "
                           "in `load_state_dict` when trying to load an uninitialized parameter into an initialized "
                           "one. Call `forward` to initialize the parameters before accessing their attributes.")

    def size(self, dim=None):
        return self.shape

    def share_memory_(self):
        raise RuntimeError("Can't share memory on an uninitialized parameter or buffer. Call `forward` to initialize "
                           "the parameters before calling `module.share_memory()`.")

    def __repr__(self):
        return f"<{self.__class__.__name__}>"

    __str__ = __repr__

    def __reduce_ex__(self, proto):
        return (self.__class__, (self.requires_grad,))


def _refuse_use(name):
    def refuse(self, *args, **kwargs):
        raise ValueError(_UNINITIALIZED_USE.format(f"<method '{name}' of 'torch._C.TensorBase' objects>"))
    refuse.__name__ = name
    return refuse


# arithmetic and reductions on a placeholder are errors (torch intercepts every op; these are the common ones)
for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__matmul__",
              "__neg__", "__getitem__", "add", "sub", "mul", "div", "matmul", "sum", "mean", "t", "view", "reshape",
              "numpy", "tolist", "item"):
    setattr(UninitializedTensorMixin, _name, _refuse_use(_name.strip("_")))


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A lazy module's parameter before its first forward; ``materialize`` turns it into a ``Parameter``."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from .._ops import creation
        t = cls._make(creation.empty(0, device=device, dtype=dtype)._value)
        t._requires_grad = bool(requires_grad)
        return t

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A lazy module's buffer before its first forward; ``materialize`` turns it into a plain Tensor."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None, persistent=True):
        from .._ops import creation
        t = cls._make(creation.empty(0, device=device, dtype=dtype)._value)
        t._requires_grad = bool(requires_grad)
        t.persistent = persistent
        return t

    def __init__(self, requires_grad=False, device=None, dtype=None, persistent=True):
        pass

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype, self.persistent)
        return memo[id(self)]


def is_lazy(param):
    """Whether ``param`` is an uninitialized placeholder of a lazy module."""
    return isinstance(param, UninitializedTensorMixin)
