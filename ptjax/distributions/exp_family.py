"""``ExponentialFamily``: densities ``p(x; θ) = exp(⟨t(x), θ⟩ − F(θ) + k(x))``.

A subclass gives its natural parameters ``θ`` (``_natural_params``), the log-normalizer ``F`` (``_log_normalizer``)
and ``E[k(x)]`` (``_mean_carrier_measure``); the entropy then follows from ``F`` and its gradient (the Bregman
divergence), computed with ptjax's autograd, and so does the KL divergence between two members of one family
(``kl.py``). Most subclasses override ``entropy`` with their closed form, as in torch.
"""
from __future__ import annotations

from ..autograd import enable_grad, grad
from .distribution import Distribution
from .utils import _sum_rightmost

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    @property
    def _natural_params(self):
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self):
        raise NotImplementedError

    def _log_normalizer_and_gradients(self):
        """``F(θ)`` at detached copies of this distribution's ``θ``, those copies, and ``∇F`` (differentiable)."""
        params = [p.detach().requires_grad_() for p in self._natural_params]
        with enable_grad():
            log_normalizer = self._log_normalizer(*params)
            gradients = grad(log_normalizer.sum(), params, create_graph=True)
        return log_normalizer, params, gradients

    def entropy(self):
        """``F(θ) − ⟨θ, ∇F(θ)⟩ − E[k(x)]``."""
        log_normalizer, params, gradients = self._log_normalizer_and_gradients()
        result = log_normalizer - self._mean_carrier_measure
        for theta, g in zip(params, gradients, strict=True):
            result = result - (theta * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result

    def _bregman_kl(self, q):
        """KL(self ‖ q) for ``q`` of the same family: ``F(θq) − F(θp) − ⟨θq − θp, ∇F(θp)⟩``."""
        log_normalizer, params, gradients = self._log_normalizer_and_gradients()
        result = q._log_normalizer(*q._natural_params) - log_normalizer
        for theta_p, theta_q, g in zip(params, q._natural_params, gradients, strict=True):
            result = result - _sum_rightmost((theta_q - theta_p) * g, len(q.event_shape))
        return result
