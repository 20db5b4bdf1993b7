"""Adam (and AdamW through ``decoupled_weight_decay``) with torch's single-tensor rule.

optax built-ins: ``scale(-1)`` (maximize) and ``add_decayed_weights`` (L2 weight decay, Adam). Custom:
``scale_by_torch_adam``. optax's ``scale_by_adam`` bias-corrects the moments themselves (``sqrt(nu / bc2)``) and
applies ``lr`` separately, and its AMSGrad keeps the max of the *bias-corrected* second moment; torch keeps the
max of the raw ``exp_avg_sq`` and computes ``param -= lr / bc1 * exp_avg / (sqrt(v) / sqrt(bc2) + eps)``.
The bias corrections are computed in float64 like torch's Python floats, from the float ``step`` counter.
"""
from __future__ import annotations

import jax.numpy as jnp
import optax

from typing import NamedTuple

from .optimizer import (Optimizer, _check_fused, _check_lr, _check_nonnegative, _float64, _head_links, _lerp, _scalar,
                        _scalar_dtype)

__all__ = ["Adam", "scale_by_torch_adam"]


def scale_by_torch_adam(lr, beta1, beta2, eps, amsgrad=False, step_dtype=jnp.float32):
    """torch.optim.Adam's update (including ``-lr``), state in torch's layout: a list of per-parameter dicts
    ``{'step', 'exp_avg', 'exp_avg_sq'[, 'max_exp_avg_sq']}``."""

    def init_fn(params):
        states = []
        for p in params:
            st = {"step": jnp.zeros((), step_dtype), "exp_avg": jnp.zeros_like(p), "exp_avg_sq": jnp.zeros_like(p)}
            if amsgrad:
                st["max_exp_avg_sq"] = jnp.zeros_like(p)
            states.append(st)
        return states

    def update_fn(updates, state, params=None):
        out, new_state = [], []
        for g, st in zip(updates, state):
            dt = g.dtype
            step = st["step"] + 1
            exp_avg = _lerp(st["exp_avg"], g, 1 - beta1)
            exp_avg_sq = st["exp_avg_sq"] * jnp.asarray(beta2).astype(dt) + jnp.asarray(1 - beta2).astype(dt) * g * g
            s = _float64(step)
            bias_correction1 = 1 - _float64(beta1) ** s
            bias_correction2 = 1 - _float64(beta2) ** s
            step_size = _float64(lr) / bias_correction1
            bc2_sqrt = jnp.sqrt(bias_correction2).astype(dt)
            new = {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
            if amsgrad:
                v = jnp.maximum(st["max_exp_avg_sq"], exp_avg_sq)
                new["max_exp_avg_sq"] = v
            else:
                v = exp_avg_sq
            denom = jnp.sqrt(v) / bc2_sqrt + jnp.asarray(eps).astype(dt)
            out.append((-step_size).astype(dt) * (exp_avg / denom))
            new_state.append(new)
        return out, new_state

    return optax.GradientTransformation(init_fn, update_fn)


class _Flags(NamedTuple):
    maximize: bool
    weight_decay: bool   # weight_decay != 0
    decoupled: bool      # decoupled_weight_decay (AdamW)
    amsgrad: bool
    step_dtype: object


class Adam(Optimizer):
    _group_defaults = {"amsgrad": False, "maximize": False, "foreach": None, "capturable": False,
                       "differentiable": False, "decoupled_weight_decay": False, "fused": None}
    _step_counters = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, *,
                 foreach=None, maximize=False, capturable=False, differentiable=False, fused=None,
                 decoupled_weight_decay=False):
        from .._tensor import Tensor
        if isinstance(lr, Tensor) and foreach and not capturable:
            raise ValueError("lr as a Tensor is not supported for capturable=False and foreach=True")
        _check_lr(lr)
        _check_nonnegative(eps=eps)
        for i in (0, 1):
            if not 0.0 <= betas[i] < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")
        _check_nonnegative(weight_decay=weight_decay)
        if not ((isinstance(betas[0], float) and isinstance(betas[1], float))
                or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))):
            raise ValueError("betas must be either both floats or both Tensors")
        for i in (0, 1):
            if isinstance(betas[i], Tensor):
                if not capturable and foreach:
                    raise ValueError(f"betas[{i}] as a Tensor is not supported for capturable=False and foreach=True")
                if betas[i].numel() != 1:
                    raise ValueError(f"Tensor betas[{i}] must be 1-element")
        betas = tuple(b.squeeze() if isinstance(b, Tensor) and b.dim() != 0 else b for b in betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad, maximize=maximize,
                        foreach=foreach, capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)
        _check_fused(fused, differentiable, foreach)

    def _flags(self, group):
        return _Flags(bool(group["maximize"]), bool(group["weight_decay"] != 0),
                      bool(group["decoupled_weight_decay"]), bool(group["amsgrad"]), _scalar_dtype())

    def _hyper(self, group):
        b1, b2 = group["betas"]
        return {"lr": _scalar(group["lr"]), "beta1": _scalar(b1), "beta2": _scalar(b2), "eps": _scalar(group["eps"]),
                "weight_decay": _scalar(group["weight_decay"])}

    def _state_keys(self, group):
        return ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq") if group["amsgrad"] else \
            ("step", "exp_avg", "exp_avg_sq")

    @staticmethod
    def _pre_update(flags, hyper, params):
        if flags.weight_decay and flags.decoupled:  # torch: param.mul_(1 - lr * weight_decay) before the moments
            factor = 1 - _float64(hyper["lr"]) * _float64(hyper["weight_decay"])
            return [p * factor.astype(p.dtype) for p in params]
        return params

    @staticmethod
    def _links(flags, hyper):
        l2 = flags.weight_decay and not flags.decoupled   # AdamW's decay is applied to the params, not the grads
        links = _head_links(flags.maximize, hyper["weight_decay"] if l2 else None)
        core = len(links)
        links.append(scale_by_torch_adam(hyper["lr"], hyper["beta1"], hyper["beta2"], hyper["eps"], flags.amsgrad,
                                         flags.step_dtype))
        return links, core
