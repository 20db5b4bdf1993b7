"""Random numbers: one global :class:`Generator` holding a JAX key; every draw splits it.

The same seed gives the same numbers in ptjax from run to run — but not the same numbers as torch, whose
generator (Mersenne Twister / Philox) JAX does not reproduce.
"""
from __future__ import annotations

import secrets

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._device import cpu_jax_device, placed_jit
from .._tensor import Tensor
from .creation import _finish, _placed, _size, _target
from .dispatch import factory_out


class Generator:
    """torch.Generator: ``manual_seed``, ``seed``, ``initial_seed``, ``get_state``/``set_state``."""

    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(secrets.randbits(63))

    def manual_seed(self, seed):
        seed = int(seed)
        self._seed = seed
        seed &= 0xFFFFFFFFFFFFFFFF
        # JAX's threefry key for a 64-bit seed, built in NumPy: no compilation at ``import ptjax``
        self._key = np.array([seed >> 32, seed & 0xFFFFFFFF], dtype=np.uint32)
        return self

    def seed(self):
        s = secrets.randbits(63)
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return Tensor._make(jax.device_put(np.frombuffer(np.asarray(self._key).tobytes(), dtype=np.uint8),
                                           cpu_jax_device()))

    def set_state(self, state):
        self._key = jax.device_put(np.frombuffer(np.asarray(state._value).tobytes(), dtype=np.uint32))

    def next_key(self):
        """A fresh JAX key; advances the generator."""
        new, sub = _split(self._key)
        self._key = new
        return sub


@jax.jit
def _split(k):
    new, sub = jax.random.split(jax.random.wrap_key_data(k))
    return jax.random.key_data(new), sub


default_generator = Generator()


def manual_seed(seed):
    default_generator.manual_seed(seed)
    return default_generator


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)


def _key(generator):
    return (generator or default_generator).next_key()


@jax.jit
def _key_i64(k):
    return jax.random.key_data(k).astype(jnp.int64)


def key_tensor(generator=None):
    """A fresh JAX key (from ptjax's generator) as an int64 tensor: a dynamic input of a kernel that draws
    (dropout, rrelu, the distributions' samplers), never a static one."""
    return Tensor._make(_key_i64(_key(generator)))


# the draws below are compiled per (shape, dtype, device), their output built on the device given first; keys are
# uncommitted (they follow the data, see _device.py)

@placed_jit(static_argnums=(1, 2))
def _uniform(key, shape, dtype):
    return jax.random.uniform(key, shape, dtype=jnp.float64 if dtype == jnp.float64 else jnp.float32).astype(dtype)


@placed_jit(static_argnums=(1, 2))
def _normal(key, shape, dtype):
    return jax.random.normal(key, shape, dtype=jnp.float64 if dtype == jnp.float64 else jnp.float32).astype(dtype)


def _float_dtype(dtype):
    return D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()


def rand(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    dtype, jd = _float_dtype(dtype), _target(device)
    return _finish(_uniform(jd, _key(generator), _size(size), dtype.np), dtype, jd, requires_grad)


def randn(*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    dtype, jd = _float_dtype(dtype), _target(device)
    return _finish(_normal(jd, _key(generator), _size(size), dtype.np), dtype, jd, requires_grad)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return rand(*input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return randn(*input.shape, dtype=dtype or input.dtype, device=device or input.device, requires_grad=requires_grad)


@placed_jit(static_argnums=(3, 4))
def _randint_jit(key, low, high, shape, dtype):
    return jax.random.randint(key, shape, low, high, dtype=jnp.int64).astype(dtype)


def _randint(jd, key, low, high, shape, dtype):
    """Bounds are traced (one compile per shape/dtype, not per bound pair)."""
    return _randint_jit(jd, key, np.int64(low), np.int64(high), shape, dtype)


def randint(low=0, high=None, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
            requires_grad=False):
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint() missing 1 required positional arguments: \"size\"")
    if low >= high:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
    dtype, jd = D.to_dtype(dtype) if dtype is not None else D.int64, _target(device)
    return _finish(_randint(jd, _key(generator), int(low), int(high), _size(tuple(size)), dtype.np), dtype, jd,
                   requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, layout=None, device=None, requires_grad=False,
                 memory_format=None):
    return randint(low, high, tuple(input.shape), dtype=dtype or input.dtype, device=device or input.device)


@placed_jit(static_argnums=(1,))
def _perm(key, n):
    return jax.random.permutation(key, n).astype(jnp.int64)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    dtype, jd = D.to_dtype(dtype) if dtype is not None else D.int64, _target(device)
    return _finish(_perm(jd, _key(generator), int(n)).astype(dtype.np), dtype, jd, requires_grad)


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        shape = tuple(jnp.broadcast_shapes(getattr(mean, "shape", ()), getattr(std, "shape", ())))
        ref = mean if isinstance(mean, Tensor) else std
        z = randn(*shape, dtype=ref.dtype, generator=generator)
        return z * std + mean
    return randn(*_size(tuple(size)), generator=generator, dtype=dtype, device=device,
                 requires_grad=requires_grad) * std + mean


@jax.jit
def _bernoulli(key, p):
    return jax.random.bernoulli(key, p).astype(p.dtype)


def bernoulli(input, p=None, *, generator=None, out=None):
    probs = input._value if p is None else jnp.full_like(input._value, p)
    return Tensor._make(_bernoulli(_key(generator), probs))


def multinomial(input, num_samples, replacement=False, *, generator=None, out=None):
    p = input._value
    key = _key(generator)
    logits = jnp.log(p / jnp.sum(p, axis=-1, keepdims=True))
    if replacement:
        s = jax.random.categorical(key, logits, axis=-1, shape=(num_samples,) + p.shape[:-1])
        return Tensor._make(jnp.moveaxis(s, 0, -1).astype(jnp.int64))
    g = jax.random.gumbel(key, p.shape)
    return Tensor._make(jax.lax.top_k(logits + g, num_samples)[1].astype(jnp.int64))


# ---- in-place random fills (Tensor methods; nn.init uses them) -------------------------------------------------

def _fill(t, arr):
    """Write the draws ``arr`` into ``t``, on ``t``'s device."""
    from .dispatch import assign
    assign(t, Tensor._make(_placed(arr.astype(t._value.dtype), _jd(t))), check_cast=False)
    return t


def _draw_dtype(t):
    return np.dtype(np.float64 if t.dtype is D.float64 else np.float32)


def _jd(t):
    """The JAX device of ``t``'s storage: in-place fills draw there."""
    return _target(t.device)


def uniform_(self, a=0.0, b=1.0, *, generator=None):
    return _fill(self, _uniform(_jd(self), _key(generator), tuple(self.shape), _draw_dtype(self)) * (b - a) + a)


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    return _fill(self, _normal(_jd(self), _key(generator), tuple(self.shape), _draw_dtype(self)) * std + mean)


def bernoulli_(self, p=0.5, *, generator=None):
    p = p._value if isinstance(p, Tensor) else p
    return _fill(self, _uniform(_jd(self), _key(generator), tuple(self.shape), _draw_dtype(self)) < p)


def random_(self, from_=0, to=None, *, generator=None):
    if to is None:
        from_, to = 0, (2 ** 24 if self.dtype.is_floating_point else 2 ** 31)
    return _fill(self, _randint(_jd(self), _key(generator), int(from_), int(to), tuple(self.shape),
                                np.dtype(np.int64)))


def exponential_(self, lambd=1.0, *, generator=None):
    u = _uniform(_jd(self), _key(generator), tuple(self.shape), _draw_dtype(self))
    return _fill(self, -jnp.log1p(-u) / lambd)


def log_normal_(self, mean=1.0, std=2.0, *, generator=None):
    return _fill(self, jnp.exp(_normal(_jd(self), _key(generator), tuple(self.shape), _draw_dtype(self)) * std + mean))


def cauchy_(self, median=0.0, sigma=1.0, *, generator=None):
    return _fill(self, jax.random.cauchy(_key(generator), tuple(self.shape)) * sigma + median)


def geometric_(self, p, *, generator=None):
    """Draws of the number of Bernoulli(p) trials up to the first success (1, 2, …)."""
    return _fill(self, jax.random.geometric(_key(generator), p, tuple(self.shape)))


def poisson(input, generator=None):
    """Poisson draws with rates ``input`` (in its dtype)."""
    return Tensor._make(jax.random.poisson(_key(generator), input._value, input.shape).astype(input._value.dtype))


def binomial(count, prob, generator=None):
    """Binomial draws of ``count`` trials with success probability ``prob`` (floating tensors, as torch)."""
    if not count.dtype.is_floating_point:
        raise ValueError(f"binomial only supports floating-point dtypes for count, got: "
                         f"{D.SCALAR_TYPE_NAME[count.dtype.name]}")
    c, p = count._value, prob._value
    shape = jnp.broadcast_shapes(c.shape, p.shape)
    return Tensor._make(jax.random.binomial(_key(generator), c, p, shape).astype(c.dtype))


def thread_safe_generator():
    """None: ptjax's DataLoader workers are processes, each with its own global generator, never threads."""
    return None


# torch's ``out=`` for the factories that take it
rand, randn, randint, randperm, normal, bernoulli, multinomial = map(
    factory_out, (rand, randn, randint, randperm, normal, bernoulli, multinomial))
