"""``torch.autograd.Function``: user-defined forward/backward in Python.

A Function's node runs Python in backward, so graphs containing one take the engine's per-node path.
"""
from __future__ import annotations

from .graph import FREED_MSG, Node, edge
from .grad_mode import _Mode, no_grad


class FunctionCtx:
    """The ``ctx`` passed to ``forward``/``backward``."""

    def __init__(self):
        self.saved_for_backward = ()
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._non_differentiable = set()
        self._node = None

    def save_for_backward(self, *tensors):
        self.saved_for_backward = tensors

    @property
    def saved_tensors(self):
        if self._node is not None and self._node.saved is None:
            raise RuntimeError(FREED_MSG)
        return self.saved_for_backward

    def mark_non_differentiable(self, *tensors):
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors):
        pass

    def set_materialize_grads(self, value: bool):
        self.materialize_grads = value


class _PyKernel:
    """Stands where a Kernel would in a Node; its backward calls the user's ``backward``."""

    pure = False

    def __init__(self, cls, ctx, n_args):
        self.cls, self.ctx, self.n_args = cls, ctx, n_args
        self.grad_name = cls.__name__ + "Backward"
        self.key = ("pyfunction", id(self))

    def _call_backward(self, node, grads):
        ctx = self.ctx
        out = self.cls.backward(ctx, *grads)
        if not isinstance(out, tuple):
            out = (out,)
        if len(out) != self.n_args:
            raise RuntimeError(f"function {self.grad_name} returned an incorrect number of gradients "
                               f"(expected {self.n_args}, got {len(out)})")
        return list(out)

    def backward_arrays(self, node, cts):
        from .._tensor import Tensor
        with no_grad():
            out = self._call_backward(node, [Tensor._make(c) for c in cts])
        return [o._value if o is not None and e is not None else None for o, e in zip(out, node.edges)]

    def backward_tensors(self, node, cts):
        out = self._call_backward(node, cts)
        return [o if e is not None else None for o, e in zip(out, node.edges)]


class Function:
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``; call with ``.apply``.

    The newer style (``forward(*args)`` plus ``setup_context(ctx, inputs, output)``) works too.
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    setup_context = None

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a._requires_grad for a in args)
        with no_grad():
            if cls.setup_context is not None and "setup_context" in _own_attrs(cls):
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        if not (_Mode.enabled and any(ctx.needs_input_grad)):
            return out
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        fresh = []
        for o in outs:
            if isinstance(o, Tensor) and any(o is a for a in args):
                o = Tensor._make(o._value)  # an input returned as-is: the output is a new autograd identity
            fresh.append(o)
        tensors = [o for o in fresh if isinstance(o, Tensor)]
        node = Node(_PyKernel(cls, ctx, len(args)), (),
                    tuple(edge(a) if isinstance(a, Tensor) and a._requires_grad else None for a in args),
                    tuple((t._data.shape, t._data.dtype) for t in tensors))
        ctx._node = node
        for j, t in enumerate(tensors):
            if id(t) not in ctx._non_differentiable and t.dtype.is_floating_point:
                t._grad_fn, t._out_idx, t._requires_grad = node, j, True
        return fresh[0] if single else tuple(fresh)


def _own_attrs(cls):
    names = set()
    for k in cls.__mro__:
        if k is Function:
            break
        names.update(vars(k))
    return names


class once_differentiable:
    def __new__(cls, fn):
        return fn
