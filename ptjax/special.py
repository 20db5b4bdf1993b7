"""torch.special: each name is an op-table entry (``ptjax/_ops/special.py``) or the entry torch aliases it to."""
from ._ops.registry import TABLE as _TABLE
from ._ops.pointwise import (digamma, erf, erfc, erfinv, exp2, expm1, log1p, round, sigmoid as expit, xlogy,
                             lgamma as gammaln)
from ._ops.reduction import logsumexp
from ._ops.special import i0, igamma as gammainc, igammac as gammaincc, logit, mvlgamma as multigammaln, polygamma, sinc

psi = digamma


def softmax(input, dim, *, dtype=None):
    """The entry of ``torch.softmax`` / ``Tensor.softmax`` (registered with ``ptjax.nn.functional``)."""
    return _functional_entry("softmax")(input, dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    return _functional_entry("log_softmax")(input, dim, dtype=dtype)


def _functional_entry(name):
    from .nn import functional  # noqa: F401 - registers the softmax entries
    return _TABLE[name].public


_SPECIAL_ONLY = ("i0e", "i1", "i1e", "ndtr", "ndtri", "log_ndtr", "erfcx", "entr", "xlog1py", "zeta", "bessel_j0",
                 "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
                 "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
                 "spherical_bessel_j0", "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
                 "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
                 "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
                 "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p")
globals().update({name: _TABLE[f"special_{name}"].public for name in _SPECIAL_ONLY})
