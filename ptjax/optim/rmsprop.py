"""RMSprop with torch's rule: eps added *outside* the square root, optional centering and momentum buffer.

optax built-ins: ``scale(-1)`` (maximize), ``add_decayed_weights`` (L2), ``scale(-lr)``. Custom:
``scale_by_torch_rms``; optax's ``scale_by_rms``/``scale_by_stddev`` put eps inside the square root and its
momentum variant is a separate trace of the already scaled update, where torch accumulates ``grad / avg``.
"""
from __future__ import annotations

import jax.numpy as jnp
import optax

from typing import NamedTuple

from .optimizer import Optimizer, _check_lr, _check_nonnegative, _head_links, _lerp, _scalar, _scalar_dtype

__all__ = ["RMSprop", "scale_by_torch_rms"]


def scale_by_torch_rms(alpha, eps, momentum=0.0, centered=False, use_momentum=False, step_dtype=jnp.float32):
    """State per parameter: ``{'step', 'square_avg'[, 'momentum_buffer'][, 'grad_avg']}`` (torch's keys)."""

    def init_fn(params):
        states = []
        for p in params:
            st = {"step": jnp.zeros((), step_dtype), "square_avg": jnp.zeros_like(p)}
            if use_momentum:
                st["momentum_buffer"] = jnp.zeros_like(p)
            if centered:
                st["grad_avg"] = jnp.zeros_like(p)
            states.append(st)
        return states

    def update_fn(updates, state, params=None):
        out, new_state = [], []
        for g, st in zip(updates, state):
            dt = g.dtype
            new = {"step": st["step"] + 1}
            square_avg = st["square_avg"] * jnp.asarray(alpha).astype(dt) + jnp.asarray(1 - alpha).astype(dt) * g * g
            new["square_avg"] = square_avg
            if centered:
                grad_avg = _lerp(st["grad_avg"], g, 1 - alpha)
                new["grad_avg"] = grad_avg
                avg = jnp.sqrt(square_avg + (-grad_avg) * grad_avg)
            else:
                avg = jnp.sqrt(square_avg)
            avg = avg + jnp.asarray(eps).astype(dt)
            if use_momentum:
                buf = st["momentum_buffer"] * jnp.asarray(momentum).astype(dt) + g / avg
                new["momentum_buffer"] = buf
                out.append(buf)
            else:
                out.append(g / avg)
            new_state.append({k: new[k] for k in st})  # torch's key order
        return out, new_state

    return optax.GradientTransformation(init_fn, update_fn)


class _Flags(NamedTuple):
    maximize: bool
    weight_decay: bool   # weight_decay != 0
    momentum: bool       # momentum > 0
    centered: bool
    step_dtype: object


class RMSprop(Optimizer):
    _group_defaults = {"momentum": 0, "centered": False, "foreach": None, "maximize": False, "differentiable": False,
                       "capturable": False}
    _step_counters = True

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        _check_lr(lr)
        _check_nonnegative(eps=eps, momentum=momentum, weight_decay=weight_decay, alpha=alpha)
        defaults = dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps, centered=centered, weight_decay=weight_decay,
                        capturable=capturable, foreach=foreach, maximize=maximize, differentiable=differentiable)
        super().__init__(params, defaults)

    def _flags(self, group):
        return _Flags(bool(group["maximize"]), bool(group["weight_decay"] != 0), bool(group["momentum"] > 0),
                      bool(group["centered"]), _scalar_dtype())

    def _hyper(self, group):
        return {k: _scalar(group[k]) for k in ("lr", "alpha", "eps", "weight_decay", "momentum")}

    def _state_keys(self, group):
        keys = ("step", "square_avg")
        if group["momentum"] > 0:
            keys += ("momentum_buffer",)
        if group["centered"]:
            keys += ("grad_avg",)
        return keys

    @staticmethod
    def _links(flags, hyper):
        links = _head_links(flags.maximize, hyper["weight_decay"] if flags.weight_decay else None)
        core = len(links)
        links.append(scale_by_torch_rms(hyper["alpha"], hyper["eps"], hyper["momentum"], flags.centered,
                                        flags.momentum, flags.step_dtype))
        links.append(optax.scale(-hyper["lr"]))
        return links, core
