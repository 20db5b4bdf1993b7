"""torch.special: each name is an op-table entry (``ptjax/_ops/special.py``) or the entry torch aliases it to."""
from ._ops import pointwise as _pointwise
from ._ops import reduction as _reduction
from ._ops import special as _special
from ._ops.registry import TABLE as _TABLE

# torch.special names that are torch.X / Tensor.X entries too
digamma = psi = _pointwise.digamma
erf, erfc, erfinv = _pointwise.erf, _pointwise.erfc, _pointwise.erfinv
exp2, expm1, log1p = _pointwise.exp2, _pointwise.expm1, _pointwise.log1p
expit = _pointwise.sigmoid
gammaln = _pointwise.lgamma
round = _pointwise.round
xlogy = _pointwise.xlogy
logsumexp = _reduction.logsumexp
i0, logit, polygamma, sinc = _special.i0, _special.logit, _special.polygamma, _special.sinc
gammainc, gammaincc = _special.igamma, _special.igammac
multigammaln = _special.mvlgamma


def softmax(input, dim, *, dtype=None):
    """The entry of ``torch.softmax`` / ``Tensor.softmax`` (registered with ``ptjax.nn.functional``)."""
    return _functional_entry("softmax")(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    return _functional_entry("log_softmax")(input, dim, dtype=dtype)


def _functional_entry(name):
    from .nn import functional  # noqa: F401 - registers the softmax entries
    return _TABLE[name].public


# the names only torch.special has: entries named special_<name>
i0e = _TABLE["special_i0e"].public
i1 = _TABLE["special_i1"].public
i1e = _TABLE["special_i1e"].public
ndtr = _TABLE["special_ndtr"].public
ndtri = _TABLE["special_ndtri"].public
log_ndtr = _TABLE["special_log_ndtr"].public
erfcx = _TABLE["special_erfcx"].public
entr = _TABLE["special_entr"].public
xlog1py = _TABLE["special_xlog1py"].public
zeta = _TABLE["special_zeta"].public
airy_ai = _TABLE["special_airy_ai"].public
bessel_j0 = _TABLE["special_bessel_j0"].public
bessel_j1 = _TABLE["special_bessel_j1"].public
bessel_y0 = _TABLE["special_bessel_y0"].public
bessel_y1 = _TABLE["special_bessel_y1"].public
modified_bessel_i0 = _TABLE["special_modified_bessel_i0"].public
modified_bessel_i1 = _TABLE["special_modified_bessel_i1"].public
modified_bessel_k0 = _TABLE["special_modified_bessel_k0"].public
modified_bessel_k1 = _TABLE["special_modified_bessel_k1"].public
scaled_modified_bessel_k0 = _TABLE["special_scaled_modified_bessel_k0"].public
scaled_modified_bessel_k1 = _TABLE["special_scaled_modified_bessel_k1"].public
spherical_bessel_j0 = _TABLE["special_spherical_bessel_j0"].public
chebyshev_polynomial_t = _TABLE["special_chebyshev_polynomial_t"].public
chebyshev_polynomial_u = _TABLE["special_chebyshev_polynomial_u"].public
chebyshev_polynomial_v = _TABLE["special_chebyshev_polynomial_v"].public
chebyshev_polynomial_w = _TABLE["special_chebyshev_polynomial_w"].public
shifted_chebyshev_polynomial_t = _TABLE["special_shifted_chebyshev_polynomial_t"].public
shifted_chebyshev_polynomial_u = _TABLE["special_shifted_chebyshev_polynomial_u"].public
shifted_chebyshev_polynomial_v = _TABLE["special_shifted_chebyshev_polynomial_v"].public
shifted_chebyshev_polynomial_w = _TABLE["special_shifted_chebyshev_polynomial_w"].public
hermite_polynomial_h = _TABLE["special_hermite_polynomial_h"].public
hermite_polynomial_he = _TABLE["special_hermite_polynomial_he"].public
laguerre_polynomial_l = _TABLE["special_laguerre_polynomial_l"].public
legendre_polynomial_p = _TABLE["special_legendre_polynomial_p"].public
