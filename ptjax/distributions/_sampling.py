"""Draws that need JAX's samplers directly: gamma (reparameterized through JAX's implicit gradient), and the
discrete ones (Poisson, binomial, categorical), which have no gradient."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from .._ops import random as _random
from .._ops.registry import op
from .._tensor import Tensor
from ..nn._functional_utils import _key_tensor


@op(tensors=("concentration", "key"), jit=True, method=False, function=False, grad_name="StandardGammaBackward0")
def _standard_gamma(concentration, key):
    """Gamma(concentration, 1) draws of ``concentration``'s shape; differentiable in ``concentration``."""
    k = jax.random.wrap_key_data(key.astype(jnp.uint32))
    return jax.random.gamma(k, concentration, dtype=concentration.dtype)


def standard_gamma(concentration):
    return _standard_gamma(concentration, _key_tensor())


def _draw(fn, *args, dtype):
    arrays = [a._value if isinstance(a, Tensor) else a for a in args]
    return Tensor._make(fn(_random._key(None), *arrays).astype(dtype))


def poisson(rate, shape):
    return _draw(lambda k, r: jax.random.poisson(k, r, shape), rate, dtype=rate.dtype.np)


def binomial(total_count, probs, shape):
    return _draw(lambda k, n, p: jax.random.binomial(k, n, p, shape), total_count, probs, dtype=probs.dtype.np)


def categorical(logits, shape):
    """Indices (int64) drawn from the last dim of ``logits``; ``shape`` is the result's shape."""
    return _draw(lambda k, lg: jax.random.categorical(k, lg, axis=-1, shape=shape), logits, dtype=jnp.int64)
