"""NAdam with torch's rule: Nesterov momentum through the momentum schedule
``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))`` and its running product ``mu_product``.

optax built-ins: ``scale(-1)`` (maximize), ``add_decayed_weights`` (L2). Custom: ``scale_by_torch_nadam``; optax's
``nadam`` is Dozat's fixed-beta variant, without the momentum schedule. ``decoupled_weight_decay`` (NAdamW) scales
the parameters by ``1 - lr * weight_decay`` first, as Adam's does (the same ``_pre_update``).
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import optax

from .._tensor import Tensor
from .adam import Adam
from .optimizer import (Optimizer, _check_betas, _check_lr, _check_nonnegative, _float64, _head_links, _lerp,
                        _scalar, _scalar_dtype)

__all__ = ["NAdam", "scale_by_torch_nadam"]


def scale_by_torch_nadam(lr, beta1, beta2, eps, momentum_decay, step_dtype=jnp.float32):
    """torch.optim.NAdam's update (including ``-lr``); state per parameter
    ``{'step', 'mu_product', 'exp_avg', 'exp_avg_sq'}`` (``mu_product`` a 0-d tensor like ``step``)."""

    def init_fn(params):
        return [{"step": jnp.zeros((), step_dtype), "mu_product": jnp.ones((), step_dtype),
                 "exp_avg": jnp.zeros_like(p), "exp_avg_sq": jnp.zeros_like(p)} for p in params]

    def momentum_at(step):
        return _float64(beta1) * (1.0 - 0.5 * 0.96 ** (step * _float64(momentum_decay)))

    def update_fn(updates, state, params=None):
        out, new_state = [], []
        for g, st in zip(updates, state):
            dt = g.dtype
            step = st["step"] + 1
            s = _float64(step)
            bias_correction2 = 1 - _float64(beta2) ** s
            mu, mu_next = momentum_at(s), momentum_at(s + 1)
            mu_product = st["mu_product"] * mu.astype(st["mu_product"].dtype)   # a 0-d tensor times a Python float
            exp_avg = _lerp(st["exp_avg"], g, 1 - beta1)
            exp_avg_sq = st["exp_avg_sq"] * jnp.asarray(beta2).astype(dt) + jnp.asarray(1 - beta2).astype(dt) * g * g
            denom = jnp.sqrt(exp_avg_sq / bias_correction2.astype(dt)) + jnp.asarray(eps).astype(dt)
            mp = _float64(mu_product)
            grad_coef = -_float64(lr) * (1.0 - mu) / (1.0 - mp)
            avg_coef = -_float64(lr) * mu_next / (1.0 - mp * mu_next)
            out.append(grad_coef.astype(dt) * (g / denom) + avg_coef.astype(dt) * (exp_avg / denom))
            new_state.append({"step": step, "mu_product": mu_product, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq})
        return out, new_state

    return optax.GradientTransformation(init_fn, update_fn)


class _Flags(NamedTuple):
    maximize: bool
    weight_decay: bool   # weight_decay != 0
    decoupled: bool      # decoupled_weight_decay
    step_dtype: object


class NAdam(Optimizer):
    _group_defaults = {"maximize": False, "foreach": None, "capturable": False, "differentiable": False,
                       "decoupled_weight_decay": False}
    _step_counters = True

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, momentum_decay=4e-3,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        _check_lr(lr)
        _check_nonnegative(eps=eps)
        _check_betas(betas)
        _check_nonnegative(weight_decay=weight_decay, momentum_decay=momentum_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable)
        super().__init__(params, defaults)

    def _steps_to_tensors(self):
        super()._steps_to_tensors()
        from .._ops.creation import tensor
        for st in self.state.values():
            if "mu_product" in st and not isinstance(st["mu_product"], Tensor):
                st["mu_product"] = tensor(float(st["mu_product"]), dtype=st["step"].dtype, device=st["step"].device)

    def _flags(self, group):
        return _Flags(bool(group["maximize"]), bool(group["weight_decay"] != 0), bool(group["decoupled_weight_decay"]),
                      _scalar_dtype())

    def _hyper(self, group):
        b1, b2 = group["betas"]
        return {"lr": _scalar(group["lr"]), "beta1": _scalar(b1), "beta2": _scalar(b2), "eps": _scalar(group["eps"]),
                "weight_decay": _scalar(group["weight_decay"]), "momentum_decay": _scalar(group["momentum_decay"])}

    def _state_keys(self, group):
        return ("step", "mu_product", "exp_avg", "exp_avg_sq")

    _pre_update = staticmethod(Adam._pre_update)   # decoupled weight decay: param *= 1 - lr * weight_decay

    @staticmethod
    def _links(flags, hyper):
        l2 = flags.weight_decay and not flags.decoupled
        links = _head_links(flags.maximize, hyper["weight_decay"] if l2 else None)
        core = len(links)
        links.append(scale_by_torch_nadam(hyper["lr"], hyper["beta1"], hyper["beta2"], hyper["eps"],
                                          hyper["momentum_decay"], flags.step_dtype))
        return links, core
