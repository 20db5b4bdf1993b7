"""The SPMD programs behind the collectives, and how a rank's arrays enter and leave them.

A rank's local array ``x`` of shape ``(d0, ...)`` becomes its shard of a global array of shape
``(world * d0, ...)`` laid out over the group's mesh (``jax.make_array_from_single_device_arrays``: no copy). A
program is ``jax.jit(jax.shard_map(body))`` with every input and output split along the rank axis, so ``body``
sees exactly the rank's local arrays and returns its local results; the collectives inside (``psum``,
``all_gather`` …) are XLA's. Each program is built once per (mesh, kind, static arguments) and jit compiles it
once per shape and dtype, so a training loop calling the same collective never recompiles.
"""
from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
from jax import lax
from jax.sharding import PartitionSpec

from .process_group import AXIS

# reductions XLA performs natively; the others gather every rank's value and fold them
_NATIVE = {"SUM": lax.psum, "MAX": lax.pmax, "MIN": lax.pmin}
_FOLDS = {"PRODUCT": jnp.multiply, "BAND": jnp.bitwise_and, "BOR": jnp.bitwise_or, "BXOR": jnp.bitwise_xor}
# bool reduces as uint8: sum/max/or are "any", product/min/and are "all", xor is parity
_BOOL_AS = {"SUM": "MAX", "AVG": "MAX", "PRODUCT": "MIN"}


def run(world, program, arrays):
    """Run ``program`` on this rank's ``arrays``; returns this rank's result arrays (a list).

    Inside ``ptjax.compile`` (the arrays are tracers) the program's body joins the traced program instead: the
    compiled step then runs as one SPMD program over the group's mesh (see ``ptjax/_compile/program.py``)."""
    if any(isinstance(a, jax.core.Tracer) for a in arrays):
        return _traced(world, program, arrays)
    shards = [_global(world, a) for a in arrays]
    return [out.addressable_data(0) for out in program.jitted(*shards)]


def _traced(world, program, arrays):
    from .._compile import patches
    if not patches.note_collective(world):
        raise RuntimeError("ptjax.distributed collectives can be traced only by ptjax.compile (whose program then "
                           "spans the process group), not inside jax.jit, vmap or grad of your own")
    return list(program.body(*arrays, n=world.size(), **dict(program.static)))


def _global(world, a):
    if a.ndim == 0:
        a = a.reshape(1)
    if a.sharding != world.local_sharding:
        a = jax.device_put(a, world.device)
    return jax.make_array_from_single_device_arrays((world.size() * a.shape[0],) + a.shape[1:], world.sharding, [a])


class Program:
    """A collective's SPMD program: ``jitted`` runs it on global arrays; ``body`` is what it runs per rank."""

    def __init__(self, mesh, body, n_in, static):
        self.body, self.static = body, static
        spec = PartitionSpec(AXIS)

        def local(*xs):  # a shard has at least one dimension: scalars travel as shape (1,)
            return tuple(o.reshape(1) if o.ndim == 0 else o for o in body(*xs, n=mesh.size, **dict(static)))

        self.jitted = jax.jit(jax.shard_map(local, mesh=mesh, in_specs=(spec,) * n_in, out_specs=spec,
                                            check_vma=False))


@functools.cache
def _compiled(mesh, body, n_in, static):
    return Program(mesh, body, n_in, static)


def program(world, body, n_in=1, **static):
    """The compiled program running ``body(*local_arrays, n=world_size, **static)`` on every rank."""
    return _compiled(world.mesh, body, n_in, tuple(sorted(static.items())))


def clear():
    _compiled.cache_clear()


# ---- bodies: each runs on one rank's local arrays inside shard_map and returns a tuple of local arrays ----------

def reduce(x, op, n):
    """``x`` reduced over all ranks with the ``ReduceOp`` named ``op``."""
    if x.dtype == jnp.bool_:
        return reduce(x.astype(jnp.uint8), _BOOL_AS.get(op, op), n).astype(jnp.bool_)
    if op in _NATIVE:
        return _NATIVE[op](x, AXIS)
    if op == "AVG":
        total = lax.psum(x, AXIS)
        return lax.div(total, jnp.asarray(n, x.dtype)) if jnp.issubdtype(x.dtype, jnp.integer) else total / n
    every = lax.all_gather(x, AXIS)
    return functools.reduce(_FOLDS[op], [every[i] for i in range(n)]).astype(x.dtype)


def all_reduce(*xs, op, n):
    """Each of ``xs`` reduced over all ranks. XLA's all-reduce combiner merges the reductions of one program into
    a single variadic all-reduce: one collective however many tensors (a DDP bucket), with no concatenation."""
    return tuple(reduce(x, op, n) for x in xs)


def all_gather(x, n, stacked_shape=None):
    """Every rank's ``x``: a tuple of ``n`` arrays, or one array of ``stacked_shape`` when given."""
    every = lax.all_gather(x, AXIS)
    if stacked_shape is not None:
        return (every.reshape(stacked_shape),)
    return tuple(every[i] for i in range(n))


def reduce_scatter(x, op, n, out_shape):
    """``x`` (``n`` equal chunks along its flattened data) reduced over ranks; rank r keeps chunk r."""
    rows = x.reshape(n, -1)
    if op in ("SUM", "AVG") and x.dtype != jnp.bool_:
        mine = lax.psum_scatter(rows, AXIS, scatter_dimension=0)
        if op == "AVG":
            mine = lax.div(mine, jnp.asarray(n, x.dtype)) if jnp.issubdtype(x.dtype, jnp.integer) else mine / n
    else:
        mine = reduce(rows, op, n)[lax.axis_index(AXIS)]
    return (mine.reshape(out_shape),)


def broadcast(*xs, src, n):
    """Rank ``src``'s ``xs`` on every rank, bit for bit: each rank adds its bits or zeros (one integer psum)."""
    return tuple(_from_bits(lax.psum(_masked_bits(x, src), AXIS), x.dtype) for x in xs)


def scatter(x, src, n):
    """Rank ``src``'s ``x`` (``n`` stacked chunks); rank r keeps chunk r."""
    return (broadcast(x, src=src, n=n)[0][lax.axis_index(AXIS)],)


def _masked_bits(x, src):
    if jnp.issubdtype(x.dtype, jnp.complexfloating):
        x = jnp.stack([x.real, x.imag])
    if x.dtype == jnp.bool_:
        bits = x.astype(jnp.uint8)
    elif jnp.issubdtype(x.dtype, jnp.floating):
        bits = lax.bitcast_convert_type(x, jnp.dtype(f"uint{x.dtype.itemsize * 8}"))
    else:
        bits = x
    return jnp.where(lax.axis_index(AXIS) == src, bits, jnp.zeros_like(bits))


def _from_bits(bits, dtype):
    if dtype == jnp.bool_:
        return bits.astype(jnp.bool_)
    if jnp.issubdtype(dtype, jnp.complexfloating):
        parts = _from_bits(bits, jnp.finfo(dtype).dtype)
        return lax.complex(parts[0], parts[1])
    if jnp.issubdtype(dtype, jnp.floating):
        return lax.bitcast_convert_type(bits, dtype)
    return bits
