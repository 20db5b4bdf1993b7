"""``BinaryProbs``: the parameterization shared by the distributions with one success probability per batch
element (Bernoulli, Binomial, Geometric, NegativeBinomial, ContinuousBernoulli, the relaxed Bernoulli): given as
``probs`` or as ``logits``, the other computed on first use."""
from __future__ import annotations

from . import constraints
from .utils import broadcast_all, lazy_property, logits_to_probs, probs_to_logits


class BinaryProbs:
    """Mixin for ``Distribution`` subclasses; ``_param`` is whichever of ``probs`` / ``logits`` was given."""

    def _init_probs(self, probs, logits, *leading):
        """Store ``probs`` or ``logits`` (exactly one given) broadcast with ``leading`` (other parameters, which
        come first as in torch's broadcasting); returns the broadcast ``leading``."""
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        name = "probs" if probs is not None else "logits"
        *leading, param = broadcast_all(*leading, probs if probs is not None else logits)
        setattr(self, name, param)
        self._param = param
        return leading

    @lazy_property
    def logits(self):
        return probs_to_logits(self.probs, is_binary=True)

    @lazy_property
    def probs(self):
        return logits_to_probs(self.logits, is_binary=True)

    @property
    def param_shape(self):
        return self._param.shape

    def _expand_probs(self, new, batch_shape):
        """Set the given one of ``probs`` / ``logits`` on ``new``, expanded to ``batch_shape``."""
        name = "probs" if "probs" in self.__dict__ else "logits"
        new._param = self.__dict__[name].expand(tuple(batch_shape))
        setattr(new, name, new._param)


class LocScale:
    """Mixin for the real-valued distributions of a ``loc`` and a positive ``scale``, broadcast together
    (Normal, Laplace, Cauchy, Gumbel)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expanded(batch_shape, {"loc": 0, "scale": 0})
