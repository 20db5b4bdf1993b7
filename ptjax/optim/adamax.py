"""Adamax with torch's rule: an infinity-norm second moment ``exp_inf = max(beta2 * exp_inf, |g| + eps)``.

optax built-ins: ``scale(-1)`` (maximize), ``add_decayed_weights`` (L2). Custom: ``scale_by_torch_adamax``;
optax's ``scale_by_adamax`` adds eps after the max (``m / (u + eps)``) and bias-corrects the moment itself,
where torch adds eps to ``|g|`` inside the max and divides the step size by ``1 - beta1 ** step``.
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import optax

from .optimizer import (Optimizer, _check_betas, _check_lr, _check_nonnegative, _float64, _head_links, _lerp,
                        _scalar, _scalar_dtype)

__all__ = ["Adamax", "scale_by_torch_adamax"]


def scale_by_torch_adamax(lr, beta1, beta2, eps, step_dtype=jnp.float32):
    """torch.optim.Adamax's update (including ``-lr``); state per parameter ``{'step', 'exp_avg', 'exp_inf'}``."""

    def init_fn(params):
        return [{"step": jnp.zeros((), step_dtype), "exp_avg": jnp.zeros_like(p), "exp_inf": jnp.zeros_like(p)}
                for p in params]

    def update_fn(updates, state, params=None):
        out, new_state = [], []
        for g, st in zip(updates, state):
            dt = g.dtype
            step = st["step"] + 1
            exp_avg = _lerp(st["exp_avg"], g, 1 - beta1)
            exp_inf = jnp.maximum(st["exp_inf"] * jnp.asarray(beta2).astype(dt),
                                  jnp.abs(g) + jnp.asarray(eps).astype(dt))
            clr = _float64(lr) / (1 - _float64(beta1) ** _float64(step))
            out.append((-clr).astype(dt) * (exp_avg / exp_inf))
            new_state.append({"step": step, "exp_avg": exp_avg, "exp_inf": exp_inf})
        return out, new_state

    return optax.GradientTransformation(init_fn, update_fn)


class _Flags(NamedTuple):
    maximize: bool
    weight_decay: bool   # weight_decay != 0
    step_dtype: object


class Adamax(Optimizer):
    _group_defaults = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}
    _step_counters = True

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, foreach=None, *,
                 maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check_nonnegative(eps=eps)
        _check_betas(betas)
        _check_nonnegative(weight_decay=weight_decay)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _flags(self, group):
        return _Flags(bool(group["maximize"]), bool(group["weight_decay"] != 0), _scalar_dtype())

    def _hyper(self, group):
        b1, b2 = group["betas"]
        return {"lr": _scalar(group["lr"]), "beta1": _scalar(b1), "beta2": _scalar(b2), "eps": _scalar(group["eps"]),
                "weight_decay": _scalar(group["weight_decay"])}

    def _state_keys(self, group):
        return ("step", "exp_avg", "exp_inf")

    @staticmethod
    def _links(flags, hyper):
        links = _head_links(flags.maximize, hyper["weight_decay"] if flags.weight_decay else None)
        core = len(links)
        links.append(scale_by_torch_adamax(hyper["lr"], hyper["beta1"], hyper["beta2"], hyper["eps"],
                                           flags.step_dtype))
        return links, core
