"""Adagrad with torch's rule: ``clr = lr / (1 + (step - 1) * lr_decay)``, ``param -= clr * g / (sqrt(sum) + eps)``.

optax built-ins: ``scale(-1)`` (maximize), ``add_decayed_weights`` (L2). Custom: ``scale_by_torch_adagrad``;
optax's ``scale_by_rss`` computes ``g * rsqrt(sum + eps)`` (eps inside the root) and has no per-step lr decay.
The state (``step``, ``sum = initial_accumulator_value``) is created at construction, as torch does.
"""
from __future__ import annotations

import jax.numpy as jnp
import optax

from typing import NamedTuple

from .optimizer import (Optimizer, _check_fused, _check_lr, _check_nonnegative, _float64, _head_links, _scalar,
                        _scalar_dtype)

__all__ = ["Adagrad", "scale_by_torch_adagrad"]


def scale_by_torch_adagrad(lr, lr_decay, eps, initial_accumulator_value=0.0, step_dtype=jnp.float32):
    """torch.optim.Adagrad's update (including ``-clr``); state per parameter ``{'step', 'sum'}``."""

    def init_fn(params):
        return [{"step": jnp.zeros((), step_dtype), "sum": jnp.full_like(p, initial_accumulator_value)}
                for p in params]

    def update_fn(updates, state, params=None):
        out, new_state = [], []
        for g, st in zip(updates, state):
            dt = g.dtype
            step = st["step"] + 1
            clr = _float64(lr) / (1 + (_float64(step) - 1) * _float64(lr_decay))
            state_sum = st["sum"] + g * g
            std = jnp.sqrt(state_sum) + jnp.asarray(eps).astype(dt)
            out.append((-clr).astype(dt) * (g / std))
            new_state.append({"step": step, "sum": state_sum})
        return out, new_state

    return optax.GradientTransformation(init_fn, update_fn)


class _Flags(NamedTuple):
    maximize: bool
    weight_decay: bool   # weight_decay != 0
    step_dtype: object


class Adagrad(Optimizer):
    _group_defaults = {"foreach": None, "maximize": False, "differentiable": False, "fused": None}
    _step_counters = True

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        _check_lr(lr)
        _check_nonnegative(lr_decay=lr_decay, weight_decay=weight_decay,
                           initial_accumulator_value=initial_accumulator_value, eps=eps)
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        _check_fused(fused, differentiable, foreach)
        for group in self.param_groups:
            for p in group["params"]:
                self._init_state(p)

    def _init_state(self, p):
        """torch: ``step = tensor(0.)`` and ``sum = full_like(p, initial_accumulator_value)`` (the constructor's
        value, for every group)."""
        from .. import _dtype as D
        from .._ops.creation import full_like, tensor
        v = self.defaults["initial_accumulator_value"]
        state = self.state[p]
        state["step"] = tensor(0.0, dtype=D.float64 if _scalar_dtype() == jnp.float64 else D.float32,
                               device=p.device)
        state["sum"] = full_like(p.detach(), complex(v, v) if p.is_complex() else v)

    def _step_group(self, group):
        for p in group["params"]:
            if p._grad is not None and len(self.state[p]) == 0:
                self._init_state(p)
        super()._step_group(group)

    def _flags(self, group):
        return _Flags(bool(group["maximize"]), bool(group["weight_decay"] != 0), _scalar_dtype())

    def _hyper(self, group):
        return {k: _scalar(group[k]) for k in ("lr", "lr_decay", "eps", "weight_decay")}

    def _state_keys(self, group):
        return ("step", "sum")

    @staticmethod
    def _links(flags, hyper):
        links = _head_links(flags.maximize, hyper["weight_decay"] if flags.weight_decay else None)
        core = len(links)
        links.append(scale_by_torch_adagrad(hyper["lr"], hyper["lr_decay"], hyper["eps"], 0.0, flags.step_dtype))
        return links, core
