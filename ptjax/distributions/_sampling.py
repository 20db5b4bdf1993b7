"""Draws that need JAX's samplers directly: gamma (reparameterized through JAX's implicit gradient), and the
discrete ones (Poisson, binomial, categorical), which have no gradient."""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from .._ops import random as _random
from .._ops.registry import op
from .._tensor import Tensor
from .._ops.random import key_tensor


@op(tensors=("concentration", "key"), jit=True, method=False, function=False, grad_name="StandardGammaBackward0")
def _standard_gamma(concentration, key):
    """Gamma(concentration, 1) draws of ``concentration``'s shape; differentiable in ``concentration``."""
    k = jax.random.wrap_key_data(key.astype(jnp.uint32))
    return jax.random.gamma(k, concentration, dtype=concentration.dtype)


def standard_gamma(concentration):
    return _standard_gamma(concentration, key_tensor())


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


@functools.partial(jax.jit, static_argnums=(3,))
def _von_mises(key, loc, concentration, shape):
    """Best & Fisher's rejection sampler, in float64 and vectorized: every lane draws until its first acceptance."""
    kappa = jnp.broadcast_to(concentration.astype(jnp.float64), shape)
    tau = 1 + jnp.sqrt(1 + 4 * kappa ** 2)
    rho = (tau - jnp.sqrt(2 * tau)) / (2 * kappa)
    r = jnp.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho ** 2) / (2 * rho))

    def draw(state):
        key, x, done = state
        key, sub = jax.random.split(key)
        u1, u2, u3 = jax.random.uniform(sub, (3,) + shape, dtype=jnp.float64)
        z = jnp.cos(jnp.pi * u1)
        f = (1 + r * z) / (r + z)
        c = kappa * (r - f)
        accept = ((c * (2 - c) - u2) > 0) | (jnp.log(c / u2) + 1 - c >= 0)
        x = jnp.where(accept & ~done, jnp.sign(u3 - 0.5) * jnp.arccos(f), x)
        return key, x, done | accept

    init = (key, jnp.zeros(shape, jnp.float64), jnp.zeros(shape, bool))
    _, x, _ = jax.lax.while_loop(lambda state: ~state[2].all(), draw, init)
    return (x + jnp.pi + loc.astype(jnp.float64)) % (2 * jnp.pi) - jnp.pi


def von_mises(loc, concentration, shape):
    """Angles in [-π, π) drawn from VonMises(loc, concentration), in ``loc``'s dtype."""
    return _draw(lambda k, m, c: _von_mises(k, m, c, tuple(shape)), loc, concentration, dtype=loc.dtype.np)
