"""HalfNormal(scale) and HalfCauchy(scale): ``|X|`` for a centred Normal / Cauchy (torch builds them as an
``AbsTransform`` of the base; the densities here are the same closed forms: twice the base density on x >= 0)."""
from __future__ import annotations

import math

from . import constraints
from .cauchy import Cauchy
from .continuous import Normal
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["HalfNormal", "HalfCauchy"]


class _Half(Distribution):
    """``|base|`` for a base distribution centred at 0 with parameter ``scale``."""
    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _base_class = None

    def __init__(self, scale, validate_args=None):
        (self.scale,) = broadcast_all(scale)
        self.base_dist = self._base_class(self.scale.new_zeros(self.scale.shape), self.scale, validate_args=False)
        super().__init__(self.scale.shape, validate_args=validate_args)

    def __repr__(self):
        return f"{type(self).__name__}()"   # torch's: its scale is a property of the transformed base, not listed

    def expand(self, batch_shape, _instance=None):
        return type(self)(self.scale.expand(tuple(batch_shape)), validate_args=self._validate_args)

    def rsample(self, sample_shape=()):
        return self.base_dist.rsample(sample_shape).abs()

    def log_prob(self, value):
        self._validate(value)
        log_prob = self.base_dist.log_prob(value) + math.log(2)
        return log_prob.masked_fill(value < 0, float("-inf"))

    def cdf(self, value):
        self._validate(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob):
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - math.log(2)

    mode = property(lambda self: self.scale.new_zeros(self.scale.shape))


class HalfNormal(_Half):
    _base_class = Normal
    mean = property(lambda self: self.scale * math.sqrt(2 / math.pi))
    variance = property(lambda self: self.scale.pow(2) * (1 - 2 / math.pi))


class HalfCauchy(_Half):
    _base_class = Cauchy
    mean = property(lambda self: self.scale * 0 + float("inf"))
    variance = property(lambda self: self.scale * 0 + float("inf"))
