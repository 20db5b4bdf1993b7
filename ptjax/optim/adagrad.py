"""Adagrad with torch's rule: ``clr = lr / (1 + (step - 1) * lr_decay)``, ``param -= clr * g / (sqrt(sum) + eps)``.

optax built-ins: ``scale(-1)`` (maximize), ``add_decayed_weights`` (L2). Custom: ``scale_by_torch_adagrad``;
optax's ``scale_by_rss`` computes ``g * rsqrt(sum + eps)`` (eps inside the root) and has no per-step lr decay.
The state (``step``, ``sum = initial_accumulator_value``) is created at construction, as torch does.
"""
from __future__ import annotations

import jax.numpy as jnp
import optax

from .._tensor import Tensor
from .optimizer import Optimizer, _float64, _head_links, _scalar, _scalar_dtype

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


class Adagrad(Optimizer):
    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10,
                 foreach=None, *, maximize=False, differentiable=False, fused=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= lr_decay:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not 0.0 <= initial_accumulator_value:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if not 0.0 <= eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, foreach=foreach, maximize=maximize,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)
        if fused:
            if differentiable:
                raise RuntimeError("`fused` does not support `differentiable`")
            if foreach:
                raise RuntimeError("`fused` and `foreach` cannot be `True` together.")
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

    def __setstate__(self, state):
        super().__setstate__(state)
        for group in self.param_groups:
            group.setdefault("foreach", None)
            group.setdefault("maximize", False)
            group.setdefault("differentiable", False)
            group.setdefault("fused", None)
        self._steps_to_tensors()

    def _step_group(self, group):
        for p in group["params"]:
            if p._grad is not None and len(self.state[p]) == 0:
                self._init_state(p)
        super()._step_group(group)

    def _flags(self, group):
        return (bool(group["maximize"]), bool(group["weight_decay"] != 0), _scalar_dtype())

    def _hyper(self, group):
        return {k: _scalar(group[k]) for k in ("lr", "lr_decay", "eps", "weight_decay")}

    def _state_keys(self, group):
        return ("step", "sum")

    @staticmethod
    def _links(flags, hyper):
        maximize, has_wd, sdt = flags
        links = _head_links(maximize, hyper["weight_decay"] if has_wd else None)
        core = len(links)
        links.append(scale_by_torch_adagrad(hyper["lr"], hyper["lr_decay"], hyper["eps"], 0.0, sdt))
        return links, core
