"""ASGD (averaged SGD) with torch's rule: a decaying step size ``eta``, a decay of the parameters by
``1 - lambd * eta`` and a running average ``ax`` of the iterates that starts after ``t0`` steps.

optax built-ins: ``scale(-1)`` (maximize), ``add_decayed_weights`` (L2). Custom: ``torch_asgd`` (optax has no
averaged SGD). The rule moves the parameters itself (decay, then the gradient step), so its update is the change
``new_param - param``; ``eta`` and ``mu`` are 0-d state tensors like ``step``, and ``eta`` starts at the lr the
group has on the parameter's first step (torch's layout).
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import optax

from .optimizer import Optimizer, _check_lr, _check_nonnegative, _float64, _head_links, _scalar, _scalar_dtype

__all__ = ["ASGD", "torch_asgd"]


def torch_asgd(lr, lambd, alpha, t0, step_dtype=jnp.float32):
    """State per parameter ``{'step', 'eta', 'mu', 'ax'}``; the update is the parameter's change."""

    def init_fn(params):
        return [{"step": jnp.zeros((), step_dtype), "eta": jnp.asarray(lr).astype(step_dtype),
                 "mu": jnp.ones((), step_dtype), "ax": jnp.zeros_like(p)} for p in params]

    def update_fn(updates, state, params=None):
        out, new_state = [], []
        for g, p, st in zip(updates, params, state):
            dt = g.dtype
            step = st["step"] + 1
            eta = _float64(st["eta"])
            new_p = p * (1 - _float64(lambd) * eta).astype(dt) + (-eta).astype(dt) * g
            averaged = st["ax"] + (new_p - st["ax"]) * st["mu"].astype(dt)
            ax = jnp.where(st["mu"] != 1, averaged, new_p)
            s = _float64(step)
            new_eta = _float64(lr) / (1 + _float64(lambd) * _float64(lr) * s) ** _float64(alpha)
            new_mu = 1 / jnp.maximum(1.0, s - _float64(t0))
            out.append(new_p - p)
            new_state.append({"step": step, "eta": new_eta.astype(st["eta"].dtype), "mu": new_mu.astype(st["mu"].dtype),
                              "ax": ax})
        return out, new_state

    return optax.GradientTransformation(init_fn, update_fn)


class _Flags(NamedTuple):
    maximize: bool
    weight_decay: bool   # weight_decay != 0
    step_dtype: object


class ASGD(Optimizer):
    _group_defaults = {"foreach": None, "maximize": False, "differentiable": False, "capturable": False}
    _step_counters = True

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, foreach=None,
                 maximize=False, differentiable=False, capturable=False):
        _check_lr(lr)
        _check_nonnegative(weight_decay=weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _steps_to_tensors(self):
        """torch's ``__setstate__``: numbers saved for ``step``, ``eta`` and ``mu`` become 0-d tensors."""
        super()._steps_to_tensors()
        from .._ops.creation import tensor
        from .._tensor import Tensor
        for st in self.state.values():
            for key in ("eta", "mu"):
                if key in st and not isinstance(st[key], Tensor):
                    st[key] = tensor(float(st[key]), dtype=st["step"].dtype, device=st["step"].device)

    def _flags(self, group):
        return _Flags(bool(group["maximize"]), bool(group["weight_decay"] != 0), _scalar_dtype())

    def _hyper(self, group):
        return {k: _scalar(group[k]) for k in ("lr", "lambd", "alpha", "t0", "weight_decay")}

    def _state_keys(self, group):
        return ("step", "eta", "mu", "ax")

    @staticmethod
    def _links(flags, hyper):
        links = _head_links(flags.maximize, hyper["weight_decay"] if flags.weight_decay else None)
        core = len(links)
        links.append(torch_asgd(hyper["lr"], hyper["lambd"], hyper["alpha"], hyper["t0"], flags.step_dtype))
        return links, core
