"""Elementwise ops: arithmetic, comparisons, logic, and unary math."""
from __future__ import annotations

import builtins
import functools

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._tensor import Tensor
from .registry import BINARY, COMPARE, FLOAT, SAME, entries, op

# ---- arithmetic ------------------------------------------------------------------------------------------------


@op(tensors=("input", "other"), promote=BINARY, inplace=True)
def add(input, other, *, alpha=1):
    return jnp.add(input, jnp.multiply(other, alpha) if alpha != 1 else other)


@op(tensors=("input", "other"), promote=BINARY, inplace=True)
def sub(input, other, *, alpha=1):
    if input.dtype == jnp.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    return jnp.subtract(input, jnp.multiply(other, alpha) if alpha != 1 else other)


@op(tensors=("input", "other"), promote=BINARY, inplace=True)
def mul(input, other):
    if input.dtype == jnp.bool_ and getattr(other, "dtype", None) == jnp.bool_:
        return jnp.logical_and(input, other)
    return jnp.multiply(input, other)


def _div_check(input, other, rounding_mode=None):
    if rounding_mode not in (None, "trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")


@op(tensors=("input", "other"), promote=BINARY, inplace=True, check=_div_check)
def div(input, other, *, rounding_mode=None):
    """True division for ``rounding_mode=None`` (integers become the default float, as in torch)."""
    if rounding_mode is None:
        if not jnp.issubdtype(input.dtype, jnp.inexact):
            input = input.astype(D.get_default_dtype().np)
        return jnp.true_divide(input, other)
    if rounding_mode == "trunc":
        if jnp.issubdtype(input.dtype, jnp.integer):
            q = jnp.abs(input) // jnp.abs(other)
            return jnp.where((input < 0) != (other < 0), -q, q).astype(input.dtype)
        return jnp.trunc(input / other)
    return jnp.floor_divide(input, other) if jnp.issubdtype(input.dtype, jnp.integer) else jnp.floor(input / other)


@op(tensors=("input", "other"), promote=FLOAT, inplace=True)
def true_divide(input, other):
    return input / other


@op(tensors=("input", "other"), promote=BINARY, inplace=True)
def floor_divide(input, other):
    if jnp.issubdtype(input.dtype, jnp.integer):
        return jnp.floor_divide(input, other)
    return jnp.floor(input / other)


@op(tensors=("input", "other"), promote=BINARY, inplace=True)
def remainder(input, other):
    return jnp.remainder(input, other)


@op(tensors=("input", "other"), promote=BINARY, inplace=True)
def fmod(input, other):
    return jnp.fmod(input, other)


@op(tensors=("input", "exponent"), promote=BINARY, inplace=True)
def pow(input, exponent):
    return jnp.power(input, exponent)


@op(tensors=("input", "other"), promote=FLOAT, inplace=True)
def atan2(input, other):
    return jnp.arctan2(input, other)


@op(tensors=("input", "other"), promote=BINARY, inplace=True)
def maximum(input, other):
    return jnp.maximum(input, other)


@op(tensors=("input", "other"), promote=BINARY, inplace=True)
def minimum(input, other):
    return jnp.minimum(input, other)


@op(tensors=("input", "other"), promote=BINARY, jit=True)
def fmax(input, other):
    """``maximum`` that ignores NaN."""
    if not jnp.issubdtype(input.dtype, jnp.inexact):
        return jnp.maximum(input, other)
    return jnp.where(jnp.isnan(other) | (input >= other), input, other)  # ties: the gradient goes to input


@op(tensors=("input", "other"), promote=BINARY, jit=True)
def fmin(input, other):
    if not jnp.issubdtype(input.dtype, jnp.inexact):
        return jnp.minimum(input, other)
    return jnp.where(jnp.isnan(other) | (input <= other), input, other)


@op(tensors=("input", "other"), promote=FLOAT, inplace=True)
def hypot(input, other):
    return jnp.hypot(input, other)


@op(tensors=("input", "other"), promote=FLOAT)
def logaddexp(input, other):
    return jnp.logaddexp(input, other)


@op(tensors=("input", "other"), promote=FLOAT, inplace=True, jit=True)
def xlogy(input, other):
    return jax.scipy.special.xlogy(input, other)


@op(tensors=("input", "other"), promote=BINARY, inplace=True)
def copysign(input, other):
    return jnp.copysign(input, other)


@op(tensors=("input", "end", "weight"), promote=BINARY, inplace=True, jit=True)
def lerp(input, end, weight):
    return input + weight * (end - input)


@op(tensors=("input", "tensor1", "tensor2"), promote=BINARY, inplace=True, jit=True)
def addcmul(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 * tensor2


@op(tensors=("input", "tensor1", "tensor2"), promote=BINARY, inplace=True, jit=True)
def addcdiv(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 / tensor2


# ---- comparisons and logic -------------------------------------------------------------------------------------


def _compare(name, fn):
    def f(input, other):
        return fn(input, other)
    f.__name__ = name
    return op(name, tensors=("input", "other"), promote=COMPARE, differentiable=False, inplace=True)(f)


eq = _compare("eq", jnp.equal)
ne = _compare("ne", jnp.not_equal)
lt = _compare("lt", jnp.less)
le = _compare("le", jnp.less_equal)
gt = _compare("gt", jnp.greater)
ge = _compare("ge", jnp.greater_equal)
logical_and = _compare("logical_and", jnp.logical_and)
logical_or = _compare("logical_or", jnp.logical_or)
logical_xor = _compare("logical_xor", jnp.logical_xor)


def _integral_only(name, *arrays):
    """torch's bitwise kernels exist for integers and bool only (checked in the kernel: operators take the fast
    path, which skips an op's ``check``)."""
    for a in arrays:
        d = getattr(a, "dtype", None)
        if d is not None and jnp.issubdtype(d, jnp.inexact):
            raise NotImplementedError(f'"{name}_cpu" not implemented for \'{D.SCALAR_TYPE_NAME[np.dtype(d).name]}\'')


@op(tensors=("input", "other"), promote=BINARY, differentiable=False, inplace=True)
def bitwise_and(input, other):
    _integral_only("bitwise_and", input, other)
    return jnp.bitwise_and(input, other)


@op(tensors=("input", "other"), promote=BINARY, differentiable=False, inplace=True)
def bitwise_or(input, other):
    _integral_only("bitwise_or", input, other)
    return jnp.bitwise_or(input, other)


@op(tensors=("input", "other"), promote=BINARY, differentiable=False, inplace=True)
def bitwise_xor(input, other):
    _integral_only("bitwise_xor", input, other)
    return jnp.bitwise_xor(input, other)


@op(differentiable=False, inplace=True)
def bitwise_not(input):
    _integral_only("bitwise_not", input)
    return jnp.invert(input)


@op(differentiable=False, inplace=True)
def logical_not(input):
    return jnp.logical_not(input)


@op(differentiable=False)
def isnan(input):
    return jnp.isnan(input)


@op(differentiable=False)
def isinf(input):
    return jnp.isinf(input)


@op(differentiable=False)
def isfinite(input):
    return jnp.isfinite(input)


@op(differentiable=False)
def signbit(input):
    return jnp.signbit(input)


@op(tensors=("input", "other"), differentiable=False, method=True, promote=COMPARE)
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return jnp.isclose(input, other, rtol=rtol, atol=atol, equal_nan=equal_nan)


def _where_check(condition, input, other):
    d = getattr(condition, "dtype", None)
    if d is not None and d.name not in ("bool", "uint8"):
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype "
                           f"{D.SCALAR_TYPE_NAME[d.name]}")


@op(tensors=("condition", "input", "other"), promote=BINARY, method=False, keep=("condition",), check=_where_check)
def where(condition, input, other):
    return jnp.where(condition, input, other)


def where_method(self, condition, y):
    """``Tensor.where(condition, y)`` is ``torch.where(condition, self, y)``."""
    return where(condition, self, y)


# ---- unary -----------------------------------------------------------------------------------------------------


def _unary(name, fn, promote=FLOAT, inplace=True, grad_name=None, aliases=()):
    def f(input):
        return fn(input)
    f.__name__ = name
    f.__doc__ = f"Elementwise ``{name}``."
    return op(name, promote=promote, inplace=inplace, grad_name=grad_name, aliases=aliases)(f)


exp = _unary("exp", jnp.exp)
exp2 = _unary("exp2", jnp.exp2)
expm1 = _unary("expm1", jnp.expm1)
log = _unary("log", jnp.log)
log2 = _unary("log2", jnp.log2)
log10 = _unary("log10", jnp.log10)
log1p = _unary("log1p", jnp.log1p)
sqrt = _unary("sqrt", jnp.sqrt)
rsqrt = _unary("rsqrt", jax.lax.rsqrt)
sin = _unary("sin", jnp.sin)
cos = _unary("cos", jnp.cos)
tan = _unary("tan", jnp.tan)
asin = _unary("asin", jnp.arcsin)
acos = _unary("acos", jnp.arccos)
atan = _unary("atan", jnp.arctan)
sinh = _unary("sinh", jnp.sinh)
cosh = _unary("cosh", jnp.cosh)
tanh = _unary("tanh", jnp.tanh)
asinh = _unary("asinh", jnp.arcsinh)
acosh = _unary("acosh", jnp.arccosh)
atanh = _unary("atanh", jnp.arctanh)
sigmoid = _unary("sigmoid", jax.nn.sigmoid)
erf = _unary("erf", jax.scipy.special.erf)
erfc = _unary("erfc", jax.scipy.special.erfc)
erfinv = _unary("erfinv", jax.scipy.special.erfinv)
lgamma = _unary("lgamma", jax.scipy.special.gammaln)
digamma = _unary("digamma", lambda x: jnp.where(x == 0, jnp.copysign(jnp.inf, -x), jax.scipy.special.digamma(x)))
reciprocal = _unary("reciprocal", lambda x: 1 / x)
neg = _unary("neg", jnp.negative, promote=SAME, aliases=("negative",))
abs = _unary("abs", jnp.abs, promote=SAME, aliases=("absolute",))
square = _unary("square", jnp.square, promote=SAME, grad_name="PowBackward0")
sign = _unary("sign", jnp.sign, promote=SAME)
sgn = _unary("sgn", jnp.sign, promote=SAME)
floor = _unary("floor", lambda x: jnp.floor(x) if jnp.issubdtype(x.dtype, jnp.inexact) else x, promote=SAME)
ceil = _unary("ceil", lambda x: jnp.ceil(x) if jnp.issubdtype(x.dtype, jnp.inexact) else x, promote=SAME)
trunc = _unary("trunc", lambda x: jnp.trunc(x) if jnp.issubdtype(x.dtype, jnp.inexact) else x, promote=SAME)
frac = _unary("frac", lambda x: x - jnp.trunc(x), promote=SAME)
relu = op("relu", inplace=True, eager=lambda x: jnp.maximum(x, 0))(lambda input: jnp.where(input > 0, input, 0))


@op(inplace=True)
def round(input, *, decimals=0):
    if decimals == 0:
        return jnp.round(input)
    return jnp.round(input, decimals)


def _clamp_check(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")


@op(tensors=("input", "min", "max"), promote=BINARY, inplace=True, check=_clamp_check, jit=True)
def clamp(input, min=None, max=None):
    if min is not None:
        input = jnp.maximum(input, min)
    if max is not None:
        input = jnp.minimum(input, max)
    return input


@op(tensors=("input", "min", "max"), promote=BINARY, inplace=True, check=_clamp_check, grad_name="ClampBackward1",
    jit=True)
def clip(input, min=None, max=None):
    return clamp.op.fn(input, min, max)


@op(tensors=("input", "min"), promote=BINARY, inplace=True)
def clamp_min(input, min):
    return jnp.maximum(input, min)


@op(tensors=("input", "max"), promote=BINARY, inplace=True)
def clamp_max(input, max):
    return jnp.minimum(input, max)


@op(inplace=True)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    return jnp.nan_to_num(input, nan=nan, posinf=posinf, neginf=neginf)


def _masked_fill_check(input, mask, value):
    if mask.dtype is not D.bool:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{D.CPP_TYPE_NAME[mask.dtype.name]}")
    if isinstance(value, Tensor) and value.ndim:
        raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                           f"{value.ndim} dimension(s).")


@op(tensors=("input", "mask", "value"), inplace=True, grad_name="MaskedFillBackward0", check=_masked_fill_check)
def masked_fill(input, mask, value):
    value = jnp.asarray(value).astype(input.dtype) if hasattr(value, "dtype") else value
    return jnp.where(mask, value, input)


# ---- torch's broadcast error ------------------------------------------------------------------------------------

def broadcast_error(shapes):
    """torch's message for shapes that do not broadcast: folded pairwise, scanning from the last dim."""
    acc = tuple(shapes[0])
    for s in shapes[1:]:
        s = tuple(s)
        n = builtins.max(len(acc), len(s))
        a, b = (1,) * (n - len(acc)) + acc, (1,) * (n - len(s)) + s
        for i in range(n - 1, -1, -1):
            if a[i] != b[i] and a[i] != 1 and b[i] != 1:
                return RuntimeError(f"The size of tensor a ({a[i]}) must match the size of tensor b ({b[i]}) at "
                                    f"non-singleton dimension {i}")
        acc = tuple(builtins.max(x, y) if 0 not in (x, y) else 0 for x, y in zip(a, b))
    return None


def _with_broadcast_errors(fn):
    """Wrap a pure elementwise function: JAX's broadcasting errors become torch's (the success path is untouched)."""
    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ValueError, TypeError) as e:
            if "broadcast" not in str(e):
                raise
            shapes = [jnp.shape(a) for a in list(args) + list(kwargs.values()) if hasattr(a, "shape")]
            err = broadcast_error(shapes)
            if err is None:
                raise
            raise err from None
    return wrapped


def _install_eager_forms():
    """For this module's ops: torch's broadcast errors; and the fast paths (which call ``op.eager``) run the
    composites marked ``jit=True`` compiled, as their kernels do, rather than primitive by primitive."""
    for o in entries():
        if getattr(o.fn, "__module__", None) != __name__:
            continue
        if o.jit and o.eager is o.fn:
            o.eager = jax.jit(o.fn)
        if len(o.tensor_pos) >= 2:
            same = o.eager is o.fn
            o.fn = _with_broadcast_errors(o.fn)
            o.eager = o.fn if same else _with_broadcast_errors(o.eager)


_install_eager_forms()
