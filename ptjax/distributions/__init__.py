"""torch.distributions on ptjax tensors: parameters, samples and densities are ptjax tensors and every
computation is recorded by autograd (``rsample`` and ``log_prob`` are differentiable)."""
from . import constraints, transforms
from .cauchy import Cauchy
from .chi2 import Chi2
from .gumbel import Gumbel
from .half_normal import HalfCauchy, HalfNormal
from .continuous import Beta, Dirichlet, Exponential, Gamma, Laplace, MultivariateNormal, Normal, Uniform
from .discrete import Bernoulli, Binomial, Categorical, OneHotCategorical, Poisson
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .kl import kl_divergence, register_kl
from .independent import Independent
from .log_normal import LogNormal
from .transformed_distribution import TransformedDistribution
from .transforms import (AbsTransform, AffineTransform, ComposeTransform, ExpTransform, PowerTransform,
                         SigmoidTransform, SoftmaxTransform, TanhTransform, Transform, identity_transform)

__all__ = ["AbsTransform", "AffineTransform", "Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2",
           "ComposeTransform", "Gumbel", "HalfCauchy", "HalfNormal",
           "Dirichlet", "Distribution", "ExpTransform", "Exponential", "ExponentialFamily", "Gamma", "Independent",
           "Laplace", "LogNormal", "MultivariateNormal", "Normal", "OneHotCategorical", "Poisson", "PowerTransform",
           "SigmoidTransform", "SoftmaxTransform", "TanhTransform", "Transform", "TransformedDistribution",
           "Uniform", "constraints", "identity_transform", "kl_divergence", "register_kl", "transforms"]
