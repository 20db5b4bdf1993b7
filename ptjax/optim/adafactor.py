"""Adafactor with torch's rule: the second moment of a matrix gradient kept as a row and a column factor (over
the last two dimensions), a relative step size ``alpha = max(eps2, RMS(param)) * min(lr, 1 / sqrt(step))``,
``beta2_t = 1 - step ** beta2_decay``, and the update's RMS clipped at ``d``.

optax built-in: ``scale(-1)`` (maximize). Custom: ``torch_adafactor``; optax's ``adafactor`` factors only
dimensions above a minimum size, adds eps to the squared gradient and has its own defaults (momentum, clipping,
lr scaling). The rule moves the parameters itself (decoupled decay after ``alpha`` is taken from the undecayed
parameter), so its update is the change ``new_param - param``. State per parameter: ``step`` and either
``row_var`` / ``col_var`` (two or more dimensions) or ``variance``, created by the rule on the first step.
As in torch, ``eps=(None, ...)`` takes the machine epsilon of the first parameter with a gradient for the group.
"""
from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
import optax

from .optimizer import Optimizer, _float64, _head_links, _lerp, _scalar, _scalar_dtype

__all__ = ["Adafactor", "torch_adafactor"]


def _rms(x):
    return jnp.linalg.norm(x.ravel()) / np.sqrt(max(x.size, 1))


def torch_adafactor(lr, beta2_decay, eps1, eps2, d, weight_decay, step_dtype=jnp.float32):

    def init_fn(params):
        states = []
        for p in params:
            if p.ndim > 1:
                states.append({"step": jnp.zeros((), step_dtype), "row_var": jnp.zeros(p.shape[:-1] + (1,), p.dtype),
                               "col_var": jnp.zeros(p.shape[:-2] + (1, p.shape[-1]), p.dtype)})
            else:
                states.append({"step": jnp.zeros((), step_dtype), "variance": jnp.zeros_like(p)})
        return states

    def update_fn(updates, state, params=None):
        out, new_state = [], []
        for g, p0, st in zip(updates, params, state):
            dt = g.dtype
            step = st["step"] + 1
            s = _float64(step)
            beta2_t = s ** _float64(beta2_decay)      # torch's one_minus_beta2_t
            rho = jnp.minimum(_float64(lr), 1 / jnp.sqrt(s))
            alpha = jnp.maximum(_float64(eps2), _float64(_rms(p0))) * rho
            p = p0 * (1 - _float64(lr) * _float64(weight_decay)).astype(dt)
            eps1_ = jnp.asarray(eps1).astype(dt)
            w = beta2_t.astype(dt)
            if g.ndim > 1:
                row_var = _lerp(st["row_var"], jnp.square(jnp.linalg.norm(g, axis=-1, keepdims=True)) / g.shape[-1], w)
                col_var = _lerp(st["col_var"], jnp.square(jnp.linalg.norm(g, axis=-2, keepdims=True)) / g.shape[-2], w)
                var_estimate = (row_var @ col_var) / jnp.maximum(row_var.mean(axis=-2, keepdims=True), eps1_)
                new = {"step": step, "row_var": row_var, "col_var": col_var}
            else:
                var_estimate = _lerp(st["variance"], g * g, w)
                new = {"step": step, "variance": var_estimate}
            update = jnp.reciprocal(jnp.sqrt(jnp.maximum(var_estimate, eps1_ * eps1_))) * g
            denom = jnp.maximum(1.0, _float64(_rms(update)) / _float64(d))
            out.append(p + (-alpha / denom).astype(dt) * update - p0)
            new_state.append(new)
        return out, new_state

    return optax.GradientTransformation(init_fn, update_fn)


class _Flags(NamedTuple):
    maximize: bool
    step_dtype: object


class Adafactor(Optimizer):
    _group_defaults = {"foreach": None}
    _step_counters = True

    def __init__(self, params, lr=1e-2, beta2_decay=-0.8, eps=(None, 1e-3), d=1.0, weight_decay=0.0, *, foreach=None,
                 maximize=False):
        from .._tensor import Tensor
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay, foreach=foreach,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _step_group(self, group):
        if any(p._grad is not None and p.is_complex() for p in group["params"]):
            raise RuntimeError("Adafactor does not support complex parameters")
        super()._step_group(group)

    def _flags(self, group):
        return _Flags(bool(group["maximize"]), _scalar_dtype())

    def _hyper(self, group):
        eps1, eps2 = group["eps"]
        if eps1 is None:   # torch: the first parameter with a gradient sets it for the whole group
            first = next(p for p in group["params"] if p._grad is not None)
            eps1 = float(np.finfo(first._data.dtype).eps)
        return {"lr": _scalar(group["lr"]), "beta2_decay": _scalar(group["beta2_decay"]), "eps1": _scalar(eps1),
                "eps2": _scalar(eps2), "d": _scalar(group["d"]), "weight_decay": _scalar(group["weight_decay"])}

    def _state_keys(self, group):
        return ("step", "row_var", "col_var", "variance")

    def _fills_state(self, flags):
        return False   # which keys a parameter has depends on its shape: the rule's init fills them in

    @staticmethod
    def _links(flags, hyper):
        links = _head_links(flags.maximize, None)
        core = len(links)
        links.append(torch_adafactor(hyper["lr"], hyper["beta2_decay"], hyper["eps1"], hyper["eps2"], hyper["d"],
                                     hyper["weight_decay"], flags.step_dtype))
        return links, core
