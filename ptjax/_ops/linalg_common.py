"""What the ``torch.linalg`` entries share: torch's argument checks and messages, the error raised for singular or
non-positive-definite inputs (``LinAlgError``), the named tuples torch returns, and a few matrix helpers.

Errors that depend on the values (a singular matrix, a non-positive-definite one) are found as LAPACK finds them:
each kernel also returns an ``info`` array (0 = success), and the non-``_ex`` functions read it on the host and
raise torch's message. That costs one device-to-host transfer per call, as torch's own checks do on CUDA.
"""
from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .registry import op


class _LinAlgError(RuntimeError):
    """torch.linalg.LinAlgError: a linear-algebra function met a singular or non-positive-definite input."""


def linalg_op(name, tensors=("A",), **kwargs):
    """Register ``torch.linalg.<name>``, a function without a top-level twin, as the compiled entry
    ``linalg_<name>`` (torch's native name), which ``ptjax.linalg`` exposes as ``<name>``."""
    return op(f"linalg_{name}", tensors=tensors, jit=True, method=False, function=False, **kwargs)


# ---- named tuples (torch.return_types) --------------------------------------------------------------------------

def return_type(name, *fields):
    """A tuple class with torch's field names and repr, as ``torch.return_types.<name>``."""
    def new(cls, *values):
        return tuple.__new__(cls, values)

    def rep(self):
        body = ",\n".join(f"{f}={v!r}" for f, v in zip(fields, self))
        return f"torch.return_types.{name}(\n{body})"

    attrs = {"__new__": new, "__repr__": rep, "__slots__": (), "_fields": fields, "n_fields": len(fields)}
    attrs.update({f: property(lambda self, i=i: self[i]) for i, f in enumerate(fields)})
    return type(name, (tuple,), attrs)


def named(cls, n=None):
    """An ``out_fn`` wrapping an entry's outputs (the first ``n``) in ``cls``."""
    return lambda outs: cls(*(outs if n is None else outs[:n]))


# ---- argument checks (torch's words) ----------------------------------------------------------------------------

def type_name(t):
    return D.SCALAR_TYPE_NAME[t.dtype.name]


def not_implemented(kernel, t):
    return D.kernel_not_implemented(f"{kernel}_cpu", t.dtype)


def floating(t, name=None, kernel=None, low=False):
    """torch's dtype checks of linalg inputs. Integers and bool: ``"{name}: Expected a floating point or complex
    tensor as input"`` (or, without ``name``, the "not implemented" of the CPU ``kernel``). Half precision: with
    ``low``, ``"{name}: Low precision dtypes not supported"``; with ``kernel``, that kernel's "not implemented";
    otherwise allowed. torch's words differ per function; each entry states which it uses."""
    dt = t.dtype
    if not (dt.is_floating_point or dt.is_complex):
        if name is None:
            raise not_implemented(kernel, t)
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. Got {type_name(t)}")
    if dt.name in ("float16", "bfloat16"):
        if low:
            raise RuntimeError(f"{name}: Low precision dtypes not supported. Got {type_name(t)}")
        if kernel is not None:
            raise not_implemented(kernel, t)


def at_least_2d(name, t, arg="A"):
    if t.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")


def square(name, t, arg="A"):
    at_least_2d(name, t, arg)
    if t.shape[-1] != t.shape[-2]:
        raise RuntimeError(f"{name}: {arg} must be batches of square matrices, but they are {t.shape[-2]} by "
                           f"{t.shape[-1]} matrices")


def square_floating(name, kernel=None, low=False):
    """A ``check``: one float (or complex) input holding square matrices (see :func:`floating`)."""
    def check(A, *args, **kwargs):
        square(name, A)
        floating(A, name, kernel, low)
    return check


def same_dtype(name, a, b, a_name="A", b_name="B"):
    if a.dtype is not b.dtype:
        raise RuntimeError(f"{name}: Expected {a_name} and {b_name} to have the same dtype, but found {a_name} of type "
                           f"{type_name(a)} and {b_name} of type {type_name(b)} instead")


def equation_shapes(name, A, B, left=True):
    """B's rows (columns with ``left=False``) must match A's for ``AX = B`` (``XA = B``)."""
    k = -2 if left else -1
    if B.ndim >= 2 and A.shape[-1] != B.shape[k]:
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{name}: Incompatible shapes of A and B for the equation {eq} "
                           f"({A.shape[-2]}x{A.shape[-1]} and {B.shape[-2]}x{B.shape[-1]})")


# ---- value-dependent errors -------------------------------------------------------------------------------------

def raise_for_info(info, message, error=_LinAlgError, prefix=""):
    """Raise ``error(prefix + message(i))`` for the first batch element whose LAPACK ``info`` is nonzero;
    batched inputs name the element as torch does."""
    codes = np.asarray(info)
    bad = np.flatnonzero(codes.reshape(-1))
    if not bad.size:
        return
    first = int(bad[0])
    where = f"(Batch element {first}): " if codes.ndim else ""
    raise error(f"{prefix}{where}{message(int(codes.reshape(-1)[first]))}")


def checked(message, error=_LinAlgError, prefix=""):
    """An ``out_fn`` for kernels returning ``(result, info)``: raise torch's error for a nonzero ``info``, else
    return ``result`` alone. A kernel that returns one array (nothing to check) passes through."""
    def out_fn(outs):
        if len(outs) == 1:
            return outs[0]
        raise_for_info(outs[1]._value, message, error, prefix)
        return outs[0]
    return out_fn


def singular_inverse(i):
    return (f"The diagonal element {i} is zero, the inversion could not be completed because the input matrix is "
            f"singular.")


# ---- matrix helpers (pure JAX) ----------------------------------------------------------------------------------

def mT(x):
    return jnp.swapaxes(x, -1, -2)


def mH(x):
    return jnp.conj(mT(x)) if jnp.iscomplexobj(x) else mT(x)


def eye_like(A, n=None):
    n = A.shape[-1] if n is None else n
    return jnp.broadcast_to(jnp.eye(n, dtype=A.dtype), A.shape[:-2] + (n, n))


def hermitian_part(A, lower=True):
    """The Hermitian matrix that ``A``'s lower (upper) triangle describes, as LAPACK reads it, differentiated as
    ``(A + Aᴴ) / 2``: torch's functions of symmetric matrices use one triangle's values, and their gradients are
    Hermitian."""
    tri = jnp.tril(A) if lower else jnp.triu(A)
    stored = tri + mH(jnp.tril(A, -1) if lower else jnp.triu(A, 1))
    if jnp.iscomplexobj(A):
        stored = stored - 1j * jnp.imag(jnp.diagonal(A, axis1=-2, axis2=-1))[..., None] * jnp.eye(A.shape[-1])
    sym = (A + mH(A)) / 2
    return sym + jax.lax.stop_gradient(stored - sym)


def valued_as(value, x):
    """``value``'s value with ``x``'s gradient (the identity): for torch's functions whose value reads part of an
    input but whose gradient formula treats the input as a whole."""
    return jax.lax.stop_gradient(value) + (x - jax.lax.stop_gradient(x))


def broadcast_batch(A, B, a_core=2, b_core=2):
    """``A`` and ``B`` with their batch dimensions broadcast together (the last ``*_core`` dims are the matrix)."""
    batch = jnp.broadcast_shapes(A.shape[:A.ndim - a_core], B.shape[:B.ndim - b_core])
    return (jnp.broadcast_to(A, batch + A.shape[A.ndim - a_core:]),
            jnp.broadcast_to(B, batch + B.shape[B.ndim - b_core:]))


def lu_info(lu):
    """LAPACK getrf's ``info``: the 1-based index of the first exactly zero diagonal element of U, else 0."""
    d = jnp.diagonal(lu, axis1=-2, axis2=-1) == 0
    if not d.shape[-1]:  # empty matrices: nothing to fail
        return jnp.zeros(d.shape[:-1], jnp.int32)
    return jnp.where(jnp.any(d, -1), jnp.argmax(d, -1) + 1, 0).astype(jnp.int32)


def lu_solve(lu, perm, B, transpose=False, conjugate=False):
    """``A⁻¹ B`` from the factorization ``A[perm] = L U`` (batch dims broadcast); with ``transpose``, ``A⁻ᵀ B``,
    and with ``conjugate`` too, ``A⁻ᴴ B``."""
    tri = jax.lax.linalg.triangular_solve
    lu, B = broadcast_batch(lu, B)
    perm = jnp.broadcast_to(perm, lu.shape[:-1])
    if not transpose:  # A = Pᵀ L U
        PB = jnp.take_along_axis(B, perm[..., None], axis=-2)
        Y = tri(lu, PB, left_side=True, lower=True, unit_diagonal=True)
        return tri(lu, Y, left_side=True, lower=False)
    # Aᵀ = Uᵀ Lᵀ P: solve with Uᵀ, then Lᵀ, then undo the row permutation
    Y = tri(lu, B, left_side=True, lower=False, transpose_a=True, conjugate_a=conjugate)
    Z = tri(lu, Y, left_side=True, lower=True, transpose_a=True, conjugate_a=conjugate, unit_diagonal=True)
    return jnp.take_along_axis(Z, jnp.argsort(perm, axis=-1)[..., None], axis=-2)


def lu_factor(A):
    """``(lu, perm, info)`` of LU with partial pivoting (LAPACK getrf on CPU, the factorization torch uses)."""
    lu, _, perm = jax.lax.linalg.lu(A)
    return lu, perm, lu_info(lu)


def inverse_with_info(A):
    """``(A⁻¹, info)`` through LU (LAPACK getrf/getri's ``info``: nonzero for a singular matrix)."""
    lu, perm, info = lu_factor(A)
    return lu_solve(lu, perm, eye_like(A)), info


def default_rtol(A):
    """torch's default relative tolerance for rank decisions: eps of the dtype times max(m, n)."""
    return jnp.finfo(A.dtype).eps * max(A.shape[-2], A.shape[-1])


def real_dtype(dtype):
    return jnp.finfo(dtype).dtype
