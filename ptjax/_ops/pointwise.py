"""Elementwise ops: arithmetic, comparisons, logic, and unary math."""
from __future__ import annotations

import builtins
import functools

import jax
import jax.numpy as jnp

from .. import _dtype as D
from .._tensor import Tensor
from .dispatch import function_out
from .registry import BINARY, COMPARE, FLOAT, SAME, entries, front, op

# ---- arithmetic ------------------------------------------------------------------------------------------------


@op(tensors=("input", "other"), promote=BINARY, inplace=True)
def add(input, other, *, alpha=1):
    return jnp.add(input, jnp.multiply(other, alpha) if alpha != 1 else other)


@op(tensors=("input", "other"), promote=BINARY, inplace=True, aliases=("subtract",))
def sub(input, other, *, alpha=1):
    if input.dtype == jnp.bool_:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    return jnp.subtract(input, jnp.multiply(other, alpha) if alpha != 1 else other)


@op(tensors=("input", "other"), promote=BINARY, inplace=True, aliases=("multiply",))
def mul(input, other):
    if input.dtype == jnp.bool_ and getattr(other, "dtype", None) == jnp.bool_:
        return jnp.logical_and(input, other)
    return jnp.multiply(input, other)


def _div_check(input, other, rounding_mode=None):
    if rounding_mode not in (None, "trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but found "
                           f"'{rounding_mode}'")


@op(tensors=("input", "other"), promote=BINARY, inplace=True, check=_div_check, aliases=("divide",))
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


@op(tensors=("input", "other"), promote=FLOAT, inplace=True, aliases=("arctan2",))
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


def _compare(name, fn, aliases=()):
    def f(input, other):
        return fn(input, other)
    f.__name__ = name
    return op(name, tensors=("input", "other"), promote=COMPARE, differentiable=False, inplace=True,
              aliases=aliases)(f)


eq = _compare("eq", jnp.equal)
ne = _compare("ne", jnp.not_equal, ("not_equal",))
lt = _compare("lt", jnp.less, ("less",))
le = _compare("le", jnp.less_equal, ("less_equal",))
gt = _compare("gt", jnp.greater, ("greater",))
ge = _compare("ge", jnp.greater_equal, ("greater_equal",))
logical_and = _compare("logical_and", jnp.logical_and)
logical_or = _compare("logical_or", jnp.logical_or)
logical_xor = _compare("logical_xor", jnp.logical_xor)


def _integral_only(name, *arrays, bool_ok=True):
    """torch's bitwise kernels exist for integers (and bool, but for shifts) only (checked in the kernel: operators
    take the fast path, which skips an op's ``check``)."""
    for a in arrays:
        d = getattr(a, "dtype", None)
        if d is not None and (jnp.issubdtype(d, jnp.inexact) or (not bool_ok and d == jnp.bool_)):
            raise D.kernel_not_implemented(f"{name}_cpu", d)


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


_where_elementwise = where


@front(_where_elementwise)
def where(condition, *args, **kwargs):
    """``where(condition, input, other)``: elementwise choice; ``where(condition)``: ``nonzero(condition,
    as_tuple=True)``."""
    if not args and not kwargs:
        from .indexing import nonzero
        return nonzero(condition, as_tuple=True)
    return _where_elementwise(condition, *args, **kwargs)


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
asin = _unary("asin", jnp.arcsin, aliases=("arcsin",))
acos = _unary("acos", jnp.arccos, aliases=("arccos",))
atan = _unary("atan", jnp.arctan, aliases=("arctan",))
sinh = _unary("sinh", jnp.sinh)
cosh = _unary("cosh", jnp.cosh)
tanh = _unary("tanh", jnp.tanh)
asinh = _unary("asinh", jnp.arcsinh, aliases=("arcsinh",))
acosh = _unary("acosh", jnp.arccosh, aliases=("arccosh",))
atanh = _unary("atanh", jnp.arctanh, aliases=("arctanh",))
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
trunc = _unary("trunc", lambda x: jnp.trunc(x) if jnp.issubdtype(x.dtype, jnp.inexact) else x, promote=SAME,
               aliases=("fix",))
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


# ---- more binary math ---------------------------------------------------------------------------------------------


@op(tensors=("input", "other"), promote=BINARY, method=False, grad_name="RsubBackward1")
def rsub(input, other, *, alpha=1):
    """``other - alpha * input``."""
    return sub.op.fn(other, input, alpha=alpha)


def _floating_only(name, *arrays):
    """torch's message where its CPU kernel ``name`` exists for floating types only (checked in the kernel, like
    ``_integral_only``)."""
    for a in arrays:
        d = getattr(a, "dtype", None)
        if d is not None and not jnp.issubdtype(d, jnp.inexact):
            raise D.kernel_not_implemented(f"{name}_cpu", d)


@op(tensors=("input", "other"), promote=BINARY, differentiable=False, inplace=True)
def bitwise_left_shift(input, other):
    """``input << other``: zero once the shift reaches the bit width, as torch."""
    _integral_only("lshift", input, other, bool_ok=False)
    return jnp.left_shift(input, other)


@op(tensors=("input", "other"), promote=BINARY, differentiable=False, inplace=True)
def bitwise_right_shift(input, other):
    """``input >> other``: arithmetic for signed integers (the sign fills in), as torch."""
    _integral_only("rshift", input, other, bool_ok=False)
    return jnp.right_shift(input, other)


def _tensor_operand(name, param="other"):
    """A check: torch's TypeError where the op takes a Tensor only, not a Python number, as its second operand."""
    def check(input, other):
        if not isinstance(other, Tensor):
            raise TypeError(f"{name}(): argument '{param}' (position 2) must be Tensor, not {type(other).__name__}")
    return check


@op(tensors=("input", "other"), promote=BINARY, differentiable=False, inplace=True, check=_tensor_operand("gcd"))
def gcd(input, other):
    _integral_only("gcd", input, other)
    return jnp.gcd(input, other)


@op(tensors=("input", "other"), promote=BINARY, differentiable=False, inplace=True, check=_tensor_operand("lcm"))
def lcm(input, other):
    _integral_only("lcm", input, other)
    return jnp.lcm(input, other)


@op(tensors=("input", "other"), promote=BINARY)
def logaddexp2(input, other):
    _floating_only("logaddexp2", input, other)
    return jnp.logaddexp2(input, other)


@op(tensors=("input", "other"), promote=BINARY, differentiable=False, inplace=True)
def nextafter(input, other):
    """The next representable value after ``input`` towards ``other``. (torch records a node whose backward raises
    "not implemented"; ptjax records none.)"""
    _floating_only("nextafter", input, other)
    return jnp.nextafter(input, other)


@op(tensors=("input", "other"), promote=FLOAT, inplace=True, jit=True)
def ldexp(input, other):
    """``input * 2 ** other``, in the floating type of both (integers become the default float)."""
    return input * jnp.exp2(other)


def _heaviside_check(input, values):
    _tensor_operand("heaviside", "values")(input, values)
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")


@op(tensors=("input", "values"), promote=BINARY, differentiable=False, inplace=True, check=_heaviside_check)
def heaviside(input, values):
    """0 where ``input < 0``, ``values`` where it is 0, 1 where it is positive."""
    return jnp.where(input == 0, values, (input > 0).astype(input.dtype))


@op(tensors=("input", "exponent"), grad_name="PowBackward0", function=False, method=False)
def _float_power(input, exponent):
    return jnp.power(input, exponent)


@function_out
def float_power(input, exponent):
    """``pow`` computed in double precision (complex128 when either operand is complex), as torch."""
    from .creation import tensor as _tensor
    wide = D.complex128 if any(_is_complex(v) for v in (input, exponent)) else D.float64
    input, exponent = (v.to(wide) if isinstance(v, Tensor) else _tensor(v, dtype=wide) for v in (input, exponent))
    return _float_power(input, exponent)


def _is_complex(v):
    return v.dtype.is_complex if isinstance(v, Tensor) else isinstance(v, builtins.complex)


def float_power_(self, exponent):
    """In place: ``self`` must already be double (or complex double), as torch requires."""
    wide = D.complex128 if self.dtype.is_complex or _is_complex(exponent) else D.float64
    if self.dtype is not wide:
        raise RuntimeError(f"the base given to float_power_ has dtype {D.SCALAR_TYPE_NAME[self.dtype.name]} but the "
                           f"operation's result requires dtype {D.SCALAR_TYPE_NAME[wide.name]}")
    from .dispatch import assign, check_inplace
    check_inplace(self)
    return assign(self, float_power(self, exponent))


class _Frexp(tuple):
    """torch.return_types.frexp: ``.mantissa`` and ``.exponent``."""

    def __new__(cls, mantissa, exponent):
        return super().__new__(cls, (mantissa, exponent))

    mantissa = property(lambda self: self[0])
    exponent = property(lambda self: self[1])

    def __repr__(self):
        return f"torch.return_types.frexp(\nmantissa={self[0]!r},\nexponent={self[1]!r})"


def _frexp_check(input):
    if not input.dtype.is_floating_point:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")


@op(check=_frexp_check, out_fn=lambda outs: _Frexp(*outs))
def frexp(input):
    """(mantissa, exponent) with ``input = mantissa * 2 ** exponent``, |mantissa| in [0.5, 1); exponent int32."""
    mantissa, exponent = jnp.frexp(input)
    return mantissa, exponent.astype(jnp.int32)


deg2rad = _unary("deg2rad", jnp.deg2rad)
rad2deg = _unary("rad2deg", jnp.rad2deg)


@op(promote=FLOAT)
def angle(input):
    """The argument of a complex number; for real numbers π below zero, else 0 (NaN stays NaN)."""
    if jnp.iscomplexobj(input):
        return jnp.angle(input)
    x = jax.lax.stop_gradient(input)  # piecewise constant: a zero gradient everywhere, NaNs included, as torch
    return jnp.where(jnp.isnan(x), x, jnp.where(x < 0, jnp.pi, 0).astype(x.dtype))


@op(differentiable=False)
def isreal(input):
    return jnp.imag(input) == 0 if jnp.iscomplexobj(input) else jnp.ones(input.shape, jnp.bool_)


def _real_only(name):
    def check(input):
        if input.dtype.is_complex:
            raise RuntimeError(f"{name} does not support complex inputs.")
    return check


@op(differentiable=False, check=_real_only("isposinf"))
def isposinf(input):
    return jnp.isposinf(input) if jnp.issubdtype(input.dtype, jnp.inexact) else jnp.zeros(input.shape, jnp.bool_)


@op(differentiable=False, check=_real_only("isneginf"))
def isneginf(input):
    return jnp.isneginf(input) if jnp.issubdtype(input.dtype, jnp.inexact) else jnp.zeros(input.shape, jnp.bool_)


def positive(input):
    """``input`` itself (``+x``); torch refuses bool tensors."""
    if input.dtype is D.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


def _close_check(input, other):
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{D.SCALAR_TYPE_NAME[input.dtype.name]} did not match "
                           f"{D.SCALAR_TYPE_NAME[other.dtype.name]}")


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """``isclose(...).all()`` as a Python bool; both tensors must have the same dtype."""
    _close_check(input, other)
    return builtins.bool(isclose(input, other, rtol, atol, equal_nan).all())


@op(tensors=("elements", "test_elements"), promote=COMPARE, differentiable=False, method=False, jit=True)
def isin(elements, test_elements, *, assume_unique=False, invert=False):
    return jnp.isin(elements, test_elements, invert=invert)


# ---- complex numbers --------------------------------------------------------------------------------------------
# torch's ``real``/``conj`` of a real tensor are the tensor itself; of a complex tensor ``real``/``imag`` are views and
# ``conj`` a lazily conjugated view. ptjax's storage holds one dtype, so for complex inputs they are copies
# (gradients as torch; writing into them does not change the complex tensor).


@op(grad_name="RealBackward0", function=False, method=False)
def _real(input):
    return jnp.real(input)


@op(grad_name="ImagBackward0", function=False, method=False)
def _imag(input):
    return jnp.imag(input)


@op(grad_name="ConjBackward0", function=False, method=False)
def _conj(input):
    return jnp.conj(input)


def real(input):
    return _real(input) if input.dtype.is_complex else input


def imag(input):
    if not input.dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return _imag(input)


def conj(input):
    return _conj(input) if input.dtype.is_complex else input


def resolve_conj(input):
    """``input``: ptjax conjugates eagerly, so no tensor carries a pending conjugation."""
    return input


def resolve_neg(input):
    """``input``: ptjax negates eagerly, so no tensor carries a pending negation."""
    return input


def is_conj(input):
    return False


def is_neg(input):
    return False


def _view_as_real_check(input):
    if not input.dtype.is_complex:
        raise RuntimeError("view_as_real is only supported for complex tensors")


@op(check=_view_as_real_check)
def view_as_real(input):
    """A (…, 2) tensor of real and imaginary parts (a copy in ptjax: see the note above)."""
    return jnp.stack([jnp.real(input), jnp.imag(input)], axis=-1)


def _view_as_complex_check(input):
    if input.dtype not in (D.float16, D.float32, D.float64):
        raise RuntimeError(f"view_as_complex is only supported for half, float and double tensors, but got a tensor "
                           f"of scalar type: {D.SCALAR_TYPE_NAME[input.dtype.name]}")
    if input.dtype is D.float16:
        raise RuntimeError(f"view_as_complex: {COMPLEX32_MESSAGE}")
    if not input.ndim or input.shape[-1] != 2:
        raise RuntimeError("Tensor must have a last dimension of size 2")


COMPLEX32_MESSAGE = "ptjax has no complex32 (JAX has no half-precision complex dtype)"


@op(check=_view_as_complex_check)
def view_as_complex(input):
    return jax.lax.complex(input[..., 0], input[..., 1])


def _polar_check(abs, angle):
    for t in (abs, angle):
        if t.dtype not in (D.float16, D.float32, D.float64):
            raise RuntimeError(f"Expected both inputs to be Half, Float or Double tensors but got "
                               f"{D.SCALAR_TYPE_NAME[abs.dtype.name]} and {D.SCALAR_TYPE_NAME[angle.dtype.name]}")
    if abs.dtype is not angle.dtype:
        raise RuntimeError(f"Expected object of scalar type {D.SCALAR_TYPE_NAME[abs.dtype.name]} but got scalar type "
                           f"{D.SCALAR_TYPE_NAME[angle.dtype.name]} for second argument")


@op(tensors=("abs", "angle"), method=False, check=_polar_check, jit=True)
def polar(abs, angle):
    return jax.lax.complex(abs * jnp.cos(angle), abs * jnp.sin(angle))


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
