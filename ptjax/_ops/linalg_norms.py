"""Norms: ``linalg.vector_norm``, ``matrix_norm``, ``norm``, ``cond`` and the older ``torch.nuclear_norm`` /
``torch.frobenius_norm``.

The gradients follow torch's conventions where the norm is not differentiable: zero at a zero vector (every
order), zero for the entries that are zero (|x| has subgradient 0 at 0, as torch's ``sgn``), an even split among
tied maxima for ``ord=inf``, and no gradient for ``ord=0`` (a count). The formulas below are written so that
``jax.vjp`` produces exactly those (``_abs``, ``_pow``, ``_root`` mask the points where a plain formula would give
NaN or ±1).
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from .. import _dtype as D
from .linalg_common import at_least_2d, floating, inverse_with_info, linalg_op, square, type_name
from .registry import front, op

_INF = math.inf


def _abs(x):
    """|x| with gradient sgn(x) (0 at 0, as torch)."""
    a = jnp.abs(x)
    return jnp.where(a == 0, 0, a)


def _pow(a, p):
    """a ** p for a ≥ 0, with gradient 0 where a = 0."""
    zero = a == 0
    return jnp.where(zero, 0, jnp.where(zero, 1, a) ** p)


def _root(s, p):
    """s ** (1 / p) for s ≥ 0, with gradient 0 at s = 0."""
    zero = s == 0
    return jnp.where(zero, 0, jnp.where(zero, 1, s) ** (1 / p))


def _vector_norm(x, ord, axes, keepdim):
    """The ``ord``-norm of ``x`` over ``axes`` (a tuple, or None for all)."""
    a = _abs(x)
    if ord == _INF:
        return jnp.max(a, axis=axes, keepdims=keepdim)
    if ord == -_INF:
        return jnp.min(a, axis=axes, keepdims=keepdim)
    if ord == 0:
        return jax.lax.stop_gradient(jnp.sum(a != 0, axis=axes, keepdims=keepdim).astype(a.dtype))
    if ord == 1:
        return jnp.sum(a, axis=axes, keepdims=keepdim)
    if ord < 0:  # a zero entry makes the norm (and its gradient) zero
        has_zero = jnp.any(a == 0, axis=axes, keepdims=keepdim)
        s = jnp.sum(jnp.where(a == 0, 1, a) ** ord, axis=axes, keepdims=keepdim)
        return jnp.where(has_zero, 0, s ** (1 / ord))
    return _root(jnp.sum(_pow(a, ord), axis=axes, keepdims=keepdim), ord)


def _axes(dim, ndim):
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    return tuple(d % ndim if ndim else 0 for d in dims)


def _cast(x, dtype):
    return x if dtype is None else x.astype(D.to_dtype(dtype).np)


# ---- vector norms -----------------------------------------------------------------------------------------------

def _vector_norm_check(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    name = "linalg.vector_norm"
    if isinstance(ord, str):
        raise TypeError("linalg_vector_norm(): argument 'ord' must be Number, not str")
    floating(x, name)
    if dtype is not None:
        target = D.to_dtype(dtype)
        if D.promote_types(x.dtype, target) is not target:
            raise RuntimeError(f"{name}: the dtype of the input ({type_name(x)}) should be convertible without "
                               f"narrowing to the specified dtype ({D.SCALAR_TYPE_NAME[target.name]})")
    if abs(ord) == _INF and x.numel() == 0:
        axes = _axes(dim, x.ndim)
        which = "inf" if ord > 0 else "-inf"
        if axes is None or not x.ndim:
            raise RuntimeError(f"{name} cannot compute the {which} norm on an empty tensor because the operation does "
                               f"not have an identity")
        for d in axes:
            if x.shape[d] == 0:
                raise RuntimeError(f"{name} cannot compute the {which} norm on the dimension {d}because this "
                                   f"dimension is empty and the operation does not have an identity")


@linalg_op("vector_norm", tensors=("x",), check=_vector_norm_check)
def linalg_vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """The ``ord``-norm of ``x`` over ``dim`` (all dims by default), computed in ``dtype`` if given; a complex
    input gives a real norm. Gradients as torch's (module docstring)."""
    return _vector_norm(_cast(x, dtype), ord, _axes(dim, x.ndim), keepdim)


# ---- matrix norms -----------------------------------------------------------------------------------------------

_MATRIX_ORDS = ("fro", "nuc", _INF, -_INF, 1, -1, 2, -2)


def _matrix_norm_check(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None, name="linalg.matrix_norm"):
    at_least_2d(name, A)
    floating(A, name)
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(f"{name}: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
    d0, d1 = (d % A.ndim for d in dims)
    if d0 == d1:
        raise RuntimeError(f"{name}: dims must be different. Got ({dims[0]}, {dims[1]})")
    if ord not in _MATRIX_ORDS:
        raise RuntimeError(f"{name}: Order {ord} not supported.")
    if ord in ("nuc", 2, -2) and A.dtype.name in ("float16", "bfloat16"):
        raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {type_name(A)}")


def _matrix_norm(A, ord, dim, keepdim):
    d0, d1 = (d % A.ndim for d in dim)
    if ord == "fro":
        return _vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        s = jnp.linalg.svd(jnp.moveaxis(A, (d0, d1), (-2, -1)), compute_uv=False)
        out = jnp.sum(s, -1) if ord == "nuc" else jnp.max(s, -1) if ord == 2 else jnp.min(s, -1)
        return jnp.expand_dims(out, sorted((d0, d1))) if keepdim else out
    if abs(ord) == 1:  # max (min) over columns of the column sums
        summed, reduced = d0, d1
    else:  # inf: over rows of the row sums
        summed, reduced = d1, d0
    sums = jnp.sum(_abs(A), axis=summed, keepdims=True)
    out = jnp.max(sums, axis=reduced, keepdims=True) if ord > 0 else jnp.min(sums, axis=reduced, keepdims=True)
    return out if keepdim else jnp.squeeze(out, (d0, d1))


@linalg_op("matrix_norm", check=_matrix_norm_check, grad_name="LinalgVectorNormBackward0")
def linalg_matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """The ``ord`` norm ('fro', 'nuc', ±inf, ±1, ±2) of the matrices in ``dim``."""
    return _matrix_norm(_cast(A, dtype), ord, dim, keepdim)


def _norm_route(A, ord, dim):
    """linalg.norm's choice: ``("vector", ord, dim)`` or ``("matrix", ord, dim)``, as torch decides."""
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) == 1 and not isinstance(ord, str):
            return "vector", 2 if ord is None else ord, dims
        if len(dims) == 2 or len(dims) == 1:
            return "matrix", "fro" if ord is None else ord, dims
        raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. Got "
                           f"[{', '.join(map(str, dims))}]")
    if ord is None:
        return "vector", 2, None
    if isinstance(ord, str) or A.ndim == 2:
        return "matrix", ord, (-2, -1)
    if A.ndim == 1:
        return "vector", ord, None
    raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. Got {A.ndim}D.")


def _norm_check(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    kind, ord, dim = _norm_route(A, ord, dim)
    if kind == "vector":
        _vector_norm_check(A, ord, dim, keepdim, dtype=dtype)
    else:
        _matrix_norm_check(A, ord, dim, keepdim, dtype=dtype)


@linalg_op("norm", check=_norm_check, grad_name="LinalgVectorNormBackward0")
def linalg_norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector norm (``dim`` an int or 1-tuple, or no ``ord`` and no ``dim``: the 2-norm of all entries) or a
    matrix norm (``dim`` a 2-tuple, a 2-d input, or a string ``ord``), as torch decides."""
    kind, ord, dim = _norm_route(A, ord, dim)
    A = _cast(A, dtype)
    if kind == "vector":
        return _vector_norm(A, ord, _axes(dim, A.ndim), keepdim)
    return _matrix_norm(A, ord, dim, keepdim)


def _nuclear_norm_check(input, dim=(-2, -1), keepdim=False):
    _matrix_norm_check(input, "nuc", dim, keepdim)


@op("nuclear_norm", jit=True, method=False, check=_nuclear_norm_check)
def _nuclear_norm(input, dim=(-2, -1), keepdim=False):
    return _matrix_norm(input, "nuc", dim, keepdim)


@front(_nuclear_norm)
def nuclear_norm(input, dim=None, keepdim=False):
    """The sum of singular values; torch's two forms ``nuclear_norm(input, keepdim=False)`` and
    ``nuclear_norm(input, dim, keepdim=False)`` (deprecated in torch for ``linalg.matrix_norm(A, 'nuc')``)."""
    if isinstance(dim, bool):
        dim, keepdim = None, dim
    return _nuclear_norm(input, (-2, -1) if dim is None else tuple(dim), keepdim)


def _frobenius_norm_check(input, dim, keepdim=False):
    if not (input.dtype.is_floating_point or input.dtype.is_complex):
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. Got "
                           f"{type_name(input)} instead.")


@op(jit=True, method=False, check=_frobenius_norm_check, grad_name="LinalgVectorNormBackward0")
def frobenius_norm(input, dim, keepdim=False):
    """The 2-norm over ``dim`` (deprecated in torch for ``linalg.vector_norm(A, 2, dim)``)."""
    return _vector_norm(input, 2, _axes(dim, input.ndim), keepdim)


# ---- condition number -------------------------------------------------------------------------------------------

_COND_ORDS = (None, "fro", "nuc", _INF, -_INF, 1, -1, 2, -2)


def _cond_check(A, p=None):
    if A.ndim < 2:
        raise RuntimeError("linalg.cond: The input tensor must have at least 2 dimensions.")
    if p not in _COND_ORDS:
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    floating(A, "linalg.svd", kernel="linalg_svd")
    if p not in (None, 2, -2):
        shown = {_INF: "inf", -_INF: "-inf"}.get(p, p)
        square(f"linalg.cond(ord={shown})", A)


@linalg_op("cond", check=_cond_check)
def linalg_cond(A, p=None):
    """The condition number ``‖A‖_p ‖A⁻¹‖_p``; for ``p`` None/2/-2 the ratio of extreme singular values (any
    shape), else ``inf`` for a singular matrix, as torch."""
    if p in (None, 2, -2):
        s = jnp.linalg.svd(A, compute_uv=False)
        big, small = s[..., 0], s[..., -1]
        return big / small if p != -2 else small / big
    inverse, info = inverse_with_info(A)
    value = _matrix_norm(A, p, (-2, -1), False) * _matrix_norm(inverse, p, (-2, -1), False)
    return jnp.where(info > 0, jnp.inf, value)
