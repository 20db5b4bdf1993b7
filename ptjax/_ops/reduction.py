"""Reductions (``dim``/``keepdim`` as torch), scans, sorting."""
from __future__ import annotations

import builtins
import functools

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from .pointwise import maximum, minimum
from .registry import BINARY, FLOAT, front, op


def _axes(dim, ndim):
    if dim is None or dim == ():
        return None
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    n = builtins.max(ndim, 1)
    out = []
    for d in dims:
        if not -n <= d < n:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
        out.append(d % n)
    return tuple(out) if ndim else None


def _int_acc(x, dtype):
    """torch sums/prods integers and bools in int64; an explicit ``dtype`` casts first."""
    if dtype is not None:
        return x.astype(D.to_dtype(dtype).np)
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        return x.astype(jnp.int64)
    return x


@op(jit=True)
def sum(input, dim=None, keepdim=False, *, dtype=None):
    return jnp.sum(_int_acc(input, dtype), axis=_axes(dim, input.ndim), keepdims=keepdim)


@op(jit=True)
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    return jnp.nansum(_int_acc(input, dtype), axis=_axes(dim, input.ndim), keepdims=keepdim)


@op(jit=True)
def prod(input, dim=None, keepdim=False, *, dtype=None):
    return jnp.prod(_int_acc(input, dtype), axis=_axes(dim, input.ndim), keepdims=keepdim)


def exact_mean(x, axis=None, keepdims=False):
    """``jnp.mean`` rounded as torch rounds it: the sum divided by the count.

    XLA turns a division by a constant or a broadcast scalar into a multiplication by its reciprocal, which
    rounds differently (float32: the mean of five ones among fifty is 0.099999994, torch says 0.1); the count,
    shaped like the sum and passed through an optimization barrier, is neither, so the division stays a
    division. Half types accumulate in float32.
    """
    axes = range(x.ndim) if axis is None else (axis,) if isinstance(axis, int) else axis
    count = int(np.prod([x.shape[a] for a in axes]))
    acc = jnp.float32 if x.dtype in (jnp.float16, jnp.bfloat16) else x.dtype
    total = jnp.sum(x, axis=axis, dtype=acc, keepdims=keepdims)
    return (total / jax.lax.optimization_barrier(jnp.full(total.shape, count, acc))).astype(x.dtype)


def _float_check(name):
    def check(input, *args, dtype=None, **kwargs):
        if dtype is None and not (input.dtype.is_floating_point or input.dtype.is_complex):
            raise RuntimeError(f"{name}(): could not infer output dtype. Input dtype must be either a floating point "
                               f"or complex dtype. Got: {D.SCALAR_TYPE_NAME[input.dtype.name]}")
    return check


@op(jit=True, check=_float_check("mean"))
def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.astype(D.to_dtype(dtype).np)
    return exact_mean(input, axis=_axes(dim, input.ndim), keepdims=keepdim)


@op(jit=True, check=_float_check("nanmean"))
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    return jnp.nanmean(input, axis=_axes(dim, input.ndim), keepdims=keepdim)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased in (None, True) else 0


def _var_check(input, *args, **kwargs):
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError("std and var only support floating point and complex dtypes")


@op(jit=True, check=_var_check)
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):  # var(input, unbiased)
        dim, unbiased = None, dim
    return jnp.var(input, axis=_axes(dim, input.ndim), ddof=_correction(unbiased, correction), keepdims=keepdim)


@op(jit=True, check=_var_check)
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return jnp.std(input, axis=_axes(dim, input.ndim), ddof=_correction(unbiased, correction), keepdims=keepdim)


@op(jit=True, method=False, check=_var_check)
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var.op.fn(input, dim, unbiased, keepdim, correction=correction), mean.op.fn(input, dim, keepdim)


@op(jit=True, method=False, check=_var_check)
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std.op.fn(input, dim, unbiased, keepdim, correction=correction), mean.op.fn(input, dim, keepdim)


@op(jit=True, promote=FLOAT)
def logsumexp(input, dim, keepdim=False):
    return jax.nn.logsumexp(input, axis=_axes(dim, input.ndim), keepdims=keepdim)


# ---- softmax ---------------------------------------------------------------------------------------------------

def _softmax_check(input, dim, dtype=None):
    n = builtins.max(input.ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")


def _softmax_cast(x, dtype):
    if dtype is not None:
        x = x.astype(D.to_dtype(dtype).np)
    elif not jnp.issubdtype(x.dtype, jnp.inexact):
        raise D.kernel_not_implemented("softmax_lastdim_kernel_impl", x.dtype, RuntimeError)
    return x


def _along(fn, of_scalar, input, dim, dtype):
    """``fn`` (``jax.nn.softmax`` or ``log_softmax``) along ``dim``; ``of_scalar`` gives a 0-d input's result."""
    x = _softmax_cast(input, dtype)
    return of_scalar(x) if x.ndim == 0 else fn(x, axis=dim)


@op(jit=True, check=_softmax_check)
def softmax(input, dim, dtype=None):
    """``exp(x) / sum(exp(x))`` along ``dim`` (``nn.functional.softmax`` adds torch's implicit-dim rule)."""
    return _along(jax.nn.softmax, jnp.ones_like, input, dim, dtype)


@op(jit=True, check=_softmax_check)
def log_softmax(input, dim, dtype=None):
    """``x - logsumexp(x)`` along ``dim`` (``nn.functional.log_softmax`` adds torch's implicit-dim rule)."""
    return _along(jax.nn.log_softmax, jnp.zeros_like, input, dim, dtype)


@op(jit=True)
def amax(input, dim=(), keepdim=False):
    return jnp.max(input, axis=_axes(dim, input.ndim), keepdims=keepdim)


@op(jit=True)
def amin(input, dim=(), keepdim=False):
    return jnp.min(input, axis=_axes(dim, input.ndim), keepdims=keepdim)


def _arg_reduce(fn, name, input, dim, keepdim):
    if input.size == 0 and (dim is None or input.ndim == 0 or input.shape[_axes(dim, input.ndim)[0]] == 0):
        raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
    if dim is None or input.ndim == 0:
        if dim is not None:
            _axes(dim, 0)
        r = fn(input.reshape(-1)).astype(jnp.int64)
        return r.reshape((1,) * input.ndim) if keepdim else r
    return fn(input, axis=_axes(dim, input.ndim)[0], keepdims=keepdim).astype(jnp.int64)


@op(jit=True, differentiable=False)
def argmax(input, dim=None, keepdim=False):
    return _arg_reduce(jnp.argmax, "argmax", input, dim, keepdim)


@op(jit=True, differentiable=False)
def argmin(input, dim=None, keepdim=False):
    return _arg_reduce(jnp.argmin, "argmin", input, dim, keepdim)


class _ValuesIndices(tuple):
    """torch.return_types.max / min / sort / topk …: a tuple with ``.values`` and ``.indices``."""

    _name = "return_types"

    def __new__(cls, values, indices):
        return super().__new__(cls, (values, indices))

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])

    def __repr__(self):
        return f"torch.return_types.{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})"


def _named(name):
    cls = type(name, (_ValuesIndices,), {"_name": name})
    return lambda outs: cls(*outs) if len(outs) == 2 else outs[0]


def _max_min(reduce_, arg, input, dim, keepdim):
    if dim is None:
        return reduce_(input)
    if input.ndim == 0:
        _axes(dim, 0)
        return input, jnp.zeros((), jnp.int64)
    ax = _axes(dim, input.ndim)[0]
    idx = arg(input, axis=ax, keepdims=True)
    vals = jnp.take_along_axis(input, idx, axis=ax)
    if not keepdim:
        vals, idx = jnp.squeeze(vals, ax), jnp.squeeze(idx, ax)
    return vals, idx.astype(jnp.int64)


def _max_min_check(name):
    def check(input, dim=None, keepdim=False):
        if dim is None and input.numel() == 0:
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. Specify "
                               f"the reduction dim with the 'dim' argument.")
        if dim is not None and input.ndim and input.shape[_axes(dim, input.ndim)[0]] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {_axes(dim, input.ndim)[0]} to have non-zero size.")
    return check


@op(jit=True, out_fn=_named("max"), grad_name="MaxBackward1", check=_max_min_check("max"))
def max(input, dim=None, keepdim=False):
    """``max(input)``, or ``max(input, dim, keepdim)`` → (values, indices); ``max(input, other)`` is ``maximum``."""
    return _max_min(jnp.max, jnp.argmax, input, dim, keepdim)


@op(jit=True, out_fn=_named("min"), grad_name="MinBackward1", check=_max_min_check("min"))
def min(input, dim=None, keepdim=False):
    return _max_min(jnp.min, jnp.argmin, input, dim, keepdim)


def _with_binary_form(reduce_op, elementwise):
    """torch's overloads: a Tensor as the second argument (or ``other=``) means the elementwise op."""
    @front(reduce_op)
    def fn(input, *args, **kwargs):
        if "other" in kwargs:
            return elementwise(input, kwargs.pop("other"), **kwargs)
        if args and isinstance(args[0], Tensor):
            return elementwise(input, *args, **kwargs)
        return reduce_op(input, *args, **kwargs)
    fn.__name__, fn.__doc__ = reduce_op.__name__, reduce_op.__doc__
    return fn


max = _with_binary_form(max, maximum)
min = _with_binary_form(min, minimum)


@op(jit=True, out_fn=_named("median"))
def median(input, dim=None, keepdim=False):
    if dim is None:
        flat = jnp.sort(input.reshape(-1))
        return flat[(flat.shape[0] - 1) // 2]
    ax = _axes(dim, input.ndim)[0]
    order = jnp.argsort(input, axis=ax, stable=True)
    k = (input.shape[ax] - 1) // 2
    idx = jax.lax.slice_in_dim(order, k, k + 1, axis=ax)
    vals = jnp.take_along_axis(input, idx, axis=ax)
    if not keepdim:
        vals, idx = jnp.squeeze(vals, ax), jnp.squeeze(idx, ax)
    return vals, idx


@op(jit=True, differentiable=False)
def all(input, dim=None, keepdim=False):
    return jnp.all(input, axis=_axes(dim, input.ndim), keepdims=keepdim)


@op(jit=True, differentiable=False)
def any(input, dim=None, keepdim=False):
    return jnp.any(input, axis=_axes(dim, input.ndim), keepdims=keepdim)


@op(jit=True, differentiable=False)
def count_nonzero(input, dim=None):
    return jnp.count_nonzero(input, axis=_axes(dim, input.ndim)).astype(jnp.int64)


def _norm_check(input, p="fro", dim=None, keepdim=False, dtype=None):
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor as input. Got "
                           f"{D.SCALAR_TYPE_NAME[input.dtype.name]}")


@op(jit=True, promote=FLOAT, check=_norm_check)
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    ax = _axes(dim, input.ndim)
    x = jnp.abs(input)
    if p in ("fro", 2, 2.0):
        return jnp.sqrt(jnp.sum(x * x, axis=ax, keepdims=keepdim))
    if p in (float("inf"), "inf"):
        return jnp.max(x, axis=ax, keepdims=keepdim)
    if p == float("-inf"):
        return jnp.min(x, axis=ax, keepdims=keepdim)
    if p == 0:
        return jnp.sum((x != 0).astype(x.dtype), axis=ax, keepdims=keepdim)
    if p == 1:
        return jnp.sum(x, axis=ax, keepdims=keepdim)
    if p == "nuc":
        return jnp.sum(jnp.linalg.svd(input, compute_uv=False), axis=-1)
    return jnp.sum(x ** p, axis=ax, keepdims=keepdim) ** (1.0 / p)


@op(jit=True, inplace=True)
def cumsum(input, dim, *, dtype=None):
    return jnp.cumsum(_int_acc(input, dtype), axis=_axes(dim, input.ndim)[0] if input.ndim else None).reshape(
        input.shape)


@op(jit=True, inplace=True)
def cumprod(input, dim, *, dtype=None):
    return jnp.cumprod(_int_acc(input, dtype), axis=_axes(dim, input.ndim)[0] if input.ndim else None).reshape(
        input.shape)


def _cum_extreme(scan, input, dim):
    if input.ndim == 0:
        _axes(dim, 0)
        return input, jnp.zeros((), jnp.int64)
    ax = _axes(dim, input.ndim)[0]
    vals = scan(input, axis=ax)
    pos = jnp.arange(input.shape[ax]).reshape([-1 if i == ax else 1 for i in range(input.ndim)])
    # the index of the running extreme; among equal values the latest, as torch
    idx = jax.lax.cummax(jnp.where(input == vals, pos, 0), axis=ax)
    # the values, differentiably: gather the input at the indices (the gradient flows to the chosen element)
    return jnp.take_along_axis(input, idx, axis=ax), idx.astype(jnp.int64)


@op(jit=True, out_fn=_named("cummax"))
def cummax(input, dim):
    return _cum_extreme(jax.lax.cummax, input, dim)


@op(jit=True, out_fn=_named("cummin"))
def cummin(input, dim):
    return _cum_extreme(jax.lax.cummin, input, dim)


def _logcumsumexp_check(input, dim):
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise D.kernel_not_implemented("logcumsumexp_out_cpu", input.dtype)


@op(jit=True, check=_logcumsumexp_check)
def logcumsumexp(input, dim):
    if input.ndim == 0:
        _axes(dim, 0)
        return input
    ax = _axes(dim, input.ndim)[0]
    return jax.lax.cumlogsumexp(input, axis=ax)


class _MinMax(tuple):
    """torch.return_types.aminmax: ``.min`` and ``.max``."""

    def __new__(cls, mn, mx):
        return super().__new__(cls, (mn, mx))

    min = property(lambda self: self[0])
    max = property(lambda self: self[1])

    def __repr__(self):
        return f"torch.return_types.aminmax(\nmin={self[0]!r},\nmax={self[1]!r})"


@op(jit=True, out_fn=lambda outs: _MinMax(*outs))
def aminmax(input, *, dim=None, keepdim=False):
    ax = None if dim is None else _axes(dim, input.ndim)
    if dim is None and keepdim:
        return (jnp.min(input).reshape((1,) * input.ndim), jnp.max(input).reshape((1,) * input.ndim))
    return jnp.min(input, axis=ax, keepdims=keepdim), jnp.max(input, axis=ax, keepdims=keepdim)


@op(jit=True, out_fn=_named("sort"))
def sort(input, dim=-1, descending=False, stable=False):
    ax = _axes(dim, input.ndim)[0] if input.ndim else None
    if ax is None:
        return input, jnp.zeros((), jnp.int64)
    idx = jnp.argsort(input, axis=ax, stable=True, descending=descending)
    return jnp.take_along_axis(input, idx, axis=ax), idx.astype(jnp.int64)


@op(jit=True, differentiable=False)
def argsort(input, dim=-1, descending=False, stable=False):
    return sort.op.fn(input, dim, descending, stable)[1]


@op(jit=True, out_fn=_named("topk"))
def topk(input, k, dim=-1, largest=True, sorted=True):
    ax = _axes(dim, input.ndim)[0] if input.ndim else 0
    x = jnp.moveaxis(input, ax, -1)
    if k > x.shape[-1]:
        raise RuntimeError("selected index k out of range")
    vals, idx = jax.lax.top_k(x if largest else -x, k)
    vals = vals if largest else -vals
    return jnp.moveaxis(vals, -1, ax), jnp.moveaxis(idx, -1, ax).astype(jnp.int64)


@op(jit=True, out_fn=_named("kthvalue"))
def kthvalue(input, k, dim=-1, keepdim=False):
    ax = _axes(dim, input.ndim)[0]
    idx = jnp.argsort(input, axis=ax, stable=True)
    idx = jax.lax.slice_in_dim(idx, k - 1, k, axis=ax)
    vals = jnp.take_along_axis(input, idx, axis=ax)
    if not keepdim:
        vals, idx = jnp.squeeze(vals, ax), jnp.squeeze(idx, ax)
    return vals, idx.astype(jnp.int64)




@op(jit=True, grad_name="SortBackward0")
def msort(input):
    """``sort(input, dim=0).values``."""
    return jnp.sort(input, axis=0) if input.ndim else input


@op(jit=True, out_fn=_named("mode"))
def mode(input, dim=-1, keepdim=False):
    """The most frequent value along ``dim`` (the smallest among ties) and its last index, as torch's CPU kernel."""
    if input.ndim == 0:
        _axes(dim, 0)
        return input, jnp.zeros((), jnp.int64)
    ax = _axes(dim, input.ndim)[0]
    x = jnp.moveaxis(input, ax, -1)
    order = jnp.argsort(x, axis=-1, stable=True)
    s = jnp.take_along_axis(x, order, axis=-1)
    pos = jnp.arange(x.shape[-1])
    starts = jnp.concatenate([jnp.ones(s.shape[:-1] + (1,), bool), s[..., 1:] != s[..., :-1]], axis=-1)
    run = pos - jax.lax.cummax(jnp.where(starts, pos, 0), axis=s.ndim - 1)  # length of the run so far, minus 1
    end = jnp.argmax(run == run.max(axis=-1, keepdims=True), axis=-1)  # the first run to reach the longest length
    idx = jnp.take_along_axis(order, end[..., None], axis=-1)  # (stable sort: the value's last original index)
    vals = jnp.take_along_axis(x, idx, axis=-1)
    vals, idx = jnp.moveaxis(vals, -1, ax), jnp.moveaxis(idx, -1, ax)
    if not keepdim:
        vals, idx = jnp.squeeze(vals, ax), jnp.squeeze(idx, ax)
    return vals, idx.astype(jnp.int64)


@op(jit=True, out_fn=_named("nanmedian"))
def nanmedian(input, dim=None, keepdim=False):
    """``median`` of the values that are not NaN (NaN where all are)."""
    x = input.reshape(-1) if dim is None else input
    if x.ndim == 0:
        _axes(dim, 0)
        return input, jnp.zeros((), jnp.int64)
    ax = -1 if dim is None else _axes(dim, input.ndim)[0]
    order = jnp.argsort(x, axis=ax, stable=True)  # NaNs sort last
    k = jnp.maximum(jnp.sum(~jnp.isnan(x), axis=ax, keepdims=True) - 1, 0) // 2
    idx = jnp.take_along_axis(order, k, axis=ax)
    vals = jnp.take_along_axis(x, idx, axis=ax)
    if dim is None:
        return vals.reshape(())
    if not keepdim:
        vals, idx = jnp.squeeze(vals, ax), jnp.squeeze(idx, ax)
    return vals, idx.astype(jnp.int64)


# ---- quantiles -------------------------------------------------------------------------------------------------

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile_check(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """torch's checks, in its words (``nanquantile`` reports as ``quantile()`` too)."""
    if input.dtype not in (D.float32, D.float64):
        raise RuntimeError("quantile() input tensor must be either float or double dtype")
    if input.numel() == 0:
        raise RuntimeError("quantile() input tensor must be non-empty")
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError("quantile() q must be a scalar or 1D tensor")
        if q.dtype is not input.dtype:
            raise RuntimeError("quantile() q tensor must be same dtype as the input tensor")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"quantile() interpolation must be one of linear, lower, higher, midpoint or nearest, but "
                           f"got {interpolation}")
    qs = q.tolist() if isinstance(q, Tensor) else q
    for v in qs if isinstance(qs, list) else [qs]:
        if not 0 <= v <= 1:
            raise RuntimeError(f"quantile() q must be in the range [0, 1] but got {v}")
    if dim is not None:
        _axes(dim, input.ndim)


def _quantiles(fn, input, q, dim, keepdim, interpolation):
    """``fn`` (``jnp.quantile`` or ``jnp.nanquantile``) with torch's "nearest": the rank rounded half to even."""
    if interpolation != "nearest":
        return fn(input, q, axis=dim, keepdims=keepdim, method=interpolation)
    lower = fn(input, q, axis=dim, keepdims=keepdim, method="lower")
    higher = fn(input, q, axis=dim, keepdims=keepdim, method="higher")
    n = (jnp.sum(~jnp.isnan(input), axis=dim, keepdims=keepdim) if fn is jnp.nanquantile
         else input.size if dim is None else input.shape[dim])
    rank = jnp.asarray(q).reshape(jnp.shape(q) + (1,) * (lower.ndim - jnp.ndim(q))) * (n - 1)
    return jnp.where(jnp.round(rank) > jnp.floor(rank), higher, lower)


@op(tensors=("input", "q"), jit=True, check=_quantile_check)
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The ``q``-th quantiles along ``dim`` (of all elements when None): NaN where the input has one."""
    return _quantiles(jnp.quantile, input, q, dim, keepdim, interpolation)


@op(tensors=("input", "q"), jit=True, check=_quantile_check)
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """``quantile`` ignoring NaNs (NaN where a reduced slice has only NaNs)."""
    return _quantiles(jnp.nanquantile, input, q, dim, keepdim, interpolation)


# ---- histograms, counts, search ----------------------------------------------------------------------------------

def _floating_input(name):
    def check(input, *args, **kwargs):
        if not input.dtype.is_floating_point:
            raise D.kernel_not_implemented(name, input.dtype)
    return check


def _histc_check(input, bins=100, min=0, max=0):
    _floating_input("histogram_cpu")(input)
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    if min > max:
        raise RuntimeError("torch.histc: max must be larger than min")


@op(jit=True, differentiable=False, check=_histc_check)
def histc(input, bins=100, min=0, max=0):
    """Counts in ``bins`` equal bins over [min, max] (the data's range when both are equal; widened by 1 on each side
    if that is one point); values outside are ignored."""
    x = input.reshape(-1)
    lo, hi = jnp.asarray(min, x.dtype), jnp.asarray(max, x.dtype)
    if min == max:
        finite = jnp.isfinite(x)
        lo = jnp.where(finite, x, jnp.inf).min().astype(x.dtype) if x.size else lo
        hi = jnp.where(finite, x, -jnp.inf).max().astype(x.dtype) if x.size else hi
        same = lo == hi
        lo, hi = jnp.where(same, lo - 1, lo), jnp.where(same, hi + 1, hi)
    return _linear_bin_counts(x, lo, hi, bins, jnp.ones_like(x))


def _linear_bin_counts(x, lo, hi, bins, weight):
    """Sums of ``weight`` per bin of ``bins`` equal bins over [lo, hi] (the last bin closed), skipping the rest."""
    pos = jnp.floor((x - lo) / (hi - lo) * bins).astype(jnp.int64)
    pos = jnp.where(x == hi, bins - 1, pos)
    inside = (x >= lo) & (x <= hi)
    return jnp.zeros(bins, weight.dtype).at[jnp.where(inside, pos, 0)].add(jnp.where(inside, weight, 0))


class _Histogram(tuple):
    """torch.return_types.histogram / histogramdd: ``.hist`` and ``.bin_edges``."""

    _name = "histogram"

    def __new__(cls, hist, bin_edges):
        return super().__new__(cls, (hist, bin_edges))

    hist = property(lambda self: self[0])
    bin_edges = property(lambda self: self[1])

    def __repr__(self):
        return f"torch.return_types.{self._name}(\nhist={self[0]!r},\nbin_edges={self[1]!r})"


class _HistogramDD(_Histogram):
    _name = "histogramdd"


def _histogramdd_check(input, weight, bins, range, density, *edges):
    _floating_input("histogramdd")(input)
    for d, b in enumerate(bins):
        if isinstance(b, int) and b <= 0:
            raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {b} for dimension {d}")


@op(tensors=("input", "weight", "edges"), jit=True, differentiable=False, method=False, function=False,
    check=_histogramdd_check)
def _histogramdd(input, weight, bins, range, density, *edges):
    """Counts of the rows of ``input`` (N, D) in a D-dimensional grid of bins: per dimension ``bins[d]`` equal bins
    over ``range`` (the data's range when None, widened by 0.5 each side if one point), or the given ``edges``
    (bins[d] is None)."""
    n, nd = input.shape
    w = weight.reshape(-1).astype(input.dtype) if weight is not None else jnp.ones(n, input.dtype)
    flat, inside, out_edges, sizes = jnp.zeros(n, jnp.int64), jnp.ones(n, bool), [], []
    edge_it = iter(edges)
    for d in builtins.range(nd):
        x = input[:, d]
        if bins[d] is None:  # explicit edges: the bin is found by search
            e = next(edge_it).astype(input.dtype)
            k = e.shape[0] - 1
            pos = jnp.searchsorted(e, x, side="right") - 1
            pos = jnp.where(x == e[-1], k - 1, pos)
            ok = (x >= e[0]) & (x <= e[-1])
        else:
            k = bins[d]
            if range is not None:
                lo, hi = jnp.asarray(range[2 * d], input.dtype), jnp.asarray(range[2 * d + 1], input.dtype)
            else:
                lo, hi = (x.min(), x.max()) if n else (jnp.zeros((), input.dtype), jnp.zeros((), input.dtype))
                same = lo == hi
                lo, hi = jnp.where(same, lo - 0.5, lo), jnp.where(same, hi + 0.5, hi)
            e = jnp.linspace(lo, hi, k + 1).astype(input.dtype)
            pos = jnp.floor((x - lo) / (hi - lo) * k).astype(jnp.int64)
            pos = jnp.where(x == hi, k - 1, pos)
            ok = (x >= lo) & (x <= hi)
        flat, inside = flat * k + jnp.clip(pos, 0, k - 1), inside & ok
        out_edges.append(e)
        sizes.append(k)
    total = int(np.prod(sizes))
    hist = jnp.zeros(total, input.dtype).at[flat].add(jnp.where(inside, w, 0)).reshape(sizes)
    if density:
        volume = functools.reduce(jnp.multiply, jnp.meshgrid(*[jnp.diff(e) for e in out_edges], indexing="ij"))
        hist = hist / (hist.sum() * volume)
    return (hist, *out_edges)


def _bins_args(bins, nd):
    """``bins`` (an int, ints, or edge tensors) as (static counts with None for edges, the edge tensors)."""
    if isinstance(bins, Tensor):
        bins = [bins] if nd == 1 else list(bins.unbind(0)) if bins.ndim > 1 else [int(v) for v in bins.tolist()]
    elif isinstance(bins, int):
        bins = [bins] * nd
    counts = tuple(None if isinstance(b, Tensor) else int(b) for b in bins)
    return counts, [b for b in bins if isinstance(b, Tensor)]


def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """A D-dimensional histogram of the rows of ``input`` (…, D): (hist, tuple of bin edges per dimension)."""
    nd = input.shape[-1]
    counts, edges = _bins_args(bins, nd)
    rng = tuple(float(v) for v in range) if range is not None else None
    hist, *edge_out = _histogramdd(input.reshape(-1, nd), weight, counts, rng, density, *edges)
    return _HistogramDD(hist, tuple(edge_out))


def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """A histogram of all elements: (hist, bin_edges); ``bins`` is a count or the edges."""
    if isinstance(bins, Tensor) and bins.ndim == 1 and bins.numel():
        counts, edges = (None,), [bins]
    else:
        counts, edges = (int(bins),), []
    rng = tuple(float(v) for v in range) if range is not None else None
    hist, edge_out = _histogramdd(input.reshape(-1, 1), weight, counts, rng, density, *edges)
    return _Histogram(hist, edge_out)


def _bincount_check(input, weights=None, minlength=0, length=0):
    if input.ndim != 1 or input.dtype.is_floating_point or input.dtype.is_complex or input.dtype is D.bool:
        if input.dtype.is_floating_point:
            raise D.kernel_not_implemented("bincount_cpu", input.dtype)
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and weights.shape != input.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")


@op("bincount", tensors=("input", "weights"), keep=("weights",), jit=True, differentiable=False,
    check=_bincount_check)
def _bincount(input, weights=None, minlength=0, length=0):
    if weights is None:
        return jnp.zeros(length, jnp.int64).at[input].add(1)
    w = weights if jnp.issubdtype(weights.dtype, jnp.floating) else weights.astype(jnp.float64)
    return jnp.zeros(length, w.dtype).at[input].add(w)


@front(_bincount)
def bincount(input, weights=None, minlength=0):
    """Occurrences of each value of a 1-D non-negative integer tensor (summed ``weights`` if given; integer weights
    are summed in double, as torch). The length depends on the values, so they are read first."""
    _bincount_check(input, weights, minlength)
    a = input._value
    top = int(a.max()) + 1 if a.size else 0
    if a.size and int(a.min()) < 0:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    return _bincount(input, weights, minlength, builtins.max(top, minlength))


def _searchsorted_check(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    if side is not None and side not in ("left", "right"):
        raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but got {side}")
    if side is not None and (side == "right") != right and right:
        raise RuntimeError(f"torch.searchsorted(): side and right can't be set to opposites, got side of {side} while "
                           f"right was {right}")
    s = sorted_sequence.shape
    v = input.shape if isinstance(input, Tensor) else ()
    if len(s) > 1 and (len(v) != len(s) or tuple(v[:-1]) != tuple(s[:-1])):
        raise RuntimeError(f"torch.searchsorted(): boundaries tensor should be 1 dimension or the first N-1 dimensions "
                           f"of boundaries tensor and input value tensor must match, but we got boundaries tensor "
                           f"{list(s)} and input value tensor {list(v)}")
    if sorter is not None and tuple(sorter.shape) != tuple(s):
        raise RuntimeError("torch.searchsorted(): boundary and sorter must have the same size, but got boundary "
                           f"tensor {list(s)}and got sorter tensor {list(sorter.shape)}")


@op(tensors=("sorted_sequence", "input", "sorter"), promote=BINARY, keep=("sorter",), differentiable=False,
    method=False, jit=True, check=_searchsorted_check)
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """Where ``input`` would be inserted into the innermost dim of ``sorted_sequence`` to keep it sorted."""
    how = "right" if right or side == "right" else "left"
    seq = sorted_sequence if sorter is None else jnp.take_along_axis(sorted_sequence, sorter, axis=-1)
    if seq.ndim <= 1:
        out = jnp.searchsorted(seq, input, side=how)
    else:
        flat_s, flat_v = seq.reshape(-1, seq.shape[-1]), input.reshape(-1, input.shape[-1])
        out = jax.vmap(lambda a, v: jnp.searchsorted(a, v, side=how))(flat_s, flat_v).reshape(input.shape)
    return out.astype(jnp.int32 if out_int32 else jnp.int64)


def _bucketize_check(input, boundaries, *, out_int32=False, right=False):
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim({boundaries.ndim})")


@op(tensors=("input", "boundaries"), promote=BINARY, differentiable=False, jit=True, method=False,
    check=_bucketize_check)
def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value: ``boundaries[i-1] < x <= boundaries[i]`` (``<=``/``<`` with ``right``)."""
    return jnp.searchsorted(boundaries, input, side="right" if right else "left").astype(
        jnp.int32 if out_int32 else jnp.int64)


# ---- differences, integrals, statistics ----------------------------------------------------------------------------

def _diff_check(input, n=1, dim=-1, prepend=None, append=None):
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    _axes(dim, input.ndim)


@op(tensors=("input", "prepend", "append"), promote=BINARY, jit=True, check=_diff_check)
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The ``n``-th forward difference along ``dim`` (``!=`` for bool, as torch)."""
    ax = _axes(dim, input.ndim)[0]
    parts = [p for p in (prepend, input, append) if p is not None]
    x = jnp.concatenate(parts, axis=ax) if len(parts) > 1 else input
    for _ in builtins.range(n):
        a, b = (x[(slice(None),) * ax + (s,)] for s in (slice(1, None), slice(None, -1)))
        x = a != b if x.dtype == jnp.bool_ else a - b
    return x


def _to_float(x):
    return x if jnp.issubdtype(x.dtype, jnp.inexact) else x.astype(D.get_default_dtype().np)


def _integral_parts(y, x, dx, dim):
    """(y, the step along dim broadcastable to y's intervals), for the trapezoid rules."""
    ax = _axes(dim, y.ndim)[0]
    y = _to_float(y) if x is None else y
    if x is None:
        return y, ax, 1.0 if dx is None else dx
    step = jnp.diff(x, axis=ax if x.ndim == y.ndim else -1)
    if x.ndim == 1 and y.ndim > 1:
        step = step.reshape([-1 if k == ax else 1 for k in builtins.range(y.ndim)])
    return y, ax, step


def _trapezoid_check(y, x=None, *, dx=None, dim=-1):
    if x is not None and dx is not None:
        raise RuntimeError("trapezoid: cannot specify both x and dx")


@op(tensors=("y", "x"), promote=BINARY, jit=True, method=False, aliases=("trapz",), check=_trapezoid_check)
def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoid rule along ``dim``, with sample points ``x`` or a constant spacing ``dx`` (1 by default)."""
    y, ax, step = _integral_parts(y, x, dx, dim)
    if y.shape[ax] == 0:
        return jnp.sum(y, axis=ax)
    mid = (jax.lax.slice_in_dim(y, 1, None, axis=ax) + jax.lax.slice_in_dim(y, 0, -1, axis=ax)) * step
    return jnp.sum(mid, axis=ax) / 2


@op(tensors=("y", "x"), promote=BINARY, jit=True, method=False, check=_trapezoid_check)
def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoid-rule integral along ``dim`` (one element shorter than ``y`` there)."""
    y, ax, step = _integral_parts(y, x, dx, dim)
    mid = (jax.lax.slice_in_dim(y, 1, None, axis=ax) + jax.lax.slice_in_dim(y, 0, -1, axis=ax)) * step
    return jnp.cumsum(mid / 2, axis=ax)


def _gradient_check(input, spacing=1, dim=None, edge_order=1):
    if edge_order not in (1, 2):
        raise RuntimeError("torch.gradient only supports edge_order=1 and edge_order=2.")
    for d in _axes(dim, input.ndim) if dim is not None else builtins.range(input.ndim):
        if input.shape[d] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")


@op("gradient", jit=True, method=False, check=_gradient_check)
def _gradient(input, spacing=1, dim=None, edge_order=1):
    """One derivative estimate per dim in ``dim``; ``spacing`` has one entry per dim: a float step, or the
    coordinates (a tuple of floats). A kernel returns a tuple of two or more outputs, so one dim gives an array."""
    f = _to_float(input)
    out = tuple(_gradient_along(f, d, h, edge_order) for d, h in zip(dim, spacing))
    return out if len(out) > 1 else out[0]  # (one output: an array; the front makes it a 1-tuple)


def _gradient_along(f, d, h, edge_order):
    """Central differences inside, one-sided ones (of order ``edge_order``) at the ends, as NumPy's gradient."""
    def sl(a, b):
        return jax.lax.slice_in_dim(f, a, b, axis=d)
    n = f.shape[d]
    if isinstance(h, tuple):  # coordinates: the second-order formulas for uneven steps
        dx = np.diff(np.asarray(h, np.float64))
        shape = [-1 if k == d else 1 for k in builtins.range(f.ndim)]
        dx1, dx2 = (jnp.asarray(v, f.dtype).reshape(shape) for v in (dx[:-1], dx[1:]))
        a, b, c = -dx2 / (dx1 * (dx1 + dx2)), (dx2 - dx1) / (dx1 * dx2), dx1 / (dx2 * (dx1 + dx2))
        inner = a * sl(0, n - 2) + b * sl(1, n - 1) + c * sl(2, n)
        h0, h1, hm2, hm1 = (float(v) for v in (dx[0], dx[1] if n > 2 else dx[0], dx[-2] if n > 2 else dx[-1], dx[-1]))
    else:
        inner = (sl(2, n) - sl(0, n - 2)) / (2.0 * h)
        h0 = h1 = hm2 = hm1 = float(h)
    if edge_order == 1:
        first = (sl(1, 2) - sl(0, 1)) / h0
        last = (sl(n - 1, n) - sl(n - 2, n - 1)) / hm1
    else:
        first = (-(2 * h0 + h1) / (h0 * (h0 + h1)) * sl(0, 1) + (h0 + h1) / (h0 * h1) * sl(1, 2)
                 - h0 / (h1 * (h0 + h1)) * sl(2, 3))
        last = (hm1 / (hm2 * (hm2 + hm1)) * sl(n - 3, n - 2) - (hm1 + hm2) / (hm2 * hm1) * sl(n - 2, n - 1)
                + (2 * hm1 + hm2) / (hm1 * (hm2 + hm1)) * sl(n - 1, n))
    return jnp.concatenate([first, inner, last], axis=d).astype(f.dtype)


@front(_gradient)
def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Estimates of the derivative of ``input`` along each of ``dim`` (all dims by default). ``spacing``: a number
    (the step for all dims), a list of numbers (one step per dim), or a list of 1-D coordinate tensors. Coordinates
    become kernel constants (their gradient is not tracked)."""
    dims = tuple(builtins.range(input.ndim)) if dim is None else _axes(dim, input.ndim)
    if not isinstance(spacing, (list, tuple)):
        spacing = [spacing] * len(dims)
    elif len(spacing) == 1 and len(dims) > 1:
        spacing = list(spacing) * len(dims)
    if len(spacing) != len(dims):
        raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                           f"arguments to have the same length, but got a spacing argument of length {len(spacing)} "
                           f"and a dim argument of length {len(dims)}.")
    steps = tuple(tuple(float(v) for v in s.tolist()) if isinstance(s, Tensor) and s.ndim else float(s)
                  for s in spacing)
    out = _gradient(input, steps, dims, edge_order)
    return out if isinstance(out, tuple) else (out,)


def _cov_check(input, *, correction=1, fweights=None, aweights=None):
    if input.ndim > 2:
        raise RuntimeError(f"cov(): expected input to have two or fewer dimensions but got an input with "
                           f"{input.ndim} dimensions")


@op(tensors=("input", "fweights", "aweights"), keep=("fweights", "aweights"), jit=True, check=_cov_check)
def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the rows of ``input`` (variables) over its columns (observations)."""
    x = _to_float(input)
    return jnp.cov(x, ddof=correction, fweights=fweights, aweights=aweights).astype(x.dtype)


@op(jit=True, check=lambda input: _cov_check(input))
def corrcoef(input):
    """Pearson correlation coefficients of the rows of ``input`` (clipped to [-1, 1], as torch)."""
    x = _to_float(input)
    c = jnp.corrcoef(x).astype(x.dtype)
    return c if jnp.iscomplexobj(c) else jnp.clip(c, -1, 1)


def _dist_check(input, other, p=2):
    if not isinstance(other, Tensor):
        raise TypeError(f"dist(): argument 'other' (position 2) must be Tensor, not {type(other).__name__}")
    for t in (input, other):
        if not (t.dtype.is_floating_point or t.dtype.is_complex):
            raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                               f"{D.SCALAR_TYPE_NAME[t.dtype.name]} instead.")


@op(tensors=("input", "other"), promote=BINARY, jit=True, check=_dist_check)
def dist(input, other, p=2):
    """The ``p``-norm of ``input - other``."""
    return norm.op.fn(input - other, p if p != 2 else "fro")


def _renorm_check(input, p, dim, maxnorm):
    _norm_check(input)
    if p <= 0:
        raise RuntimeError("renorm: non-positive-norm not supported")
    if maxnorm < 0:
        raise RuntimeError(f"renorm: expected maxnorm to be >= 0 but got {maxnorm}")
    _axes(dim, input.ndim)


@op(jit=True, inplace=True, check=_renorm_check)
def renorm(input, p, dim, maxnorm):
    """Each slice along ``dim`` whose ``p``-norm exceeds ``maxnorm`` scaled down to that norm (1e-7 slack, as
    torch)."""
    ax = _axes(dim, input.ndim)[0]
    others = tuple(k for k in builtins.range(input.ndim) if k != ax)
    n = norm.op.fn(input, p, others, True)
    return input * jnp.where(n > maxnorm, maxnorm / (n + 1e-7), 1.0).astype(input.dtype)
