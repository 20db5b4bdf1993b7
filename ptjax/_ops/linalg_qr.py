"""QR factorizations and Householder reflectors: ``linalg.qr``, ``torch.geqrf`` (LAPACK's compact form),
``linalg.householder_product`` (= ``torch.orgqr``) and ``torch.ormqr``.

JAX's public API has QR but not LAPACK's compact form, so ``geqrf`` is written here with LAPACK's own reflector
convention (dlarfg: ``H = I − τ v vᴴ``, ``v[0] = 1``, ``β = −sign(Re α)‖x‖``), which gives the same ``(a, tau)`` as
torch up to rounding. The reflectors are applied one at a time in a ``fori_loop``: O(k·m·n) work, differentiable
(``householder_product`` and ``ormqr`` have torch's gradients; torch defines none for ``geqrf``, ptjax's is
JAX's).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from .linalg_common import at_least_2d, floating, named, return_type, type_name
from .registry import op

_Qr = return_type("linalg_qr", "Q", "R")
_Geqrf = return_type("geqrf", "a", "tau")

_QR_MODES = ("reduced", "complete", "r")


def _qr_check(A, mode="reduced"):
    if mode not in _QR_MODES:
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), 'r', or "
                           f"'complete'")
    at_least_2d("linalg.qr", A)
    floating(A, "linalg.qr", kernel="geqrf")


@op("linalg_qr", tensors=("A",), jit=True, method=False, function=False, check=_qr_check, out_fn=named(_Qr))
def linalg_qr(A, mode="reduced"):
    """``(Q, R)`` with ``A = QR``; ``mode='complete'`` gives a square Q, ``mode='r'`` an empty Q (as torch)."""
    if mode == "r":
        return jnp.zeros((0,), A.dtype), jnp.linalg.qr(A, mode="r")
    Q, R = jnp.linalg.qr(A, mode=mode)
    return Q, R


# ---- Householder reflectors -------------------------------------------------------------------------------------

def _column(a, j):
    return jax.lax.dynamic_index_in_dim(a, j, axis=-1, keepdims=False)


def _reflector(a, j):
    """LAPACK dlarfg for column ``j`` of ``a`` below the diagonal: ``(v, tau, beta)`` with
    ``(I − τ v vᴴ)ᴴ a[:, j] = β e_j`` on rows ≥ j."""
    rows = jnp.arange(a.shape[-2])
    col = _column(a, j)
    alpha = jnp.take(col, j, axis=-1)
    below = jnp.where(rows > j, col, 0)
    xnorm = jnp.sqrt(jnp.sum(jnp.abs(below) ** 2, axis=-1))
    identity = (xnorm == 0) & (jnp.imag(alpha) == 0)  # nothing to annihilate: H = I
    beta = -jnp.copysign(jnp.sqrt(jnp.abs(alpha) ** 2 + xnorm ** 2), jnp.real(alpha)).astype(a.dtype)
    safe_beta = jnp.where(identity, 1, beta)
    tau = jnp.where(identity, 0, (safe_beta - alpha) / safe_beta)
    scale = jnp.where(identity, 0, 1 / jnp.where(identity, 1, alpha - beta))
    v = jnp.where(rows > j, col * scale[..., None], (rows == j).astype(a.dtype))
    return v, tau, jnp.where(identity, alpha, beta)


def _reflect_left(c, v, tau):
    """``(I − τ v vᴴ) c``."""
    return c - tau[..., None, None] * v[..., :, None] * jnp.sum(jnp.conj(v)[..., :, None] * c, axis=-2,
                                                                 keepdims=True)


def _reflect_right(c, v, tau):
    """``c (I − τ v vᴴ)``."""
    return c - tau[..., None, None] * jnp.sum(c * v[..., None, :], axis=-1, keepdims=True) * jnp.conj(v)[..., None, :]


def _geqrf_check(input):
    if input.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    floating(input, kernel="geqrf")


@op(jit=True, check=_geqrf_check, out_fn=named(_Geqrf))
def geqrf(input):
    """``(a, tau)``: R on and above the diagonal of ``a``, the Householder vectors below it, their scales in
    ``tau`` (LAPACK geqrf's compact form)."""
    m, n = input.shape[-2:]
    k = min(m, n)
    columns = jnp.arange(n)
    rows = jnp.arange(m)

    def step(j, carry):
        a, taus = carry
        v, tau, beta = _reflector(a, j)
        later = _reflect_left(a, v, jnp.conj(tau))  # Hᴴ applied to the columns right of j
        a = jnp.where(columns > j, later, a)
        col = jnp.where(rows < j, _column(a, j), jnp.where(rows == j, beta[..., None], v))
        a = jnp.where(columns == j, col[..., :, None], a)
        return a, taus.at[..., j].set(tau)

    taus = jnp.zeros(input.shape[:-2] + (k,), input.dtype)
    return jax.lax.fori_loop(0, k, step, (input, taus))


def _vector(a, i):
    """The i-th Householder vector stored in ``a`` (1 at row i, zeros above)."""
    rows = jnp.arange(a.shape[-2])
    return jnp.where(rows > i, _column(a, i), (rows == i).astype(a.dtype))


def _apply_reflectors(a, tau, c, left, adjoint):
    """``op(Q) c`` (``c op(Q)`` when not ``left``) for ``Q = H_0 ⋯ H_{k−1}``, ``op`` = ᴴ with ``adjoint``."""
    k = tau.shape[-1]
    forward = left == adjoint  # Qᴴ c and c Q take the reflectors in order 0 … k−1
    reflect = _reflect_left if left else _reflect_right

    def step(s, c):
        i = s if forward else k - 1 - s
        t = jnp.take(tau, i, axis=-1)
        return reflect(c, _vector(a, i), jnp.conj(t) if adjoint else t)

    return jax.lax.fori_loop(0, k, step, c)


def _householder_check(input, tau):
    name = "torch.linalg.householder_product"
    if input.ndim < 2:
        raise RuntimeError(f"{name}: input must have at least 2 dimensions.")
    if input.shape[-2] < input.shape[-1]:
        raise RuntimeError(f"{name}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if input.shape[-1] < tau.shape[-1]:
        raise RuntimeError(f"{name}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if tau.ndim - 1 != input.ndim - 2 or tuple(tau.shape[:-1]) != tuple(input.shape[:-2]):
        raise RuntimeError(f"{name}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
                           f"[{', '.join(map(str, tau.shape[:-1]))}]")
    if tau.dtype is not input.dtype:
        raise RuntimeError(f"{name}: tau dtype {type_name(tau)} does not match input dtype {type_name(input)}")
    floating(input, kernel="orgqr")


@op(tensors=("input", "tau"), jit=True, check=_householder_check, grad_name="LinalgHouseholderProductBackward0")
def orgqr(input, tau):
    """The first n columns of ``H_0 ⋯ H_{k−1}``, the product of the Householder reflectors stored in ``input``
    (m×n, m ≥ n) and ``tau`` (also ``torch.linalg.householder_product``)."""
    m, n = input.shape[-2:]
    eye = jnp.broadcast_to(jnp.eye(m, n, dtype=input.dtype), input.shape)
    return _apply_reflectors(input, tau, eye, left=True, adjoint=False)


def _ormqr_check(input, tau, other, left=True, transpose=False):
    name = "torch.ormqr"
    for t, what in ((input, "input"), (other, "other")):
        if t.ndim < 2:
            raise RuntimeError(f"{name}: {what} must have at least 2 dimensions.")
    k = -2 if left else -1
    if other.shape[k] < tau.shape[-1]:
        raise RuntimeError(f"{name}: other.shape[{k}] must be greater than or equal to tau.shape[-1]")
    if other.shape[k] != input.shape[-2]:
        raise RuntimeError(f"{name}: other.shape[{k}] must be equal to input.shape[-2]")
    if tau.shape[-1] != min(other.shape[k], input.shape[-1]):
        raise RuntimeError(f"{name}: tau.shape[-1] must be equal to min(other.shape[{k}], input.shape[-1])")
    if input.ndim - tau.ndim != 1:
        raise RuntimeError(f"{name}: Expected tau to have one dimension less than input, but got tau.ndim equal to "
                           f"{tau.ndim} and input.ndim is equal to {input.ndim}")
    if input.ndim != other.ndim:
        raise RuntimeError(f"{name}: Expected other to have the same number of dimensions as input, but got "
                           f"other.ndim equal to {other.ndim} and input.ndim is equal to {input.ndim}")
    for t, what in ((tau, "tau"), (other, "other")):
        if t.dtype is not input.dtype:  # (torch's message lacks a space after "dtype")
            raise RuntimeError(f"{name}: Expected input and {what} to have the same dtype, but input has dtype"
                               f"{type_name(input)} and {what} has dtype {type_name(t)}")
    floating(input, kernel="ormqr")


@op(tensors=("input", "tau", "other"), jit=True, check=_ormqr_check)
def ormqr(input, tau, other, left=True, transpose=False):
    """``op(Q) other`` (``other op(Q)`` with ``left=False``) for the Q of ``geqrf``'s ``(input, tau)``, without
    forming Q; ``op`` is the conjugate transpose with ``transpose=True``."""
    return _apply_reflectors(input, tau, other, left, transpose)
