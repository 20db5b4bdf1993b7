"""torch.linalg: every function is an op-table entry (``ptjax/_ops/linalg_*.py``). Functions torch also has at the
top level are the same entry under both names (``linalg.det`` is ``ptjax.det``, ``linalg.inv`` is
``ptjax.inverse``, ``linalg.householder_product`` is ``ptjax.orgqr``); the others are registered as
``linalg_<name>``, torch's native names. ``cross`` and ``diagonal`` differ from their top-level twins only in
their defaults."""
from ._ops import linalg_common as _common
from ._ops.registry import TABLE as _TABLE

LinAlgError = _common._LinAlgError

(cholesky, cholesky_ex, cond, eig, eigh, eigvals, eigvalsh, inv_ex, ldl_factor, ldl_factor_ex, ldl_solve, lstsq, lu,
 lu_factor, lu_factor_ex, lu_solve, matrix_norm, matrix_rank, multi_dot, norm, pinv, qr, solve, solve_ex,
 solve_triangular, svd, svdvals, tensorinv, tensorsolve, vander, vecdot, vector_norm) = (
    _TABLE[f"linalg_{name}"].public for name in (
        "cholesky", "cholesky_ex", "cond", "eig", "eigh", "eigvals", "eigvalsh", "inv_ex", "ldl_factor",
        "ldl_factor_ex", "ldl_solve", "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "matrix_norm",
        "matrix_rank", "multi_dot", "norm", "pinv", "qr", "solve", "solve_ex", "solve_triangular", "svd", "svdvals",
        "tensorinv", "tensorsolve", "vander", "vecdot", "vector_norm"))

det, slogdet, matrix_exp, matrix_power, matmul, inv, householder_product = (
    _TABLE[name].public for name in ("det", "slogdet", "matrix_exp", "matrix_power", "matmul", "inverse", "orgqr"))


def cross(input, other, *, dim=-1):
    """``torch.cross`` with linalg's default ``dim=-1``."""
    return _TABLE["cross"].public(input, other, dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """``torch.diagonal`` over the last two dims by default (a view)."""
    return _TABLE["diagonal"].public(A, offset, dim1, dim2)


__all__ = [
    "LinAlgError", "cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig", "eigh", "eigvals", "eigvalsh",
    "householder_product", "inv", "inv_ex", "ldl_factor", "ldl_factor_ex", "ldl_solve", "lstsq", "lu", "lu_factor",
    "lu_factor_ex", "lu_solve", "matmul", "matrix_exp", "matrix_norm", "matrix_power", "matrix_rank", "multi_dot",
    "norm", "pinv", "qr", "slogdet", "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "tensorinv",
    "tensorsolve", "vander", "vecdot", "vector_norm",
]
