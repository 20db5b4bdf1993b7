"""Every ``Tensor`` method that ``_tensor.py`` does not define, installed in one place: :func:`install`, called once
by ``ptjax/__init__.py``.

* From the op table: ``Tensor.X`` for each entry with ``method`` (under its name and aliases), ``Tensor.X_`` for
  each with ``inplace``; entries with a Python ``front`` (overloads such as ``max(input, other)``) use it.
* The Python operators, mapped onto the same entries.
* Methods that are not entries: views by another tensor's shape, ``fill_`` / ``copy_``, random in-place fills,
  ``new_*`` factories, indexing, ``backward``.
"""
from __future__ import annotations

from ._ops import creation, indexing, random, registry, shape
from ._ops.dispatch import assign, binary, call, check_inplace, inplace, inplace_method, method, unary
from ._ops.pointwise import where_method
from ._ops.registry import TABLE, entries, scalar_kind
from ._tensor import Tensor


def install():
    """Install the methods; entries registered afterwards (a module imported later) get theirs at registration."""
    for o in entries():
        install_entry(o)
    _install_operators()
    _install_other_methods()
    registry.late_install = install_entry


def install_entry(o):
    names = (o.name, *o.aliases)
    for name in (o.method,) if isinstance(o.method, str) else names if o.method else ():
        setattr(Tensor, name, method(o, name))
    for name in names if o.inplace else ():
        setattr(Tensor, name + "_", inplace_method(o, name))


# ---- Python operators --------------------------------------------------------------------------------------------

_BINARY_OPERATORS = [("add", "add"), ("sub", "sub"), ("mul", "mul"), ("truediv", "div"), ("floordiv", "floor_divide"),
                     ("mod", "remainder"), ("pow", "pow"), ("and", "bitwise_and"), ("or", "bitwise_or"),
                     ("xor", "bitwise_xor")]


def _binop(name, reflected=False):
    o = TABLE[name]

    def f(self, other):
        if not isinstance(other, Tensor) and scalar_kind(other) is None:
            return NotImplemented
        return binary(o, self, other, reflected)
    return f


def _iop(name):
    o = TABLE[name]

    def f(self, other):
        return inplace(o, self, (other,), {})
    return f


def _cmp(name, default):
    """A comparison operator; ``default`` for an operand that is neither a tensor nor a number."""
    o = TABLE[name]

    def f(self, other):
        if not isinstance(other, Tensor) and scalar_kind(other) is None:
            return default
        return binary(o, self, other)
    return f


def _install_operators():
    for py, name in _BINARY_OPERATORS:
        setattr(Tensor, f"__{py}__", _binop(name))
        setattr(Tensor, f"__r{py}__", _binop(name, reflected=True))
        setattr(Tensor, f"__i{py}__", _iop(name))
    for py in ("lt", "le", "gt", "ge"):
        setattr(Tensor, f"__{py}__", _cmp(py, NotImplemented))
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


# ---- methods that are not op-table entries -----------------------------------------------------------------------

def _contiguous(self, memory_format=None):
    return self if self.is_contiguous() else call(TABLE["_contiguous_copy"], (self,), {})


def _fill_(self, value):
    check_inplace(self)
    v = value if isinstance(value, Tensor) else creation.tensor(value, dtype=self.dtype)
    return assign(self, shape.expand(v.to(self.dtype), tuple(self.shape)), check_cast=False)


def _zero_(self):
    return _fill_(self, 0)


def _copy_(self, src, non_blocking=False):
    check_inplace(self)
    if not isinstance(src, Tensor):
        src = creation.tensor(src)
    if src.device != self.device:
        src = src.to(self.device)
    return assign(self, src, check_cast=False)


def _new_factory(factory):
    """``Tensor.new_zeros`` …: ``factory`` with this tensor's dtype and device unless given."""
    def new(self, *size, dtype=None, device=None, requires_grad=False):
        return factory(*size, dtype=dtype or self.dtype, device=device or self.device, requires_grad=requires_grad)
    return new


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return creation.full(size, fill_value, dtype=dtype or self.dtype, device=device or self.device,
                         requires_grad=requires_grad)


def _backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    from .autograd import backward
    backward(self, gradient, retain_graph, create_graph, inputs=inputs)


def _install_other_methods():
    Tensor.T = property(lambda self: call(TABLE["_reverse_dims"], (self,), {}))
    Tensor.mT = property(lambda self: call(TABLE["_matrix_transpose"], (self,), {}))
    Tensor.H = property(lambda self: call(TABLE["_reverse_dims"], (self,), {}).conj())
    Tensor.mH = property(lambda self: call(TABLE["_matrix_transpose"], (self,), {}).conj())
    Tensor.conj = lambda self: self if not self.dtype.is_complex else Tensor._make(self._value.conj())
    Tensor.view_as = lambda self, other: call(TABLE["view"], (self, tuple(other.shape)), {})
    Tensor.reshape_as = lambda self, other: call(TABLE["reshape"], (self, tuple(other.shape)), {})
    Tensor.expand_as = lambda self, other: call(TABLE["expand"], (self, tuple(other.shape)), {})
    Tensor.where = where_method
    Tensor.contiguous = _contiguous
    Tensor.fill_ = _fill_
    Tensor.zero_ = _zero_
    Tensor.copy_ = _copy_
    for name, reorders in (("squeeze", False), ("unsqueeze", False), ("t", True), ("transpose", True),
                           ("swapaxes", True), ("swapdims", True)):
        setattr(Tensor, name + "_", shape.metadata_inplace(TABLE[name].functions[name], reorders))
    for name in ("masked_select", "nonzero", "argwhere", "unique", "index_put", "index_put_"):
        setattr(Tensor, name, getattr(indexing, name))
    for name in ("uniform_", "normal_", "bernoulli_", "random_", "exponential_", "log_normal_"):
        setattr(Tensor, name, getattr(random, name))
    Tensor.bernoulli = lambda self, p=None, *, generator=None: random.bernoulli(self, p, generator=generator)
    Tensor.multinomial = lambda self, num_samples, replacement=False, *, generator=None: random.multinomial(
        self, num_samples, replacement, generator=generator)
    Tensor.new_zeros = _new_factory(creation.zeros)
    Tensor.new_ones = _new_factory(creation.ones)
    Tensor.new_empty = Tensor.new_zeros
    Tensor.new_full = _new_full
    Tensor.dim_order = lambda self: tuple(range(self.ndim))
    Tensor.backward = _backward
