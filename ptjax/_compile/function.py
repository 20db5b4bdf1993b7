"""A compiled function: its cache of programs, the guards that pick one, recompiles and graph breaks.

Call path
    The arguments are flattened (tuples, lists, dicts); tensors are dynamic inputs, every other leaf is part of
    the cache key by value (or by identity for objects). The key also holds the grad mode and the default dtype.
    Each key has a list of programs; a program is used when its guards hold: the ``training`` flags of the
    modules that ran, ``requires_grad`` of the captured tensors, whether the ``.grad`` fields it looked at were
    set, and the static flags of the optimizer groups it stepped.

Finding the state
    A trace starts from a guess of the state (nothing for a function; a module's parameters, buffers and the
    generator for a compiled module; the last trace's for later ones). Whatever else the call reads is compiled in
    as a constant and noted, and the trace is redone with it as an input: a function's first compile traces twice.
    The first ``optimizer.step()`` makes its state outside the trace (``patches._init_wrapper``), so the program
    compiled is the steady one. A call that keeps new tensors in Python state (a cache filled on first use) runs
    its own program once and the next call traces again.

Limits (``torch._dynamo.config.recompile_limit``, 8)
    Past it, inputs that match none of the programs run eagerly; one warning says what changed and how to avoid
    it.
"""
from __future__ import annotations

import functools
import inspect
import warnings

import jax

from .. import _dtype as D
from .._tensor import Tensor
from ..autograd.grad_mode import _Mode
from . import config, patches
from .breaks import GraphBreak, as_break, report
from .capture import KeySlot, TensorSlot
from .location import code_location
from .program import StaleProgram, trace

COUNTERS = {"compiles": 0, "recompiles": 0, "graph_breaks": 0, "eager_calls": 0, "compiled_calls": 0}
_MAX_TRACES = 4
_SCALARS = (bool, int, float, complex, str, type(None))


class Entry:
    """A program plus what it was traced for (for the guards and the recompile messages)."""

    def __init__(self, program, key, arg_objects):
        self.program = program
        self.key = key
        self.arg_objects = arg_objects      # objects in the key by identity, kept alive
        p = program
        self.training = list(zip(p.modules, p.training))
        self.requires_grad = list(zip(p.tensor_slots, p.requires_grad))
        self.grad_presence = list(p.grad_guards) + [(s.owner, True) for s in p.donated + p.kept if s.kind == "grad"]

    def failed_guard(self):
        """None when every guard holds, else a description ``(what, from, to)`` of the first that does not."""
        for m, flag in self.training:
            if m.training is not flag:
                return (f"module {type(m).__name__} .training", flag, m.training)
        for t, rg in self.requires_grad:
            if t._requires_grad is not rg:
                return ("requires_grad of a captured tensor", rg, t._requires_grad)
        for t, had in self.grad_presence:
            if (t._grad is not None) is not had:
                return (".grad of a captured tensor", "set" if had else "None", "None" if had else "set")
        for a in self.program.hyper_reads:
            if not a.flags_hold():
                return (f"{type(a.optimizer).__name__}'s param groups (their number, parameters or flags)",
                        "as traced", "changed")
        for obj, name, value in self.program.attribute_guards:
            now = getattr(obj, name)
            if now != value:
                return (f"{type(obj).__name__}.{name}", value, now)
        return None


class CompiledFunction:
    """``torch.compile(fn)``: call it like ``fn``."""

    def __init__(self, fn, *, fullgraph=False, dynamic=None, seed_state=None):
        self.fn = fn
        self.fullgraph = fullgraph
        self.dynamic = dynamic
        self._seed = (list(seed_state or ()), [])   # the state to trace with first; traces correct it
        self._cache = {}
        self._eager_keys = {}
        self._last = None
        self._warned_limit = False
        self.compiles = 0
        self.last_reason = None
        functools.update_wrapper(self, fn, updated=())
        self._name = code_location(fn)

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    # ---- the call path -------------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if patches.active is not None or config.disable:
            return self.fn(*args, **kwargs)
        key, tensors, objects = _key_of(args, kwargs)
        entries = self._cache.get(key)
        if entries:
            for e in entries:
                if e.failed_guard() is None:
                    return self._run(e, tensors, args, kwargs)
        if key in self._eager_keys:
            COUNTERS["eager_calls"] += 1
            return self.fn(*args, **kwargs)
        return self._compile(key, entries, args, kwargs, tensors, objects)

    def _run(self, entry, tensors, args, kwargs):
        try:
            out = entry.program.run(tensors)
        except StaleProgram:   # a captured tensor changed shape (``.data = ...``): trace again
            self._forget(entry)
            return self(*args, **kwargs)
        COUNTERS["compiled_calls"] += 1
        return out

    def _forget(self, entry):
        entries = self._cache.get(entry.key, [])
        if entry in entries:
            entries.remove(entry)

    def _compile(self, key, entries, args, kwargs, tensors, objects):
        reason = self._reason(key, entries, args, kwargs)
        if self.compiles >= config.recompile_limit:
            self._warn_limit(reason)
            COUNTERS["eager_calls"] += 1
            return self.fn(*args, **kwargs)
        slots, host_plan = self._seed
        slots = [s for s in slots if s.kind != "grad" or s.owner.__dict__.get("_grad") is not None]
        for _ in range(_MAX_TRACES):
            try:
                program = trace(self.fn, args, kwargs, tensors, slots, host_plan)
            except Exception as err:  # graph breaks are recognized, anything else propagates
                brk = as_break(err)
                if brk is None:
                    raise
                return self._broke(key, brk, args, kwargs)
            slots, host_plan = program.discovered, program.discovered_host
            if not program.needs_retrace or program.one_shot:
                break   # a one-shot program (it made state kept in Python) serves this call; the next one retraces
        else:
            warnings.warn(f"ptjax.compile: the state read by {self._name} kept changing while tracing "
                          f"({program.unknown_what}); it runs eagerly", UserWarning, stacklevel=3)
            self._eager_keys[key] = "state"
            return self.fn(*args, **kwargs)
        self._seed = (slots, host_plan)
        brk = _unsupported(program, tensors)
        if brk is not None:
            return self._broke(key, brk, args, kwargs)
        for loc, what in program.breaks:
            report(GraphBreak(what, loc), self._name, self.fullgraph, runs_eagerly=False, stacklevel=4)
            COUNTERS["graph_breaks"] += 1
        _make_differentiable(program, tensors)
        if self.compiles:
            COUNTERS["recompiles"] += 1
            self.last_reason = reason
        self.compiles += 1
        COUNTERS["compiles"] += 1
        entry = Entry(program, key, objects)
        if not (program.one_shot or program.needs_retrace):
            self._cache.setdefault(key, []).append(entry)
            self._last = entry
        return self._run(entry, tensors, args, kwargs)

    def _broke(self, key, brk, args, kwargs):
        report(brk, self._name, self.fullgraph)
        COUNTERS["graph_breaks"] += 1
        self._eager_keys[key] = brk
        COUNTERS["eager_calls"] += 1
        return self.fn(*args, **kwargs)

    # ---- messages --------------------------------------------------------------------------------------------
    def _reason(self, key, entries, args, kwargs):
        """What differs from the last program: ``(what, from, to)`` or None for the first one."""
        last = self._last
        if last is None:
            return None
        if entries:
            for e in entries:
                g = e.failed_guard()
                if g is not None:
                    return g
        return _key_difference(last.key, key, args, kwargs, self.fn)

    def _warn_limit(self, reason):
        if self._warned_limit:
            return
        self._warned_limit = True
        what, old, new = reason or ("the inputs", "?", "?")
        limit = config.recompile_limit
        msg = (f"ptjax.compile hit config.recompile_limit ({limit})\n"
               f"   function: {self._name}\n"
               f"   last reason: {what} changed from {old} to {new}\n"
               f"Calls that match none of the {limit} compiled versions now run eagerly (not compiled). "
               + _advice(what, old, new))
        warnings.warn(msg, UserWarning, stacklevel=4)


def _differentiable(program, tensors):
    """(input positions, outputs) of a program whose outputs require grad and whose backward runs later (a
    compiled forward), or None."""
    plan = program.plan
    if not _Mode.enabled or plan["touched_grads"]:
        return None
    outs = [s[1] for s in plan["out_spec"] if s[0] == "new" and s[2]]
    if not outs:
        return None
    n = program.n_args
    positions = [i for i, t in enumerate(tensors) if t._requires_grad]
    used = {id(s) for s in program.donated + program.kept}
    positions += [n + i for i, s in enumerate(program.slots)
                  if s.kind == "tensor" and s.tensor._requires_grad and id(s) in used]
    return (positions, outs) if positions else None


def _make_differentiable(program, tensors):
    """Let outputs that require grad (no backward inside) join the autograd graph through the compiled vjp."""
    diff = _differentiable(program, tensors)
    if diff is not None:
        program.make_differentiable(*diff)


def _unsupported(program, tensors):
    """A :class:`GraphBreak` for a traced call that one program cannot serve, else None."""
    if program.backward_needed and not program.plan["touched_grads"]:
        reason, location = program.backward_needed[0]
        return GraphBreak(reason, location)
    if program.world is not None and _differentiable(program, tensors) is not None:
        return GraphBreak("ptjax.distributed collectives in a compiled function whose outputs are differentiated "
                          "after it returns (compile the whole training step)", "<compiled function>")
    return None


def module_state(module):
    """The first guess of a module's state: its parameters and buffers (storage owners) and the generator."""
    from .._ops.random import default_generator
    slots, seen = [], set()
    for t in list(module.parameters()) + list(module.buffers()):
        root = t._base if t._base is not None else t
        if id(root) not in seen:
            seen.add(id(root))
            slots.append(TensorSlot(root))
    slots.append(KeySlot(default_generator))
    return slots


# ---- cache keys ----------------------------------------------------------------------------------------------

def _key_of(args, kwargs):
    """The cache key of a call (see the module docstring), its tensor arguments and the objects in the key."""
    if not kwargs:   # the common call, positional tensors only: no pytree walk
        parts = []
        for x in args:
            if type(x) is not Tensor:
                break
            d = x._data
            parts.append((d.shape, d.dtype, x._requires_grad))
        else:
            return ((_positional(len(args)), tuple(parts), _Mode.enabled, D.get_default_dtype()), list(args), [])
    leaves, treedef = jax.tree_util.tree_flatten((args, kwargs))
    parts, tensors, objects = [], [], []
    for x in leaves:
        if isinstance(x, Tensor):
            d = x._data
            parts.append((d.shape, d.dtype, x._requires_grad))
            tensors.append(x)
        elif type(x) in _SCALARS:
            parts.append((type(x), x))
        else:
            parts.append(("object", id(x)))
            objects.append(x)
    return (treedef, tuple(parts), _Mode.enabled, D.get_default_dtype()), tensors, objects


@functools.cache
def _positional(n):
    """The tree structure of ``(args, {})`` for ``n`` positional leaves (what ``tree_flatten`` gives)."""
    return jax.tree_util.tree_structure(((0,) * n, {}))


def _leaf_names(args, kwargs, fn):
    """A readable name per argument leaf: ``'x'``, ``'batch'[1]`` ..."""
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        params = []
    names = []
    for path, _ in jax.tree_util.tree_flatten_with_path((args, kwargs))[0]:
        first, rest = path[0].idx, path[1:]
        if first == 0:
            i = rest[0].idx
            base = f"'{params[i]}'" if i < len(params) else f"argument {i}"
        else:
            base = f"'{rest[0].key}'"
        names.append(base + "".join(str(p) for p in rest[1:]))
    return names


def _key_difference(old, new, args, kwargs, fn):
    if old[2] != new[2]:
        return ("grad mode (torch.is_grad_enabled())", old[2], new[2])
    if old[3] is not new[3]:
        return ("the default dtype", old[3], new[3])
    if old[0] != new[0] or len(old[1]) != len(new[1]):
        return ("the structure of the arguments", old[0], new[0])
    names = _leaf_names(args, kwargs, fn)
    for name, a, b in zip(names, old[1], new[1]):
        if a == b:
            continue
        if isinstance(a[0], tuple) and isinstance(b[0], tuple):
            if a[0] != b[0]:
                return (f"the size of tensor {name}", list(a[0]), list(b[0]))
            if a[1] != b[1]:
                return (f"the dtype of tensor {name}", D._NP_TO_DTYPE[a[1]], D._NP_TO_DTYPE[b[1]])
            return (f"requires_grad of tensor {name}", a[2], b[2])
        if a[0] == "object":
            return (f"the object passed as {name}", "one object", "another")
        return (f"{name}", a[1] if len(a) > 1 else a, b[1] if len(b) > 1 else b)
    return ("the arguments", "?", "?")


def _advice(what, old, new):
    if what.startswith("the size of tensor") and isinstance(old, list) and isinstance(new, list) \
            and len(old) == len(new) and old[1:] == new[1:]:
        return ("The batch dimension changed: for a short last batch pass drop_last=True to the DataLoader (or "
                "pad the batch); batch sizes that vary on purpose compile once each in ptjax (XLA needs static "
                "shapes), so raise ptjax._dynamo.config.recompile_limit.")
    if what.startswith("the size of tensor"):
        return ("Each input shape compiles once (XLA needs static shapes): pad inputs to a few fixed sizes, or "
                "raise ptjax._dynamo.config.recompile_limit.")
    if "training" in what:
        return "Compile the train and eval steps as two functions, each with a fixed mode."
    if what.startswith(("'", "argument")):
        return ("Python numbers and other non-tensor arguments are compiled in as constants: pass values that "
                "change every call as tensors.")
    return "Keep it fixed between calls, or raise ptjax._dynamo.config.recompile_limit."
