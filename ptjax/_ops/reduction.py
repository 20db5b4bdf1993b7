"""Reductions (``dim``/``keepdim`` as torch), scans, sorting."""
from __future__ import annotations

import builtins

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .registry import FLOAT, SAME, op


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
                               f"or complex dtype. Got: {_short(input.dtype)}")
    return check


def _short(d):
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(d.name, d.name)


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


@op(jit=True)
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):  # var(input, unbiased)
        dim, unbiased = None, dim
    return jnp.var(input, axis=_axes(dim, input.ndim), ddof=_correction(unbiased, correction), keepdims=keepdim)


@op(jit=True)
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return jnp.std(input, axis=_axes(dim, input.ndim), ddof=_correction(unbiased, correction), keepdims=keepdim)


@op(jit=True, method=False)
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var.op.fn(input, dim, unbiased, keepdim, correction=correction), mean.op.fn(input, dim, keepdim)


@op(jit=True, method=False)
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std.op.fn(input, dim, unbiased, keepdim, correction=correction), mean.op.fn(input, dim, keepdim)


@op(jit=True, promote=FLOAT)
def logsumexp(input, dim, keepdim=False):
    return jax.nn.logsumexp(input, axis=_axes(dim, input.ndim), keepdims=keepdim)


@op(jit=True)
def amax(input, dim=(), keepdim=False):
    return jnp.max(input, axis=_axes(dim, input.ndim), keepdims=keepdim)


@op(jit=True)
def amin(input, dim=(), keepdim=False):
    return jnp.min(input, axis=_axes(dim, input.ndim), keepdims=keepdim)


@op(jit=True, differentiable=False)
def argmax(input, dim=None, keepdim=False):
    if dim is None:
        r = jnp.argmax(input.reshape(-1))
        return r.reshape((1,) * input.ndim) if keepdim else r
    return jnp.argmax(input, axis=_axes(dim, input.ndim)[0], keepdims=keepdim)


@op(jit=True, differentiable=False)
def argmin(input, dim=None, keepdim=False):
    if dim is None:
        r = jnp.argmin(input.reshape(-1))
        return r.reshape((1,) * input.ndim) if keepdim else r
    return jnp.argmin(input, axis=_axes(dim, input.ndim)[0], keepdims=keepdim)


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
    ax = _axes(dim, input.ndim)
    ax = ax[0] if ax else 0
    idx = arg(input, axis=ax, keepdims=True)
    vals = jnp.take_along_axis(input, idx, axis=ax) if input.ndim else input
    if not keepdim and input.ndim:
        vals, idx = jnp.squeeze(vals, ax), jnp.squeeze(idx, ax)
    return vals, idx


@op(tensors=("input", "other"), jit=True, out_fn=_named("max"), grad_name="MaxBackward1")
def max(input, dim=None, keepdim=False, other=None):
    """``max(input)``, ``max(input, dim, keepdim)`` → (values, indices), or ``max(input, other)`` (elementwise)."""
    if other is not None:
        return jnp.maximum(input, other)
    return _max_min(jnp.max, jnp.argmax, input, dim, keepdim)


@op(tensors=("input", "other"), jit=True, out_fn=_named("min"), grad_name="MinBackward1")
def min(input, dim=None, keepdim=False, other=None):
    if other is not None:
        return jnp.minimum(input, other)
    return _max_min(jnp.min, jnp.argmin, input, dim, keepdim)


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


@op(jit=True, promote=FLOAT)
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


@op(jit=True)
def cumsum(input, dim, *, dtype=None):
    return jnp.cumsum(_int_acc(input, dtype), axis=_axes(dim, input.ndim)[0] if input.ndim else None).reshape(
        input.shape)


@op(jit=True)
def cumprod(input, dim, *, dtype=None):
    return jnp.cumprod(_int_acc(input, dtype), axis=_axes(dim, input.ndim)[0] if input.ndim else None).reshape(
        input.shape)


@op(jit=True, differentiable=True, out_fn=_named("cummax"))
def cummax(input, dim):
    ax = _axes(dim, input.ndim)[0]
    vals = jax.lax.cummax(input, axis=ax)
    n = input.shape[ax]
    pos = jnp.arange(n).reshape([-1 if i == ax else 1 for i in range(input.ndim)])
    idx = jax.lax.cummax(jnp.where(input == vals, pos, 0), axis=ax)
    return vals, idx.astype(jnp.int64)


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
