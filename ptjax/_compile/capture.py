"""The capture window: which tensors outside a function it reads and writes, found while it runs.

A ptjax Tensor keeps its array in the instance attribute ``_data``. While a window is open,
:mod:`ptjax._compile.patches` puts data descriptors on the classes (``Tensor._data``, ``Tensor._grad``,
``Generator._key``), so every read and write of those attributes goes through :class:`Capture`. Outside a window
the classes are untouched and eager code pays nothing.

While a call is traced (under ``jax.make_jaxpr``), the state's arrays are swapped for tracers
(:meth:`Capture.swap_in`) and the function runs once; its final values are read back as program outputs. A read of
a tensor that existed before the call and was not swapped in sets :attr:`Capture.unknown` (its value went into the
program as a constant): the program then serves this call only and the next trace includes that tensor. At the end
every swapped or written attribute gets its original value back (:meth:`Capture.restore`).

State is kept as *slots*: a tensor addressed by identity (parameters, buffers, optimizer state), the ``.grad``
of a tensor addressed through its owner (the gradient object changes every step), and a generator's key.
Only tensors that own their storage are slots; a view outside the window is read through its base.
"""
from __future__ import annotations

import threading
import weakref

import jax
import jax.numpy as jnp

from .._tensor import Tensor, _gather

Tracer = jax.core.Tracer


class TensorSlot:
    """A storage-owning tensor that outlives the call (a parameter, a buffer, optimizer state)."""

    __slots__ = ("tensor",)
    kind = "tensor"

    def __init__(self, tensor):
        self.tensor = tensor

    @property
    def ident(self):
        return ("t", id(self.tensor))

    def get(self):
        return self.tensor._data


class GradSlot:
    """The ``.grad`` of an outside tensor, read through its owner: backward makes a new gradient object per step."""

    __slots__ = ("owner",)
    kind = "grad"

    def __init__(self, owner):
        self.owner = owner

    @property
    def ident(self):
        return ("g", id(self.owner))

    def get(self):
        return self.owner._grad._data


class KeySlot:
    """A random number generator's key: the compiled program draws from it and returns the advanced key."""

    __slots__ = ("generator",)
    kind = "key"

    def __init__(self, generator):
        self.generator = generator

    @property
    def ident(self):
        return ("k", id(self.generator))

    def get(self):
        return self.generator._key


class Capture:
    """One tracing window. See the module docstring."""

    def __init__(self):
        self.thread = threading.get_ident()
        self.paused = False
        self.created = {}        # id -> weakref of tensors made inside the window
        self.saved_data = {}     # id -> (tensor, original _data): swapped or written outside tensors (rollback)
        self.saved_grad = {}     # id -> (tensor, original _grad)
        self.saved_keys = {}     # id -> (generator, original key)
        self.read = {}           # id -> outside storage owner whose value was read
        self.written = {}        # id -> outside storage owner written
        self.grad_guard = {}     # id -> (tensor, had_grad): a .grad looked at before the window wrote it
        self.grad_owner = {}     # id(gradient tensor) -> the outside tensor it is the .grad of
        self.generators = {}     # id -> generator drawn from
        self.modules = {}        # id -> module called (their ``training`` flags are guarded)
        self.host = []           # host actions seen, in order (hyper-parameter reads, scheduler steps)
        self.arg_ids = {}        # id -> position of a tensor argument
        self.unknown = False     # tracing: something outside was read that is not an input (retrace)
        self.unknown_what = ""
        self.breaks = []         # (location, reason) of values taken out of the graph and deferred
        self.host_plan = ()      # the host reads expected (from the previous window), with their input tracers
        self.host_cursor = 0
        self.inputs = {}         # slot ident -> input tracer
        self.swapped = set()     # ids of the tensors whose _data holds an input tracer
        self.concrete_of = {}    # id(input tracer) -> the value it stands for in this call
        self.materialized = set()        # ids of arrays that first-step optimizer state was made from, concretely
        self.materialized_tensors = []   # the state tensors made from them (outside the trace from then on)
        self.collective_world = None     # the process group whose collectives were traced (an SPMD program)
        self.attribute_guards = {}       # (id, name) -> (object, name, value first seen): Python flags
        self.attribute_writes = []       # (object, name, value): the flags the call changed (set by ``restore``)
        self.backward_needed = []        # (reason, location): armed state that the traced backward must use

    # ---- bookkeeping helpers ---------------------------------------------------------------------------------
    def _mine(self):
        return not self.paused and self.thread == threading.get_ident()

    def is_created(self, t):
        r = self.created.get(id(t))
        return r is not None and r() is t

    def _note_read(self, t):
        i = id(t)
        if i not in self.read:
            self.read[i] = t
            self._mark_unknown(f"a tensor of shape {list(t.__dict__['_data'].shape)} defined outside")

    def _mark_unknown(self, what):
        if not self.unknown:
            self.unknown, self.unknown_what = True, what

    # ---- Tensor._data ----------------------------------------------------------------------------------------
    def read_data(self, t, d):
        if isinstance(d, Tracer) or not self._mine():
            return d
        i = id(t)
        if i in self.saved_data or i in self.arg_ids or self.is_created(t):
            return d
        base = t._base
        if base is None:
            self._note_read(t)
            return d
        # a view made before the window: its value comes from its base (which is an input)
        shape, stride, offset = t._spec()
        return _gather(base._data.reshape(-1), shape, stride, offset)

    def write_data(self, t, new):
        d = t.__dict__
        if "_data" not in d:
            if self._mine():
                if id(new) in self.materialized:   # first-step optimizer state: it exists before the program
                    self.saved_data[id(t)] = (t, new)
                    self.materialized_tensors.append(t)
                    self._mark_unknown("optimizer state made on its first step")
                else:
                    self.created[id(t)] = weakref.ref(t)
            d["_data"] = new
            return
        if self._mine():
            i = id(t)
            if i not in self.arg_ids and not self.is_created(t):
                if i not in self.saved_data:
                    self.saved_data[i] = (t, d["_data"])
                if t._base is None:
                    self.written[i] = t
        d["_data"] = new

    # ---- Tensor._grad ----------------------------------------------------------------------------------------
    def read_grad(self, t, g):
        if self._mine() and not self.is_created(t):
            i = id(t)
            if i not in self.saved_grad and i not in self.grad_guard and i not in self.arg_ids:
                self.grad_guard[i] = (t, g is not None)
            if g is not None and not self.is_created(g):
                self.grad_owner.setdefault(id(g), t)
        return g

    def write_grad(self, t, g):
        d = t.__dict__
        if self._mine() and not self.is_created(t) and id(t) not in self.saved_grad:
            self.saved_grad[id(t)] = (t, d.get("_grad"))
        d["_grad"] = g

    # ---- Generator._key --------------------------------------------------------------------------------------
    def read_key(self, gen, k):
        if isinstance(k, Tracer) or not self._mine():
            return k
        i = id(gen)
        if i not in self.generators:
            self.generators[i] = gen
            if i not in self.saved_keys:
                self._mark_unknown("a random number generator")
        return k

    def write_key(self, gen, k):
        d = gen.__dict__
        if self._mine():
            self.generators[id(gen)] = gen
            self.saved_keys.setdefault(id(gen), (gen, d.get("_key")))
        d["_key"] = k

    # ---- modules and host actions ----------------------------------------------------------------------------
    def note_module(self, module):
        if self._mine():
            self.modules.setdefault(id(module), module)

    def hyper(self, optimizer, group, compute):
        """An optimizer step's hyper-parameters: the program inputs planned for them (read on the host each call)."""
        self.paused, was = True, self.paused
        try:
            values = compute()
            flags = optimizer._flags(group)
        finally:
            self.paused = was
        gi = next(i for i, g in enumerate(optimizer.param_groups) if g is group)
        keys = tuple(values)
        action = HyperRead(optimizer, gi, keys, flags, tuple(type(values[k]) for k in keys))
        plan = self.host_plan
        c = self.host_cursor
        if c < len(plan) and plan[c][0].same_as(action):
            self.host.append(action)
            self.host_cursor = c + 1
            return dict(zip(keys, plan[c][1]))
        self.host.append(action)
        self._mark_unknown("an optimizer's hyper-parameters")
        return values

    def scheduler_step(self, scheduler, fn, args, kwargs):
        """``scheduler.step()``: Python on floats, so a compiled call runs it on the host before its program (it is
        not run while tracing). A step given a tensor (``ReduceLROnPlateau.step(loss)``) needs the value: it runs
        where it is (a graph break)."""
        if not self._mine() or any(isinstance(a, Tensor) for a in (*args, *kwargs.values())):
            return fn(scheduler, *args, **kwargs)
        self.host.append(SchedulerStep(scheduler, fn, args, kwargs))
        return None

    def concretize(self, tree):
        """``tree`` with every input tracer replaced by the value it stands for; None if some tracer is computed."""
        leaves, treedef = jax.tree_util.tree_flatten(tree)
        out = []
        for x in leaves:
            if isinstance(x, Tracer):
                x = self.concrete_of.get(id(x))
                if x is None:
                    return None
            out.append(x)
        return jax.tree_util.tree_unflatten(treedef, out)

    # ---- tracing: swap the state in, read it back, put the originals back ------------------------------------
    def set_host_inputs(self, plan, tracers, values):
        self.host_plan = list(zip(plan, tracers))
        for ts, vs in zip(tracers, values):
            for t, v in zip(ts, vs):
                self.concrete_of[id(t)] = v

    def swap_in(self, slot, tracer):
        self.inputs[slot.ident] = tracer
        self.concrete_of[id(tracer)] = slot.get()
        if slot.kind == "tensor":
            t = slot.tensor
            self.saved_data.setdefault(id(t), (t, t.__dict__["_data"]))
            self.swapped.add(id(t))
            t.__dict__["_data"] = tracer
        elif slot.kind == "grad":
            g = slot.owner.__dict__["_grad"]
            self.saved_data.setdefault(id(g), (g, g.__dict__["_data"]))
            self.swapped.add(id(g))
            self.grad_owner[id(g)] = slot.owner
            g.__dict__["_data"] = tracer
        else:
            gen = slot.generator
            self.saved_keys.setdefault(id(gen), (gen, gen.__dict__["_key"]))
            self.generators[id(gen)] = gen
            gen.__dict__["_key"] = tracer

    def swap_in_arg(self, t, pos, tracer):
        self.arg_ids[id(t)] = pos
        self.inputs[("a", pos)] = tracer
        self.concrete_of[id(tracer)] = t.__dict__["_data"]
        self.saved_data.setdefault(id(t), (t, t.__dict__["_data"]))
        t.__dict__["_data"] = tracer

    def restore(self):
        for t, v in self.saved_data.values():
            t.__dict__["_data"] = v
        for t, g in self.saved_grad.values():
            t.__dict__["_grad"] = g
        for gen, k in self.saved_keys.values():
            gen.__dict__["_key"] = k
        self.attribute_writes = [(obj, name, getattr(obj, name)) for obj, name, start in self.attribute_guards.values()
                                 if getattr(obj, name) != start]
        for obj, name, start in self.attribute_guards.values():
            setattr(obj, name, start)

    # ---- results ---------------------------------------------------------------------------------------------
    def alive_created(self):
        """Tensors made in the window that are still alive (storage owners only)."""
        out = []
        for r in self.created.values():
            t = r()
            if t is not None and t.__dict__.get("_base") is None:
                out.append(t)
        return out

    def current_grads(self):
        """``{id(grad): owner}`` for the outside tensors whose ``.grad`` the window set."""
        out = {}
        for t, _ in self.saved_grad.values():
            g = t.__dict__.get("_grad")
            if g is not None:
                out[id(g)] = t
        return out

    def state_slots(self, exclude_ids=(), escaped=()):
        """The slots this window found: outside tensors read or written, gradients by owner, generators."""
        slots, seen = [], set()

        def add(slot):
            if slot.ident not in seen:
                seen.add(slot.ident)
                slots.append(slot)

        for i, t in list(self.read.items()) + list(self.written.items()):
            if i in exclude_ids:
                continue
            owner = self.grad_owner.get(i)
            if owner is not None and owner.__dict__.get("_grad") is t:
                add(GradSlot(owner))
            else:
                add(TensorSlot(t))
        for t in list(escaped) + self.materialized_tensors:
            add(TensorSlot(t))
        for gen in self.generators.values():
            add(KeySlot(gen))
        return slots


class HyperRead:
    """Host action: read an optimizer param group's hyper-parameters (``optimizer._hyper(group)``).

    A compiled call re-reads them only when the group's settings changed since the last call (a scheduler's lr;
    a setting held in a Tensor counts as changed every time), and keeps them as device scalars in between."""

    __slots__ = ("_checked", "_device", "_valued", "flags", "group_index", "keys", "layout", "optimizer", "types")

    def __init__(self, optimizer, group_index, keys, flags, types):
        self.optimizer, self.group_index, self.keys, self.flags, self.types = optimizer, group_index, keys, flags, types
        self.layout = self._layout()
        self._checked = self._valued = None     # the settings last found to keep the flags / give ``_device``
        self._device = None

    def _layout(self):
        """How many param groups the optimizer has and how many parameters this one holds (add_param_group …)."""
        groups = self.optimizer.param_groups
        return (len(groups), len(groups[self.group_index]["params"]) if self.group_index < len(groups) else -1)

    def _group(self):
        return self.optimizer.param_groups[self.group_index]

    def same_as(self, other):
        return (isinstance(other, HyperRead) and other.optimizer is self.optimizer
                and other.group_index == self.group_index and other.keys == self.keys and other.types == self.types)

    def values(self):
        d = self.optimizer._hyper(self._group())
        return [d[k] for k in self.keys]

    def device_values(self, sharding):
        """The values as device scalars on ``sharding`` (the same arrays while the settings do not change)."""
        settings = _settings(self._group())
        if settings == self._valued:
            return self._device
        old = self._device or [None] * len(self.keys)
        new = []
        for v, prev in zip(self.values(), old):
            same = prev is not None and prev[0] == v and type(prev[0]) is type(v)
            new.append(prev if same else (v, jax.device_put(jnp.asarray(v), sharding)))
        self._device, self._valued = new, _cacheable(settings)
        return new

    def flags_hold(self):
        if self._layout() != self.layout:
            return False
        settings = _settings(self._group())
        if settings == self._checked:
            return True
        if self.optimizer._flags(self._group()) != self.flags:
            return False
        self._checked = _cacheable(settings)
        return True


def _settings(group):
    """A param group's settings (everything but its parameters), to tell whether any changed."""
    return [v for k, v in group.items() if k != "params"]


def _cacheable(settings):
    """``settings``, or None when a value is a Tensor (it may change in place: never taken as unchanged)."""
    for v in settings:
        if isinstance(v, Tensor) or (isinstance(v, (tuple, list)) and any(isinstance(x, Tensor) for x in v)):
            return None
    return settings


class SchedulerStep:
    """Host action: ``scheduler.step(...)`` run before the compiled program (it only updates Python floats)."""

    __slots__ = ("args", "fn", "kwargs", "scheduler")

    def __init__(self, scheduler, fn, args, kwargs):
        self.scheduler, self.fn, self.args, self.kwargs = scheduler, fn, args, kwargs

    def run(self):
        self.fn(self.scheduler, *self.args, **self.kwargs)
