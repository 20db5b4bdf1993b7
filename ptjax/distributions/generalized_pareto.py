"""GeneralizedPareto(loc, scale, concentration): the limit law of threshold exceedances; ``concentration`` = 0 is
the shifted Exponential, > 0 heavy-tailed, < 0 bounded above by ``loc - scale / concentration``."""
from __future__ import annotations

from .._ops.pointwise import where
from .._ops.random import rand
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["GeneralizedPareto"]

_NAN = float("nan")


class GeneralizedPareto(Distribution):
    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(batch_shape, {"loc": 0, "scale": 0, "concentration": 0}, _instance)

    def _zero_and_safe_concentration(self):
        """Where the concentration is (close to) 0, and the concentration with those entries set to 1 (so the
        ``c ≠ 0`` branch, computed everywhere, stays finite)."""
        zero = self.concentration.isclose(self.concentration.new_zeros(()))
        return zero, where(zero, self.concentration.new_ones(()), self.concentration)

    def rsample(self, sample_shape=()):
        return self.icdf(rand(*self._extended_shape(sample_shape), dtype=self.loc.dtype))

    def log_prob(self, value):
        self._validate(value)
        z = (value - self.loc) / self.scale
        zero, c = self._zero_and_safe_concentration()
        y = 1 / c + z.new_ones(())
        nonzero = where(y == 0, y, y * (c * z).log1p())
        return -self.scale.log() - where(zero, z, nonzero)

    def log_survival_function(self, value):
        self._validate(value)
        z = (value - self.loc) / self.scale
        zero, c = self._zero_and_safe_concentration()
        return where(zero, -z, -(c * z).log1p() / c)

    def log_cdf(self, value):
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value):
        return self.log_cdf(value).exp()

    def icdf(self, value):
        zero, c = self._zero_and_safe_concentration()
        log_u = (-value).log1p()
        return where(zero, self.loc - self.scale * log_u, self.loc + self.scale / c * (-c * log_u).expm1())

    @property
    def mean(self):
        valid = self.concentration < 1
        c = where(valid, self.concentration, 0.5)
        return where(valid, self.loc + self.scale / (1 - c), _NAN)

    @property
    def variance(self):
        valid = self.concentration < 0.5
        c = where(valid, self.concentration, 0.25)
        return where(valid, self.scale ** 2 / ((1 - c) ** 2 * (1 - 2 * c)), _NAN)

    def entropy(self):
        return (self.scale.log() + self.concentration + 1).broadcast_to(tuple(self._batch_shape))

    mode = property(lambda self: self.loc)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        upper = where(self.concentration < 0, self.loc - self.scale / self.concentration, float("inf"))
        return constraints.interval(self.loc, upper)
