"""Tracing a call into one JAX program, and running that program with the state written back.

:func:`trace` runs the function once under ``jax.make_jaxpr`` with its tensor arguments, its state slots and its
host values (optimizer hyper-parameters) replaced by tracers; it yields a :class:`Program`: the closed jaxpr of
``(arguments, state, host values) -> (outputs, new state)`` plus the plan for writing results back.

A :class:`Program` is compiled with ``jax.jit``; state that the call overwrites is donated (XLA updates it in
place). When the outputs must stay differentiable (a compiled ``forward`` under autograd), the program returns
``jax.vjp`` residuals and one autograd node, whose pullback is the compiled vjp, joins the outputs to the graph.
"""
from __future__ import annotations

import gc
import sys

import jax
import jax.numpy as jnp
from jax.extend.core import Var, jaxpr_as_fun

from .._tensor import Tensor
from ..autograd.grad_mode import _Mode
from . import patches
from .capture import Capture, HyperRead, TensorSlot
from .scalars import DeferredScalar


class StaleProgram(Exception):
    """JAX was about to retrace a program for inputs of other shapes: build a new one instead."""


def _spec(x):
    if isinstance(x, (float, int)) and not isinstance(x, bool):
        return jax.ShapeDtypeStruct((), jnp.result_type(type(x)), weak_type=True)
    x = jnp.asarray(x) if not hasattr(x, "shape") else x
    return jax.ShapeDtypeStruct(x.shape, x.dtype, weak_type=getattr(x, "weak_type", False))


def trace(fn, args, kwargs, arg_tensors, slots, host_plan):
    """Trace ``fn(*args, **kwargs)``; ``arg_tensors`` are the tensor leaves of the arguments (in order).

    Returns a :class:`Program`. When the call read state that is not among ``slots`` (it was compiled in as a
    constant), or read other hyper-parameters than ``host_plan``, or made first-step optimizer state, the program
    is valid for this call only and ``program.discovered`` holds the state to trace with next time.
    Graph breaks raise (:class:`~ptjax._compile.breaks.GraphBreak` or a JAX concretization error).
    """
    cap = Capture()
    plan = {}
    host_values = [a.values() for a in host_plan]

    def core(arg_vals, state_vals, host_vals):
        cap.paused = True
        try:
            for slot, v in zip(slots, state_vals):
                cap.swap_in(slot, v)
            for pos, (t, v) in enumerate(zip(arg_tensors, arg_vals)):
                cap.swap_in_arg(t, pos, v)
            cap.set_host_inputs(host_plan, host_vals, host_values)
            cap.paused = False
            result = fn(*args, **kwargs)
            cap.paused = True
            return _collect(cap, result, slots, arg_tensors, plan)
        finally:
            cap.paused = True
            cap.restore()

    arg_specs = [_spec(t._value) for t in arg_tensors]
    state_specs = [_spec(s.get()) for s in slots]
    hyper_specs = [[_spec(v) for v in vals] for vals in host_values]
    with patches.window(cap):
        closed = jax.make_jaxpr(core, axis_env=_axis_env())(arg_specs, state_specs, hyper_specs)
    inputs = [t._value for t in arg_tensors] + [s.get() for s in slots]
    program = Program(closed, plan, cap, slots, host_plan, len(arg_tensors), inputs)
    program.needs_retrace = cap.unknown or cap.host_cursor != len(host_plan)
    escaped = [t for t, _ in plan["escapes"]]
    program.discovered = _merge(slots, cap.state_slots(exclude_ids=cap.arg_ids, escaped=escaped))
    program.discovered_host = [a for a in cap.host if isinstance(a, HyperRead)]
    program.unknown_what = cap.unknown_what
    return program


def _axis_env():
    """The process group's mesh axis, bound while tracing so that ``ptjax.distributed`` collectives can be traced
    (None when no process group exists)."""
    pg = sys.modules.get("ptjax.distributed.process_group")
    if pg is None or not pg.is_initialized():
        return None
    return [(pg.AXIS, pg._world().size())]


def _merge(slots, more):
    seen = {s.ident for s in slots}
    return list(slots) + [s for s in more if s.ident not in seen]


def _collect(cap: Capture, result, slots, arg_tensors, plan):
    """Read the call's results and final state off the traced objects; fill ``plan`` (how to write them back)."""
    outs = []

    def emit(v):
        outs.append(v)
        return len(outs) - 1

    leaves, treedef = jax.tree_util.tree_flatten(result)
    out_spec, out_ids = [], set()
    for leaf in leaves:
        if isinstance(leaf, Tensor):
            pos = cap.arg_ids.get(id(leaf))
            if pos is not None:
                out_spec.append(("arg", pos))
            elif cap.is_created(leaf):
                out_ids.add(id(leaf))
                b = leaf._base
                while b is not None:
                    out_ids.add(id(b))
                    b = b._base
                out_spec.append(("new", emit(leaf._value), leaf._requires_grad))
            else:
                out_spec.append(("same", leaf))
        elif isinstance(leaf, DeferredScalar):
            out_spec.append(("item", emit(leaf.value), leaf.dtype))
        else:
            out_spec.append(("const", leaf))

    slot_writes = []
    for slot in slots:
        cur = _final_value(cap, slot)
        if cur is not None and cur is not cap.inputs[slot.ident]:
            slot_writes.append((slot, emit(cur)))
    for i, t in cap.written.items():   # outside tensors written that are not inputs: this call only (retrace)
        if i not in cap.swapped and i not in cap.arg_ids:
            cap._mark_unknown("a tensor defined outside that the function writes")
            slot_writes.append((TensorSlot(t), emit(t.__dict__["_data"])))

    arg_writes = []
    for pos, t in enumerate(arg_tensors):
        cur = t.__dict__["_data"]
        if cur is not cap.inputs[("a", pos)]:
            arg_writes.append((pos, emit(cur)))

    grads, grad_ids = [], set()
    for i, (owner, original) in cap.saved_grad.items():
        target = ("arg", cap.arg_ids[i]) if i in cap.arg_ids else ("obj", owner)
        g = owner.__dict__.get("_grad")
        if g is None:
            grads.append(("none", target, None))
        elif cap.is_created(g):
            grad_ids.add(id(g))
            grads.append(("new", target, emit(g._value)))
        elif g is not original:
            grads.append(("obj", target, g))
    escaped = [t for t in cap.alive_created() if id(t) not in out_ids and id(t) not in grad_ids]
    if escaped:
        gc.collect()
        escaped = [t for t in cap.alive_created() if id(t) not in out_ids and id(t) not in grad_ids]
    escapes = [(t, emit(t.__dict__["_data"])) for t in escaped]
    plan.update(treedef=treedef, out_spec=out_spec, slot_writes=slot_writes, arg_writes=arg_writes, grads=grads,
                escapes=escapes, touched_grads=bool(cap.saved_grad), n_out=len(outs))
    return outs


def _final_value(cap, slot):
    if slot.kind == "tensor":
        return slot.tensor.__dict__["_data"]
    if slot.kind == "key":
        return slot.generator.__dict__["_key"]
    g = slot.owner.__dict__.get("_grad")
    if g is None or id(g) not in cap.saved_data:
        return None   # the owner's .grad was replaced: written back through the owner (``grads``)
    return g.__dict__["_data"]


def _device_of(arrays):
    """The device the program runs on: that of the first committed input array, else JAX's default device."""
    for a in arrays:
        if isinstance(a, jax.Array) and getattr(a, "committed", False):
            return next(iter(a.devices()))
    return jax.devices()[0]


class Program:
    """A traced call: the jaxpr, how its inputs are gathered and how its outputs are written back."""

    def __init__(self, closed, plan, cap, slots, host_plan, n_args, input_arrays):
        self.closed = closed
        self.plan = plan
        self.host_actions = list(cap.host)          # run before each call (scheduler steps, hyper reads)
        self.host_plan = host_plan
        self.one_shot = bool(plan["escapes"])        # the call created state kept in Python: trace again next time
        self.needs_retrace = False
        self.breaks = list(cap.breaks)
        jaxpr = closed.jaxpr
        used = {v for e in jaxpr.eqns for v in e.invars if isinstance(v, Var)}
        used |= {v for v in jaxpr.outvars if isinstance(v, Var)}
        n_state = len(slots)
        invars = jaxpr.invars
        self.n_args = n_args
        self.in_avals = [(v.aval.shape, v.aval.dtype) for v in invars]
        state_used = [invars[n_args + i] in used for i in range(n_state)]
        written = {id(s) for s, _ in plan["slot_writes"]}
        self.donated = [s for s, u in zip(slots, state_used) if u and id(s) in written]
        self.kept = [s for s, u in zip(slots, state_used) if u and id(s) not in written]
        self.slots = slots
        order = {id(s): i for i, s in enumerate(slots)}
        self._don_pos = [n_args + order[id(s)] for s in self.donated]
        self._kept_pos = [n_args + order[id(s)] for s in self.kept]
        self._unused = [(n_args + i, invars[n_args + i].aval) for i, u in enumerate(state_used) if not u]
        self._n_in = len(invars)
        self._fun = jaxpr_as_fun(closed)
        self._last_donated = [None] * len(self.donated)
        out_of = {id(s): i for s, i in plan["slot_writes"]}
        self._donated_outputs = [(j, out_of[id(s)]) for j, s in enumerate(self.donated)]
        writes = plan["slot_writes"]
        self._tensor_writes = [(s.tensor, i) for s, i in writes if s.kind == "tensor"]
        self._grad_writes = [(s.owner, i) for s, i in writes if s.kind == "grad"]
        self._key_writes = [(s.generator, i) for s, i in writes if s.kind == "key"]
        self._out_spec = [(spec + (None, None))[:3] for spec in plan["out_spec"]]
        # whether a .grad was set before the call matters unless the call sets it itself without reading the old
        # gradient (zero_grad() then backward(): the first call, without gradients, shares the steady program)
        self.grad_guards = [(t, had) for i, (t, had) in cap.grad_guard.items() if i not in cap.saved_grad]
        self.modules = list(cap.modules.values())
        self.training = tuple(m.training for m in self.modules)
        self.requires_grad = tuple(s.tensor._requires_grad for s in slots if s.kind == "tensor")
        self.tensor_slots = [s.tensor for s in slots if s.kind == "tensor"]
        self.hyper_reads = [a for a in self.host_actions if isinstance(a, HyperRead)]
        self.attribute_guards = list(cap.attribute_guards.values())    # (object, name, value the call starts with)
        self._attribute_writes = cap.attribute_writes                 # set after each call, as the Python does
        self.backward_needed = list(cap.backward_needed)
        self.world = cap.collective_world
        self.diff = None       # set by ``make_differentiable``
        # one device for every input, committed or not: otherwise JAX compiles again when an input that was made
        # by jnp/numpy (uncommitted) is next an output of this program (committed)
        if self.world is not None:   # cross-process collectives inside: one SPMD program over the group's mesh
            self.sharding = self.world.local_sharding
            self._plain = SpmdProgram(self._run_flat, self.world, [len(a.shape) == 0 for a in closed.out_avals])
        else:
            self.sharding = jax.sharding.SingleDeviceSharding(_device_of(input_arrays))
            self._plain = jax.jit(self._run_flat, donate_argnums=(1,), in_shardings=self.sharding)

    # ---- the pure function, as JAX sees it ---------------------------------------------------------------------
    def _assemble(self, arg_vals, don, kept, host_vals):
        flat = [None] * self._n_in
        flat[:self.n_args] = arg_vals
        for p, v in zip(self._don_pos, don):
            flat[p] = v
        for p, v in zip(self._kept_pos, kept):
            flat[p] = v
        for p, aval in self._unused:
            flat[p] = jnp.zeros(aval.shape, aval.dtype)
        host_flat = [v for vals in host_vals for v in vals]
        flat[self._n_in - len(host_flat):] = host_flat
        for x, (shape, dtype) in zip(flat, self.in_avals):
            if x.shape != shape or x.dtype != dtype:
                raise StaleProgram()
        return flat

    def _run_flat(self, arg_vals, don, kept, host_vals):
        return self._fun(*self._assemble(arg_vals, don, kept, host_vals))

    # ---- differentiable outputs --------------------------------------------------------------------------------
    def make_differentiable(self, diff_positions, diff_outputs):
        """Outputs ``diff_outputs`` (indices into the flat outputs) get gradients w.r.t. inputs ``diff_positions``."""
        def fwd(arg_vals, don, kept, host_vals):
            flat = self._assemble(arg_vals, don, kept, host_vals)

            def f(*d):
                full = list(flat)
                for p, v in zip(diff_positions, d):
                    full[p] = v
                outs = self._fun(*full)
                return [outs[i] for i in diff_outputs], outs

            _, vjp_fn, outs = jax.vjp(f, *[flat[p] for p in diff_positions], has_aux=True)
            return outs, vjp_fn

        self.diff = (diff_positions, diff_outputs, jax.jit(fwd, donate_argnums=(1,), in_shardings=self.sharding),
                     jax.jit(lambda vjp_fn, cts: vjp_fn(list(cts))))

    # ---- running -----------------------------------------------------------------------------------------------
    def host_values(self):
        """Run the host actions (scheduler steps) and read the hyper-parameters, as device scalars."""
        out = []
        for action in self.host_actions:
            if isinstance(action, HyperRead):
                out.append([d for _, d in action.device_values(self.sharding)])
            else:
                action.run()
        return out

    def gather_donated(self):
        vals = [s.get() for s in self.donated]
        last = self._last_donated
        foreign = [i for i, (v, prev) in enumerate(zip(vals, last)) if v is not prev]
        if foreign:   # arrays this program did not make: donate copies, so that their owners keep theirs
            copies = jax.device_put([vals[i] for i in foreign], self.sharding, may_alias=False)
            for i, c in zip(foreign, copies):
                vals[i] = c
        return vals

    def run(self, arg_tensors):
        """One compiled call; returns the function's result (state written back)."""
        host_vals = self.host_values()
        arg_vals = [t._value for t in arg_tensors]
        don = self.gather_donated()
        kept = [s.get() for s in self.kept]
        node_data = None
        if self.diff is not None and _Mode.enabled:
            outs, vjp_fn = self.diff[2](arg_vals, don, kept, host_vals)
            node_data = (vjp_fn, arg_tensors)
        else:
            outs = self._plain(arg_vals, don, kept, host_vals)
        return self.write_back(outs, arg_tensors, node_data)

    def write_back(self, outs, arg_tensors, node_data=None):
        plan = self.plan
        last = self._last_donated
        for j, i in self._donated_outputs:   # what the next call will find (and may donate) in those slots
            last[j] = outs[i]
        for t, i in self._tensor_writes:
            t._data = outs[i]
            t._version += 1
        for owner, i in self._grad_writes:
            g = owner._grad
            g._data = outs[i]
            g._version += 1
        for gen, i in self._key_writes:
            gen._key = outs[i]
        for pos, i in plan["arg_writes"]:
            arg_tensors[pos]._write(outs[i])
        for kind, (tk, target), payload in plan["grads"]:
            owner = arg_tensors[target] if tk == "arg" else target
            if kind == "none":
                owner._grad = None
            elif kind == "new":
                owner._grad = Tensor._make(outs[payload])
            else:
                owner._grad = payload
        for t, i in plan["escapes"]:
            t._data = outs[i]
            t._version += 1
        for obj, name, value in self._attribute_writes:
            setattr(obj, name, value)
        result = []
        new_tensors = []
        for kind, a, _ in self._out_spec:
            if kind == "new":
                t = Tensor._make(outs[a])
                new_tensors.append((t, a))
                result.append(t)
            elif kind == "item":
                result.append(Tensor._make(outs[a]).item())
            elif kind == "arg":
                result.append(arg_tensors[a])
            else:
                result.append(a)
        if node_data is not None:
            self._record_node(node_data, new_tensors, arg_tensors)
        return jax.tree_util.tree_unflatten(plan["treedef"], result)

    def _record_node(self, node_data, new_tensors, arg_tensors):
        from .._ops.dispatch import edge
        from ..autograd.graph import Node
        vjp_fn, _ = node_data
        diff_positions, diff_outputs = self.diff[0], self.diff[1]
        inputs = []
        for p in diff_positions:
            if p < self.n_args:
                inputs.append(arg_tensors[p])
            else:
                inputs.append(self.slots[p - self.n_args].tensor)
        if not any(t._requires_grad for t in inputs):
            return
        by_index = {i: t for t, i in new_tensors}
        outs = [by_index.get(i) for i in diff_outputs]
        avals = tuple((o._data.shape, o._data.dtype) for o in outs)
        node = Node(CompiledBackward(self.diff[3]), (vjp_fn,),
                    tuple(edge(t) if t._requires_grad else None for t in inputs), avals)
        for j, o in enumerate(outs):
            o._grad_fn, o._out_idx, o._requires_grad = node, j, True


class SpmdProgram:
    """A program containing ``ptjax.distributed`` collectives, run as one SPMD program over the process group's
    mesh: each rank's arrays are its shards of global arrays split along the rank axis (scalars travel as shape
    ``(1,)``), ``jax.shard_map`` gives the program back exactly the rank's arrays, and the collectives traced in it
    (``lax.psum`` over the axis) run across the processes, like the eager collectives' own programs
    (``ptjax/distributed/_programs.py``). Called like the plain jitted program; returns this rank's outputs."""

    def __init__(self, run_flat, world, out_scalar):
        self.run_flat, self.world, self.out_scalar = run_flat, world, out_scalar
        self._jitted = None   # built on the first call, when the number of each kind of input is known

    def __call__(self, arg_vals, don, kept, host_vals):
        from ..distributed._programs import _global
        flat = [*arg_vals, *don, *kept, *(v for vals in host_vals for v in vals)]
        if self._jitted is None:
            self._jitted = self._build(len(arg_vals), len(don), len(kept), [len(v) for v in host_vals],
                                       [a.ndim == 0 for a in flat])
        outs = self._jitted(*[_global(self.world, a) for a in flat])
        return [o.addressable_data(0).reshape(()) if s else o.addressable_data(0)
                for o, s in zip(outs, self.out_scalar)]

    def _build(self, n_args, n_don, n_kept, host_sizes, scalar):
        def local(*xs):
            xs = [x.reshape(()) if s else x for x, s in zip(xs, scalar)]
            args, don, kept = xs[:n_args], xs[n_args:n_args + n_don], xs[n_args + n_don:n_args + n_don + n_kept]
            rest, host = xs[n_args + n_don + n_kept:], []
            for n in host_sizes:
                host.append(rest[:n])
                rest = rest[n:]
            return tuple(o.reshape(1) if o.ndim == 0 else o for o in self.run_flat(args, don, kept, host))

        from ..distributed.process_group import AXIS
        spec = jax.sharding.PartitionSpec(AXIS)
        mapped = jax.shard_map(local, mesh=self.world.mesh, in_specs=(spec,) * len(scalar), out_specs=spec,
                               check_vma=False)
        return jax.jit(mapped, donate_argnums=tuple(range(n_args, n_args + n_don)))


class CompiledBackward:
    """The kernel of the one autograd node a compiled forward records: its pullback is the compiled vjp."""

    pure = False
    grad_name = "CompiledFunctionBackward"

    def __init__(self, bwd):
        self.bwd = bwd
        self.key = ("compiled", id(self))

    def backward_arrays(self, node, cts):
        grads = self.bwd(node.saved[0], tuple(cts))
        return [g if e is not None else None for g, e in zip(grads, node.edges)]

    def backward_tensors(self, node, cts):
        raise RuntimeError("torch.compile with aot_autograd does not currently support double backward")
