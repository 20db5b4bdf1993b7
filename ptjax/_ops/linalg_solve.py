"""Inverses, linear solves, determinants and LU factorizations: the ``torch.linalg`` entries built on LU with
partial pivoting (LAPACK getrf on CPU, as torch). ``ptjax.linalg`` exposes them under torch.linalg's names; the
top-level ones (``inverse``, ``det``, ``slogdet``, ``logdet``, ``lu_unpack``) are also ``ptjax.X`` and
``Tensor.X``.

The ``_ex`` variants return LAPACK's ``info`` (int32, 0 = success) and raise only with ``check_errors=True``; the
others raise torch's error for a singular input (one host read of ``info`` per call). Gradients come from
``jax.vjp`` of the same factorizations.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from .linalg_common import (at_least_2d, broadcast_batch, checked, equation_shapes, floating, inverse_with_info,
                            linalg_op, lu_factor, lu_info, lu_solve, mT, named, raise_for_info, return_type,
                            same_dtype, singular_inverse, square, square_floating)
from .registry import BINARY, front, op

# ---- inverse ----------------------------------------------------------------------------------------------------

_InvEx = return_type("linalg_inv_ex", "inverse", "info")


@op(jit=True, check=square_floating("linalg.inv", low=True), grad_name="LinalgInvExBackward0",
    out_fn=checked(singular_inverse, prefix="linalg.inv: "))
def inverse(input):
    """The inverse of each square matrix (``torch.inverse`` is ``torch.linalg.inv``)."""
    return inverse_with_info(input)


@linalg_op("inv_ex", check=square_floating("linalg.inv_ex", low=True), grad_name="LinalgInvExBackward0",
           out_fn=named(_InvEx))
def _inv_ex(A):
    return inverse_with_info(A)


@front(_inv_ex)
def linalg_inv_ex(A, *, check_errors=False):
    """``(inverse, info)``; ``info[i]`` is the index of the first zero pivot of U for a singular matrix, else 0."""
    res = _inv_ex(A)
    if check_errors:
        raise_for_info(res.info._value, singular_inverse, prefix="linalg.inv_ex: ")
    return res


# ---- determinants -----------------------------------------------------------------------------------------------

_Slogdet = return_type("linalg_slogdet", "sign", "logabsdet")


@op(jit=True, check=square_floating("linalg.det", kernel="lu"), grad_name="LinalgDetBackward0")
def det(input):
    """Also ``torch.linalg.det``. Its gradient at singular matrices of rank n-1 is defined (the cofactor matrix),
    as torch's."""
    return jnp.linalg.det(input)


@op(jit=True, check=square_floating("linalg.slogdet", low=True), grad_name="LinalgSlogdetBackward0",
    out_fn=named(_Slogdet))
def slogdet(input):
    """``(sign, logabsdet)``; a singular matrix gives ``(0, -inf)``. Also ``torch.linalg.slogdet``."""
    sign, logabsdet = jnp.linalg.slogdet(input)
    return sign, logabsdet


@op(jit=True, check=square_floating("logdet", kernel="lu"))
def logdet(input):
    """``log(det(input))``: nan for a negative determinant, -inf for a singular matrix."""
    sign, logabsdet = jnp.linalg.slogdet(input)
    if jnp.iscomplexobj(input):
        return jnp.log(sign) + logabsdet
    return jnp.where(sign < 0, jnp.nan, logabsdet)


# ---- solve ------------------------------------------------------------------------------------------------------

_SolveEx = return_type("linalg_solve_ex", "result", "info")


def _is_vector_rhs(A, B):
    """torch's rule: ``B`` is a (batch of) vector(s) if 1-d, or if its shape is ``A.shape[:-1]``."""
    return B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))


def _solve_check(name):
    def check(A, B, left=True):
        square(name, A)
        floating(A, name, kernel="lu")
        same_dtype(name, A, B)
        if _is_vector_rhs(A, B):
            if A.shape[-1] != B.shape[-1]:
                raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation AX = B "
                                   f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-1]}x1)")
        else:
            equation_shapes(name, A, B, left)
    return check


def _solve_with_info(A, B, left):
    """``X`` with ``AX = B`` (``XA = B`` for ``left=False``), and the LU ``info`` of ``A``."""
    vector = _is_vector_rhs(A, B)
    rhs = B[..., None] if vector else B if left else mT(B)
    lu, perm, info = lu_factor(A)
    X = lu_solve(lu, perm, rhs, transpose=not left)
    return (X[..., 0] if vector else X if left else mT(X)), info


def _singular_solve(i):
    return "The solver failed because the input matrix is singular."


@linalg_op("solve", tensors=("A", "B"), check=_solve_check("linalg.solve"), grad_name="LinalgSolveExBackward0",
           out_fn=checked(_singular_solve, prefix="torch.linalg.solve: "))
def linalg_solve(A, B, *, left=True):
    """``X`` with ``AX = B`` (``XA = B`` with ``left=False``); ``B`` may be a batch of vectors (torch's rule)."""
    return _solve_with_info(A, B, left)


@linalg_op("solve_ex", tensors=("A", "B"), check=_solve_check("linalg.solve_ex"), grad_name="LinalgSolveExBackward0",
           out_fn=named(_SolveEx))
def _solve_ex(A, B, *, left=True):
    return _solve_with_info(A, B, left)


@front(_solve_ex)
def linalg_solve_ex(A, B, *, left=True, check_errors=False):
    res = _solve_ex(A, B, left=left)
    if check_errors:
        raise_for_info(res.info._value, _singular_solve, prefix="torch.linalg.solve_ex: ")
    return res


def _solve_triangular_check(A, B, *, upper, left=True, unitriangular=False):
    name = "linalg.solve_triangular"
    square(name, A)
    at_least_2d(name, B, "B")
    for t in (A, B):
        floating(t, kernel="triangular_solve")
    equation_shapes(name, A, B, left)


@linalg_op("solve_triangular", tensors=("A", "B"), promote=BINARY, check=_solve_triangular_check)
def linalg_solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """``X`` with ``AX = B`` (``XA = B``) for triangular ``A``; only ``A``'s ``upper`` (or lower) triangle is read,
    and its gradient is that triangle's, as torch."""
    A, B = broadcast_batch(A, B)
    return jax.lax.linalg.triangular_solve(A, B, left_side=left, lower=not upper, unit_diagonal=unitriangular)


# ---- LU ---------------------------------------------------------------------------------------------------------

_LuFactor = return_type("linalg_lu_factor", "LU", "pivots")
_LuFactorEx = return_type("linalg_lu_factor_ex", "LU", "pivots", "info")
_Lu = return_type("linalg_lu", "P", "L", "U")
_LuUnpack = return_type("lu_unpack", "P", "L", "U")


def _constant_permutation(cls):
    """An ``out_fn``: P is a constant of the factorization (torch gives it no gradient)."""
    return lambda outs: cls(outs[0].detach(), outs[1], outs[2])


def _lu_factor_check(name):
    def check(A, *, pivot=True, **kw):
        if A.ndim < 2:
            raise RuntimeError(f"torch.lu_factor: Expected tensor with 2 or more dimensions. Got size: "
                               f"[{', '.join(map(str, A.shape))}] instead")
        floating(A, kernel="lu")
        if not pivot:
            raise RuntimeError(f"{name}: LU without pivoting is not implemented on the CPU")
    return check


def _zero_pivot(i):
    return (f"U[{i},{i}] is zero and using it on lu_solve would result in a division by zero. If you still want to "
            f"perform the factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def _lu_factor_with_info(A):
    """``(LU, pivots, info)`` as LAPACK getrf: pivots are 1-based int32 row interchanges."""
    lu, pivots, _ = jax.lax.linalg.lu(A)
    return lu, pivots + 1, lu_info(lu)


def _raise_zero_pivot(prefix):
    def out_fn(outs):
        raise_for_info(outs[2]._value, _zero_pivot, RuntimeError, prefix)
        return _LuFactor(*outs[:2])
    return out_fn


@linalg_op("lu_factor", check=_lu_factor_check("linalg.lu_factor"),
           grad_name="LinalgLuFactorExBackward0", out_fn=_raise_zero_pivot("torch.linalg.lu_factor: "))
def linalg_lu_factor(A, *, pivot=True):
    """``(LU, pivots)``: L (unit diagonal, below) and U packed in one matrix, and LAPACK's 1-based int32 pivots.
    ``pivot=False`` raises, as torch on the CPU."""
    return _lu_factor_with_info(A)


@linalg_op("lu_factor_ex", check=_lu_factor_check("linalg.lu_factor_ex"), grad_name="LinalgLuFactorExBackward0",
           out_fn=named(_LuFactorEx))
def _lu_factor_ex(A, *, pivot=True):
    return _lu_factor_with_info(A)


@front(_lu_factor_ex)
def linalg_lu_factor_ex(A, *, pivot=True, check_errors=False):
    res = _lu_factor_ex(A, pivot=pivot)
    if check_errors:
        raise_for_info(res.info._value, _zero_pivot, RuntimeError, "torch.linalg.lu_factor_ex: ")
    return res


def _permutation_matrix(perm, dtype):
    """P with ``A = P L U`` when ``A[perm] = L U``."""
    return mT(jax.nn.one_hot(perm, perm.shape[-1], dtype=dtype))


def _unpack(lu):
    """L (m×k, unit diagonal) and U (k×n) from the packed LU of an m×n matrix, k = min(m, n)."""
    m, n = lu.shape[-2:]
    k = min(m, n)
    L = jnp.tril(lu[..., :, :k], -1) + jnp.eye(m, k, dtype=lu.dtype)
    return L, jnp.triu(lu[..., :k, :])


@linalg_op("lu", check=_lu_factor_check("linalg.lu_factor"),
           grad_name="LinalgLuBackward0", out_fn=_constant_permutation(_Lu))
def linalg_lu(A, *, pivot=True):
    """``(P, L, U)`` with ``A = P L U`` (rectangular ``A`` too)."""
    lu, _, perm = jax.lax.linalg.lu(A)
    return (_permutation_matrix(perm, A.dtype),) + _unpack(lu)


def _lu_unpack_check(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    if LU_pivots.dtype.name != "int32":
        raise RuntimeError("torch.lu_unpack: LU_pivots is expected to be a contiguous tensor of torch.int32 dtype.\n"
                           "Note: this function is intended to be used with the output produced by "
                           "torch.linalg.lu_factor")


def _permutation_of(pivots, m):
    """The row permutation that LAPACK's 1-based ``pivots`` (row interchanges) apply to an m-row matrix."""
    return jax.lax.linalg.lu_pivots_to_permutation(pivots - 1, m)


@op(tensors=("LU_data", "LU_pivots"), jit=True, method=False, check=_lu_unpack_check,
    out_fn=_constant_permutation(_LuUnpack))
def lu_unpack(LU_data, LU_pivots, unpack_data=True, unpack_pivots=True):
    """``(P, L, U)`` from ``linalg.lu_factor``'s output; what is not unpacked is an empty tensor, as torch."""
    empty = jnp.zeros((0,), LU_data.dtype)
    P = _permutation_matrix(_permutation_of(LU_pivots, LU_data.shape[-2]), LU_data.dtype) if unpack_pivots \
        else empty
    L, U = _unpack(LU_data) if unpack_data else (empty, empty)
    return P, L, U


def _lu_solve_check(LU, pivots, B, *, left=True, adjoint=False):
    name = "linalg.lu_solve"
    square(name, LU, "LU")
    at_least_2d(name, B, "B")
    floating(LU, kernel="lu_solve")
    same_dtype(name, LU, B, "LU", "B")
    equation_shapes(name, LU, B, left)


@linalg_op("lu_solve", tensors=("LU", "pivots", "B"), check=_lu_solve_check)
def linalg_lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """``X`` with ``AX = B`` from ``A``'s ``lu_factor``; ``adjoint`` solves with ``Aᴴ``, ``left=False`` for
    ``XA = B``."""
    perm = _permutation_of(pivots, LU.shape[-1])
    if left:
        return lu_solve(LU, perm, B, transpose=adjoint, conjugate=adjoint)
    # X A = B  ⟺  Aᵀ Xᵀ = Bᵀ (with Aᴴ: conj(A) Xᵀ = Bᵀ, i.e. A conj(Xᵀ) = conj(Bᵀ))
    if adjoint:
        return mT(jnp.conj(lu_solve(LU, perm, jnp.conj(mT(B)))))
    return mT(lu_solve(LU, perm, mT(B), transpose=True))


# ---- tensor equations -------------------------------------------------------------------------------------------

def _tensor_shape_check(A, ind, other="ind"):
    rows, cols = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError(f"Expected self to satisfy the requirement prod(self.shape[{other}:]) == "
                           f"prod(self.shape[:{other}]), but got {cols} != {rows}")


def _tensorinv_check(A, ind=2):
    if ind <= 0:
        raise RuntimeError(f"Expected a strictly positive integer for 'ind', but got {ind}")
    _tensor_shape_check(A, ind)


@linalg_op("tensorinv", check=_tensorinv_check,
           grad_name="LinalgInvExBackward0", out_fn=checked(singular_inverse, prefix="inv: "))
def linalg_tensorinv(A, ind=2):
    """The tensor ``X`` with ``tensordot(A, X, ind)`` the identity: ``inv`` of ``A`` seen as a square matrix."""
    rows = math.prod(A.shape[:ind])
    inv, info = inverse_with_info(A.reshape(rows, rows))
    return inv.reshape(A.shape[ind:] + A.shape[:ind]), info


def _moved(A, dims):
    return A if dims is None else jnp.moveaxis(A, dims, tuple(range(A.ndim - len(dims), A.ndim)))


def _tensorsolve_check(A, B, dims=None):
    moved = A.movedim(dims, tuple(range(A.ndim - len(dims), A.ndim))) if dims is not None else A
    _tensor_shape_check(moved, B.ndim, "other.ndim")


@linalg_op("tensorsolve", tensors=("A", "B"), check=_tensorsolve_check,
           grad_name="LinalgSolveExBackward0", out_fn=checked(_singular_solve, prefix="torch.linalg.solve: "))
def linalg_tensorsolve(A, B, dims=None):
    """``X`` with ``tensordot(A, X, X.ndim) = B``; ``dims`` of ``A`` are moved to the end first."""
    A = _moved(A, dims)
    n = math.prod(B.shape)
    X, info = _solve_with_info(A.reshape(n, n), B.reshape(n), True)
    return X.reshape(A.shape[B.ndim:]), info
