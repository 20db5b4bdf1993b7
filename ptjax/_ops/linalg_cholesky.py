"""Factorizations of symmetric (Hermitian) matrices: Cholesky (``linalg.cholesky``, ``cholesky_ex``,
``cholesky_solve``, ``cholesky_inverse``) and LDLᵀ with Bunch-Kaufman pivoting (``linalg.ldl_factor``,
``ldl_factor_ex``, ``ldl_solve``).

As LAPACK (and so torch), the Cholesky functions read one triangle of the input; their gradients are Hermitian, as
torch's. JAX's Cholesky reports failure by a NaN result rather than LAPACK's ``info``, so for the (rare) inputs that
fail, ``info`` (the order of the first leading minor that is not positive-definite) is found by bisection over
leading minors. JAX has no LDLᵀ factorization: ``ldl_*`` call LAPACK's sytrf/sytrs through SciPy (a dependency of
JAX) on the host, so they give LAPACK's pivots exactly; torch defines no gradient for them, and neither does ptjax.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .linalg_common import (broadcast_batch, floating, hermitian_part, linalg_op, lu_factor, lu_solve, mH, named,
                            raise_for_info, return_type, square, square_floating, type_name, valued_as)
from .registry import front, op

_CholeskyEx = return_type("linalg_cholesky_ex", "L", "info")


def _not_positive_definite(order):
    return (f"The factorization could not be completed because the input is not positive-definite (the leading "
            f"minor of order {order} is not positive-definite).")


def _leading_minor_info(A):
    """Per matrix, the smallest k whose leading k×k minor is not positive-definite (0 if all are): a bisection
    over k, each step a Cholesky of the minor (padded with the identity to keep the shape static)."""
    n = A.shape[-1]
    inside = jnp.arange(n)

    def positive_definite(k):
        rows = inside < k[..., None]
        mask = rows[..., :, None] & rows[..., None, :]
        minor = jnp.where(mask, A, jnp.eye(n, dtype=A.dtype))
        L = jax.lax.linalg.cholesky(minor, symmetrize_input=False)
        return jnp.all(jnp.isfinite(L), axis=(-2, -1))

    lo = jnp.zeros(A.shape[:-2], jnp.int32)            # a positive-definite order
    hi = jnp.full(A.shape[:-2], n, jnp.int32)          # an order that fails (checked by the caller)
    for _ in range(max(n - 1, 1).bit_length()):
        mid = (lo + hi) // 2
        ok = positive_definite(mid)
        lo, hi = jnp.where(ok, mid, lo), jnp.where(ok, hi, mid)
    return hi


def _cholesky_with_info(A, upper):
    """``(L or U, info)`` as LAPACK potrf: ``upper`` reads and returns the upper triangle."""
    L = jax.lax.linalg.cholesky(hermitian_part(A, lower=not upper), symmetrize_input=False)
    failed = ~jnp.all(jnp.isfinite(L), axis=(-2, -1))
    stored = jax.lax.stop_gradient(hermitian_part(A, lower=not upper))
    info = jax.lax.cond(jnp.any(failed), lambda: jnp.where(failed, _leading_minor_info(stored), 0),
                        lambda: jnp.zeros(A.shape[:-2], jnp.int32))
    return (mH(L) if upper else L), info


def _raise_not_positive_definite(prefix):
    def out_fn(outs):
        raise_for_info(outs[1]._value, _not_positive_definite, prefix=prefix)
        return outs[0]
    return out_fn


@linalg_op("cholesky", check=square_floating("linalg.cholesky", kernel="cholesky"),
           grad_name="LinalgCholeskyExBackward0", out_fn=_raise_not_positive_definite("linalg.cholesky: "))
def linalg_cholesky(A, *, upper=False):
    """``L`` (lower triangular) with ``A = L Lᴴ``; ``upper=True`` gives ``U = Lᴴ`` (from the upper triangle)."""
    return _cholesky_with_info(A, upper)


@linalg_op("cholesky_ex", check=square_floating("linalg.cholesky_ex", kernel="cholesky"),
           grad_name="LinalgCholeskyExBackward0", out_fn=named(_CholeskyEx))
def _cholesky_ex(A, *, upper=False):
    return _cholesky_with_info(A, upper)


@front(_cholesky_ex)
def linalg_cholesky_ex(A, *, upper=False, check_errors=False):
    """``(L, info)``: ``info`` is the order of the first leading minor that is not positive-definite, else 0."""
    res = _cholesky_ex(A, upper=upper)
    if check_errors:
        raise_for_info(res.info._value, _not_positive_definite, prefix="linalg.cholesky_ex: ")
    return res


def _cholesky_solve_with(L, B, upper):
    """``(L Lᴴ)⁻¹ B`` (``(Uᴴ U)⁻¹ B``). The value reads only the given triangle of ``L``, as LAPACK potrs; the
    gradient is torch's, which treats ``L`` as a full matrix (so its other triangle gets a gradient too): the
    product is formed from the whole of ``L`` for differentiation, its other triangle's values held at zero."""
    L = valued_as(jnp.triu(L) if upper else jnp.tril(L), L)
    A = mH(L) @ L if upper else L @ mH(L)
    A, B = broadcast_batch(A, B)
    lu, perm, _ = lu_factor(A)
    return lu_solve(lu, perm, B)


def _same_dtype_b_A(b, A):
    if b.dtype is not A.dtype:
        raise RuntimeError(f"Expected b and A to have the same dtype, but found b of type {type_name(b)} and A of "
                           f"type {type_name(A)} instead.")


def _cholesky_solve_check(input, input2, upper=False):
    if input.ndim < 2:
        raise RuntimeError(f"b should have at least 2 dimensions, but has {input.ndim} dimensions instead")
    if input2.ndim < 2:
        raise RuntimeError(f"u should have at least 2 dimensions, but has {input2.ndim} dimensions instead")
    _same_dtype_b_A(input, input2)
    floating(input, kernel="cholesky_solve")
    if input2.shape[-1] != input2.shape[-2] or input2.shape[-1] != input.shape[-2]:
        raise RuntimeError(f"Incompatible matrix sizes for cholesky_solve: each A matrix is {input2.shape[-2]} by "
                           f"{input2.shape[-1]} but each b matrix is {input.shape[-2]} by {input.shape[-1]}")


@op(tensors=("input", "input2"), jit=True, check=_cholesky_solve_check)
def cholesky_solve(input, input2, upper=False):
    """``A⁻¹ B`` for ``B = input`` and ``A = L Lᴴ`` given by its Cholesky factor ``input2`` (``Uᴴ U`` with
    ``upper=True``)."""
    return _cholesky_solve_with(input2, input, upper)


def _cholesky_inverse_check(input, upper=False):
    square("cholesky_inverse", input)
    floating(input, kernel="cholesky_inverse_out")


@op(jit=True, check=_cholesky_inverse_check)
def cholesky_inverse(input, upper=False):
    """``(L Lᴴ)⁻¹`` from the Cholesky factor ``L`` (``(Uᴴ U)⁻¹`` with ``upper=True``)."""
    eye = jnp.broadcast_to(jnp.eye(input.shape[-1], dtype=input.dtype), input.shape)
    return _cholesky_solve_with(input, eye, upper)


# ---- LDLᵀ (host LAPACK through SciPy) ---------------------------------------------------------------------------

_LdlFactor = return_type("linalg_ldl_factor", "LD", "pivots")
_LdlFactorEx = return_type("linalg_ldl_factor_ex", "LD", "pivots", "info")


def _lapack(name, dtype):
    from scipy.linalg import lapack
    return getattr(lapack, {"float32": "s", "float64": "d", "complex64": "c", "complex128": "z"}[dtype.name] + name)


def _sytrf_host(A, hermitian):
    """LAPACK sytrf (hetrf) per matrix: the packed L and D (lower triangle), 1-based pivots and info."""
    A = np.asarray(A)
    flat = A.reshape((-1,) + A.shape[-2:])
    sytrf = _lapack("hetrf" if hermitian and np.iscomplexobj(A) else "sytrf", A.dtype)
    LD, piv, info = np.empty_like(flat), np.empty(flat.shape[:-1], np.int32), np.empty(len(flat), np.int32)
    for i, a in enumerate(flat):
        ld, piv[i], info[i] = sytrf(a, lower=1)[:3]
        LD[i] = np.tril(ld)
    batch = A.shape[:-2]
    return LD.reshape(A.shape), piv.reshape(batch + A.shape[-1:]), info.reshape(batch)


def _ldl_factor(A, hermitian):
    shapes = (jax.ShapeDtypeStruct(A.shape, A.dtype), jax.ShapeDtypeStruct(A.shape[:-1], jnp.int32),
              jax.ShapeDtypeStruct(A.shape[:-2], jnp.int32))
    return jax.pure_callback(lambda a: _sytrf_host(a, hermitian), shapes, A, vmap_method="sequential")


def _ldl_check(name):
    def check(A, *, hermitian=False):
        square(name, A)
        floating(A, name, kernel="ldl_factor_kernel")
    return check


def _singular_d(i):
    return f"The factorization could not be completed because the block diagonal matrix D[{i},{i}] is exactly zero."


def _raise_singular_d(outs):
    raise_for_info(outs[2]._value, _singular_d, RuntimeError, "torch.linalg.ldl_factor: ")
    return _LdlFactor(*outs[:2])


@linalg_op("ldl_factor", check=_ldl_check("torch.linalg.ldl_factor_ex"), differentiable=False,
           out_fn=_raise_singular_d)
def linalg_ldl_factor(A, *, hermitian=False):
    """``(LD, pivots)``: Bunch-Kaufman ``A = L D Lᵀ`` (LAPACK sytrf, lower triangle) in LAPACK's compact form.
    torch raises an internal assertion for an exactly singular ``D``; ptjax raises a RuntimeError saying so."""
    return _ldl_factor(A, hermitian)


@linalg_op("ldl_factor_ex", check=_ldl_check("torch.linalg.ldl_factor_ex"), differentiable=False,
           out_fn=named(_LdlFactorEx))
def _ldl_factor_ex(A, *, hermitian=False):
    return _ldl_factor(A, hermitian)


@front(_ldl_factor_ex)
def linalg_ldl_factor_ex(A, *, hermitian=False, check_errors=False):
    res = _ldl_factor_ex(A, hermitian=hermitian)
    if check_errors:
        raise_for_info(res.info._value, _singular_d, RuntimeError, "torch.linalg.ldl_factor_ex: ")
    return res


def _sytrs_host(LD, pivots, B, hermitian):
    LD, pivots, B = np.asarray(LD), np.asarray(pivots), np.asarray(B)
    sytrs = _lapack("hetrs" if hermitian and np.iscomplexobj(LD) else "sytrs", LD.dtype)
    flat = [x.reshape((-1,) + x.shape[-k:]) for x, k in ((LD, 2), (pivots, 1), (B, 2))]
    X = np.stack([sytrs(ld, p, b, lower=1)[0] for ld, p, b in zip(*flat)])
    return X.reshape(B.shape).astype(B.dtype)


def _ldl_solve_check(LD, pivots, B, *, hermitian=False):
    name = "torch.linalg.ldl_solve"
    square(name, LD, "LD")
    floating(LD, name)
    if B.ndim < 2:  # (torch's own words for this case)
        raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got -2)")
    _same_dtype_b_A(B, LD)


@linalg_op("ldl_solve", tensors=("LD", "pivots", "B"), check=_ldl_solve_check, differentiable=False)
def linalg_ldl_solve(LD, pivots, B, *, hermitian=False):
    """``X`` with ``AX = B`` from ``ldl_factor``'s output (LAPACK sytrs)."""
    LD, B = broadcast_batch(LD, B)
    pivots = jnp.broadcast_to(pivots.astype(jnp.int32), LD.shape[:-1])
    return jax.pure_callback(lambda *a: _sytrs_host(*a, hermitian), jax.ShapeDtypeStruct(B.shape, B.dtype),
                             LD, pivots, B, vmap_method="sequential")
