"""torch.autograd: ``backward``, ``grad``, ``Function`` and the grad modes."""
from __future__ import annotations

from .function import Function, FunctionCtx
from .graph import Node
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                        set_grad_enabled)
from . import graph, grad_mode, function


def _tensors(x):
    from .._tensor import Tensor
    if x is None:
        return []
    if isinstance(x, Tensor):
        return [x]
    return list(x)


_ONES = {}


def _one(like):
    """The implicit cotangent of a scalar root: ones like it, cached per shape/dtype/device (arrays are immutable)."""
    import jax
    import jax.numpy as jnp
    if isinstance(like, jax.core.Tracer):
        return jnp.ones(like.shape, like.dtype)
    key = (like.shape, like.dtype, like.sharding)
    a = _ONES.get(key)
    if a is None:
        a = _ONES[key] = jax.device_put(jnp.ones(like.shape, like.dtype), like.sharding)
    return a


def _root_grads(roots, grads, create_graph):
    from .._ops import creation
    from .._tensor import Tensor
    grads = _tensors(grads) if grads is not None else [None] * len(roots)
    if len(grads) != len(roots):
        raise RuntimeError(f"got {len(grads)} tensors and {len(roots)} gradients")
    out = []
    for i, (t, g) in enumerate(zip(roots, grads)):
        if not t._requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        if g is None:
            if t.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = Tensor._make(_one(t._data))
        elif not isinstance(g, Tensor):
            g = creation.tensor(g, dtype=t.dtype)
        if g.shape != t.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] has a "
                               f"shape of {t.shape}.")
        out.append(g if create_graph else g._value)
    return out


def _edge(t):
    t._value  # a stale view re-links first
    return (t._grad_fn, t._out_idx) if t._grad_fn is not None else (t, 0)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaves) into the leaves' ``.grad`` (or into ``inputs``' ``.grad`` when given)."""
    from .._tensor import Tensor
    roots = _tensors(tensors)
    root_cts = _root_grads(roots, grad_tensors, create_graph)
    retain_graph = create_graph if retain_graph is None else retain_graph
    root_edges = [_edge(t) for t in roots]
    if inputs is not None:
        targets = _tensors(inputs)
        if not targets:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    else:
        targets, seen = [], set()
        for t in [e[0] for e in root_edges if not isinstance(e[0], Node)] + _leaves_below(root_edges):
            if id(t) not in seen:
                seen.add(id(t))
                targets.append(t)
    caps = [_edge(t) for t in targets]
    from .engine import run_backward
    grads = run_backward(root_edges, root_cts, caps, retain_graph, create_graph)
    for t, g in zip(targets, grads):
        if g is None:
            continue
        g = g if isinstance(g, Tensor) else Tensor._make(g)
        for hook in t._hooks or ():
            r = hook(g)
            if r is not None:
                g = r
        if g._data.dtype != t._data.dtype:
            g = g.to(t.dtype)
        if t._grad is None:
            t._grad = g if create_graph else Tensor._make(g._value)
        else:
            t._grad = t._grad + g if create_graph else Tensor._make(t._grad._value + g._value)
        for hook in tuple(t._post_accumulate_hooks or ()):
            with no_grad():
                r = hook(t)
            if r is not None:
                raise TypeError(f"expected Variable, but hook returned '{type(r).__name__}'")


def _leaves_below(root_edges):
    from .engine import topo_order
    leaves = []
    for n in topo_order(root_edges):
        for e in n.edges:
            if e is not None and not isinstance(e[0], Node):
                leaves.append(e[0])
    return leaves


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs``, returned (``.grad`` fields are not touched)."""
    from .._ops import creation
    from .._tensor import Tensor
    ins = _tensors(inputs)
    roots = _tensors(outputs)
    root_cts = _root_grads(roots, grad_outputs, create_graph)
    retain_graph = create_graph if retain_graph is None else retain_graph
    allow_unused = materialize_grads if allow_unused is None else allow_unused
    for t in ins:
        if not t._requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    from .engine import run_backward
    grads = run_backward([_edge(t) for t in roots], root_cts, [_edge(t) for t in ins], retain_graph, create_graph)
    out = []
    for i, (t, g) in enumerate(zip(ins, grads)):
        if g is None:
            if materialize_grads:
                g = creation.zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the graph. "
                                   "Set allow_unused=True if this is the desired behavior.")
        elif not isinstance(g, Tensor):
            g = Tensor._make(g)
        out.append(g)
    return tuple(out)


__all__ = ["backward", "grad", "Function", "FunctionCtx", "no_grad", "enable_grad", "set_grad_enabled",
           "inference_mode", "is_grad_enabled"]
