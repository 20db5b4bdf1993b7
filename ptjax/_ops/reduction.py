"""Reductions (``dim``/``keepdim`` as torch), scans, sorting."""
from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp

from .. import _dtype as D
from .._tensor import Tensor
from .pointwise import maximum, minimum
from .registry import FLOAT, front, op


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
    return jnp.mean(input, axis=_axes(dim, input.ndim), keepdims=keepdim)


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
        raise RuntimeError(f'"softmax_lastdim_kernel_impl" not implemented for \'{D.SCALAR_TYPE_NAME[x.dtype.name]}\'')
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
        name = D.SCALAR_TYPE_NAME[input.dtype.name]
        raise NotImplementedError(f'"logcumsumexp_out_cpu" not implemented for \'{name}\'')


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


