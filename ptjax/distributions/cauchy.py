"""Cauchy(loc, scale): heavy tails, no mean or variance (NaN and inf, as torch reports them)."""
from __future__ import annotations

import math

from .._ops.random import rand
from ._parameters import LocScale
from .distribution import Distribution

__all__ = ["Cauchy"]


class Cauchy(LocScale, Distribution):
    mean = property(lambda self: self.loc * float("nan"))
    mode = property(lambda self: self.loc)
    variance = property(lambda self: self.scale * 0 + float("inf"))

    def rsample(self, sample_shape=()):
        u = rand(*self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.icdf(u)

    def log_prob(self, value):
        self._validate(value)
        z = (value - self.loc) / self.scale
        return -math.log(math.pi) - self.scale.log() - z.pow(2).log1p()

    def cdf(self, value):
        self._validate(value)
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value):
        return (math.pi * (value - 0.5)).tan() * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()
