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


class Node:
    """torch's ``grad_fn`` object. ``name()`` gives torch's class name (``AddBackward0``)."""

    __slots__ = ("kernel", "saved", "edges", "out_avals", "tensor_hooks", "retained", "hooks", "pre_hooks",
                 "metadata", "__weakref__")

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
        return f"<{self.name().split('::')[-1]} object at {hex(id(self))}>"

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


def zeros_cotangent(aval):
    """The zero cotangent for an output: float0 for integer/bool outputs, as ``jax.vjp`` requires."""
    shape, dt = aval
    if np.issubdtype(dt, np.inexact) or dt == jax.numpy.bfloat16:
        return jax.numpy.zeros(shape, dt)
    return np.zeros(shape, dtype=jax.dtypes.float0)
