"""Kumaraswamy(concentration1, concentration0): ``(1 - U^(1/b))^(1/a)`` for uniform ``U`` (a = concentration1,
b = concentration0), a Beta-like density on (0, 1) with a closed-form cdf.

``mode`` is the textbook ``((a - 1) / (ab - 1))^(1/a)`` (NaN where a < 1 or b < 1); torch 2.13's formula returns
NaN wherever b > 1, which ptjax does not reproduce.
"""
from __future__ import annotations

from . import constraints
from .continuous import Uniform
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, PowerTransform
from .utils import broadcast_all, euler_constant

__all__ = ["Kumaraswamy"]


def _moments(a, b, n):
    """``E[X^n] = b · B(1 + n/a, b)``."""
    arg1 = 1 + n / a
    return b * (arg1.lgamma() + b.lgamma() - (arg1 + b).lgamma()).exp()


class Kumaraswamy(TransformedDistribution):
    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        shape = tuple(self.concentration0.shape)
        base = Uniform(self.concentration0.new_zeros(shape), self.concentration0.new_ones(shape),
                       validate_args=validate_args)
        super().__init__(base, [PowerTransform(exponent=self.concentration0.reciprocal()),
                                AffineTransform(loc=1.0, scale=-1.0),
                                PowerTransform(exponent=self.concentration1.reciprocal())],
                         validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Kumaraswamy, _instance)
        new.concentration1 = self.concentration1.expand(tuple(batch_shape))
        new.concentration0 = self.concentration0.expand(tuple(batch_shape))
        return super().expand(batch_shape, new)

    mean = property(lambda self: _moments(self.concentration1, self.concentration0, 1))
    variance = property(lambda self: _moments(self.concentration1, self.concentration0, 2) - self.mean.pow(2))

    @property
    def mode(self):
        a, b = self.concentration1, self.concentration0
        log_mode = ((a - 1).log() - (a * b - 1).log()) / a
        return log_mode.masked_fill((a < 1) | (b < 1), float("nan")).exp()

    def entropy(self):
        t1 = 1 - self.concentration1.reciprocal()
        t0 = 1 - self.concentration0.reciprocal()
        harmonic = (self.concentration0 + 1).digamma() + euler_constant
        return t0 + t1 * harmonic - self.concentration1.log() - self.concentration0.log()
