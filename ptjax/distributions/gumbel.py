"""Gumbel(loc, scale): the distribution of maxima; samples ``loc - scale * log(-log(u))``."""
from __future__ import annotations

import math

import numpy as np

from .._ops.random import rand
from ._parameters import LocScale
from .distribution import Distribution

__all__ = ["Gumbel"]

_EULER = 0.57721566490153286060


class Gumbel(LocScale, Distribution):
    mean = property(lambda self: self.loc + self.scale * _EULER)
    mode = property(lambda self: self.loc)
    stddev = property(lambda self: (math.pi / math.sqrt(6)) * self.scale)
    variance = property(lambda self: self.stddev.pow(2))

    def rsample(self, sample_shape=()):
        tiny = float(np.finfo(self.loc.dtype.np).tiny)
        u = rand(*self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.loc - self.scale * (-u.clamp(min=tiny, max=1 - tiny).log()).log()

    def log_prob(self, value):
        self._validate(value)
        z = (self.loc - value) / self.scale
        return z - z.exp() - self.scale.log()

    def cdf(self, value):
        self._validate(value)
        return (-(-(value - self.loc) / self.scale).exp()).exp()

    def icdf(self, value):
        return self.loc - self.scale * (-value.log()).log()

    def entropy(self):
        return self.scale.log() + (1 + _EULER)
