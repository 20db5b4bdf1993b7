"""Every ``Tensor`` method that ``_tensor.py`` does not define, installed in one place: :func:`install`, called once
by ``ptjax/__init__.py``.

* From the op table: ``Tensor.X`` for each entry with ``method`` (under its name and aliases), ``Tensor.X_`` for
  each with ``inplace``; entries with a Python ``front`` (overloads such as ``max(input, other)``) use it.
* The Python operators, mapped onto the same entries.
* Methods that are not entries: views by another tensor's shape, ``fill_`` / ``copy_``, random in-place fills,
  ``new_*`` factories, indexing, ``backward``.
"""
from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from . import _deprecated
from . import _dtype as D
from . import _strides
from ._ops import creation, indexing, pointwise, random, reduction, registry, shape
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
                     ("xor", "bitwise_xor"), ("lshift", "bitwise_left_shift"), ("rshift", "bitwise_right_shift")]


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
    Tensor.__pos__ = pointwise.positive
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
    for name in ("conj", "resolve_conj", "resolve_neg", "is_conj", "is_neg", "positive", "allclose", "float_power",
                 "float_power_"):
        setattr(Tensor, name, getattr(pointwise, name))
    Tensor.real = property(pointwise.real)
    Tensor.imag = property(pointwise.imag)
    Tensor.histogram = reduction.histogram
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
    for name in ("masked_select", "nonzero", "argwhere", "unique", "unique_consecutive", "index_put", "index_put_"):
        setattr(Tensor, name, getattr(indexing, name))
    for name in ("uniform_", "normal_", "bernoulli_", "random_", "exponential_", "log_normal_", "cauchy_",
                 "geometric_"):
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
    for name in _deprecated.TENSOR_METHODS:  # Tensor.qr … (deprecated in torch, still there)
        setattr(Tensor, name, getattr(_deprecated, name))
    for name in ("hardshrink", "prelu"):  # nn functionals that torch also has as Tensor methods
        setattr(Tensor, name, _nn_method(name))
    _install_predicates_and_plumbing()


def _nn_method(name):
    """``Tensor.<name>`` calling ``nn.functional.<name>``, imported on first call (nn imports after the core)."""
    def method(self, *args, **kwargs):
        from .nn import functional
        return getattr(functional, name)(self, *args, **kwargs)
    method.__name__ = name
    return method


# ---- predicates, sizes, legacy and Python-protocol methods --------------------------------------------------------

def is_nonzero(input):
    """The truth value of a one-element tensor (torch's errors for none or several)."""
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return bool(input.item())


def is_same_size(input, other):
    return tuple(input.shape) == tuple(other.shape)


def is_signed(input):
    return input.dtype.is_signed


def equal(input, other):
    """True when both tensors have the same shape and elements."""
    return tuple(input.shape) == tuple(other.shape) and bool((input == other).all())


def sum_to_size(self, *size):
    """``self`` summed over the dims in which ``size`` (which must expand to self's shape) has 1 or none."""
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    lead = self.ndim - len(size)
    if lead < 0 or any(s not in (1, n) for s, n in zip(size, self.shape[lead:])):
        raise RuntimeError(f"size {{[{', '.join(map(str, size))}]}} is not expandable to size "
                           f"{{[{', '.join(map(str, self.shape))}]}}.")
    dims = tuple(range(lead)) + tuple(lead + k for k, s in enumerate(size) if s == 1 and self.shape[lead + k] != 1)
    out = self.sum(dims, keepdim=True) if dims else self
    return out.reshape(size) if tuple(out.shape) != size else out


def resize_(self, *sizes, memory_format=None):
    """Give ``self`` the shape ``sizes``, keeping its elements in row-major order: extra elements are zeros (torch
    leaves them uninitialised) and missing ones are dropped."""
    sizes = creation._size(sizes)
    if self._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    if tuple(sizes) == tuple(self.shape):
        return self
    if self._base is not None:
        raise RuntimeError("ptjax cannot resize a view to another shape: resize the tensor it views, or a clone()")
    n = int(np.prod(sizes, dtype=np.int64))
    flat = self._value.reshape(-1)
    flat = flat[:n] if flat.shape[0] >= n else jnp.concatenate([flat, jnp.zeros(n - flat.shape[0], flat.dtype)])
    self._data = flat.reshape(sizes)
    self._version += 1
    return self


def resize_as_(self, the_template, memory_format=None):
    return resize_(self, *the_template.shape)


def _elementwise_python(self, fn, *others):
    """``apply_`` / ``map_`` / ``map2_``: ``fn`` called on Python numbers, element by element (slow; CPU in torch)."""
    check_inplace(self)
    arrays = [np.broadcast_to(np.asarray(o._value), tuple(self.shape)) for o in others]
    here = np.asarray(self._value)
    out = np.array([fn(*(a.item() for a in vals)) for vals in zip(here.reshape(-1), *(a.reshape(-1) for a in arrays))],
                   dtype=here.dtype).reshape(here.shape)
    return assign(self, creation.tensor(out))


def _module_load(self, other, assign=False):
    """What ``load_state_dict`` loads into ``self`` from ``other`` when it swaps tensors (see ptjax.__future__):
    ``other`` itself (detached) with ``assign``, else ``self`` with ``other``'s values (detached)."""
    if assign:
        return other.detach()
    return self.copy_(other).detach()


def _new(self, *args, **kwargs):
    """``Tensor.new(...)``: the legacy constructor with this tensor's dtype and device."""
    return creation.legacy_new(self.dtype, *args, device=kwargs.get("device", self.device))


def set_(self, source=None, storage_offset=0, size=None, stride=None):
    """``self`` becomes a view of ``source``'s storage (whole, or the layout ``size``/``stride``/``storage_offset``
    in it): writes through either are seen by both. ``set_()`` makes ``self`` empty. (ptjax has no storage
    objects: ``source`` is a tensor.)"""
    check_inplace(self)
    if source is None:
        self._data, self._base, self._view = jnp.zeros(0, self.dtype.np), None, None
        self._version += 1
        return self
    if not isinstance(source, Tensor):
        raise TypeError(f"set_(): ptjax takes a Tensor as source (it has no storages), not {type(source).__name__}")
    if source.dtype is not self.dtype:
        raise RuntimeError(f"Could not set tensor of type {D.CPP_TYPE_NAME[source.dtype.name]} to a tensor of type "
                           f"{D.CPP_TYPE_NAME[self.dtype.name]}")
    root = _storage_owner(source)
    if root is self:
        raise RuntimeError("ptjax cannot make a tensor a view of its own storage: set_ it to a clone()")
    spec = source._spec() if size is None else (tuple(size), tuple(stride) if stride is not None else
                                               _strides.contiguous_strides(tuple(size)), int(storage_offset))
    self._base, self._view, self._diff_view = root, spec, False
    self._bver = root._version - 1  # stale: the value is gathered from the storage on first use
    self._data = jnp.zeros(spec[0], self.dtype.np)
    return self


def _storage_owner(t):
    return t._base if t._base is not None else t


def _setstate(self, state):
    """Legacy pickling support: a (data, _, _, requires_grad, backward_hooks) state."""
    if not self.is_leaf:
        raise RuntimeError("__setstate__ can be only called on leaf Tensors")
    if len(state) != 5:
        raise RuntimeError("ptjax cannot restore a tensor from a storage-based legacy state")
    self.data = state[0]
    self.requires_grad = state[3]


def _delitem(self, index):
    raise TypeError("Tensor does not support deleting items")


def _install_predicates_and_plumbing():
    for fn in (is_nonzero, is_same_size, is_signed, equal, sum_to_size, resize_, resize_as_, set_):
        setattr(Tensor, fn.__name__, fn)
    Tensor.resize_as = lambda self, the_template: call(TABLE["reshape"], (self, tuple(the_template.shape)), {})
    Tensor.is_inference = lambda self: False  # ptjax's inference_mode makes no special tensors
    Tensor.is_distributed = lambda self: False
    Tensor.is_set_to = lambda self, tensor: _storage_owner(self) is _storage_owner(tensor) and \
        self._spec() == tensor._spec()
    Tensor.is_nested = False
    Tensor.is_mps = False
    Tensor.name = None
    Tensor.itemsize = property(lambda self: self.dtype.itemsize)
    Tensor.nbytes = property(lambda self: self.dtype.itemsize * self.numel())
    Tensor.output_nr = property(lambda self: self._out_idx)
    Tensor.grad_dtype = property(lambda self: self.dtype)
    Tensor.const_data_ptr = lambda self: self.data_ptr()
    Tensor.to_dense = lambda self, dtype=None, *, masked_grad=None: self if dtype is None else self.to(dtype)
    Tensor.as_strided = shape.as_strided
    Tensor.as_strided_ = shape.metadata_inplace(shape.as_strided)
    Tensor.as_subclass = lambda self, cls: self if cls is Tensor or isinstance(self, cls) else cls(self)
    Tensor.module_load = _module_load
    Tensor.apply_ = lambda self, callable: _elementwise_python(self, callable)
    Tensor.map_ = lambda self, tensor, callable: _elementwise_python(self, callable, tensor)
    Tensor.map2_ = lambda self, x, y, callable: _elementwise_python(self, callable, x, y)
    Tensor.new = _new
    Tensor.new_empty_strided = lambda self, size, stride, *, dtype=None, device=None, requires_grad=False: \
        creation.empty_strided(size, stride, dtype=dtype or self.dtype, device=device or self.device,
                               requires_grad=requires_grad)
    Tensor.__reversed__ = lambda self: self if self.ndim == 0 else self.flip(0)
    Tensor.__delitem__ = _delitem
    Tensor.__array_wrap__ = lambda self, array, context=None, return_scalar=False: creation.from_numpy(
        np.ascontiguousarray(array))
    Tensor.__dlpack__ = lambda self, *args, **kwargs: self._value.__dlpack__(*args, **kwargs)
    Tensor.__dlpack_device__ = lambda self: self._value.__dlpack_device__()
    Tensor.__setstate__ = _setstate
