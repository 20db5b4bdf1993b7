"""Adadelta: optax's ``scale_by_adadelta`` is torch's rule (``delta = sqrt(acc_delta + eps) / sqrt(square_avg +
eps) * g``, both averages with ``rho``), so it is used as is, its state mapped to torch's ``square_avg`` (e_g) and
``acc_delta`` (e_x). Also built-in: ``scale(-1)`` (maximize), ``add_decayed_weights`` (L2), ``scale(-lr)``.
Custom: ``count_steps``, torch's per-parameter float ``step`` counter (optax's Adadelta keeps none).
"""
from __future__ import annotations

import jax.numpy as jnp
import optax

from typing import NamedTuple

from .optimizer import Optimizer, _check_lr, _check_nonnegative, _head_links, _scalar, _scalar_dtype

__all__ = ["Adadelta", "count_steps"]


def count_steps(step_dtype=jnp.float32):
    """Identity on the updates; state: a list of per-parameter 0-d ``step`` counters, incremented per update."""

    def init_fn(params):
        return [jnp.zeros((), step_dtype) for _ in params]

    def update_fn(updates, state, params=None):
        return updates, [s + 1 for s in state]

    return optax.GradientTransformation(init_fn, update_fn)


class _Flags(NamedTuple):
    maximize: bool
    weight_decay: bool   # weight_decay != 0
    step_dtype: object


class Adadelta(Optimizer):
    _group_defaults = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}
    _step_counters = True

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *, capturable=False,
                 maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        _check_nonnegative(eps=eps, weight_decay=weight_decay)
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize, capturable=capturable,
                        foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _flags(self, group):
        return _Flags(bool(group["maximize"]), bool(group["weight_decay"] != 0), _scalar_dtype())

    def _hyper(self, group):
        return {k: _scalar(group[k]) for k in ("lr", "rho", "eps", "weight_decay")}

    def _state_keys(self, group):
        return ("step", "square_avg", "acc_delta")

    @staticmethod
    def _links(flags, hyper):
        links = _head_links(flags.maximize, hyper["weight_decay"] if flags.weight_decay else None)
        core = len(links)
        links.append(optax.chain(count_steps(flags.step_dtype),
                                 optax.scale_by_adadelta(rho=hyper["rho"], eps=hyper["eps"])))
        links.append(optax.scale(-hyper["lr"]))
        return links, core

    @staticmethod
    def _to_core(flags, states, params, link):
        steps = [s.get("step", jnp.zeros((), flags.step_dtype)) for s in states]
        e_g = [s.get("square_avg", jnp.zeros_like(p)) for s, p in zip(states, params)]
        e_x = [s.get("acc_delta", jnp.zeros_like(p)) for s, p in zip(states, params)]
        return (steps, optax.ScaleByAdaDeltaState(e_g=e_g, e_x=e_x))

    @staticmethod
    def _from_core(flags, core_state):
        steps, ada = core_state
        return [{"step": s, "square_avg": g, "acc_delta": x} for s, g, x in zip(steps, ada.e_g, ada.e_x)]
