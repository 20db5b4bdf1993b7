"""SGD with torch's rule: maximize, L2 weight decay, momentum (first buffer = grad), dampening, nesterov.

optax built-ins: ``scale(-1)`` (maximize), ``add_decayed_weights`` (L2), ``trace`` (momentum without dampening:
``buf = grad + momentum * buf`` from a zero buffer is exactly torch's, first step included), ``scale(-lr)``.
Custom: ``torch_dampened_momentum`` (dampening != 0: torch's first buffer is the undampened grad).
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import optax

from .optimizer import Optimizer, _check_fused, _check_lr, _check_nonnegative, _head_links, _scalar

__all__ = ["SGD", "torch_dampened_momentum"]


def torch_dampened_momentum(momentum, dampening, nesterov=False):
    """``buf = grad`` on a parameter's first step, then ``buf = momentum * buf + (1 - dampening) * grad``.

    State: a list of per-parameter dicts, ``{}`` before the first step, ``{'momentum_buffer': buf}`` after.
    """

    def init_fn(params):
        return [{} for _ in params]

    def update_fn(updates, state, params=None):
        out, new_state = [], []
        for g, st in zip(updates, state):
            buf = st.get("momentum_buffer")
            buf = g if buf is None else buf * momentum + (1 - dampening) * g
            new_state.append({"momentum_buffer": buf})
            out.append(g + momentum * buf if nesterov else buf)
        return out, new_state

    return optax.GradientTransformation(init_fn, update_fn)


class _Flags(NamedTuple):
    maximize: bool
    weight_decay: bool   # weight_decay != 0
    momentum: bool       # momentum != 0
    nesterov: bool
    dampened: bool       # dampening != 0: torch's layout (a missing buffer means "first step")


class SGD(Optimizer):
    _group_defaults = {"nesterov": False, "maximize": False, "foreach": None, "differentiable": False, "fused": False}

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False, *,
                 maximize=False, foreach=None, differentiable=False, fused=None):
        _check_lr(lr, nan_ok=True)  # torch's SGD checks ``< 0.0``: a NaN passes
        _check_nonnegative(nan_ok=True, momentum=momentum, weight_decay=weight_decay)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov,
                        maximize=maximize, foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        _check_fused(fused, differentiable, foreach)

    def _flags(self, group):
        return _Flags(bool(group["maximize"]), bool(group["weight_decay"] != 0), bool(group["momentum"] != 0),
                      bool(group["nesterov"]), bool(group["dampening"] != 0))

    def _hyper(self, group):
        return {k: _scalar(group[k]) for k in ("lr", "momentum", "dampening", "weight_decay")}

    def _state_keys(self, group):
        return ("momentum_buffer",) if group["momentum"] != 0 else None

    def _fills_state(self, flags):
        return not flags.dampened   # dampened: a missing buffer means "first step" (buffer = grad)

    @staticmethod
    def _links(flags, hyper):
        links = _head_links(flags.maximize, hyper["weight_decay"] if flags.weight_decay else None)
        core = None
        if flags.momentum:
            core = len(links)
            if flags.dampened:
                links.append(torch_dampened_momentum(hyper["momentum"], hyper["dampening"], flags.nesterov))
            else:
                links.append(optax.trace(decay=hyper["momentum"], nesterov=flags.nesterov))
        links.append(optax.scale(-hyper["lr"]))
        return links, core

    @staticmethod
    def _to_core(flags, states, params, link):
        if flags.dampened:  # torch's layout as is (a missing buffer means "first step")
            return [dict(s) for s in states]
        return optax.TraceState(trace=[s.get("momentum_buffer", jnp.zeros_like(p)) for s, p in zip(states, params)])

    @staticmethod
    def _from_core(flags, core_state):
        if flags.dampened:
            return core_state
        return [{"momentum_buffer": b} for b in core_state.trace]
