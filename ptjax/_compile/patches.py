"""What an open capture window changes on ptjax's classes, and how it puts them back.

While :func:`window` is open:

* ``Tensor._data``, ``Tensor._grad`` and ``Generator._key`` are data descriptors that report to the
  :class:`~ptjax._compile.capture.Capture` (instances keep their values in ``__dict__`` as always, so removing
  the descriptors afterwards restores plain attribute speed);
* ``Optimizer._hyper`` (each class's own) hands out the hyper-parameters as program inputs, and
  ``LRScheduler.step`` becomes a host action (see ``Capture.hyper`` / ``Capture.scheduler_step``);
* a global forward pre-hook notes the modules that run (their ``training`` flags become guards);
* ``Tensor.item()`` of a traced value returns a :class:`DeferredScalar`, and an optimizer's
  first-step state is made concretely (``_init_wrapper``).

Optimizer and scheduler classes are patched only when their modules are imported (nothing else can use them).
"""
from __future__ import annotations

import sys

import jax

from .._ops.random import Generator
from .._tensor import Tensor
from . import initial_state
from .capture import Tracer
from .location import user_location
from .scalars import DeferredScalar

active = None   # the open Capture, or None


def _data_descriptor(cap):
    def get(t):
        try:
            d = t.__dict__["_data"]
        except KeyError:
            raise AttributeError("_data") from None
        return cap.read_data(t, d)

    def set_(t, v):
        cap.write_data(t, v)

    return property(get, set_)


def _grad_descriptor(cap):
    def get(t):
        return cap.read_grad(t, t.__dict__.get("_grad"))

    def set_(t, g):
        cap.write_grad(t, g)

    return property(get, set_)


def _key_descriptor(cap):
    def get(gen):
        return cap.read_key(gen, gen.__dict__["_key"])

    def set_(gen, k):
        cap.write_key(gen, k)

    return property(get, set_)


def _item(cap, original):
    def item(self):
        v = self._value
        if isinstance(v, Tracer):
            if self.numel() != 1:
                raise RuntimeError(f"a Tensor with {self.numel()} elements cannot be converted to Scalar")
            return DeferredScalar.make(cap, v, self.dtype)
        return original(self)
    return item


def _init_wrapper(cap, original):
    """``optimizer._jitted_init``: first-step state is computed concretely (it only needs the parameters' shapes
    and the hyper-parameters), so the state tensors exist outside the trace (:mod:`.initial_state`)."""
    def _jitted_init(cls, flags):
        fn = original(cls, flags)

        def init(*args):
            concrete = cap.concretize(args)
            if concrete is None:
                return fn(*args)
            out = initial_state.make(fn, concrete)
            cap.materialized.update(id(a) for a in jax.tree_util.tree_leaves(out))
            return out
        return init
    return _jitted_init


def _classes_defining(root, name):
    """``root`` and its subclasses that define ``name`` themselves."""
    out, stack = [], [root]
    while stack:
        c = stack.pop()
        if name in c.__dict__:
            out.append(c)
        stack.extend(c.__subclasses__())
    return out


def _hyper_wrapper(cap, original):
    def _hyper(self, group):
        return cap.hyper(self, group, lambda: original(self, group))
    return _hyper


def _step_wrapper(cap, original):
    def step(self, *args, **kwargs):
        return cap.scheduler_step(self, original, args, kwargs)
    step.__wrapped__ = original
    return step


class window:
    """``with window(capture):`` — install the descriptors and hooks for ``capture``; restore on exit."""

    def __init__(self, cap):
        self.cap = cap
        self.saved = []   # (class or module, name, had_own_attribute, value)
        self.hook = None

    def _patch(self, cls, name, value):
        own = name in cls.__dict__
        self.saved.append((cls, name, own, cls.__dict__.get(name)))
        setattr(cls, name, value)

    def _patch_module(self, module, name, value):
        self.saved.append((module, name, True, getattr(module, name)))
        setattr(module, name, value)

    def __enter__(self):
        global active
        if active is not None:
            raise RuntimeError("ptjax.compile: a capture window is already open")
        cap = self.cap
        active = cap
        try:
            self._install(cap)
        except BaseException:
            self.__exit__()
            raise
        return cap

    def _install(self, cap):
        self._patch(Tensor, "_data", _data_descriptor(cap))
        self._patch(Tensor, "_grad", _grad_descriptor(cap))
        self._patch(Generator, "_key", _key_descriptor(cap))
        self._patch(Tensor, "item", _item(cap, Tensor.item))
        opt_mod = sys.modules.get("ptjax.optim.optimizer")
        if opt_mod is not None:
            self._patch_module(opt_mod, "_jitted_init", _init_wrapper(cap, opt_mod._jitted_init))
        if opt_mod is not None:
            for cls in _classes_defining(opt_mod.Optimizer, "_hyper"):
                self._patch(cls, "_hyper", _hyper_wrapper(cap, cls.__dict__["_hyper"]))
        sched_mod = sys.modules.get("ptjax.optim.lr_scheduler")
        if sched_mod is not None:
            for cls in _classes_defining(sched_mod.LRScheduler, "step"):
                self._patch(cls, "step", _step_wrapper(cap, cls.__dict__["step"]))
        mod_mod = sys.modules.get("ptjax.nn.modules.module")
        if mod_mod is not None:
            self.hook = mod_mod.register_module_forward_pre_hook(lambda m, args: cap.note_module(m))

    def __exit__(self, *exc):
        global active
        if self.hook is not None:
            self.hook.remove()
        for cls, name, own, value in reversed(self.saved):
            if own:
                setattr(cls, name, value)
            else:
                delattr(cls, name)
        active = None
        return False


def is_compiling():
    """True while ptjax.compile traces a function (``torch.compiler.is_compiling``)."""
    return active is not None


# ---- what other parts of ptjax tell a trace in progress ------------------------------------------------------------

def note_collective(world):
    """A ``ptjax.distributed`` collective is being traced. True when ptjax.compile is tracing it: the program will
    then run as one SPMD program over ``world``'s mesh. False when something else traces it."""
    cap = active
    if cap is None or not cap._mine():
        return False
    cap.collective_world = world
    return True


def guard_attribute(obj, name):
    """The traced program depends on, and may set, the Python value ``obj.<name>``; call this before the traced
    code first reads or changes it (a ``with ddp.no_sync():`` inside the function included). The program is reused
    only for calls that start with the value seen then; like the tensors a trace writes, the attribute is restored
    after tracing and each compiled call sets it to the value the traced call left (as running the Python would)."""
    cap = active
    if cap is not None and cap._mine():
        cap.attribute_guards.setdefault((id(obj), name), (obj, name, getattr(obj, name)))


def unsupported(reason):
    """Code that cannot be compiled calls this first: while ptjax.compile traces, it is a graph break (the call
    runs eagerly), raised before the code changes any Python state."""
    if active is not None and active._mine():
        from .breaks import GraphBreak
        raise GraphBreak(reason, user_location())


def backward_inside(reason):
    """Python state armed here is used by a backward pass (DDP's reducer): the compiled function must run that
    backward itself. If it does not, the call is a graph break (it runs eagerly) because ``reason``."""
    cap = active
    if cap is not None and cap._mine():
        cap.backward_needed.append((reason, user_location()))
