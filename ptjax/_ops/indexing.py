"""Indexing: ``x[idx]`` (basic indexing gives views, advanced indexing gathers), ``x[idx] = v``, and the
index ops ``index_select``, ``gather``, ``scatter``, ``masked_select`` …

An index is split into a static *pattern* (ints, slices, None, Ellipsis, and a placeholder per tensor index) and
the dynamic index arrays. Boolean masks are turned into integer indices eagerly (their result shape depends on
their values, which a compiled kernel cannot have), so every kernel here has static shapes.
"""
from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._device import several_in_use, to_jax_device
from .._tensor import Tensor
from ..autograd.grad_mode import is_grad_enabled as _grad_enabled
from .registry import op

_T = "T"  # placeholder for a tensor index in a pattern


def _rebuild(pattern, arrays):
    it = iter(arrays)
    out = []
    for p in pattern:
        if p == _T:
            out.append(next(it))
        elif isinstance(p, tuple) and p[0] == "s":
            out.append(slice(*p[1:]))
        elif p == "...":
            out.append(Ellipsis)
        elif isinstance(p, tuple) and p[0] == "b":
            out.append(np.array(p[1]))  # a concrete 0-d mask (a Python bool would be read as the integer 0/1)
        else:
            out.append(p)
    return tuple(out)


def _basic_index_grad_name(static):
    """torch applies a basic index item by item; its grad_fn is that of the last item applied."""
    items = [p for p in static[0] if p != "..."]
    if not items:
        return "AliasBackward0"
    last = items[-1]
    return "UnsqueezeBackward0" if last is None else "SelectBackward0" if isinstance(last, int) else "SliceBackward0"


@op(view=True, grad_name=_basic_index_grad_name, method=False, function=False)
def _index_basic(input, pattern):
    return input[_rebuild(pattern, ())]


@op(tensors=("input", "indices_list"), jit=True, grad_name="IndexBackward0", method=False, function=False)
def _index(input, indices_list, pattern):
    return input[_rebuild(pattern, indices_list)]


@op(tensors=("input", "indices_list", "values"), jit=True, grad_name="IndexPutBackward0", method=False,
    function=False)
def _index_put(input, indices_list, values, pattern, accumulate=False):
    idx = _rebuild(pattern, indices_list)
    values = values.astype(input.dtype) if hasattr(values, "astype") else values
    return input.at[idx].add(values) if accumulate else input.at[idx].set(values)


def parse_index(x: Tensor, index):
    """(pattern, index tensors, basic?) for ``x[index]``, with torch's errors for bad indices."""
    if not isinstance(index, tuple):
        index = (index,)
    pattern, tensors = [], []
    dim = 0
    shape = x.shape
    n_real = sum(1 for i in index if i is not None and i is not Ellipsis and not isinstance(i, bool)
                 and not (isinstance(i, Tensor) and i.dtype is D.bool))
    n_real += sum(i.ndim for i in index if isinstance(i, Tensor) and i.dtype is D.bool)
    if n_real > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    for i in index:
        if i is None:
            pattern.append(None)
        elif i is Ellipsis:
            pattern.append("...")
            dim = len(shape) - (n_real - dim)
        elif isinstance(i, bool) or (isinstance(i, Tensor) and i.dtype is D.bool and i.ndim == 0):
            # x[True] adds a dim of size 1, x[False] one of size 0; tagged, since True == 1 as a kernel cache key
            pattern.append(("b", bool(i)))
        elif isinstance(i, (int, np.integer)):
            n = shape[dim]
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {n}")
            pattern.append(int(i))
            dim += 1
        elif isinstance(i, slice):
            if i.step is not None and i.step == 0:
                raise ValueError("slice step cannot be zero")
            if i.step is not None and i.step < 0:
                raise ValueError("step must be greater than zero")
            pattern.append(("s", _int_or_none(i.start), _int_or_none(i.stop), _int_or_none(i.step)))
            dim += 1
        else:
            if isinstance(i, (float, complex, str)) or i is NotImplemented:
                raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
                                 f"are valid indices (got {type(i).__name__})")
            if not isinstance(i, Tensor):
                from .creation import tensor as _tensor
                i = _tensor(i)
            if i.dtype is D.bool or i.dtype is D.uint8:
                if i.dtype is D.uint8:
                    i = i.bool()
                for d, s in enumerate(i.shape):
                    if shape[dim + d] != s:
                        raise IndexError(f"The shape of the mask {list(i.shape)} at index {d} does not match the shape "
                                         f"of the indexed tensor {list(shape)} at index {dim + d}")
                nz = np.nonzero(np.asarray(i._value))
                for a in nz:
                    pattern.append(_T)
                    tensors.append(_host_result(np.asarray(a, dtype=np.int64), x))
                dim += i.ndim
                continue
            if i.dtype.is_floating_point or i.dtype.is_complex:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            _check_bounds(i, shape[dim], dim)
            pattern.append(_T)
            tensors.append(i.to(x.device) if several_in_use() else i)  # CPU indices serve any device, as in torch
            dim += 1
    return tuple(pattern), tensors


def _host_result(a: np.ndarray, like: Tensor) -> Tensor:
    """A result computed on the host (``nonzero``, ``unique`` …) as a tensor on ``like``'s device."""
    return Tensor._make(jax.device_put(a, to_jax_device(like.device)))


def _int_or_none(v):
    return None if v is None else int(v)


def _check_bounds(i: Tensor, n, dim):
    a = i._value
    if isinstance(a, jax.core.Tracer) or a.size == 0:
        return
    a = np.asarray(a)  # one device-to-host read for both bounds
    lo, hi = int(a.min()), int(a.max())
    if lo < -n or hi >= n:
        bad = hi if hi >= n else lo
        raise IndexError(f"index {bad} is out of bounds for dimension {dim} with size {n}")


def getitem(self: Tensor, index):
    pattern, tensors = parse_index(self, index)
    if not tensors and not any(isinstance(p, tuple) and p[0] == "b" for p in pattern):
        return _index_basic(self, pattern)
    return _index(self, tensors, pattern)


def setitem(self: Tensor, index, value):
    from .dispatch import assign, check_inplace
    if self._requires_grad and self._grad_fn is None and self._base is None and _grad_enabled():
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")
    check_inplace(self)
    pattern, tensors = parse_index(self, index)
    if not isinstance(value, Tensor):
        from .creation import tensor as _tensor
        value = _tensor(value, dtype=self.dtype) if not isinstance(value, (int, float, bool)) else value
    elif several_in_use():  # the value is copied in from any device, as torch's copy_
        value = value.to(self.device)
    try:
        res = _index_put(self, tensors, value, pattern)
    except (ValueError, TypeError) as e:
        if "broadcast" not in str(e) or not isinstance(value, Tensor):
            raise
        _raise_expand_error(self, pattern, tensors, value)
        raise
    assign(self, res, check_cast=False)


def _raise_expand_error(self, pattern, tensors, value):
    """torch's message when the value does not broadcast to the indexed shape."""
    from .shape import _expand_shape
    target = jax.eval_shape(lambda x, *ix: x[_rebuild(pattern, ix)], self._value, *[t._value for t in tensors])
    msg_shape = tuple(value.shape)
    _expand_shape(msg_shape, tuple(target.shape))


def index_put(input: Tensor, indices, values, accumulate=False):
    """``out = input.clone(); out[indices] = values`` (adding instead when ``accumulate``): indices is a tuple."""
    pattern, tensors = parse_index(input, tuple(indices))
    if not isinstance(values, Tensor):
        from .creation import tensor as _tensor
        values = _tensor(values, dtype=input.dtype)
    elif several_in_use():
        values = values.to(input.device)
    if values.dtype is not input.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{D.SCALAR_TYPE_NAME[input.dtype.name]} for the destination and "
                           f"{D.SCALAR_TYPE_NAME[values.dtype.name]} for the source.")
    return _index_put(input, tensors, values, pattern, bool(accumulate))


def index_put_(self: Tensor, indices, values, accumulate=False):
    from .dispatch import assign, check_inplace
    check_inplace(self)
    return assign(self, index_put(self, indices, values, accumulate), check_cast=False)



def _index_dtype_check(name, expected="int32/int64"):
    """torch's checks of an index argument: dtype, rank, and (reading the values) bounds, each in torch's words.

    Out-of-range indices must raise: JAX's gathers clamp and its scatters drop them silently.
    """
    def check(input, dim, index, *args, **kwargs):
        if isinstance(index, Tensor) and index.dtype not in (D.int64, D.int32):
            raise RuntimeError(f"{name}(): Expected dtype {expected} for index")
        along = name in ("gather", "scatter", "scatter_add", "scatter_reduce")
        if isinstance(index, Tensor) and input.ndim and index.ndim and index.ndim != input.ndim and along:
            raise RuntimeError(f"Index tensor must have the same number of dimensions as "
                               f"{'input' if name == 'gather' else 'self'} tensor")
        _check_dim(dim, input.ndim)
        if not isinstance(index, Tensor) or index.numel() == 0:
            return
        d = dim % max(input.ndim, 1)
        n = input.shape[d] if input.ndim else 1
        if along:
            for k in range(index.ndim):
                if k != d and input.ndim and index.shape[k] > input.shape[k] and name == "gather":
                    raise RuntimeError(f"Size does not match at dimension {k} expected index {list(index.shape)} to "
                                       f"be no larger than self {list(input.shape)} apart from dimension {d}")
        idx = np.asarray(index._value).reshape(-1)
        lo = -n if name == "index_fill" else 0
        bad = idx[(idx < lo) | (idx >= n)]
        if bad.size:
            v = int(bad[0])
            if name == "index_select":
                raise IndexError("index out of range in self")
            if name == "index_copy":
                raise IndexError(f"index_copy_(): index {v} is out of bounds for dimension {d} with size {n}")
            err = IndexError if name == "index_fill" else RuntimeError
            raise err(f"index {v} is out of bounds for dimension {d} with size {n}")
    return check


def _take_check(input, index):
    if index.dtype not in (D.int64, D.int32):
        raise RuntimeError("take(): Expected a long tensor for index, but got " + index.dtype.name.capitalize())
    n = input.numel()
    idx = np.asarray(index._value).reshape(-1)
    bad = idx[(idx < -n) | (idx >= n)]
    if bad.size:
        raise IndexError(f"out of range: tried to access index {int(bad[0])} on a tensor of {n} elements.")


def _take_along_dim_check(input, indices, dim=None):
    if indices.dtype not in (D.int64, D.int32):
        raise IndexError("take_along_dim(): dtype of indices should be Long but got " + indices.dtype.name)
    if dim is None:
        n = input.numel()
        idx = np.asarray(indices._value).reshape(-1)
        bad = idx[(idx < 0) | (idx >= n)]
        if bad.size:
            raise RuntimeError(f"index {int(bad[0])} is out of bounds for dimension 0 with size {n}")
    else:
        _index_dtype_check("gather")(input, dim, indices)


def _check_dim(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")


@op(tensors=("input", "index"), jit=True, check=_index_dtype_check("index_select", "int32 or int64"))
def index_select(input, dim, index):
    if input.ndim == 0:  # torch: a 0-d input stays 0-d (the index must be [0])
        return input
    return jnp.take(input, index.reshape(-1), axis=dim % input.ndim)


@op(tensors=("input", "index"), jit=True, check=_index_dtype_check("gather"))
def gather(input, dim, index, *, sparse_grad=False):
    if input.ndim == 0:
        return jnp.broadcast_to(input, index.shape)
    d = dim % input.ndim
    # torch allows an index smaller than the input in the other dims: only that corner is read
    input = input[tuple(slice(None) if k == d else slice(0, index.shape[k]) for k in range(input.ndim))]
    return jnp.take_along_axis(input, index, axis=d)


@op(tensors=("input", "indices"), jit=True, grad_name="TakeAlongDimBackward0", check=_take_along_dim_check)
def take_along_dim(input, indices, dim=None):
    if dim is None:
        return jnp.take(input.reshape(-1), indices.reshape(-1))
    d = dim % input.ndim
    shape = jnp.broadcast_shapes(tuple(1 if k == d else s for k, s in enumerate(input.shape)),
                                 tuple(1 if k == d else s for k, s in enumerate(indices.shape)))
    x = jnp.broadcast_to(input, tuple(input.shape[k] if k == d else s for k, s in enumerate(shape)))
    i = jnp.broadcast_to(indices, tuple(indices.shape[k] if k == d else s for k, s in enumerate(shape)))
    return jnp.take_along_axis(x, i, axis=d)


@op(tensors=("input", "index"), jit=True, check=_take_check)
def take(input, index):
    return jnp.take(input.reshape(-1), index)


def _scatter_positions(input, dim, index):
    dim = dim % input.ndim
    idx = list(jnp.meshgrid(*[jnp.arange(s) for s in index.shape], indexing="ij"))
    idx[dim] = index
    return tuple(idx)


@op(tensors=("input", "index", "src"), jit=True, inplace=True, check=_index_dtype_check("scatter"))
def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    pos = _scatter_positions(input, dim, index)
    upd = src[tuple(slice(0, s) for s in index.shape)] if src is not None and hasattr(src, "shape") and src.ndim else (
        src if src is not None else value)
    if reduce in ("add", "sum"):
        return input.at[pos].add(upd)
    if reduce in ("multiply", "prod"):
        return input.at[pos].multiply(upd)
    return input.at[pos].set(upd)


@op(tensors=("input", "index", "src"), jit=True, inplace=True, check=_index_dtype_check("scatter_add"))
def scatter_add(input, dim, index, src):
    pos = _scatter_positions(input, dim, index)
    return input.at[pos].add(src[tuple(slice(0, s) for s in index.shape)])


def _scatter_reduce_check(input, dim, index, src, reduce, *, include_self=True):
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    _index_dtype_check("scatter_reduce")(input, dim, index)


@op(tensors=("input", "index", "src"), jit=True, inplace=True, check=_scatter_reduce_check)
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    pos = _scatter_positions(input, dim, index)
    src = src[tuple(slice(0, s) for s in index.shape)]
    if reduce == "mean":
        base = input if include_self else input.at[pos].set(0)
        sums = base.at[pos].add(src)
        counts = jnp.ones(input.shape, jnp.int64) if include_self else \
            jnp.ones(input.shape, jnp.int64).at[pos].set(0)
        counts = counts.at[pos].add(1)
        safe = jnp.maximum(counts, 1).astype(input.dtype)
        mean = sums // safe if jnp.issubdtype(input.dtype, jnp.integer) else sums / safe
        return jnp.where(counts > 0, mean, input)
    if reduce == "sum":
        return (input if include_self else input.at[pos].set(0)).at[pos].add(src)
    if reduce == "prod":
        return (input if include_self else input.at[pos].set(1)).at[pos].multiply(src)
    if jnp.issubdtype(input.dtype, jnp.inexact):
        lo, hi = -jnp.inf, jnp.inf
    else:
        info = jnp.iinfo(input.dtype) if input.dtype != jnp.bool_ else None
        lo, hi = (info.min, info.max) if info else (False, True)
    if reduce == "amax":
        return (input if include_self else input.at[pos].set(lo)).at[pos].max(src)
    return (input if include_self else input.at[pos].set(hi)).at[pos].min(src)


def _masked_scatter_check(input, mask, source):
    if mask.dtype is not D.bool:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.name}")
    shape = jnp.broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    m = np.broadcast_to(np.asarray(mask._value), shape)
    if int(m.sum()) > source.numel():
        raise RuntimeError("Number of elements of source < number of ones in mask")


@op(tensors=("input", "mask", "source"), keep=("mask",), jit=True, inplace=True, check=_masked_scatter_check)
def masked_scatter(input, mask, source):
    """Fill the positions where ``mask`` is True with ``source``'s elements, in row-major order."""
    shape = jnp.broadcast_shapes(input.shape, mask.shape)
    m = jnp.broadcast_to(mask, shape).reshape(-1)
    x = jnp.broadcast_to(input, shape).reshape(-1)
    k = jnp.clip(jnp.cumsum(m) - 1, 0, builtins.max(source.size - 1, 0))
    return jnp.where(m, source.reshape(-1)[k].astype(x.dtype), x).reshape(shape)


@op(tensors=("input", "index", "source"), jit=True, inplace=True, check=_index_dtype_check("index_add"))
def index_add(input, dim, index, source, *, alpha=1):
    dim = dim % input.ndim
    idx = (slice(None),) * dim + (index,)
    return input.at[idx].add(source * alpha if alpha != 1 else source)


@op(tensors=("input", "index", "value"), jit=True, inplace=True, grad_name="IndexFillBackward0",
    check=_index_dtype_check("index_fill"))
def index_fill(input, dim, index, value):
    dim = dim % input.ndim
    return input.at[(slice(None),) * dim + (index,)].set(value)


@op(tensors=("input", "index", "source"), jit=True, inplace=True, check=_index_dtype_check("index_copy"))
def index_copy(input, dim, index, source):
    dim = dim % input.ndim
    return input.at[(slice(None),) * dim + (index,)].set(source)


def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    from .shape import broadcast_to
    shape = tuple(jnp.broadcast_shapes(input.shape, mask.shape))
    x = input if tuple(input.shape) == shape else broadcast_to(input, shape)
    m = mask if tuple(mask.shape) == shape else broadcast_to(mask, shape)
    return getitem(x, m)


def nonzero(input: Tensor, *, as_tuple=False):
    a = np.asarray(input._value)
    if a.ndim == 0:  # torch: a 0-d input counts as one element with no dims
        if as_tuple:
            return (_host_result(np.zeros((int(a != 0),), np.int64), input),)
        return _host_result(np.zeros((int(a != 0), 0), np.int64), input)
    nz = np.nonzero(a)
    if as_tuple:
        return tuple(_host_result(np.asarray(a, dtype=np.int64), input) for a in nz)
    return _host_result(np.asarray(np.stack(nz, axis=1) if nz else np.zeros((1, 0)), dtype=np.int64), input)


def argwhere(input: Tensor):
    return nonzero(input)


def unique(input: Tensor, sorted=True, return_inverse=False, return_counts=False, dim=None):
    a = np.asarray(input._value)
    res = np.unique(a if dim is None else a, return_inverse=return_inverse, return_counts=return_counts,
                    axis=dim)
    if not isinstance(res, tuple):
        return _host_result(np.asarray(res), input)
    out = [_host_result(np.asarray(res[0]), input)]
    if return_inverse:
        inverse = res[1].reshape(a.shape) if dim is None else res[1]
        out.append(_host_result(np.asarray(inverse, dtype=np.int64), input))
    if return_counts:
        out.append(_host_result(np.asarray(res[-1], dtype=np.int64), input))
    return tuple(out)
