"""RAdam with torch's rule: Adam whose adaptive step is switched on (and rectified) once the approximated SMA
length ``rho_t`` exceeds 5; before that the step is plain bias-corrected momentum.

optax built-ins: ``scale(-1)`` (maximize), ``add_decayed_weights`` (L2). Custom: ``scale_by_torch_radam``;
optax's ``scale_by_radam`` uses the threshold ``rho_t >= 5`` and puts eps differently (``sqrt(nu_hat) + eps``
from bias-corrected moments). ``decoupled_weight_decay`` scales the parameters by ``1 - lr * weight_decay`` first,
as Adam's does (the same ``_pre_update``).
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import optax

from .adam import Adam
from .optimizer import (Optimizer, _check_betas, _check_lr, _check_nonnegative, _float64, _head_links, _lerp,
                        _scalar, _scalar_dtype)

__all__ = ["RAdam", "scale_by_torch_radam"]


def scale_by_torch_radam(lr, beta1, beta2, eps, step_dtype=jnp.float32):
    """torch.optim.RAdam's update (including ``-lr``); state per parameter ``{'step', 'exp_avg', 'exp_avg_sq'}``."""

    def init_fn(params):
        return [{"step": jnp.zeros((), step_dtype), "exp_avg": jnp.zeros_like(p), "exp_avg_sq": jnp.zeros_like(p)}
                for p in params]

    def update_fn(updates, state, params=None):
        out, new_state = [], []
        b2 = _float64(beta2)
        rho_inf = 2 / (1 - b2) - 1
        for g, st in zip(updates, state):
            dt = g.dtype
            step = st["step"] + 1
            s = _float64(step)
            exp_avg = _lerp(st["exp_avg"], g, 1 - beta1)
            exp_avg_sq = st["exp_avg_sq"] * jnp.asarray(beta2).astype(dt) + jnp.asarray(1 - beta2).astype(dt) * g * g
            bias_correction1 = 1 - _float64(beta1) ** s
            bias_correction2 = 1 - b2 ** s
            rho_t = rho_inf - 2 * s * b2 ** s / bias_correction2
            momentum = exp_avg / bias_correction1.astype(dt) * jnp.asarray(lr).astype(dt)
            rect = jnp.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = jnp.sqrt(bias_correction2).astype(dt) / (jnp.sqrt(exp_avg_sq) + jnp.asarray(eps).astype(dt))
            rectified = momentum * adaptive * jnp.where(rho_t > 5.0, rect, 0.0).astype(dt)
            out.append(-jnp.where(rho_t > 5.0, rectified, momentum))
            new_state.append({"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq})
        return out, new_state

    return optax.GradientTransformation(init_fn, update_fn)


class _Flags(NamedTuple):
    maximize: bool
    weight_decay: bool   # weight_decay != 0
    decoupled: bool      # decoupled_weight_decay
    step_dtype: object


class RAdam(Optimizer):
    _group_defaults = {"foreach": None, "maximize": False, "differentiable": False, "decoupled_weight_decay": False,
                       "capturable": False}
    _step_counters = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, decoupled_weight_decay=False,
                 *, foreach=None, maximize=False, capturable=False, differentiable=False):
        _check_lr(lr)
        _check_nonnegative(eps=eps)
        _check_betas(betas)
        _check_nonnegative(weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, maximize=maximize, foreach=foreach,
                        capturable=capturable, decoupled_weight_decay=decoupled_weight_decay,
                        differentiable=differentiable)
        super().__init__(params, defaults)

    def _flags(self, group):
        return _Flags(bool(group["maximize"]), bool(group["weight_decay"] != 0), bool(group["decoupled_weight_decay"]),
                      _scalar_dtype())

    def _hyper(self, group):
        b1, b2 = group["betas"]
        return {"lr": _scalar(group["lr"]), "beta1": _scalar(b1), "beta2": _scalar(b2), "eps": _scalar(group["eps"]),
                "weight_decay": _scalar(group["weight_decay"])}

    def _state_keys(self, group):
        return ("step", "exp_avg", "exp_avg_sq")

    _pre_update = staticmethod(Adam._pre_update)   # decoupled weight decay: param *= 1 - lr * weight_decay

    @staticmethod
    def _links(flags, hyper):
        l2 = flags.weight_decay and not flags.decoupled
        links = _head_links(flags.maximize, hyper["weight_decay"] if l2 else None)
        core = len(links)
        links.append(scale_by_torch_radam(hyper["lr"], hyper["beta1"], hyper["beta2"], hyper["eps"],
                                          flags.step_dtype))
        return links, core
