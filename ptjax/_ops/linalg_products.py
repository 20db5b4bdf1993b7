"""Products and matrix functions: ``cross`` (torch's and linalg's), ``linalg.vecdot``, ``linalg.multi_dot``,
``vander`` (torch's and linalg's), ``matrix_power`` and ``matrix_exp``."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import _dtype as D
from .._size import broadcast_shapes
from .linalg_common import checked, eye_like, floating, inverse_with_info, linalg_op, same_dtype, singular_inverse
from .linalg_common import square, type_name
from .registry import op

# ---- cross and dot products -------------------------------------------------------------------------------------


def _cross_dim(input, other, dim):
    """The dim of the cross product: ``dim``, or (torch.cross's deprecated default) the first of size 3."""
    if dim is not None:
        return dim
    shape = broadcast_shapes(tuple(input.shape), tuple(other.shape))
    for d, n in enumerate(shape):
        if n == 3:
            return d
    raise RuntimeError("no dimension of size 3 in input")


def _cross_check(input, other, dim=None):
    if input.dtype is not other.dtype:
        raise RuntimeError(f"expected scalar type {type_name(input)} but found {type_name(other)}")
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = _cross_dim(input, other, dim)
    if not -input.ndim <= d < input.ndim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-input.ndim}, {input.ndim - 1}], "
                         f"but got {d})")
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {d} must have length 3. Got {input.shape[d]} and "
                           f"{other.shape[d]}")


@op(tensors=("input", "other"), jit=True, check=_cross_check, grad_name="LinalgCrossBackward0")
def cross(input, other, dim=None):
    """The cross product over ``dim`` (broadcasting the other dims). torch.cross's default ``dim=None`` takes the
    first dim of size 3 (deprecated in torch); ``linalg.cross`` is this entry with ``dim=-1``."""
    a, b = jnp.broadcast_arrays(input, other)
    if dim is None:
        dim = next(d for d, n in enumerate(a.shape) if n == 3)
    return jnp.cross(a, b, axis=dim)


def _vecdot_check(x, y, *, dim=-1):
    name = "linalg.vecdot"
    floating(x, name)
    same_dtype(name, x, y, "x", "y")
    broadcast_shapes(tuple(x.shape), tuple(y.shape))


@linalg_op("vecdot", tensors=("x", "y"), check=_vecdot_check, grad_name="SumBackward1")
def linalg_vecdot(x, y, *, dim=-1):
    """``sum(conj(x) * y, dim)`` (broadcasting)."""
    return jnp.sum(jnp.conj(x) * y if jnp.iscomplexobj(x) else x * y, axis=dim)


def _multi_dot_check(tensors):
    name = "multi_dot()"
    n = len(tensors)
    if n < 2:
        raise RuntimeError(f"{name}: expected at least 2 tensors but got {n}")
    for i, t in enumerate(tensors):
        if i in (0, n - 1):
            if t.ndim not in (1, 2):
                which = "first" if i == 0 else "last"
                raise RuntimeError(f"{name}: the {which} tensor must be 1D or 2D but got {t.ndim}D")
        elif t.ndim != 2:
            raise RuntimeError(f"{name}: tensor {i} must be 2D but got {t.ndim}D")
        if t.dtype is not tensors[0].dtype:
            first, other = (D.CPP_TYPE_NAME[u.dtype.name] for u in (tensors[0], t))
            raise RuntimeError(f"{name}: all tensors must have be the same dtype but tensor 0 is {first} and tensor "
                               f"{i} {other}")
    for i in range(n - 1):
        a, b = tensors[i], tensors[i + 1]
        if a.shape[-1] != b.shape[0]:
            raise RuntimeError(f"{name}: tensors {i} and {i + 1} with shapes [{', '.join(map(str, a.shape))}] and "
                               f"[{', '.join(map(str, b.shape))}] cannot be multiplied")


@linalg_op("multi_dot", tensors=("tensors",), check=_multi_dot_check, grad_name="MmBackward0")
def linalg_multi_dot(tensors):
    """The chained product, in the cheapest order; the first (last) operand may be a vector."""
    return jnp.linalg.multi_dot(tensors)


# ---- Vandermonde matrices ---------------------------------------------------------------------------------------

def _powers(x, N):
    """``[x⁰, x¹, …, x^(N−1)]`` along a new last dim, by cumulative products (differentiable at x = 0)."""
    if N == 0:
        return jnp.zeros(x.shape + (0,), x.dtype)
    columns = jnp.concatenate([jnp.ones(x.shape + (1,), x.dtype), jnp.repeat(x[..., None], N - 1, axis=-1)], -1)
    return jnp.cumprod(columns, axis=-1)


def _vander_check(x, N=None, increasing=False):
    if x.ndim != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    if N is not None and N < 0:
        raise RuntimeError("N must be non-negative.")


@op(tensors=("x",), jit=True, method=False, check=_vander_check)
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the 1-d ``x`` with ``N`` columns (``len(x)`` by default), powers decreasing unless
    ``increasing``; bool becomes int64, as torch."""
    if x.dtype == jnp.bool_:
        x = x.astype(jnp.int64)
    V = _powers(x, x.shape[0] if N is None else N)
    return V if increasing else jnp.flip(V, -1)


def _linalg_vander_check(x, *, N=None):
    if x.dtype.name == "bool":
        raise RuntimeError("linalg.vander supports floating point, complex, and integer tensors, but got Bool")
    n = (x.shape[-1] if x.ndim else 1) if N is None else N
    if n <= 1:
        raise RuntimeError("N must be greater than 1.")


@linalg_op("vander", tensors=("x",), check=_linalg_vander_check)
def linalg_vander(x, *, N=None):
    """``x[..., :, None] ** arange(N)``: increasing powers, batched over ``x``'s leading dims."""
    return _powers(x, x.shape[-1] if N is None else N)


# ---- matrix functions -------------------------------------------------------------------------------------------

def _matrix_power_check(input, n):
    square("linalg.matrix_power", input)
    if n < 0:
        floating(input, "linalg.inv", low=True)
    elif n >= 2 and input.dtype.name == "bool":
        raise D.kernel_not_implemented("addmm_impl_cpu_", D.bool)


def _power(A, n):
    """A ** n for n ≥ 1 by repeated squaring."""
    result = None
    while n:
        if n & 1:
            result = A if result is None else result @ A
        n >>= 1
        if n:
            A = A @ A
    return result


@op(jit=True, check=_matrix_power_check, grad_name="MmBackward0",
    out_fn=checked(singular_inverse, prefix="linalg.inv: "))
def matrix_power(input, n):
    """``input`` to the integer power ``n`` (``n = 0``: the identity; ``n < 0``: the inverse's power, raising
    linalg.inv's error for a singular matrix)."""
    if n == 0:
        return eye_like(input)
    if n > 0:
        return _power(input, n)
    inverse, info = inverse_with_info(input)
    return _power(inverse, -n), info


def _matrix_exp_check(input):
    square("linalg.matrix_exp", input)
    floating(input, "linalg.matrix_exp")


@op(jit=True, check=_matrix_exp_check, grad_name="LinalgMatrixExpBackward0")
def matrix_exp(input):
    """The matrix exponential (scaling and squaring with Padé approximants, JAX's ``expm``; torch uses a Taylor
    polynomial, so values agree to rounding). Half-precision inputs are computed in float32."""
    if input.dtype in (jnp.float16, jnp.bfloat16):
        return jax.scipy.linalg.expm(input.astype(jnp.float32)).astype(input.dtype)
    return jax.scipy.linalg.expm(input)

