"""Running an op: the path from ``ptjax.add(x, y)`` to a wrapped, recorded result.

``call(op, args, kwargs)`` is the general path; ``binary``/``unary`` are fast paths for the commonest calls
(same-dtype operands, compatible Python scalars), which skip binding and promotion but end in the same kernels
and the same records.
"""
from __future__ import annotations

import functools
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .. import _strides
from .._device import _SEVERAL, same_device, to_device_of
from .._size import broadcast_shapes
from .._tensor import Tensor
from ..autograd.graph import Node, edge, record
from ..autograd.grad_mode import _Mode
from .registry import BINARY, COMPARE, FLOAT, SAME, TABLE, Op, compute_dtype, scalar_kind

_KIND = D.NP_KIND
_HOST = np.ndarray  # the storage class of host tensors (see _tensor.py)
_SK = {bool: 0, int: 1, float: 2, complex: 3}
_SK_CHAR = "bifc"
_TT = ("t", "t")
_BOTH = (True, True)
_new = object.__new__


def _aval(a):
    return (a.shape, a.dtype)


def _wants_grad(inputs):
    for t in inputs:
        if t is not None and t._requires_grad:
            return True
    return False


# ---- the general path ------------------------------------------------------------------------------------------

def _hashable(v):
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    if isinstance(v, Tensor):
        if v.ndim == 0:
            return v.item()
        return tuple(v.tolist())
    if isinstance(v, np.ndarray):
        return tuple(v.tolist())
    if isinstance(v, np.generic):
        return v.item()
    return v


def _operand_error(op, i, v):
    return TypeError(f"{op.name}(): argument '{op.names[i]}' (position {i + 1}) must be Tensor, "
                     f"not {type(v).__name__}")


AUTOCAST = None
"""Set by ``ptjax.amp`` while an autocast region is active: ``fn(op, bound values) -> bound values`` casts the
inputs of the ops on autocast's lists. The fast paths below defer to ``call`` while it is set."""


def call(op: Op, args, kwargs):
    vals = op.bind(args, kwargs)
    if AUTOCAST is not None:
        vals = AUTOCAST(op, vals)
    dyn, inputs, struct, static, tensors, scalars = [], [], [], [], [], []
    for i, v in enumerate(vals):
        if i not in op.tensor_pos:
            static.append(_hashable(v))
            continue
        if i in op.list_pos:
            seq = list(v) if not isinstance(v, Tensor) else list(v.unbind(0))
            for t in seq:
                if not isinstance(t, Tensor):
                    raise TypeError(f"expected Tensor as element {len(dyn)} in argument {i}, but got "
                                    f"{type(t).__name__}")
                dyn.append(t._value), inputs.append(t), tensors.append(t)
            struct.append(len(seq))
        elif isinstance(v, Tensor):
            dyn.append(v._value), inputs.append(v), tensors.append(v)
            struct.append("t")
        elif v is None:
            struct.append(None)
        else:
            k = scalar_kind(v)
            if k is None:
                raise _operand_error(op, i, v)
            dyn.append(v), inputs.append(None), scalars.append(k)
            struct.append(k)
    skip = {id(vals[i]) for i in op.keep_pos} if op.keep_pos else ()
    cast = compute_dtype(op.promote, tensors, scalars, skip)
    kernel = op.kernel(tuple(static), tuple(struct), cast)
    if op.check is not None:
        op.invoke(op.check, vals)
    if _SEVERAL[0] and len(tensors) > 1:  # only once a second device is in use (see _device.py)
        dyn = same_device(dyn, [t is not None for t in inputs])
    out = kernel.call(*dyn)
    return finish(op, kernel, out, dyn, inputs, vals)


def finish(op, kernel, out, dyn, inputs, vals):
    multi = isinstance(out, (tuple, list))
    arrays = out if multi else (out,)
    src = vals[0] if op.view and isinstance(vals[0], Tensor) else None
    if src is not None:
        outs = [_view_of(src, a, kernel, j) for j, a in enumerate(arrays)]
        outs = [o if o is not None else Tensor._make(a) for o, a in zip(outs, arrays)]
    else:
        outs = [Tensor._make(a) for a in arrays]
    if _Mode.enabled and op.differentiable and _wants_grad(inputs):
        record(kernel, dyn, inputs, outs)
    if op.out_fn is not None:
        return op.out_fn(outs)
    return tuple(outs) if multi else outs[0]


def _view_of(src, arr, kernel, j):
    """Wrap ``arr``, the result of view op ``kernel`` on ``src``, as a view sharing ``src``'s storage.

    The strided layout is derived only when needed (``_lazy_spec``) by running the kernel on an array of storage
    positions. ``reshape``-like ops decide view-or-copy eagerly, from strides (``op.view == "reshape"``).
    """
    if kernel.op.view == "reshape":
        shape, stride, offset = src._spec()
        new_stride = _strides.view_strides(shape, stride, arr.shape)
        if new_stride is None:
            return None  # a copy, as torch's reshape does for layouts a view cannot express
        t = src._make_view(arr, (tuple(arr.shape), new_stride, offset))
    else:
        t = src._make_view(arr, None)
        t._view_src = (src, kernel, j)
    return t


def lazy_spec(t):
    src, kernel, j = t._view_src
    shape, stride, offset = src._spec()
    idx = _strides.flat_indices(tuple(shape), tuple(stride), offset).reshape(shape)
    out = kernel.fn(jnp.asarray(idx))
    if isinstance(out, (tuple, list)):
        out = out[j]
    out = np.asarray(out)
    spec = infer_strided(out)
    del t._view_src
    t._view = spec
    return spec


def infer_strided(idx: np.ndarray):
    shape = idx.shape
    if idx.size == 0:
        return (shape, _strides.contiguous_strides(shape), 0)
    offset = int(idx.reshape(-1)[0])
    stride = []
    for d, s in enumerate(shape):
        if s > 1:
            unit = [0] * len(shape)
            unit[d] = 1
            stride.append(int(idx[tuple(unit)]) - offset)
        else:
            stride.append(_strides.contiguous_strides(shape)[d])
    if not np.array_equal(_strides.flat_indices(shape, tuple(stride), offset).reshape(shape), idx):
        raise RuntimeError("internal error: a view op produced a layout that is not strided")
    return (shape, tuple(stride), offset)


# ---- fast paths ------------------------------------------------------------------------------------------------

def binary(op: Op, a: Tensor, b, reflected=False):
    """``a (op) b`` for a Tensor ``a``: the operators and two-argument calls of binary ops.

    Two tensors of one dtype run ``op.fast`` (the entry's eager function under ``jax.jit``: JAX's C++ dispatch,
    cheaper than an eager ``jnp`` call); a Python scalar keeps the eager function, where JAX treats Python numbers
    specially (``x ** 2`` as an integer power)."""
    if AUTOCAST is not None:
        return call(op, (b, a) if reflected else (a, b), {})
    A = a._data
    if a._base is not None or A.__class__ is _HOST:  # views and host tensors go through _value
        A = a._value
    if isinstance(b, Tensor):
        B = b._data
        if b._base is not None or B.__class__ is _HOST:
            B = b._value
        if A.dtype != B.dtype or (op.promote == FLOAT and _KIND[A.dtype] < 2):
            return call(op, (b, a) if reflected else (a, b), {})
        if _SEVERAL[0]:
            A, B = same_device((A, B), _BOTH)
        if reflected:
            a, b, A, B = b, a, B, A
        out = _new(Tensor)
        out._data = (op.fast or _fast(op))(A, B)
        if _Mode.enabled and (a._requires_grad or b._requires_grad) and op.differentiable:
            record(op.kernel(op.default_static, _TT, None), (A, B), (a, b), (out,))
        return out
    sk = _SK.get(b.__class__)
    tk = _KIND[A.dtype]
    if sk is None or sk > tk or (op.promote == FLOAT and tk < 2):
        return call(op, (b, a) if reflected else (a, b), {})
    out = _new(Tensor)
    if reflected:
        B = np.asarray(b, A.dtype)
        out._data = op.eager(B, A)
        struct, dyn, inputs = (_SK_CHAR[sk], "t"), (B, A), (None, a)
    else:
        out._data = op.eager(A, b)
        struct, dyn, inputs = ("t", _SK_CHAR[sk]), (A, b), (a, None)
    if _Mode.enabled and a._requires_grad and op.differentiable:
        record(op.kernel(op.default_static, struct, None), dyn, inputs, (out,))
    return out


def _fast(op: Op):
    """``op.fast``: the entry's eager function under ``jax.jit``, what the fast paths run on arrays."""
    op.fast = jax.jit(op.eager)
    return op.fast


def unary(op: Op, a: Tensor):
    if AUTOCAST is not None:
        return call(op, (a,), {})
    A = a._data
    if a._base is not None or A.__class__ is _HOST:
        A = a._value
    if op.promote == FLOAT and _KIND[A.dtype] < 2:
        return call(op, (a,), {})
    out = _new(Tensor)
    out._data = (op.fast or _fast(op))(A)
    if _Mode.enabled and a._requires_grad and op.differentiable:
        record(op.kernel((), ("t",), None), (A,), (a,), (out,))
    return out


# ---- in-place --------------------------------------------------------------------------------------------------

def check_inplace(t: Tensor):
    if not _Mode.enabled:
        return
    if t._requires_grad and t._grad_fn is None and t._base is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    b = t._base
    if b is not None and t._diff_view and b._requires_grad and b._grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")


def _can_cast(src: D.dtype, dst: D.dtype) -> bool:
    return src._kind <= dst._kind


def assign(self: Tensor, res: Tensor, check_cast=True):
    """Make ``self`` hold ``res``'s value (in-place ops, ``copy_``, ``__setitem__``), with autograd history."""
    new = res._value
    if _SEVERAL[0]:  # a write copies across devices, as torch's copy_
        new = to_device_of(new, self._value)
    shape = self._data.shape if self._base is None else self._value.shape
    if new.shape != shape:
        try:
            bshape = broadcast_shapes(shape, new.shape)
        except RuntimeError:
            bshape = None
        if bshape != tuple(shape):
            raise RuntimeError(f"output with shape [{', '.join(map(str, shape))}] doesn't match the broadcast shape "
                               f"[{', '.join(map(str, bshape or new.shape))}]")
    sd = self.dtype
    if new.dtype != sd.np:
        if check_cast and not _can_cast(res.dtype, sd):
            raise RuntimeError(f"result type {D.SCALAR_TYPE_NAME[res.dtype.name]} can't be cast to the desired output "
                               "type "
                               f"{D.SCALAR_TYPE_NAME[sd.name]}")
        res = cast(res, sd)
        new = res._value
    if new.shape != shape:
        res = expand_to(res, shape)
        new = res._value
    base = self._base
    if base is None:
        old = self._data
        self._write(new)
        if _Mode.enabled and res._requires_grad and res._grad_fn is not None:
            self._grad_fn, self._out_idx, self._requires_grad = res._grad_fn, res._out_idx, True
        elif _Mode.enabled and (res._requires_grad or self._grad_fn is not None):
            # a leaf written in (x.copy_(leaf)) or a constant over a non-leaf (y.zero_()): as torch, self stays in
            # the graph (not a leaf): the overwrite as a whole-tensor CopySlices (zero gradient to the old value)
            spec = (tuple(shape), _strides.contiguous_strides(shape), 0)
            node = Node(TABLE["_copy_slices"].kernel(spec, ("t", "t"), None), (old, new),
                        (edge(self) if self._grad_fn is not None else None, edge(res) if res._requires_grad else None),
                        (_aval(new),))
            self._grad_fn, self._out_idx, self._requires_grad = node, 0, True
        return self
    old_base = base._data
    spec = self._spec()
    if len(set(_strides.flat_indices(*spec).tolist())) != int(np.prod(spec[0])):
        raise RuntimeError("unsupported operation: more than one element of the written-to tensor refers to a single "
                           "memory location. Please clone() the tensor before performing the operation.")
    self._write(new)
    if _Mode.enabled and self._diff_view and (res._requires_grad or base._requires_grad):
        # torch's CopySlices: the base now comes from scattering the new view value into the old base
        base_in = Tensor._make(old_base)
        if base._requires_grad:
            base_in._grad_fn, base_in._out_idx, base_in._requires_grad = base._grad_fn, base._out_idx, True
            if base._grad_fn is None:
                base_in = base
        k = TABLE["_copy_slices"].kernel(spec, ("t", "t"), None)
        node = Node(k, (old_base, new), (edge(base_in) if base._requires_grad else None,
                                         edge(res) if res._requires_grad else None),
                    (_aval(base._data),))
        base._grad_fn, base._out_idx, base._requires_grad = node, 0, True
        record_as_strided(self, base)
    return self


def record_as_strided(view: Tensor, base: Tensor):
    spec = view._spec()
    k = TABLE["_as_strided_view"].kernel(spec, ("t",), None)
    node = Node(k, (base._data,), (edge(base),), (_aval(view._data),))
    view._grad_fn, view._out_idx, view._requires_grad = node, 0, True


def inplace(op: Op, self: Tensor, args, kwargs):
    check_inplace(self)
    if not kwargs and len(args) == 1 and op.fast_binary:
        res = binary(op, self, args[0])
    elif not args and not kwargs and op.fast_unary:
        res = unary(op, self)
    else:
        res = call(op, (self,) + tuple(args), kwargs)
    return assign(self, res)


# ---- helpers used by Tensor methods ----------------------------------------------------------------------------

def cast(t: Tensor, dtype: D.dtype) -> Tensor:
    return call(TABLE["_to_copy"], (t, dtype), {})


def expand_to(t: Tensor, shape) -> Tensor:
    return call(TABLE["expand"], (t, tuple(shape)), {})


def move_to_device(t: Tensor, jax_device) -> Tensor:
    return call(TABLE["_device_put"], (t, jax_device), {})


# ---- the callable forms of an entry (``ptjax.X``, ``Tensor.X``, ``Tensor.X_``) -----------------------------------

def prepare(op: Op):
    """Decide, once per entry, which fast path its calls may take."""
    static_defaults = tuple(d for i, d in enumerate(op.defaults) if i not in op.tensor_pos)
    op.default_static = tuple(_hashable(d) for d in static_defaults)
    op.fast_binary = (len(op.tensor_pos) == 2 and op.tensor_pos == (0, 1) and not op.list_pos and not op.view
                      and op.check is None and op.promote in (BINARY, FLOAT, COMPARE, SAME) and op.out_fn is None)
    op.fast_unary = (len(op.names) == 1 and op.tensor_pos == (0,) and not op.view and op.check is None
                     and op.promote in (SAME, FLOAT) and op.out_fn is None)
    op.fast = None  # compiled by _fast() on first use: modules may still wrap op.eager after registration
    # torch's functions take ``out=`` (its Tensor methods do not); views have none. The nn functionals (entries of
    # ptjax.nn, whose public face is nn.functional) have none either.
    op.takes_out = not op.view and getattr(op.fn, "__module__", "").startswith("ptjax._ops.")


def _named(fn, name, doc):
    fn.__name__ = name
    fn.__doc__ = doc
    return fn


def public_function(op: Op, name):
    """``ptjax.<name>``: the fast path when the call fits it, else the general one (``out=`` included)."""
    takes_out = op.takes_out
    if op.fast_binary:
        def fn(*args, **kwargs):
            if not kwargs and len(args) == 2 and isinstance(args[0], Tensor):
                return binary(op, args[0], args[1])
            if takes_out and "out" in kwargs:
                return call_out(name, op, args, kwargs)
            return call(op, args, kwargs)
    elif op.fast_unary:
        def fn(*args, **kwargs):
            if not kwargs and len(args) == 1 and isinstance(args[0], Tensor):
                return unary(op, args[0])
            if takes_out and "out" in kwargs:
                return call_out(name, op, args, kwargs)
            return call(op, args, kwargs)
    else:
        def fn(*args, **kwargs):
            if kwargs and takes_out and "out" in kwargs:
                return call_out(name, op, args, kwargs)
            return call(op, args, kwargs)
    fn.op = op
    return _named(fn, name, op.fn.__doc__)


def method(op: Op, name):
    """``Tensor.<name>``: the entry's public function with ``self`` first."""
    if op.front is not None:
        front = op.front

        def method(self, *args, **kwargs):
            return front(self, *args, **kwargs)
    elif op.fast_binary:
        def method(self, *args, **kwargs):
            if not kwargs and len(args) == 1:
                return binary(op, self, args[0])
            return call(op, (self,) + args, kwargs)
    elif op.fast_unary:
        def method(self, *args, **kwargs):
            if not args and not kwargs:
                return unary(op, self)
            return call(op, (self,) + args, kwargs)
    else:
        def method(self, *args, **kwargs):
            return call(op, (self,) + args, kwargs)
    return _named(method, name, op.fn.__doc__)


def inplace_method(op: Op, name):
    """``Tensor.<name>_``: the op, then its result written into ``self``."""
    def method_(self, *args, **kwargs):
        return inplace(op, self, args, kwargs)
    return _named(method_, name + "_", op.fn.__doc__)


# ---- ``out=`` ------------------------------------------------------------------------------------------------------

def call_out(name, op: Op, args, kwargs):
    """``call`` with torch's ``out=`` in ``kwargs``: the result is written into ``out`` (a tensor, or a tuple of
    them for ops with several outputs), which is returned."""
    kwargs = dict(kwargs)
    out = kwargs.pop("out")
    if out is None:
        return call(op, args, kwargs)
    result = call(op, args, kwargs)
    if isinstance(result, (tuple, list)):
        if not isinstance(out, (tuple, list)) or len(out) != len(result):
            raise TypeError(f"{name}(): argument 'out' must be tuple of {len(result)} Tensors")
        for o, r in zip(out, result):
            if isinstance(o, Tensor) and o.dtype is not r.dtype:
                raise RuntimeError(f"Expected out tensor to have dtype {D.CPP_TYPE_NAME[r.dtype.name]}, but got "
                                   f"{D.CPP_TYPE_NAME[o.dtype.name]} instead")
        written = [write_out(name, o, r) for o, r in zip(out, result)]
        return op.out_fn(written) if op.out_fn is not None else tuple(written)
    return write_out(name, out, result)


RESIZE_WARNING = ("An output with one or more elements was resized since it had shape {}, which does not match the "
                  "required output shape {}. This behavior is deprecated, and in a future PyTorch release outputs "
                  "will not be resized unless they have zero elements. You can explicitly reuse an out tensor t by "
                  "resizing it, inplace, to zero elements with t.resize_(0).")


def write_out(name, out, result: Tensor, warn_resize=True):
    """Write ``result`` into ``out`` as torch does for ``out=``: a differently shaped ``out`` is resized (with torch's
    deprecation warning when it had elements, unless ``warn_resize`` is False, as for factories); the result is cast
    to ``out``'s dtype where torch allows the cast; ``out`` loses any autograd history. Returns ``out``."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if _Mode.enabled and (result._requires_grad or out._requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic differentiation, but "
                           "one of the arguments requires grad.")
    shape = tuple(result.shape)
    if tuple(out.shape) != shape:
        if out.numel() and warn_resize:
            warnings.warn(RESIZE_WARNING.format(list(out.shape), list(shape)), UserWarning, stacklevel=4)
        if out._base is not None:
            raise RuntimeError(f"{name}(): ptjax cannot resize a view given as out= (shape {list(out.shape)}, needed "
                               f"{list(shape)}): pass a tensor of the result's shape, or one that owns its storage")
        out._data = jnp.zeros(shape, out.dtype.np)
        out._version += 1
    return assign(out, result)


def factory_out(factory):
    """torch's ``out=`` for a factory (``zeros``, ``arange``, ``rand`` …): the result, in ``out``'s dtype unless
    ``dtype`` is given, written into ``out`` (resized without a warning, as torch's factories do)."""
    return _with_out(factory, factory=True)


def function_out(fn):
    """torch's ``out=`` for a function that is not an op-table entry (``float_power``, ``nonzero`` …)."""
    return _with_out(fn, factory=False)


def _with_out(fn, factory):
    @functools.wraps(fn)
    def with_out(*args, out=None, **kwargs):
        if out is None:
            return fn(*args, **kwargs)
        if factory and isinstance(out, Tensor) and kwargs.get("dtype") is None:
            kwargs["dtype"] = out.dtype
        return write_out(fn.__name__, out, fn(*args, **kwargs), warn_resize=not factory)
    return with_out
