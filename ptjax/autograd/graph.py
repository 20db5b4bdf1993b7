"""The recorded graph: one :class:`Node` per op applied to tensors that require grad.

A node keeps the op's kernel (a pure JAX function), the input *arrays* it was applied to (immutable, so later
in-place writes cannot corrupt history) and, per input, an edge to where that input came from: ``(node, output
index)`` for a computed tensor, ``(leaf tensor, 0)`` for a leaf, ``None`` for a constant. Backward replays the
nodes through ``jax.vjp`` (see ``engine.py``).
"""
from __future__ import annotations

import weakref

import jax
import numpy as np

from .. import _dtype as D
from .._stats import STATS

FREED_MSG = ("Trying to backward through the graph a second time (or directly access saved tensors after they have "
             "already been freed). Saved intermediate values of the graph are freed when you call .backward() or "
             "autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or "
             "if you need to access saved tensors after calling backward.")


class PureKernel:
    """What a Node needs of a pure JAX kernel (an op with its static arguments bound, or a pullback of one):
    ``fn(*inputs)``, a cache ``key`` and torch's ``grad_name``; the pullbacks come from ``jax.vjp`` of ``fn``."""

    __slots__ = ()
    pure = True

    def pullback(self, saved, cts, needs):
        """Pure: the cotangents of the inputs marked in ``needs``, given ``cts``, one cotangent per output (a
        kernel returning one array, or a sequence of any length, e.g. ``split`` into one piece)."""
        diff = [s for s, n in zip(saved, needs) if n]

        def with_diff(*d):
            it = iter(d)
            out = self.fn(*[next(it) if n else s for s, n in zip(saved, needs)])
            return tuple(out) if isinstance(out, (tuple, list)) else (out,)

        return jax.vjp(with_diff, *diff)[1](tuple(cts))

    def vjp(self, saved, cts, needs):
        """``pullback`` compiled once per (needs, shapes): the per-node path of the engine."""
        f = self._vjps.get(needs)
        if f is None:
            def traced(saved, cts):
                STATS["node_vjp_compiles"] += 1
                return self.pullback(saved, cts, needs)
            f = self._vjps[needs] = jax.jit(traced)
        return f(saved, cts)


class Node:
    """torch's ``grad_fn`` object. As in torch, each kind of node is a class of its own, named as torch names it
    (``type(y.grad_fn).__name__ == "AddBackward0"``; an ``autograd.Function``'s is ``<Name>Backward`` in
    ``torch.autograd.function``): ``Node(kernel, ...)`` makes an instance of the subclass for ``kernel``."""

    __slots__ = ("kernel", "saved", "edges", "out_avals", "tensor_hooks", "retained", "hooks", "pre_hooks",
                 "metadata", "__weakref__")

    def __new__(cls, kernel, *args):
        if cls is Node:
            key = (kernel.grad_name, kernel.pure)
            cls = _NODE_CLASSES.get(key) or _node_class(*key)
        return object.__new__(cls)

    def __init__(self, kernel, saved, edges, out_avals):
        self.kernel = kernel        # Kernel (pure JAX) or a Python backward (autograd.Function)
        self.saved = saved          # tuple of input arrays; None once freed by backward
        self.edges = edges          # per input: (Node | leaf Tensor, index) or None
        self.out_avals = out_avals  # per output: (shape, numpy dtype)
        self.tensor_hooks = None    # {output index: [hook, ...]} from Tensor.register_hook on non-leaves
        self.retained = None        # {output index: weakref(Tensor)} from Tensor.retain_grad
        self.hooks = None           # grad_fn.register_hook(fn(grad_inputs, grad_outputs))
        self.pre_hooks = None
        self.metadata = {}

    def name(self) -> str:
        return self.kernel.grad_name

    def __repr__(self):
        cls = type(self)
        name = cls.__name__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__name__}"
        return f"<{name} object at {hex(id(self))}>"

    @property
    def next_functions(self):
        out = []
        for e in self.edges:
            if e is None:
                out.append((None, 0))
            elif isinstance(e[0], Node):
                out.append(e)
            else:
                out.append((AccumulateGrad(e[0]), 0))
        return tuple(out)

    def register_hook(self, fn):
        self.hooks = (self.hooks or []) + [fn]
        return _RemovableHandle(lambda: self.hooks.remove(fn))

    def register_prehook(self, fn):
        self.pre_hooks = (self.pre_hooks or []) + [fn]
        return _RemovableHandle(lambda: self.pre_hooks.remove(fn))

    def add_tensor_hook(self, idx, fn):
        if self.tensor_hooks is None:
            self.tensor_hooks = {}
        self.tensor_hooks.setdefault(idx, []).append(fn)
        return _RemovableHandle(lambda: self.tensor_hooks[idx].remove(fn))

    def retain(self, idx, tensor):
        if self.retained is None:
            self.retained = {}
        self.retained[idx] = weakref.ref(tensor)

    @property
    def needs_python(self) -> bool:
        """Whether backward through this node must run Python (hooks, autograd.Function)."""
        return bool(self.tensor_hooks or self.hooks or self.pre_hooks) or not self.kernel.pure


_NODE_CLASSES: dict = {}


def _node_class(grad_name, pure):
    """The Node subclass for nodes named ``grad_name`` (made once): built-in ops' classes live in ``builtins`` as
    torch's C++ nodes do, Python-defined backwards (``autograd.Function``) in ``torch.autograd.function``."""
    module = "builtins" if pure else "torch.autograd.function"
    cls = type(grad_name.split("::")[-1], (Node,), {"__slots__": (), "__module__": module})
    _NODE_CLASSES[(grad_name, pure)] = cls
    return cls


class AccumulateGrad:
    """The ``grad_fn``-like object of a leaf, as seen in ``next_functions``."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        self.variable = variable

    def name(self):
        return "torch::autograd::AccumulateGrad"

    next_functions = ()

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


class _RemovableHandle:
    __slots__ = ("_remove",)

    def __init__(self, remove):
        self._remove = remove

    def remove(self):
        try:
            self._remove()
        except ValueError:
            pass


def edge(t):
    """Where tensor ``t`` comes from: ``(its node, output index)``, or ``(t, 0)`` for a leaf."""
    return (t._grad_fn, t._out_idx) if t._grad_fn is not None else (t, 0)


def record(kernel, dyn, inputs, outs):
    """Add a Node for ``kernel`` applied to the arrays ``dyn`` (of ``inputs``, tensors or None) and make ``outs``
    (its outputs of floating or complex dtype) its results."""
    node = Node(kernel, tuple(dyn),
                tuple(edge(t) if t is not None and t._requires_grad else None for t in inputs),
                tuple((o._data.shape, o._data.dtype) for o in outs))
    for j, o in enumerate(outs):
        if D.NP_KIND[o._data.dtype] >= 2:
            o._grad_fn, o._out_idx, o._requires_grad = node, j, True
    return node


def zeros_cotangent(aval):
    """The zero cotangent for an output: float0 for integer/bool outputs, as ``jax.vjp`` requires."""
    shape, dt = aval
    if np.issubdtype(dt, np.inexact) or dt == jax.numpy.bfloat16:
        return jax.numpy.zeros(shape, dt)
    return np.zeros(shape, dtype=jax.dtypes.float0)


# torch.autograd.graph's public context managers live with this module's name
from .saved_tensors import disable_saved_tensors_hooks, save_on_cpu, saved_tensors_hooks  # noqa: E402,F401
