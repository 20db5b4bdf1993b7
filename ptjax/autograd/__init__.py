"""torch.autograd: ``backward``, ``grad``, ``Function`` and the grad modes."""
from __future__ import annotations

from .._device import several_in_use
from .function import Function, FunctionCtx
from .graph import Node, edge
from .grad_mode import (enable_grad, enforce_grad_layout_policy, inference_mode, is_grad_enabled,
                        is_inference_mode_enabled, no_grad, set_grad_enabled, set_multithreading_enabled)
from .anomaly_mode import detect_anomaly, set_detect_anomaly
from . import graph, grad_mode, function
from .engine import reached_leaves, run_backward, topo_order


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
    return edge(t)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(tensors)/d(leaves) into the leaves' ``.grad`` (or into ``inputs``' ``.grad`` when given)."""
    from .._tensor import Tensor
    roots = _tensors(tensors)
    root_cts = _root_grads(roots, grad_tensors, create_graph)
    retain_graph = create_graph if retain_graph is None else retain_graph
    root_edges = [_edge(t) for t in roots]
    targets = None if inputs is None else _tensors(inputs)
    if targets == []:
        raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    order = topo_order(root_edges)  # the one walk of the graph: the leaves to fill and the backward come from it
    if targets is None:
        targets = reached_leaves(order, root_edges)
    grads = run_backward(order, root_edges, root_cts, [_edge(t) for t in targets], retain_graph, create_graph)
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
        if several_in_use() and g.device != t.device:  # a 0-dim CPU leaf used with CUDA tensors: its grad on the CPU
            g = g.to(t.device)
        if t._grad is None:
            t._grad = g if create_graph else Tensor._make(g._value)
        else:
            t._grad = t._grad + g if create_graph else Tensor._make(t._grad._value + g._value)
        for hook in tuple(t._post_accumulate_hooks or ()):
            with no_grad():
                r = hook(t)
            if r is not None:
                raise TypeError(f"expected Variable, but hook returned '{type(r).__name__}'")


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
    root_edges = [_edge(t) for t in roots]
    grads = run_backward(topo_order(root_edges), root_edges, root_cts, [_edge(t) for t in ins], retain_graph,
                         create_graph)
    out = []
    for i, (t, g) in enumerate(zip(ins, grads)):
        if g is None:
            if materialize_grads:
                g = creation.zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have been used in the "
                                   "graph. "
                                   "Set allow_unused=True if this is the desired behavior.")
        elif not isinstance(g, Tensor):
            g = Tensor._make(g)
        out.append(g)
    return tuple(out)


from . import variable  # noqa: E402
from .variable import Variable  # noqa: E402
from .gradcheck import gradcheck, gradgradcheck  # noqa: E402  (the functions shadow the module, as in torch)

_LAZY_MODULES = ("functional", "forward_ad", "profiler")   # they need Tensor, which imports this package


def __getattr__(name):
    if name in _LAZY_MODULES:
        import importlib
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Variable", "Function", "backward", "grad_mode", "detect_anomaly", "enable_grad", "grad", "gradcheck",
           "gradgradcheck", "inference_mode", "no_grad", "set_detect_anomaly", "set_grad_enabled",
           "set_multithreading_enabled", "enforce_grad_layout_policy", "variable", "FunctionCtx", "is_grad_enabled"]
