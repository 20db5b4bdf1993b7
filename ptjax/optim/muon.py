"""Muon with torch's rule: SGD-momentum (Nesterov by default) whose update is orthogonalized by a quintic
Newton-Schulz iteration in bfloat16, scaled for the matrix shape, with decoupled weight decay. 2-D parameters only.

optax built-in: none fits (optax's ``contrib.muon`` has its own defaults and scaling). Custom: ``torch_muon``.
The Newton-Schulz iteration rounds to bfloat16 where torch's does (each matmul result); the float32 sums inside
a matmul need not be ordered like torch's CPU kernels, so updates agree with torch's to bfloat16 precision.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import jax.numpy as jnp
import optax

from .optimizer import Optimizer, _float64, _lerp, _scalar

__all__ = ["Muon", "torch_muon"]

EPS = 1e-7
DEFAULT_A, DEFAULT_B, DEFAULT_C = 3.4445, -4.7750, 2.0315
DEFAULT_NS_STEPS = 5


def _orthogonalize(update, a, b, c, ns_steps, eps):
    """``ns_steps`` Newton-Schulz iterations ``X <- a X + (b G + c G @ G) X`` with ``G = X X^T``, on bfloat16
    values. Each of torch's bfloat16 ``addmm`` calls accumulates in float32 and rounds its result once; so does
    each step here."""
    bf16, f32 = jnp.bfloat16, jnp.float32

    def rounded(v):
        return v.astype(bf16).astype(f32)

    x = rounded(update)
    tall = update.shape[0] > update.shape[1]
    if tall:
        x = x.T
    norm = jnp.maximum(rounded(jnp.linalg.norm(x)), rounded(jnp.asarray(eps, f32)))
    x = rounded(x / norm)
    for _ in range(ns_steps):
        gram = rounded(x @ x.T)
        gram_update = rounded(b * gram + c * (gram @ gram))
        x = rounded(a * x + gram_update @ x)
    return (x.T if tall else x).astype(bf16)


def _lr_ratio(adjust_lr_fn, shape):
    rows, cols = shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        return math.sqrt(max(1, rows / cols))
    if adjust_lr_fn == "match_rms_adamw":
        return 0.2 * math.sqrt(max(rows, cols))
    return 1.0


def torch_muon(lr, weight_decay, momentum, a, b, c, eps, nesterov, ns_steps, adjust_lr_fn):
    """State per parameter ``{'momentum_buffer'}``; the update is the parameter's change."""

    def init_fn(params):
        return [{"momentum_buffer": jnp.zeros_like(p)} for p in params]

    def update_fn(updates, state, params=None):
        out, new_state = [], []
        for g, p, st in zip(updates, params, state):
            dt = g.dtype
            buf = _lerp(st["momentum_buffer"], g, 1 - momentum)
            direction = _lerp(g, buf, momentum) if nesterov else buf
            ortho = _orthogonalize(direction, a, b, c, ns_steps, eps)
            decayed = p * (1 - _float64(lr) * _float64(weight_decay)).astype(dt)
            step = (-_float64(lr) * _lr_ratio(adjust_lr_fn, p.shape)).astype(dt)
            out.append(decayed + step * ortho.astype(dt) - p)
            new_state.append({"momentum_buffer": buf})
        return out, new_state

    return optax.GradientTransformation(init_fn, update_fn)


class _Flags(NamedTuple):
    nesterov: bool
    ns_steps: int
    adjust_lr_fn: object


class Muon(Optimizer):
    _group_defaults = {}

    def __init__(self, params, lr=1e-3, weight_decay=0.1, momentum=0.95, nesterov=True,
                 ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C), eps=EPS, ns_steps=DEFAULT_NS_STEPS,
                 adjust_lr_fn=None):
        from .._tensor import Tensor
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        defaults = dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                        ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn)
        super().__init__(params, defaults)
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(f"Muon only supports 2D parameters whereas we found a parameter with size: "
                                     f"{p.size()}")

    def _step_group(self, group):
        if group["ns_steps"] >= 100:
            raise ValueError("Number of steps must be less than 100 for computational efficiency")
        if len(group["ns_coefficients"]) != 3:
            raise ValueError("Coefficients must be a tuple of exactly 3 values")
        if any(p._grad is not None and p.is_complex() for p in group["params"]):
            raise RuntimeError("Muon does not support complex parameters")
        super()._step_group(group)

    def _flags(self, group):
        return _Flags(bool(group["nesterov"]), int(group["ns_steps"]), group["adjust_lr_fn"])

    def _hyper(self, group):
        a, b, c = group["ns_coefficients"]
        return {"lr": _scalar(group["lr"]), "weight_decay": _scalar(group["weight_decay"]),
                "momentum": _scalar(group["momentum"]), "a": _scalar(a), "b": _scalar(b), "c": _scalar(c),
                "eps": _scalar(group["eps"])}

    def _state_keys(self, group):
        return ("momentum_buffer",)

    @staticmethod
    def _links(flags, hyper):
        return [torch_muon(hyper["lr"], hyper["weight_decay"], hyper["momentum"], hyper["a"], hyper["b"], hyper["c"],
                           hyper["eps"], flags.nesterov, flags.ns_steps, flags.adjust_lr_fn)], 0
