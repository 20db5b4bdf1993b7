"""``torch.nn.utils.parametrizations``: ``orthogonal``, ``weight_norm`` and ``spectral_norm`` as parametrizations
(:mod:`ptjax.nn.utils.parametrize`), with torch's module names, buffers and state_dict keys.

``orthogonal``'s maps (``matrix_exp``, ``cayley``, ``householder``) are one kernel each (JAX's ``expm``, ``solve``
and LAPACK-style ``householder_product``); random numbers (``spectral_norm``'s initial vectors, the completion of a
rectangular ``orthogonal`` basis) come from ptjax's generator, not torch's."""
from __future__ import annotations

from enum import Enum

import jax.numpy as jnp
import jax.scipy.linalg as jsl

from ..._ops.registry import op
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from .. import functional as F
from ..modules.module import Module
from . import parametrize
from .spectral_norm import _default_dim, _matrix
from .weight_norm import _weight_norm, norm_except_dim

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


class _OrthMaps(Enum):
    matrix_exp = 1
    cayley = 2
    householder = 3


def _householder_product(low, tau):
    """``(H_1 ... H_k)[:, :k]`` with ``H_i = I - tau_i v_i v_i^T``, ``v_i`` the ``i``-th column of ``low`` with a unit
    ``i``-th entry (LAPACK's ``orgqr``), written out so that JAX can differentiate it."""
    n, k = low.shape[-2:]
    q = jnp.broadcast_to(jnp.eye(n, dtype=low.dtype), low.shape[:-2] + (n, n))
    for i in range(k):
        v = low[..., :, i].at[..., i].set(1)
        q = q - tau[..., i, None, None] * (q @ v[..., :, None]) * v[..., None, :]
    return q[..., :k]


def _householder(A):
    """The product of the Householder reflectors stored below the diagonal of ``A`` (``tau = 2 / (1 + ‖v‖²)``)."""
    low = jnp.tril(A, -1)
    tau = 2.0 / (1.0 + jnp.sum(low * low, axis=-2))
    return _householder_product(low, tau)


@op(tensors=("X", "base"), jit=True, method=False, function=False, grad_name="OrthogonalBackward0")
def _orthogonal_matrix(X, base, orthogonal_map):
    n, k = X.shape[-2:]
    transposed = n < k
    if transposed:
        X = jnp.swapaxes(X, -1, -2)
        n, k = k, n
    if orthogonal_map in ("matrix_exp", "cayley"):
        X = jnp.tril(X)
        if n != k:
            X = jnp.concatenate([X, jnp.zeros(X.shape[:-2] + (n, n - k), X.dtype)], axis=-1)
        A = X - jnp.conj(jnp.swapaxes(X, -1, -2))
        if orthogonal_map == "matrix_exp":
            Q = jsl.expm(A)
        else:
            eye = jnp.eye(n, dtype=A.dtype)
            Q = jnp.linalg.solve(eye - 0.5 * A, eye + 0.5 * A)
        Q = Q[..., :k]
    else:
        Q = _householder(X) * jnp.trunc(jnp.diagonal(X, axis1=-2, axis2=-1))[..., None, :]
    if base is not None:
        Q = base @ Q
    return jnp.swapaxes(Q, -1, -2) if transposed else Q


def _geqrf(a):
    """LAPACK's ``geqrf``: the reflectors below the diagonal and ``R`` on and above it, and the ``tau`` factors."""
    h, tau = jnp.linalg.qr(a, mode="raw")
    return jnp.swapaxes(h, -1, -2), tau


def _make_orthogonal(A):
    """The orthogonal factor of ``A``'s QR decomposition with the signs of ``R``'s diagonal (torch's
    ``_make_orthogonal``)."""
    a = A._value
    x, tau = _geqrf(a)
    q = _householder_product(jnp.tril(x, -1), tau) * jnp.sign(jnp.diagonal(x, axis1=-2, axis2=-1))[..., None, :]
    return Tensor._make(q)


def _is_orthogonal(Q):
    n, k = Q.size(-2), Q.size(-1)
    eps = 10 * n * float(jnp.finfo(Q._value.dtype).eps)
    gram = Q.mH @ Q
    from ..._ops.creation import eye
    return bool(((gram - eye(k, dtype=Q.dtype, device=Q.device)).abs() <= eps).all())


class _Orthogonal(Module):
    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        return _orthogonal_matrix(X, self._buffers.get("base"), self.orthogonal_map.name)

    def right_inverse(self, Q):
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor of "
                                 f"shape {Q.shape}.")
            Q_init = Q
            n, k = Q.size(-2), Q.size(-1)
            transpose = n < k
            if transpose:
                Q = Q.mT
                n, k = k, n
            if "base" not in self._buffers:
                if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                    raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                              "parametrizations when use_trivialization=False.")
                x, tau = _geqrf(Q._value)
                d = jnp.sign(jnp.diagonal(x, axis1=-2, axis2=-1))
                d = jnp.where(tau == 0.0, -d, d)
                i = jnp.arange(min(n, k))
                x = x.at[..., i, i].set(d)
                A = Tensor._make(x)
                return A.mT if transpose else A
            if n == k:
                Q = _make_orthogonal(Q) if not _is_orthogonal(Q) else Q.clone()
            else:
                from ..._ops.random import randn
                from ..._ops.shape import cat
                N = randn(*(tuple(Q.shape[:-2]) + (n, n - k)), dtype=Q.dtype, device=Q.device)
                Q = _make_orthogonal(cat([Q, N], dim=-1))
            self.base = Q
            neg_id = Q_init.new_zeros(Q_init.shape)
            neg_id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
            return neg_id


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """Constrain the matrix (or batch of matrices) ``module.<name>`` to be orthogonal (or unitary)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        square = weight.size(-2) == weight.size(-1)
        orthogonal_map = "matrix_exp" if square or weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError(f'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". Got: '
                         f"{orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


class _WeightNorm(Module):
    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """``module.<name> = g * v / ‖v‖`` as a parametrization (``original0`` is ``g``, ``original1`` is ``v``);
    state_dicts of the deprecated ``nn.utils.weight_norm`` (``<name>_g``, ``<name>_v``) still load."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def compat_hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs):
        g_key, v_key = f"{prefix}{name}_g", f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            state_dict[f"{prefix}parametrizations.{name}.original0"] = state_dict.pop(g_key)
            state_dict[f"{prefix}parametrizations.{name}.original1"] = state_dict.pop(v_key)

    module.register_load_state_dict_pre_hook(compat_hook)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got "
                             f"{dim})")
        if n_power_iterations <= 0:
            raise ValueError(f"Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = _matrix(weight, self.dim)
            h, w = weight_mat.shape
            with no_grad():
                self.register_buffer("_u", F.normalize(weight_mat.new_empty(h).normal_(0, 1), dim=0, eps=self.eps))
                self.register_buffer("_v", F.normalize(weight_mat.new_empty(w).normal_(0, 1), dim=0, eps=self.eps))
            self._power_method(weight_mat, 15)

    def _power_method(self, weight_mat, n_power_iterations):
        with no_grad():
            mat = weight_mat.detach()
            for _ in range(n_power_iterations):
                self._u.copy_(F.normalize(mat.mv(self._v), dim=0, eps=self.eps))
                self._v.copy_(F.normalize(mat.mH.mv(self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = _matrix(weight, self.dim)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = u.vdot(weight_mat.mv(v))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide ``module.<name>`` by its spectral norm (power iteration, one step per training forward)."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    dim = _default_dim(module) if dim is None else dim
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
