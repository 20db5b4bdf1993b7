"""Rprop with torch's rule: per-element step sizes grown by ``etaplus`` while the gradient keeps its sign and
shrunk by ``etaminus`` when it flips (that element then skips the step and forgets its gradient).

optax built-in: ``scale(-1)`` (maximize). Custom: ``scale_by_torch_rprop``; optax's ``scale_by_rprop`` remembers
``step_size * sign(g)`` rather than the gradient and leaves a step size unclamped where ``g * prev`` is 0, where
torch keeps ``prev = g`` (zeroed on a flip) and clamps every step size. As in torch, ``step_size`` is filled with
the group's lr on a parameter's first step; later lr changes do not touch it.
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import optax

from .optimizer import Optimizer, _check_lr, _head_links, _scalar, _scalar_dtype

__all__ = ["Rprop", "scale_by_torch_rprop"]


def scale_by_torch_rprop(lr, etaminus, etaplus, step_size_min, step_size_max, step_dtype=jnp.float32):
    """State per parameter ``{'step', 'prev', 'step_size'}``; the update is ``-sign(grad) * step_size``."""

    def init_fn(params):
        # a complex parameter is two real ones: both parts start at lr
        return [{"step": jnp.zeros((), step_dtype), "prev": jnp.zeros_like(p),
                 "step_size": jnp.full_like(p, lr * (1 + 1j) if jnp.iscomplexobj(p) else lr)} for p in params]

    def update_fn(updates, state, params=None):
        out, new_state = [], []
        for g, st in zip(updates, state):
            dt = g.dtype
            agreement = jnp.sign(g * st["prev"])
            factor = jnp.where(agreement > 0, jnp.asarray(etaplus).astype(dt),
                               jnp.where(agreement < 0, jnp.asarray(etaminus).astype(dt), jnp.ones((), dt)))
            step_size = jnp.clip(st["step_size"] * factor, jnp.asarray(step_size_min).astype(dt),
                                 jnp.asarray(step_size_max).astype(dt))
            g = jnp.where(agreement < 0, jnp.zeros((), dt), g)
            out.append(-jnp.sign(g) * step_size)
            new_state.append({"step": st["step"] + 1, "prev": g, "step_size": step_size})
        return out, new_state

    return optax.GradientTransformation(init_fn, update_fn)


class _Flags(NamedTuple):
    maximize: bool
    step_dtype: object


class Rprop(Optimizer):
    _group_defaults = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}
    _step_counters = True

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, capturable=False, foreach=None,
                 maximize=False, differentiable=False):
        _check_lr(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _flags(self, group):
        return _Flags(bool(group["maximize"]), _scalar_dtype())

    def _hyper(self, group):
        (etaminus, etaplus), (smin, smax) = group["etas"], group["step_sizes"]
        return {"lr": _scalar(group["lr"]), "etaminus": _scalar(etaminus), "etaplus": _scalar(etaplus),
                "step_size_min": _scalar(smin), "step_size_max": _scalar(smax)}

    def _state_keys(self, group):
        return ("step", "prev", "step_size")

    @staticmethod
    def _links(flags, hyper):
        links = _head_links(flags.maximize, None)
        core = len(links)
        links.append(scale_by_torch_rprop(hyper["lr"], hyper["etaminus"], hyper["etaplus"], hyper["step_size_min"],
                                          hyper["step_size_max"], flags.step_dtype))
        return links, core
