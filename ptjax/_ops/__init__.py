"""The op table and the Tensor methods it generates.

Importing this package registers every op (``pointwise``, ``reduction``, ``shape``, ``indexing``, ``linalg``)
and installs, from each single entry, the function (``ptjax.X``), the method (``Tensor.X``) and the in-place
method (``Tensor.X_``). Python operators map onto the same entries.
"""
from __future__ import annotations

from .._tensor import Tensor
from . import creation, dispatch, indexing, linalg, pointwise, random, reduction, shape
from . import fft, special  # noqa: F401 - torch.fft / torch.special entries
from .dispatch import binary, call, inplace, install, unary
from .registry import TABLE, scalar_kind

T = TABLE


def _binop(name, reflected=False):
    o = TABLE[name]

    def f(self, other):
        if not isinstance(other, Tensor) and scalar_kind(other) is None:
            return NotImplemented
        return binary(o, self, other, reflected)
    f.__name__ = f"__{'r' if reflected else ''}{name}__"
    return f


def _iop(name):
    o = TABLE[name]

    def f(self, other):
        return inplace(o, self, (other,), {})
    f.__name__ = f"__i{name}__"
    return f


def _cmp(name, default):
    o = TABLE[name]

    def f(self, other):
        if not isinstance(other, Tensor) and scalar_kind(other) is None:
            return default
        return binary(o, self, other)
    return f


for _py, _name in [("add", "add"), ("sub", "sub"), ("mul", "mul"), ("truediv", "div"), ("floordiv", "floor_divide"),
                   ("mod", "remainder"), ("pow", "pow"), ("and", "bitwise_and"), ("or", "bitwise_or"),
                   ("xor", "bitwise_xor")]:
    setattr(Tensor, f"__{_py}__", _binop(_name))
    setattr(Tensor, f"__r{_py}__", _binop(_name, reflected=True))
    setattr(Tensor, f"__i{_py}__", _iop(_name))

for _py, _name in [("lt", "lt"), ("le", "le"), ("gt", "gt"), ("ge", "ge")]:
    setattr(Tensor, f"__{_py}__", _cmp(_name, NotImplemented))
Tensor.__eq__ = _cmp("eq", False)
Tensor.__ne__ = _cmp("ne", True)
Tensor.__neg__ = lambda self: unary(TABLE["neg"], self)
Tensor.__pos__ = lambda self: self
Tensor.__abs__ = lambda self: unary(TABLE["abs"], self)
Tensor.__invert__ = lambda self: call(TABLE["bitwise_not"], (self,), {})
Tensor.__matmul__ = lambda self, other: call(TABLE["matmul"], (self, other), {})
Tensor.__rmatmul__ = lambda self, other: call(TABLE["matmul"], (other, self), {})
Tensor.__getitem__ = indexing.getitem
Tensor.__setitem__ = indexing.setitem

# ---- methods that are not op-table entries ---------------------------------------------------------------------

Tensor.T = property(lambda self: call(TABLE["_reverse_dims"], (self,), {}))
Tensor.mT = property(lambda self: call(TABLE["_matrix_transpose"], (self,), {}))
Tensor.H = property(lambda self: call(TABLE["_reverse_dims"], (self,), {}).conj())
Tensor.mH = property(lambda self: call(TABLE["_matrix_transpose"], (self,), {}).conj())
Tensor.conj = lambda self: self if not self.dtype.is_complex else Tensor._make(self._value.conj())
Tensor.view_as = lambda self, other: call(TABLE["view"], (self, tuple(other.shape)), {})
Tensor.reshape_as = lambda self, other: call(TABLE["reshape"], (self, tuple(other.shape)), {})
Tensor.expand_as = lambda self, other: call(TABLE["expand"], (self, tuple(other.shape)), {})
Tensor.masked_select = indexing.masked_select
Tensor.nonzero = indexing.nonzero
Tensor.argwhere = indexing.argwhere
Tensor.unique = indexing.unique
Tensor.absolute_ = Tensor.abs_


def _contiguous(self, memory_format=None):
    return self if self.is_contiguous() else call(TABLE["_contiguous_copy"], (self,), {})


def _fill_(self, value):
    dispatch.check_inplace(self)
    from .shape import expand
    v = value if isinstance(value, Tensor) else creation.tensor(value, dtype=self.dtype)
    return dispatch.assign(self, expand(v.to(self.dtype), tuple(self.shape)), check_cast=False)


def _zero_(self):
    return _fill_(self, 0)


def _copy_(self, src, non_blocking=False):
    dispatch.check_inplace(self)
    if not isinstance(src, Tensor):
        src = creation.tensor(src)
    if src.device != self.device:
        src = src.to(self.device)
    return dispatch.assign(self, src, check_cast=False)


Tensor.contiguous = _contiguous
Tensor.fill_ = _fill_
Tensor.zero_ = _zero_
Tensor.copy_ = _copy_
for _name in ("uniform_", "normal_", "bernoulli_", "random_", "exponential_", "log_normal_"):
    setattr(Tensor, _name, getattr(random, _name))
Tensor.bernoulli = lambda self, p=None, *, generator=None: random.bernoulli(self, p, generator=generator)
Tensor.multinomial = lambda self, num_samples, replacement=False, *, generator=None: random.multinomial(
    self, num_samples, replacement, generator=generator)
Tensor.new_zeros = lambda self, *size, dtype=None, device=None, requires_grad=False: creation.zeros(
    *size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)
Tensor.new_ones = lambda self, *size, dtype=None, device=None, requires_grad=False: creation.ones(
    *size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)
Tensor.new_empty = Tensor.new_zeros
Tensor.new_full = lambda self, size, fill_value, *, dtype=None, device=None, requires_grad=False: creation.full(
    size, fill_value, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)
Tensor.dim_order = lambda self: tuple(range(self.ndim))


def public_functions():
    """{name: callable} for the ``ptjax`` namespace: every op-table entry that is a torch function."""
    return {o.name: o.public for o in TABLE.values() if o.function and not o.name.startswith("_")}
