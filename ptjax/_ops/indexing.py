"""Indexing: ``x[idx]`` (basic indexing gives views, advanced indexing gathers), ``x[idx] = v``, and the
index ops ``index_select``, ``gather``, ``scatter``, ``masked_select`` …

An index is split into a static *pattern* (ints, slices, None, Ellipsis, and a placeholder per tensor index) and
the dynamic index arrays. Boolean masks are turned into integer indices eagerly (their result shape depends on
their values, which a compiled kernel cannot have), so every kernel here has static shapes.
"""
from __future__ import annotations

import builtins
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._device import several_in_use, to_jax_device
from .._tensor import Tensor
from ..autograd.grad_mode import is_grad_enabled as _grad_enabled
from .dispatch import function_out
from .registry import op

_T = "T"    # placeholder for a tensor index in a pattern
_T0 = "T0"  # placeholder for a 0-d integer tensor index (torch applies it as a select, like an int)


def _rebuild(pattern, arrays):
    it = iter(arrays)
    out = []
    for p in pattern:
        if p == _T or p == _T0:
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


def _is_int(p):
    return p == _T0 or (isinstance(p, int) and not isinstance(p, bool))


def _torch_stages(pattern):
    """torch's order of indexing, as two NumPy-rule patterns (or None when NumPy's rule already agrees).

    torch applies integers (and 0-d integer tensors) as selects before the tensor indices; NumPy counts them among
    the advanced indices, which changes where the indexed dims go when a slice separates them:
    ``x[0, :, [1, 3]]`` is (3, 2) in torch, (2, 3) in NumPy. So: first the ints, Nones and slices (tensor indices
    replaced by full slices, bools left for later), then the tensor indices and bools on that result (ints gone,
    Nones and slices now full slices)."""
    if not any(p == _T for p in pattern) or not any(_is_int(p) for p in pattern):
        return None
    full = ("s", None, None, None)
    first = tuple(full if p == _T else p for p in pattern if not (isinstance(p, tuple) and p[0] == "b"))
    second = tuple(full if p is None or (isinstance(p, tuple) and p[0] == "s") else p
                   for p in pattern if not _is_int(p))
    return first, second


def _split_arrays(pattern, arrays):
    """The index arrays of each stage: 0-d ones (``_T0``) go with the first, the others with the second."""
    kinds = [p for p in pattern if p == _T or p == _T0]
    return ([a for k, a in zip(kinds, arrays) if k == _T0], [a for k, a in zip(kinds, arrays) if k == _T])


def _gather(input, pattern, arrays):
    """``input[index]`` with torch's rules."""
    stages = _torch_stages(pattern)
    if stages is None:
        return input[_rebuild(pattern, arrays)]
    (first, second), (a1, a2) = stages, _split_arrays(pattern, arrays)
    return input[_rebuild(first, a1)][_rebuild(second, a2)]


def _scatter(input, pattern, arrays, values, accumulate):
    """``input[index] = values`` (``+=`` when ``accumulate``) with torch's rules, as a new array."""
    stages = _torch_stages(pattern)
    if stages is None:
        at = input.at[_rebuild(pattern, arrays)]
        return at.add(values) if accumulate else at.set(values)
    (first, second), (a1, a2) = stages, _split_arrays(pattern, arrays)
    i1, i2 = _rebuild(first, a1), _rebuild(second, a2)
    part = input[i1].at[i2]
    return input.at[i1].set(part.add(values) if accumulate else part.set(values))


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
    return _gather(input, pattern, indices_list)


@op(tensors=("input", "indices_list", "values"), jit=True, grad_name="IndexPutBackward0", method=False,
    function=False)
def _index_put(input, indices_list, values, pattern, accumulate=False):
    values = values.astype(input.dtype) if hasattr(values, "astype") else values
    return _scatter(input, pattern, indices_list, values, accumulate)


_SEQUENCE_WARNING = ("Using a non-tuple sequence for multidimensional indexing is deprecated and will be changed in "
                     "pytorch 2.9; use x[tuple(seq)] instead of x[seq]. In pytorch 2.9 this will be interpreted as "
                     "tensor index, x[torch.tensor(seq)], which will result either in an error or a different result")


def _as_index_tuple(index):
    """The index as a tuple. A list holding a slice, None, Ellipsis, a sequence or a tensor is read as a tuple with
    torch's deprecation warning (NumPy's legacy rule, which torch 2.13 still follows); a list of ints is one index."""
    if isinstance(index, tuple):
        return index
    if isinstance(index, list) and any(i is None or i is Ellipsis or isinstance(i, (slice, list, tuple, range, Tensor,
                                                                                    np.ndarray)) for i in index):
        warnings.warn(_SEQUENCE_WARNING, UserWarning, stacklevel=4)
        return tuple(index)
    return (index,)


def parse_index(x: Tensor, index):
    """(pattern, index tensors) for ``x[index]``, with torch's errors for bad indices."""
    index = _as_index_tuple(index)
    pattern, tensors = [], []
    dim = 0
    advanced = 0  # torch numbers the tensor indices in its bounds errors
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
            if isinstance(i, range):
                i = np.arange(i.start, i.stop, i.step, dtype=np.int64)
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
                advanced += i.ndim
                continue
            if i.dtype.is_floating_point or i.dtype.is_complex:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            _check_bounds(i, shape[dim], dim if i.ndim == 0 else advanced)
            pattern.append(_T0 if i.ndim == 0 else _T)
            tensors.append(i.to(x.device) if several_in_use() else i)  # CPU indices serve any device, as in torch
            dim += 1
            advanced += i.ndim > 0
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


def _ints_as_index_tensors(x: Tensor, pattern, tensors):
    """The pattern with its integers made 0-d index tensors (``_T0``, which torch's rules read as integers), for
    the compiled kernels ``_index`` / ``_index_put``: an integer in their static pattern would compile a kernel
    per value, so ``x[i] = v`` in a loop over ``i`` would compile at every step."""
    if not any(_is_int(p) and p != _T0 for p in pattern):
        return pattern, tensors
    given = iter(tensors)
    new_pattern, new_tensors = [], []
    for p in pattern:
        if p == _T or p == _T0:
            new_tensors.append(next(given))
        elif _is_int(p):
            new_tensors.append(_host_result(np.asarray(p, dtype=np.int64), x))
            p = _T0
        new_pattern.append(p)
    return tuple(new_pattern), new_tensors


def getitem(self: Tensor, index):
    pattern, tensors = parse_index(self, index)
    if not tensors and not any(isinstance(p, tuple) and p[0] == "b" for p in pattern):
        return _index_basic(self, pattern)
    pattern, tensors = _ints_as_index_tensors(self, pattern, tensors)
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
    pattern, tensors = _ints_as_index_tensors(self, pattern, tensors)
    try:
        res = _index_put(self, tensors, value, pattern)
    except (ValueError, TypeError) as e:
        if "broadcast" not in str(e) or not isinstance(value, Tensor):
            raise
        _raise_expand_error(self, pattern, tensors, value)
        raise
    assign(self, res, check_cast=False)


def _raise_expand_error(self, pattern, tensors, value):
    """torch's message when the value does not broadcast to the indexed shape (an expand error for basic indexing,
    a shape mismatch for advanced indexing)."""
    from .shape import _expand_shape
    target = tuple(jax.eval_shape(lambda x, *ix: _gather(x, pattern, ix), self._value,
                                  *[t._value for t in tensors]).shape)
    if any(p == _T for p in pattern):
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot be broadcast to indexing "
                           f"result of shape {list(target)}")
    _expand_shape(tuple(value.shape), target)


def index_put(input: Tensor, indices, values, accumulate=False):
    """``out = input.clone(); out[indices] = values`` (adding instead when ``accumulate``): ``indices`` is a tuple of
    tensors, one per leading dim."""
    for k, i in enumerate(indices):
        if not isinstance(i, Tensor):
            raise TypeError(f"expected Tensor as element {k} in argument 0, but got {type(i).__name__}")
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


@function_out
def masked_select(input: Tensor, mask: Tensor) -> Tensor:
    from .shape import broadcast_to
    shape = tuple(jnp.broadcast_shapes(input.shape, mask.shape))
    x = input if tuple(input.shape) == shape else broadcast_to(input, shape)
    m = mask if tuple(mask.shape) == shape else broadcast_to(mask, shape)
    return getitem(x, m)


@function_out
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


def unique_consecutive(input: Tensor, return_inverse=False, return_counts=False, dim=None):
    """The first element of each run of equal consecutive elements (or slices along ``dim``), with the run index of
    every element and the run lengths on request. Runs depend on the values: computed on the host."""
    a = np.asarray(input._value)
    if dim is None:
        flat = a.reshape(-1)
        starts = np.ones(flat.shape[0], bool)
        starts[1:] = flat[1:] != flat[:-1]
        values = flat[starts]
    else:
        d = dim % builtins.max(a.ndim, 1)
        moved = np.moveaxis(a, d, 0).reshape(a.shape[d], -1)
        starts = np.ones(moved.shape[0], bool)
        starts[1:] = (moved[1:] != moved[:-1]).any(axis=1)
        values = np.compress(starts, a, axis=d)
    out = [_host_tensor(values, a.dtype)]
    if return_inverse:
        inverse = np.cumsum(starts) - 1
        out.append(_host_tensor(inverse.reshape(a.shape) if dim is None else inverse, np.int64))
    if return_counts:
        out.append(_host_tensor(np.diff(np.append(np.flatnonzero(starts), starts.shape[0])), np.int64))
    return out[0] if len(out) == 1 else tuple(out)


def _host_tensor(a, dtype):
    return Tensor._make(jax.device_put(np.asarray(a, dtype=dtype)))


def _index_reduce_check(input, dim, index, source, reduce, *, include_self=True):
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    _index_dtype_check("index_reduce")(input, dim, index)


@op(tensors=("input", "index", "source"), jit=True, inplace=True, check=_index_reduce_check)
def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """Reduce the slices of ``source`` into ``input``'s slices ``index`` along ``dim`` (``scatter_reduce`` with one
    index per slice)."""
    d = dim % builtins.max(input.ndim, 1)
    shape = [1] * source.ndim
    shape[d] = -1
    full = jnp.broadcast_to(index.reshape(shape), source.shape)
    return scatter_reduce.op.fn(input, d, full, source, reduce, include_self=include_self)


def _put_check(input, index, source, accumulate=False):
    _take_check(input, index)
    if index.numel() != source.numel():
        raise RuntimeError(f"put_(): Expected source and index to have the same number of elements, but got "
                           f"source.numel() = {source.numel()}, index.numel() = {index.numel()}")


@op(tensors=("input", "index", "source"), jit=True, inplace=True, check=_put_check)
def put(input, index, source, accumulate=False):
    """``input`` seen as 1-D with ``source`` written (or added) at ``index``."""
    flat = input.reshape(-1)
    pos, src = index.reshape(-1), source.reshape(-1).astype(input.dtype)
    return (flat.at[pos].add(src) if accumulate else flat.at[pos].set(src)).reshape(input.shape)


def _fill_diagonal_check(input, fill_value, wrap=False):
    if input.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if input.ndim > 2 and len(set(input.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")


@op(tensors=("input", "fill_value"), inplace=True, method=False, function=False, jit=True, check=_fill_diagonal_check)
def fill_diagonal(input, fill_value, wrap=False):
    """``input`` with its main diagonal (all indices equal) set to ``fill_value``; ``Tensor.fill_diagonal_`` is the
    torch form. ``wrap`` continues the diagonal below a tall matrix's first square, every ``columns + 1`` elements,
    as NumPy's ``fill_diagonal``."""
    if input.ndim == 2:
        rows, cols = input.shape
        stop = input.size if wrap else builtins.min(rows, cols) * cols
        pos = np.arange(0, stop, cols + 1)
    else:
        n = input.shape[0]
        pos = np.arange(n) * np.cumprod((1,) + input.shape[:-1]).sum()  # one step along every dim
    flat = input.reshape(-1)
    return flat.at[pos].set(jnp.asarray(fill_value).astype(input.dtype)).reshape(input.shape)


def _unravel_check(indices, shape):
    if not isinstance(indices, Tensor) or indices.dtype.is_floating_point or indices.dtype.is_complex or \
            indices.dtype is D.bool:
        got = f"torch.{indices.dtype.name}" if isinstance(indices, Tensor) else type(indices).__name__
        raise TypeError(f"expected 'indices' to be integer dtype, but got {got}")


@op(tensors=("indices",), jit=True, method=False, differentiable=False, check=_unravel_check)
def unravel_index(indices, shape):
    """The coordinates in ``shape`` of flat ``indices`` (taken modulo the number of elements, as torch's kernel)."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    flat = indices.astype(jnp.int64) % builtins.max(int(np.prod(shape)), 1)
    out = []
    for s in reversed(shape):
        out.append(flat % s)
        flat = flat // s
    return tuple(reversed(out))


@op(jit=True, differentiable=False)
def nonzero_static(input, *, size, fill_value=-1):
    """``nonzero`` with a fixed number of rows: the first ``size`` hits, then rows of ``fill_value``."""
    if input.ndim == 0:
        return jnp.full((size, 0), fill_value, jnp.int64)
    idx = jnp.nonzero(input, size=size, fill_value=fill_value)
    return jnp.stack(idx, axis=1).astype(jnp.int64)
