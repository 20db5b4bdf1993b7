"""LKJCholesky(dim, concentration): the LKJ distribution over correlation matrices, on their Cholesky factors.

Draws use the onion method: row ``i`` is a uniform direction scaled by the root of a Beta draw, completed to unit
norm by the diagonal entry. Concentration 1 is uniform over correlation matrices; larger values favour the
identity.
"""
from __future__ import annotations

import math

from .._ops import creation
from .._ops.random import randn
from .._ops.shape import cat
from ..autograd import no_grad
from . import constraints
from .continuous import Beta
from .distribution import Distribution
from .utils import _tiny, broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        # row i's squared off-diagonal norm is Beta(i/2, concentration + (dim - 1 - i)/2); row 0 has none
        marginal = self.concentration + 0.5 * (dim - 2)
        offset = creation.arange(dim - 1, dtype=self.concentration.dtype)
        offset = cat([offset.new_zeros((1,)), offset])
        self._beta = Beta(offset + 0.5, marginal.unsqueeze(-1) - 0.5 * offset)
        super().__init__(self.concentration.shape, (dim, dim), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._expanded(batch_shape, {"concentration": 0}, _instance)
        new.dim = self.dim
        new._beta = self._beta.expand(tuple(batch_shape) + (self.dim,))
        return new

    def sample(self, sample_shape=()):
        with no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            normal = randn(*self._extended_shape(sample_shape), dtype=y.dtype).tril(-1)
            direction = normal / normal.norm(dim=-1, keepdim=True)
            direction = direction.masked_fill(creation.arange(self.dim).unsqueeze(-1) == 0, 0.0)  # row 0: empty
            w = y.sqrt() * direction
            diagonal = (1 - (w ** 2).sum(-1)).clamp(min=_tiny(w)).sqrt()
            return w + diagonal.diag_embed()

    def log_prob(self, value):
        self._validate(value)
        diagonal = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = creation.arange(2, self.dim + 1, dtype=self.concentration.dtype)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = (order * diagonal.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        normalizer = 0.5 * dm1 * math.log(math.pi) + (alpha - 0.5).mvlgamma(dm1) - alpha.lgamma() * dm1
        return unnormalized - normalizer
