"""Eigen- and singular value decompositions and what is built on them: ``linalg.eigh``/``eigvalsh``,
``eig``/``eigvals``, ``svd``/``svdvals`` (and ``torch.svd``), ``pinv`` (and ``torch.pinverse``),
``matrix_rank``, ``lstsq``, and the randomized ``svd_lowrank`` / ``pca_lowrank``.

Eigenvectors and singular vectors are unique only up to sign (a phase for complex ones). JAX's CPU kernels are the
LAPACK routines torch calls (syevd, geev, gesdd), so the vectors usually agree, but only the invariant quantities
(reconstructions, ``|v|``, projections) are promised, as in torch's own tests. Gradients are those of ``jax.vjp``:
defined, as torch's, for distinct eigenvalues / singular values; ``eig``'s eigenvector gradient assumes unit-norm
eigenvectors, as torch's. ``eig`` runs on JAX's CPU backend only (JAX has no GPU kernel for it).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from .linalg_common import (at_least_2d, broadcast_batch, default_rtol, floating, hermitian_part, linalg_op, mH, named,
                            real_dtype, return_type, square, type_name, valued_as)
from .registry import front, op

# ---- symmetric / Hermitian eigenproblems -------------------------------------------------------------------------

_Eigh = return_type("linalg_eigh", "eigenvalues", "eigenvectors")
_Eig = return_type("linalg_eig", "eigenvalues", "eigenvectors")


def _eigh_check(A, UPLO="L"):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    square("linalg.eigh", A)
    floating(A, kernel="linalg_eigh")


def _eigh(A, UPLO):
    """(eigenvalues ascending, eigenvectors as columns) of the Hermitian matrix ``A``'s ``UPLO`` triangle stores."""
    lower = UPLO == "L"
    vectors, values = jax.lax.linalg.eigh(hermitian_part(A, lower), lower=lower, symmetrize_input=False)
    return values, vectors


@linalg_op("eigh", check=_eigh_check, out_fn=named(_Eigh))
def linalg_eigh(A, UPLO="L"):
    """``(eigenvalues, eigenvectors)``: ``A = V diag(w) Vᴴ``, reading the ``UPLO`` triangle (torch's rule). The
    eigenvectors' signs are LAPACK's, not promised (see the module docstring)."""
    return _eigh(A, UPLO)


@linalg_op("eigvalsh", check=_eigh_check, grad_name="LinalgEighBackward0")
def linalg_eigvalsh(A, UPLO="L"):
    return _eigh(A, UPLO)[0]


def _eig_check(A):
    square("linalg.eig", A)
    if not (A.dtype.is_floating_point or A.dtype.is_complex):
        raise RuntimeError(f"Unknown Complex ScalarType for {type_name(A)}")
    floating(A, kernel="linalg_eig_out")


def _eig(A, vectors):
    out = jax.lax.linalg.eig(A, compute_left_eigenvectors=False, compute_right_eigenvectors=vectors,
                             enable_eigvec_derivs=vectors)
    return tuple(out) if vectors else out[0]


@linalg_op("eig", check=_eig_check, out_fn=named(_Eig))
def linalg_eig(A):
    """``(eigenvalues, eigenvectors)``, complex even for real ``A`` (complex64 for float32), eigenvectors of unit
    norm (LAPACK geev's normalization, as torch). CPU only, as JAX's kernel."""
    return _eig(A, True)


@linalg_op("eigvals", check=_eig_check, grad_name="LinalgEigBackward0")
def linalg_eigvals(A):
    return _eig(A, False)


# ---- singular value decomposition -------------------------------------------------------------------------------

_Svd = return_type("linalg_svd", "U", "S", "Vh")
_TorchSvd = return_type("svd", "U", "S", "V")


def _svd_check(A, *args, driver=None, **kwargs):
    at_least_2d("linalg.svd", A)
    floating(A, "linalg.svd", kernel="linalg_svd")
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on CUDA inputs with "
                           "cuSOLVER backend.")


@linalg_op("svd", check=_svd_check, out_fn=named(_Svd))
def linalg_svd(A, full_matrices=True, *, driver=None):
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``. ``driver`` (a cuSOLVER choice in torch) is refused as torch does on
    the CPU: XLA picks the algorithm."""
    U, S, Vh = jnp.linalg.svd(A, full_matrices=full_matrices)
    return U, S, Vh


@linalg_op("svdvals", check=_svd_check, grad_name="LinalgSvdBackward0")
def linalg_svdvals(A, *, driver=None):
    return jnp.linalg.svd(A, compute_uv=False)


@op("svd", jit=True, check=_svd_check, grad_name="LinalgSvdBackward0")
def _torch_svd(input, some=True, compute_uv=True):
    if not compute_uv:
        m, n = input.shape[-2:]
        batch = input.shape[:-2]
        S = jnp.linalg.svd(input, compute_uv=False)
        return jnp.zeros(batch + (m, m), input.dtype), S, jnp.zeros(batch + (n, n), input.dtype)
    U, S, Vh = jnp.linalg.svd(input, full_matrices=not some)
    return U, S, mH(Vh)


@front(_torch_svd)
def svd(input, some=True, compute_uv=True):
    """torch.svd: ``(U, S, V)`` with ``A = U diag(S) Vᴴ`` (V, not linalg.svd's Vh); ``some=False`` gives square U
    and V. With ``compute_uv=False``, U and V are zero-filled m×m and n×n matrices without gradient, as torch."""
    U, S, V = _torch_svd(input, some, compute_uv)
    return _TorchSvd(U, S, V) if compute_uv else _TorchSvd(U.detach(), S, V.detach())


# ---- pseudo-inverse, rank, least squares ------------------------------------------------------------------------

def _tolerances(A, atol, rtol):
    """torch's rule: no tolerance given → rtol = eps · max(m, n); only atol given → rtol = 0."""
    if rtol is None:
        rtol = default_rtol(A) if atol is None else 0.0
    return (0.0 if atol is None else atol), rtol


def _pinv_check(A, *args, hermitian=False, **kwargs):
    if A.ndim < 2 or not (A.dtype.is_floating_point or A.dtype.is_complex) or A.dtype.name in ("float16",
                                                                                                 "bfloat16"):
        raise RuntimeError(f"linalg.pinv({type_name(A)}{{[{', '.join(map(str, A.shape))}]}}): expected a tensor with 2 "
                           f"or more dimensions of float, double, cfloat or cdouble types")
    if hermitian:
        square("linalg.eigh", A)


def _pinv(A, atol, rtol, hermitian):
    """The pseudo-inverse with singular values ≤ max(atol, rtol · σ_max) treated as zero. JAX's pinv (whose
    gradient is the closed form, valid for rank-deficient inputs too) takes one relative cutoff, so an absolute one
    becomes ``atol / σ_max`` (a constant for differentiation). With ``hermitian``, the gradient is the general one
    (not symmetrized), as torch's."""
    atol, rtol = _tolerances(A, atol, rtol)
    if hermitian:  # the lower triangle's Hermitian matrix (as torch reads it), pseudo-inverted by the SVD
        A = valued_as(hermitian_part(A), A)
    if not (isinstance(atol, float) and atol == 0.0):
        smax = jnp.max(jnp.abs(jax.lax.stop_gradient(jnp.linalg.svd(A, compute_uv=False))), axis=-1, initial=0.0)
        rtol = jnp.maximum(jnp.asarray(atol) / jnp.where(smax > 0, smax, 1), rtol)
    rtol = jnp.broadcast_to(jnp.asarray(rtol, real_dtype(A.dtype)), A.shape[:-2])
    return jnp.linalg.pinv(A, rtol)


@linalg_op("pinv", tensors=("A", "rcond", "atol", "rtol"), check=_pinv_check)
def linalg_pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None):
    """The Moore-Penrose pseudo-inverse. torch's two forms: ``pinv(A, *, atol, rtol, hermitian)`` and the older
    ``pinv(A, rcond, hermitian)`` (``rcond`` is ``rtol``); tolerances may be tensors (one per matrix)."""
    return _pinv(A, atol, rtol if rcond is None else rcond, hermitian)


@op(jit=True, check=_pinv_check, grad_name="LinalgPinvBackward0")
def pinverse(input, rcond=1e-15):
    """torch.pinverse: ``linalg.pinv`` with ``rtol=rcond``."""
    return _pinv(input, None, rcond, False)


def _matrix_rank_check(A, tol=None, hermitian=False, *, atol=None, rtol=None):
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at least 2 dimensions.")
    if not A.dtype.is_floating_point or A.dtype.name in ("float16", "bfloat16"):
        if not A.dtype.is_complex:
            raise RuntimeError("This function doesn't handle types other than float and double")
    if hermitian:
        square("linalg.eigh", A)


@linalg_op("matrix_rank", tensors=("A", "tol", "atol", "rtol"), check=_matrix_rank_check, differentiable=False)
def linalg_matrix_rank(A, tol=None, hermitian=False, *, atol=None, rtol=None):
    """The number of singular values (|eigenvalues| with ``hermitian``) above ``max(atol, rtol · σ_max)``;
    torch's older ``matrix_rank(A, tol)`` is ``atol=tol, rtol=0``."""
    if tol is not None:
        atol, rtol = tol, 0.0
    atol, rtol = _tolerances(A, atol, rtol)
    s = jnp.abs(_eigh(A, "L")[0]) if hermitian else jnp.linalg.svd(A, compute_uv=False)
    smax = jnp.max(s, axis=-1, initial=0.0)
    cutoff = jnp.maximum(jnp.asarray(atol)[..., None], jnp.asarray(rtol)[..., None] * smax[..., None])
    return jnp.sum(s > cutoff, axis=-1).astype(jnp.int64)


_Lstsq = return_type("linalg_lstsq", "solution", "residuals", "rank", "singular_values")
_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _lstsq_check(A, B, rcond=None, *, driver=None):
    name = "torch.linalg.lstsq"
    for t in (A, B):
        if not t.dtype.is_floating_point and not t.dtype.is_complex or t.dtype.name in ("float16", "bfloat16"):
            raise RuntimeError("This function doesn't handle types other than float and double")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"{name}: Expected input and other to have the same dtype, but got input's dtype "
                           f"{type_name(A)} and other's dtype {type_name(B)}")
    if A.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if not (0 <= A.ndim - B.ndim <= 1):
        raise RuntimeError(f"{name}: input.dim() must be greater or equal to other.dim() and (input.dim() - "
                           f"other.dim()) <= 1")
    rows = B.shape[-1] if A.ndim - B.ndim == 1 else B.shape[-2]
    if A.shape[-2] != rows:
        raise RuntimeError(f"{name}: input.size(-2) should match other.size(-2)")
    if driver is not None and driver not in _DRIVERS:
        raise RuntimeError(f"{name}: parameter `driver` should be one of (gels, gelsy, gelsd, gelss)")


@linalg_op("lstsq", tensors=("A", "B"), check=_lstsq_check, grad_name="LinalgLstsqBackward0")
def _lstsq(A, B, rcond=None, *, driver=None):
    driver = driver or "gelsy"  # torch's default on the CPU
    vector = B.ndim == A.ndim - 1
    if vector:
        B = B[..., None]
    A, B = broadcast_batch(A, B)
    m, n = A.shape[-2:]
    rtol = default_rtol(A) if rcond is None else rcond
    s = jnp.linalg.svd(A, compute_uv=False)
    X = jnp.linalg.pinv(A, jnp.broadcast_to(jnp.asarray(rtol, s.dtype), A.shape[:-2])) @ B
    empty = jnp.zeros((0,), s.dtype)
    residuals = jnp.sum(jnp.abs(A @ X - B) ** 2, axis=-2) if m > n and driver != "gelsy" else empty
    if driver == "gels":
        rank = jnp.zeros((0,), jnp.int64)
    else:
        smax = jnp.max(s, axis=-1, initial=0.0)
        rank = jnp.sum(s > rtol * smax[..., None], axis=-1).astype(jnp.int64)
    values = jax.lax.stop_gradient(s) if driver in ("gelsd", "gelss") else empty
    if vector:  # (torch keeps the residuals' trailing dim of 1)
        X = X[..., 0]
    return X, residuals, rank, values


@front(_lstsq)
def linalg_lstsq(A, B, rcond=None, *, driver=None):
    """``(solution, residuals, rank, singular_values)`` of min ‖AX − B‖ (the minimum-norm solution). Which fields
    are filled follows torch's CPU drivers (default ``gelsy``): ``rank`` for all but ``gels``, ``singular_values``
    for ``gelsd``/``gelss``, ``residuals`` for tall full-rank ``A`` with any driver but ``gelsy``; others are
    empty. ptjax computes every driver's answer with the SVD (rank decisions from singular values, where gelsy uses
    a pivoted QR)."""
    X, residuals, rank, values = _lstsq(A, B, rcond, driver=driver)
    if residuals.numel() and (driver or "gelsy") in ("gelsd", "gelss") and \
            not bool((rank == A.shape[-1]).all()):
        residuals = residuals.new_zeros((0,))
    return _Lstsq(X, residuals, rank, values.detach())


# ---- randomized low-rank methods ----------------------------------------------------------------------------------

def _randomized_svd(X, R, niter):
    """Halko et al.'s randomized SVD, as torch: the range of ``X`` found from the random ``R`` (n×q) with ``niter``
    subspace iterations, then the exact SVD of the projection. Returns (U, S, V)."""
    Q = jnp.linalg.qr(X @ R)[0]
    for _ in range(niter):
        Q = jnp.linalg.qr(mH(X) @ Q)[0]
        Q = jnp.linalg.qr(X @ Q)[0]
    U, S, Vh = jnp.linalg.svd(mH(Q) @ X, full_matrices=False)
    return Q @ U, S, mH(Vh)


def _lowrank_check(A, R, *args):
    floating(A, "linalg.svd")


@op("svd_lowrank", tensors=("A", "R", "M"), jit=True, method=False, check=_lowrank_check,
    grad_name="LinalgSvdBackward0")
def _svd_lowrank(A, R, niter, M=None):
    return _randomized_svd(A if M is None else A - M, R, niter)


def _random_basis(A, q):
    """The n×q standard normal draw of the randomized methods (from ptjax's generator)."""
    from .random import randn
    return randn(*A.shape[:-2], A.shape[-1], q, dtype=A.dtype, device=A.device)


@front(_svd_lowrank)
def svd_lowrank(A, q=6, niter=2, M=None):
    """``(U, S, V)`` with ``A − M ≈ U diag(S) Vᴴ`` of rank ``q``. The random draw comes from ptjax's generator, so
    where ``A − M`` has rank above ``q`` the approximation differs from torch's; up to rank ``q`` both are exact."""
    q = 6 if q is None else q
    return _TorchSvd(*_svd_lowrank(A, _random_basis(A, q), 2 if niter is None else niter, M))


@op("pca_lowrank", tensors=("A", "R"), jit=True, method=False, check=_lowrank_check, grad_name="LinalgSvdBackward0")
def _pca_lowrank(A, R, niter, center):
    return _randomized_svd(A - jnp.mean(A, axis=-2, keepdims=True) if center else A, R, niter)


@front(_pca_lowrank)
def pca_lowrank(A, q=None, center=True, niter=2):
    """``(U, S, V)`` of the principal components of ``A``'s rows (centred by the column means with ``center``):
    ``svd_lowrank`` of the centred matrix with ``q = min(6, m, n)`` by default."""
    m, n = A.shape[-2:]
    q = min(6, m, n) if q is None else q
    if not 0 <= q <= min(m, n):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if niter < 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    return _TorchSvd(*_pca_lowrank(A, _random_basis(A, q), niter, center))
