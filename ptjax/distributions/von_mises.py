"""VonMises(loc, concentration): the circular analogue of the Normal, on angles in [-π, π).

The Bessel functions come from ``special.i0e`` / ``i1e`` (accurate to float64), where torch evaluates a
polynomial approximation (relative error below 2e-7); the values agree to that accuracy. Samples are drawn by
rejection (Best & Fisher) in one compiled loop; they are not reparameterized, as in torch.
"""
from __future__ import annotations

import math

from .. import special
from ..autograd import no_grad
from . import _sampling, constraints
from .distribution import Distribution
from .utils import broadcast_all, lazy_property

__all__ = ["VonMises"]


def _log_i0(x):
    return special.i0e(x).log() + x


def _log_i1(x):
    return special.i1e(x).log() + x


class VonMises(Distribution):
    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(batch_shape, {"loc": 0, "concentration": 0}, _instance)

    def log_prob(self, value):
        self._validate(value)
        return self.concentration * (value - self.loc).cos() - math.log(2 * math.pi) - _log_i0(self.concentration)

    def sample(self, sample_shape=()):
        with no_grad():
            return _sampling.von_mises(self.loc.detach(), self.concentration.detach(),
                                       self._extended_shape(sample_shape))

    mean = property(lambda self: self.loc)
    mode = property(lambda self: self.loc)

    @lazy_property
    def variance(self):
        """The circular variance ``1 − I₁(κ) / I₀(κ)``."""
        return 1 - (_log_i1(self.concentration) - _log_i0(self.concentration)).exp()
