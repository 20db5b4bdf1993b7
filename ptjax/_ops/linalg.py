"""Matrix products and linear algebra."""
from __future__ import annotations

import jax.numpy as jnp

from .. import _dtype as D
from .dispatch import function_out
from .registry import BINARY, FLOAT, front, op


def _dims_str(shape):
    return "x".join(map(str, shape))


def _same_dtype(a, b):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: {D.CPP_TYPE_NAME[a.dtype.name]} != "
                           f"{D.CPP_TYPE_NAME[b.dtype.name]}")


def _scalar_type(a, b):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"expected scalar type {D.SCALAR_TYPE_NAME[a.dtype.name]} but found "
                           f"{D.SCALAR_TYPE_NAME[b.dtype.name]}")


def _mm_check(input, mat2):
    if input.ndim != 2 or mat2.ndim != 2:
        bad = input if input.ndim != 2 else mat2
        raise RuntimeError(f"{'self' if bad is input else 'mat2'} must be a matrix")
    if input.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_dims_str(input.shape)} and "
                           f"{_dims_str(mat2.shape)})")
    _same_dtype(input, mat2)


@op(tensors=("input", "mat2"), check=_mm_check)
def mm(input, mat2):
    return jnp.matmul(input, mat2)


def _bmm_check(input, mat2):
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor" if input.ndim != 3 else "batch2 must be a 3D tensor")
    if input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{input.shape[0]}, "
                           f"{input.shape[2]}] but got: [{mat2.shape[0]}, {mat2.shape[1]}].")
    _scalar_type(input, mat2)


@op(tensors=("input", "mat2"), check=_bmm_check)
def bmm(input, mat2):
    return jnp.matmul(input, mat2)


def _matmul_check(input, other):
    a, b = input.shape, other.shape
    if len(a) == 0 or len(b) == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are {len(a)}D and {len(b)}D")
    k1 = a[-1]
    k2 = b[0] if len(b) == 1 else b[-2]
    if k1 != k2:
        if len(a) == 1 and len(b) == 1:
            raise RuntimeError(f"inconsistent tensor size, expected tensor [{a[0]}] and src [{b[0]}] to have the same "
                               f"number of elements, but got {a[0]} and {b[0]} elements respectively")
        if len(b) == 1:
            raise RuntimeError(f"size mismatch, got input ({a[0]}), mat ({_dims_str(a)}), vec ({b[0]})")
        rows = a[0] if len(a) <= 2 else int(jnp.prod(jnp.array(a[:-1])))
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{a[-1]} and {_dims_str(b[-2:])})")
    if len(a) == 1 and len(b) == 1:
        _dot_check(input, other)
    elif len(a) <= 2 and len(b) <= 2:
        _same_dtype(input, other)
    else:
        _scalar_type(input, other)


def _dot_check(input, other):
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {input.ndim}D and {other.ndim}D tensors")
    if input.dtype is not other.dtype:
        raise RuntimeError("dot : expected both vectors to have same dtype, but found "
                           f"{D.SCALAR_TYPE_NAME[input.dtype.name]} "
                           f"and {D.SCALAR_TYPE_NAME[other.dtype.name]}")
    if input.shape[0] != other.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{input.shape[0]}] and src [{other.shape[0]}] "
                           f"to have the same number of elements, but got {input.shape[0]} and {other.shape[0]} "
                           f"elements respectively")


@op(tensors=("input", "other"), check=_matmul_check, grad_name="MmBackward0")
def matmul(input, other):
    return jnp.matmul(input, other)


@op(tensors=("input", "other"), check=_dot_check)
def dot(input, other):
    return jnp.dot(input, other)


vdot = op("vdot", tensors=("input", "other"), check=_dot_check)(lambda input, other: jnp.vdot(input, other))


@op(tensors=("input", "vec"), promote=BINARY)
def mv(input, vec):
    return jnp.matmul(input, vec)


@op(tensors=("input", "vec2"), promote=BINARY, aliases=("ger",))
def outer(input, vec2):
    return jnp.outer(input, vec2)


def _inner_check(input, other):
    if input.ndim and other.ndim and input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")


@op(tensors=("input", "other"), promote=BINARY, check=_inner_check)
def inner(input, other):
    """Sums of products over the last dims (a product with a 0-d operand)."""
    return jnp.inner(input, other)


@op(tensors=("input", "vec1", "vec2"), promote=BINARY, jit=True, inplace=True)
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """``beta * input + alpha * outer(vec1, vec2)`` (``beta == 0`` ignores ``input``, NaNs included, as torch)."""
    prod = jnp.outer(vec1, vec2)
    prod = prod if alpha == 1 else alpha * prod
    if beta == 0:
        return jnp.broadcast_to(prod, jnp.broadcast_shapes(input.shape, prod.shape))
    return (input if beta == 1 else beta * input) + prod




def _addmm_check(input, mat1, mat2, **kw):
    _mm_check(mat1, mat2)


@op(tensors=("input", "mat1", "mat2"), promote=BINARY, jit=True, inplace=True, check=_addmm_check)
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    prod = jnp.matmul(mat1, mat2)
    return beta * input + alpha * prod if (beta, alpha) != (1, 1) else input + prod


@op(tensors=("input", "batch1", "batch2"), promote=BINARY, jit=True, inplace=True)
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return beta * input + alpha * jnp.matmul(batch1, batch2)


@op(tensors=("input", "batch1", "batch2"), promote=BINARY, jit=True, inplace=True)
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """``beta * input + alpha * sum_b batch1[b] @ batch2[b]``."""
    return beta * input + alpha * jnp.einsum("bij,bjk->ik", batch1, batch2)


@op(tensors=("input", "mat", "vec"), promote=BINARY, jit=True, inplace=True)
def addmv(input, mat, vec, *, beta=1, alpha=1):
    return beta * input + alpha * jnp.matmul(mat, vec)


def _einsum_check(tensors, equation):
    for t in tensors[1:]:
        _scalar_type(tensors[0], t)


@op(tensors=("tensors",), jit=True, method=False, function=False, grad_name="EinsumBackward0", check=_einsum_check)
def _einsum(tensors, equation):
    return jnp.einsum(equation, *tensors)


def einsum(equation, *operands):
    """``einsum("ij,jk->ik", a, b)`` or ``einsum("ij,jk->ik", [a, b])``."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return _einsum(list(operands), equation.replace(" ", ""))


@op("tensordot", tensors=("a", "b"), jit=True, promote=BINARY, method=False)
def _tensordot(a, b, dims=2):
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        return jnp.tensordot(a, b, dims)
    da, db = dims
    da = (da,) if isinstance(da, int) else tuple(da)
    db = (db,) if isinstance(db, int) else tuple(db)
    return jnp.tensordot(a, b, (da, db))


@front(_tensordot)
@function_out
def tensordot(a, b, dims=2):
    """Nested lists in ``dims`` become tuples, so they can be a static (hashable) argument."""
    from .._tensor import Tensor
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if not isinstance(dims, int):
        dims = tuple(d if isinstance(d, int) else tuple(d) for d in dims)
    return _tensordot(a, b, dims)


@op(tensors=("input", "other"), jit=True, promote=BINARY)
def kron(input, other):
    return jnp.kron(input, other)


def _trace_check(input):
    if input.ndim != 2:
        raise RuntimeError("trace: expected a matrix, but got tensor with dim " + str(input.ndim))


@op(jit=True, check=_trace_check)
def trace(input):
    x = input.astype(jnp.int64) if not jnp.issubdtype(input.dtype, jnp.inexact) else input
    return jnp.trace(x)


@op(tensors=("x1", "x2"), jit=True, promote=FLOAT, method=False)
def cdist(x1, x2, p=2.0):
    d = jnp.abs(x1[..., :, None, :] - x2[..., None, :, :])
    if p == 2.0:
        return jnp.sqrt(jnp.sum(d * d, -1))
    return jnp.sum(d ** p, -1) ** (1 / p)
