"""``torch.special``'s functions as op-table entries.

Names torch also has at top level or as a Tensor method (``torch.i0``, ``Tensor.logit``, ``torch.igamma`` …) are
entries with those forms; names only ``torch.special`` has are entries named as torch's native functions
(``special_ndtr`` …) with ``function=False, method=False``. ``ptjax.special`` maps torch.special's names onto
these and onto existing entries (``expit`` is ``sigmoid``, ``gammaln`` is ``lgamma`` …).

The Bessel functions and orthogonal polynomials are computed here (JAX has no J0/Y0/K0 … and no polynomial
families): Bessel functions by Gauss–Legendre quadrature of their integral representations for moderate
arguments and Hankel's asymptotic expansion for large ones; polynomials by their three-term recurrences (torch's
trigonometric forms for Chebyshev T/U of high degree inside (-1, 1)). As in torch they have no gradient.
"""
from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy import special as jsp

from .. import _dtype as D
from .._tensor import Tensor
from .pointwise import digamma
from .registry import FLOAT, op


def _no_half(kernel_name, *params):
    """A ``check``: torch's CPU kernel ``kernel_name`` has no float16 / bfloat16 version."""
    def check(*args, **kwargs):
        for a in list(args) + list(kwargs.values()):
            if isinstance(a, Tensor) and a.dtype.name in ("float16", "bfloat16"):
                raise D.kernel_not_implemented(f"{kernel_name}_cpu", a.dtype)
    return check


# ---- names torch has at top level and as Tensor methods ------------------------------------------------------

@op(promote=FLOAT, inplace=True, jit=True)
def i0(input):
    return _via_float32(jsp.i0)(input)


def _logit_eager(input, eps=None):
    if eps is not None:
        input = jnp.clip(input, eps, 1 - eps)
    return jnp.log(input / (1 - input))


@op(promote=FLOAT, inplace=True, jit=True)
def logit(input, eps=None):
    """``log(p / (1 - p))``, with ``p`` clamped to ``[eps, 1 - eps]`` when ``eps`` is given."""
    return _logit_eager(input, eps)


@op(promote=FLOAT, inplace=True, jit=True)
def sinc(input):
    """The normalized sinc, ``sin(pi x) / (pi x)`` (1 at 0)."""
    return jnp.sinc(input)


@op(promote=FLOAT, method=False, jit=True)
def polygamma(n, input):
    """The ``n``-th derivative of the digamma function. ``Tensor.polygamma(n)`` is installed below."""
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    return digamma.op.fn(input) if n == 0 else jsp.polygamma(n, input)


def _mvlgamma_check(input, p):
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")


@op(promote=FLOAT, inplace=True, jit=True, check=_mvlgamma_check)
def mvlgamma(input, p):
    """The multivariate log-gamma of dimension ``p``. Unlike torch, arguments ``<= (p - 1) / 2`` give NaN rather
    than an error (checking would need the values on the host)."""
    return jsp.multigammaln(input, p)


def _incomplete_gamma_check(name):
    """torch's igamma / igammac take two tensors (no Python numbers) whose promoted dtype is floating."""
    def check(input, other):
        for i, (param, t) in enumerate((("input", input), ("other", other))):
            if not isinstance(t, Tensor):
                raise TypeError(f"{name}(): argument '{param}' (position {i + 1}) must be Tensor, not "
                                f"{type(t).__name__}")
        common = D.promote_types(input.dtype, other.dtype)
        if not common.is_floating_point:
            raise D.kernel_not_implemented(f"{name}_cpu", common)
    return check


@op(tensors=("input", "other"), promote=FLOAT, inplace=True, jit=True, check=_incomplete_gamma_check("igamma"))
def igamma(input, other):
    """The regularized lower incomplete gamma function P(input, other). torch has no gradient with respect to
    ``input``; here JAX's is used."""
    return jsp.gammainc(input, other)


@op(tensors=("input", "other"), promote=FLOAT, inplace=True, jit=True, check=_incomplete_gamma_check("igammac"))
def igammac(input, other):
    """The regularized upper incomplete gamma function Q(input, other)."""
    return jsp.gammaincc(input, other)


def _polygamma_method(self, n):
    return polygamma(n, self)


def _polygamma_(self, n):
    from .dispatch import assign, check_inplace
    check_inplace(self)
    return assign(self, polygamma(n, self))


Tensor.polygamma = _polygamma_method
Tensor.polygamma_ = _polygamma_


# ---- torch.special only ----------------------------------------------------------------------------------------

def _via_float32(fn):
    """``fn`` for float16 / bfloat16 inputs computed in float32 (JAX's special functions take neither)."""
    @functools.wraps(fn)
    def f(input):
        if input.dtype in (jnp.float16, jnp.bfloat16):
            return fn(input.astype(jnp.float32)).astype(input.dtype)
        return fn(input)
    return f


def _special(name, fn, *, grad_name=None, half=True, differentiable=True, tensors=("input",)):
    """Register ``torch.special.<name>`` as the entry ``special_<name>`` (no ptjax.X or Tensor.X form);
    ``half=False``: torch has no float16 / bfloat16 kernel for it (torch's error is raised)."""
    check = None if half else _no_half(name)
    if half and len(tensors) == 1:
        fn = _via_float32(fn)
    return op(f"special_{name}", tensors=tensors, promote=FLOAT, jit=True, method=False, function=False,
              grad_name=grad_name, check=check, differentiable=differentiable)(fn)


special_i0e = _special("i0e", lambda input: jsp.i0e(input), grad_name="SpecialI0EBackward0")
special_i1 = _special("i1", lambda input: jsp.i1(input), grad_name="SpecialI1Backward0")
special_i1e = _special("i1e", lambda input: jsp.i1e(input), grad_name="SpecialI1EBackward0")
special_ndtr = _special("ndtr", lambda input: jsp.ndtr(input), grad_name="MulBackward1")
special_ndtri = _special("ndtri", lambda input: jsp.ndtri(input), half=False)
special_log_ndtr = _special("log_ndtr", lambda input: jsp.log_ndtr(input), half=False)
special_erfcx = _special("erfcx", lambda input: jsp.erfcx(input), half=False)
special_entr = _special("entr", lambda input: jsp.entr(input))
special_xlog1py = _special("xlog1py", lambda input, other: jsp.xlog1py(input, other), tensors=("input", "other"),
                           grad_name="SpecialXlog1PyBackward0")
special_zeta = _special("zeta", lambda input, other: jsp.zeta(input, other), tensors=("input", "other"),
                        half=False)


# ---- Bessel functions ------------------------------------------------------------------------------------------

_ASYMPTOTIC_FROM = 25.0  # |x| from which Hankel's expansion (12 terms) is below float64 rounding
_GAUSS_NODES = 128


@functools.cache
def _gauss_legendre():
    """Nodes and weights on [0, 1]."""
    u, w = np.polynomial.legendre.leggauss(_GAUSS_NODES)
    return (u + 1) / 2, w / 2


def _integral(f, a, b):
    """``∫_a^b f(t) dt`` for each element of the arrays ``a``, ``b`` (Gauss–Legendre, nodes on a new last axis)."""
    u, w = _gauss_legendre()
    a, b = a[..., None], b[..., None]
    return jnp.sum(f(a + (b - a) * u) * w, axis=-1) * (b - a)[..., 0]


def _hankel(order, x):
    """Hankel's large-argument expansion: (J_order(x), Y_order(x)) for x > 0."""
    mu = 4.0 * order * order
    term, p, q = jnp.ones_like(x), jnp.ones_like(x), jnp.zeros_like(x)
    for k in range(1, 13):
        term = term * (mu - (2 * k - 1) ** 2) / (k * 8.0 * x)
        sign = (-1) ** (k // 2)
        if k % 2:
            q = q + sign * term
        else:
            p = p + sign * term
    chi = x - (order / 2 + 0.25) * math.pi
    scale = jnp.sqrt(2 / (math.pi * x))
    return scale * (p * jnp.cos(chi) - q * jnp.sin(chi)), scale * (p * jnp.sin(chi) + q * jnp.cos(chi))


def _bessel_first_kind(order, x):
    """J_order(x) for integer order 0 or 1, any real x (J0 is even, J1 odd)."""
    ax = jnp.abs(x)
    small = jnp.minimum(ax, _ASYMPTOTIC_FROM)
    integral = _integral(lambda t: jnp.cos(order * t - small[..., None] * jnp.sin(t)),
                         jnp.zeros_like(ax), jnp.full_like(ax, math.pi)) / math.pi
    large = _hankel(order, jnp.maximum(ax, _ASYMPTOTIC_FROM))[0]
    j = jnp.where(ax < _ASYMPTOTIC_FROM, integral, large)
    j = jnp.where(x < 0, (-1) ** order * j, j)
    return jnp.where(jnp.isfinite(x), j, jnp.nan)


def _bessel_second_kind(order, x):
    """Y_order(x): NaN for x < 0, -inf at 0 (as torch)."""
    small = jnp.clip(x, 1e-300, _ASYMPTOTIC_FROM)[..., None]
    oscillating = _integral(lambda t: jnp.sin(small * jnp.sin(t) - order * t),
                            jnp.zeros_like(x), jnp.full_like(x, math.pi))
    end = jnp.arcsinh(50.0 / small[..., 0])  # beyond it the integrand is below e^-50 of its size
    decaying = _integral(lambda t: (jnp.exp(order * t) + (-1) ** order * jnp.exp(-order * t))
                         * jnp.exp(-small * jnp.sinh(t)), jnp.zeros_like(x), end)
    y = jnp.where(x < _ASYMPTOTIC_FROM, (oscillating - decaying) / math.pi,
                  _hankel(order, jnp.maximum(x, _ASYMPTOTIC_FROM))[1])
    y = jnp.where(x == 0, -jnp.inf, y)
    return jnp.where((x < 0) | ~jnp.isfinite(x), jnp.nan, y)


def _bessel_k(order, x, scaled):
    """K_order(x) = ∫_0^∞ exp(-x cosh t) cosh(order t) dt (times e^x when ``scaled``)."""
    xs = jnp.maximum(x, 1e-300)[..., None]
    end = jnp.arccosh(1.0 + 50.0 / xs[..., 0])
    k = _integral(lambda t: jnp.exp(-xs * (jnp.cosh(t) - 1)) * jnp.cosh(order * t), jnp.zeros_like(x), end)
    if not scaled:
        k = k * jnp.exp(-x)
    k = jnp.where(x == 0, jnp.inf, k)
    k = jnp.where(x == jnp.inf, 0.0, k)
    return jnp.where((x < 0) | jnp.isnan(x), jnp.nan, k)


def _in_float64(fn):
    """Compute in float64 (the quadratures need it), return the input's dtype."""
    def f(input):
        return fn(input.astype(jnp.float64)).astype(input.dtype)
    return f


def _bessel(name, fn):
    return _special(name, _in_float64(fn), half=False, differentiable=False)


special_bessel_j0 = _bessel("bessel_j0", functools.partial(_bessel_first_kind, 0))
special_bessel_j1 = _bessel("bessel_j1", functools.partial(_bessel_first_kind, 1))
special_bessel_y0 = _bessel("bessel_y0", functools.partial(_bessel_second_kind, 0))
special_bessel_y1 = _bessel("bessel_y1", functools.partial(_bessel_second_kind, 1))
special_modified_bessel_i0 = _bessel("modified_bessel_i0", lambda x: jnp.where(jnp.isinf(x), jnp.nan, jsp.i0(x)))
special_modified_bessel_i1 = _bessel("modified_bessel_i1", lambda x: jnp.where(jnp.isinf(x), jnp.nan, jsp.i1(x)))
special_modified_bessel_k0 = _bessel("modified_bessel_k0", lambda x: _bessel_k(0, x, scaled=False))
special_modified_bessel_k1 = _bessel("modified_bessel_k1", lambda x: _bessel_k(1, x, scaled=False))
special_scaled_modified_bessel_k0 = _bessel("scaled_modified_bessel_k0", lambda x: _bessel_k(0, x, scaled=True))
special_scaled_modified_bessel_k1 = _bessel("scaled_modified_bessel_k1", lambda x: _bessel_k(1, x, scaled=True))
def _bessel_first_kind_fractional(order, z):
    """J_order(z) for z > 0 and any real order: Bessel's integral with Schläfli's correction term."""
    zs = jnp.minimum(z, _ASYMPTOTIC_FROM)
    main = _integral(lambda t: jnp.cos(zs[..., None] * jnp.sin(t) - order * t),
                     jnp.zeros_like(z), jnp.full_like(z, math.pi)) / math.pi
    end = jnp.arcsinh((50.0 + abs(order) * 10) / zs)   # the correction's integrand is below e^-50 beyond
    correction = _integral(lambda t: jnp.exp(-zs[..., None] * jnp.sinh(t) - order * t), jnp.zeros_like(z), end)
    small = main - math.sin(order * math.pi) / math.pi * correction
    return jnp.where(z < _ASYMPTOTIC_FROM, small, _hankel(order, jnp.maximum(z, _ASYMPTOTIC_FROM))[0])


_AIRY_SERIES_UP_TO = 2.0
_AI0, _AIP0 = 0.355028053887817239260, -0.258819403792806798405  # Ai(0), Ai'(0)


def _airy_ai(x):
    """Ai(x): Maclaurin series for |x| <= 2; beyond, with zeta = 2/3 |x|^(3/2), sqrt(x/3)/pi K_1/3(zeta) for
    x > 0 and sqrt(|x|)/3 (J_1/3(zeta) + J_-1/3(zeta)) for x < 0. NaN at ±inf, as torch."""
    xs = jnp.clip(x, -_AIRY_SERIES_UP_TO, _AIRY_SERIES_UP_TO)
    cube, f_term, g_term = xs ** 3, jnp.ones_like(xs), xs
    f, g = f_term, g_term
    for k in range(30):
        f_term = f_term * cube / ((3 * k + 2) * (3 * k + 3))
        g_term = g_term * cube / ((3 * k + 3) * (3 * k + 4))
        f, g = f + f_term, g + g_term
    series = _AI0 * f + _AIP0 * g
    ax = jnp.maximum(jnp.abs(x), _AIRY_SERIES_UP_TO)
    zeta = 2.0 / 3.0 * ax ** 1.5
    positive = jnp.sqrt(ax / 3) / math.pi * _bessel_k(1.0 / 3.0, zeta, scaled=False)
    negative = jnp.sqrt(ax) / 3 * (_bessel_first_kind_fractional(1.0 / 3.0, zeta)
                                   + _bessel_first_kind_fractional(-1.0 / 3.0, zeta))
    ai = jnp.where(jnp.abs(x) <= _AIRY_SERIES_UP_TO, series, jnp.where(x > 0, positive, negative))
    return jnp.where(jnp.isfinite(x), ai, jnp.nan)


special_airy_ai = _bessel("airy_ai", _airy_ai)
special_spherical_bessel_j0 = _bessel(
    "spherical_bessel_j0",
    lambda x: jnp.where(jnp.isinf(x), 0.0, jnp.where(x == 0, 1.0, jnp.sin(x) / jnp.where(x == 0, 1.0, x))))


# ---- orthogonal polynomials ------------------------------------------------------------------------------------

def _recurrence(x, n, first, step):
    """p_n(x) from p_0 = 1, p_1 = ``first(x)``, p_{k+1} = ``step(k, x, p_k, p_{k-1})``; 0 for n < 0."""
    n_max = jnp.max(jnp.where(n >= 0, n, 0), initial=0)

    def body(k, carry):
        prev, cur, out = carry
        nxt = step(k, x, cur, prev)
        return cur, nxt, jnp.where(n == k + 1, nxt, out)

    p1 = first(x)
    out = jnp.where(n == 0, jnp.ones_like(x), jnp.where(n == 1, p1, jnp.zeros_like(x)))
    _, _, out = jax.lax.fori_loop(1, n_max, body, (jnp.ones_like(x), p1, out))
    return out


def _polynomial(name, first, step, closed_form=None):
    """``torch.special.<name>(input, n)``: ``n`` (a tensor or a number) is truncated to an integer degree."""
    def fn(input, n):
        x, n = jnp.broadcast_arrays(input, n)
        n = jnp.trunc(n).astype(jnp.int64)
        p = _recurrence(x, n, first, step)
        if closed_form is not None:
            p = closed_form(x, n, p)
        return p
    return _special(name, fn, tensors=("input", "n"), half=False, differentiable=False)


def _chebyshev_t_trig(x, n, p):
    inside = (jnp.abs(x) < 1) & (n > 6)
    return jnp.where(inside, jnp.cos(n * jnp.arccos(jnp.clip(x, -1, 1))), p)


def _chebyshev_u_trig(x, n, p):
    theta = jnp.arccos(jnp.clip(x, -1, 1))
    s = jnp.sin(theta)
    trig = jnp.where(s != 0, jnp.sin((n + 1) * theta) / jnp.where(s != 0, s, 1), (n + 1) * jnp.cos((n + 1) * theta))
    return jnp.where((jnp.abs(x) < 1) & (n > 8), trig, p)


def _two_x_step(k, x, cur, prev):
    return 2 * x * cur - prev


def _shifted(first, closed_form=None):
    """The shifted family p*(x) = p(2x - 1)."""
    def fn(input, n):
        x, n = jnp.broadcast_arrays(2 * input - 1, n)
        n = jnp.trunc(n).astype(jnp.int64)
        p = _recurrence(x, n, first, _two_x_step)
        return closed_form(x, n, p) if closed_form is not None else p
    return fn


special_chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t", lambda x: x, _two_x_step, _chebyshev_t_trig)
special_chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u", lambda x: 2 * x, _two_x_step,
                                             _chebyshev_u_trig)
special_chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v", lambda x: 2 * x - 1, _two_x_step)
special_chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w", lambda x: 2 * x + 1, _two_x_step)
special_hermite_polynomial_h = _polynomial("hermite_polynomial_h", lambda x: 2 * x,
                                           lambda k, x, cur, prev: 2 * x * cur - 2 * k * prev)
special_hermite_polynomial_he = _polynomial("hermite_polynomial_he", lambda x: x,
                                            lambda k, x, cur, prev: x * cur - k * prev)
special_laguerre_polynomial_l = _polynomial("laguerre_polynomial_l", lambda x: 1 - x,
                                            lambda k, x, cur, prev: ((2 * k + 1 - x) * cur - k * prev) / (k + 1))
special_legendre_polynomial_p = _polynomial("legendre_polynomial_p", lambda x: x,
                                            lambda k, x, cur, prev: ((2 * k + 1) * x * cur - k * prev) / (k + 1))
for _kind, _first, _closed in (("t", lambda x: x, _chebyshev_t_trig), ("u", lambda x: 2 * x, _chebyshev_u_trig),
                               ("v", lambda x: 2 * x - 1, None), ("w", lambda x: 2 * x + 1, None)):
    _special(f"shifted_chebyshev_polynomial_{_kind}", _shifted(_first, _closed), tensors=("input", "n"),
             half=False, differentiable=False)

del _kind, _first, _closed
