"""First-step optimizer state made concretely, outside the program being traced.

An optimizer makes its state on a parameter's first step (``optimizer._jitted_init``). Under ``ptjax.compile``
those tensors must exist before the program (they are its inputs from then on), so their values are computed
for real while the step is traced. Every rule ptjax has starts from constants (zeros for moments and momentum
buffers, a zero step count), so the init's jaxpr is a few broadcasts of literals: :func:`make` builds them with
NumPy and places them on the parameters' device, which spares compiling a separate XLA program on the first call
(0.15-0.3 s on a 2-core CPU). Anything else (an init that reads the parameters' values) runs the jitted init in a
helper thread, outside the trace (JAX keeps its trace state per thread).
"""
from __future__ import annotations

import concurrent.futures

import jax
import numpy as np
from jax.extend.core import Literal

_CALLS = ("jit", "pjit")


def make(init, args):
    """``init(*args)`` (a jitted function of concrete arrays) as concrete arrays."""
    out = _constant(init, args)
    if out is None:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            out = pool.submit(init, *args).result()
    return out


def _constant(init, args):
    """The result of ``init`` built with NumPy when every output is a broadcast literal, else None."""
    leaves = [a for a in jax.tree_util.tree_leaves(args) if isinstance(a, jax.Array)]
    shardings = {a.sharding for a in leaves}
    if len(shardings) != 1:
        return None
    closed, shape_tree = jax.make_jaxpr(init, return_shape=True)(*args)
    values = _evaluate(closed.jaxpr)
    if values is None or any(v.aval.weak_type for v in closed.jaxpr.outvars):
        return None
    with jax.ensure_compile_time_eval():   # a transfer, not a step of the program being traced
        arrays = jax.device_put(values, shardings.pop())
    return jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(shape_tree), arrays)


def _evaluate(jaxpr):
    """NumPy values of ``jaxpr``'s outputs when each is a literal or a broadcast literal (possibly inside nested
    jits), else None. Equations of other kinds are skipped: an output that needs one has no value."""
    env = {}

    def value(atom):
        if isinstance(atom, Literal):
            return np.asarray(atom.val, atom.aval.dtype)
        return env.get(atom)

    for eqn in jaxpr.eqns:
        name = eqn.primitive.name
        if name in _CALLS:
            outs = _evaluate(eqn.params["jaxpr"].jaxpr)
            if outs is not None:
                env.update(zip(eqn.outvars, outs))
        elif name == "broadcast_in_dim" and isinstance(eqn.invars[0], Literal):
            aval = eqn.outvars[0].aval
            env[eqn.outvars[0]] = np.full(aval.shape, value(eqn.invars[0]), aval.dtype)
    outs = [value(v) for v in jaxpr.outvars]
    return None if any(o is None for o in outs) else outs
