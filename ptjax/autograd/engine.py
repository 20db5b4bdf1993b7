"""The backward engine: replays recorded nodes through ``jax.vjp``.

Two ways to run the same math (``Kernel.pullback`` of each node, in reverse topological order):

* **per node** — each node's pullback is a ``jax.jit`` compiled once per (op, static args, shapes) and shared by
  every graph that contains that op. Used the first time a graph shape is seen, and whenever Python must run
  mid-backward (tensor hooks on non-leaves, ``autograd.Function``) or the backward itself is recorded
  (``create_graph=True``).
* **fused** — once a graph *signature* (ops, static args, shapes, dtypes, wiring) is seen a second time, the whole
  backward becomes one ``jax.jit`` call, cached by that signature. A training loop then pays one XLA call per
  ``backward()``, and a graph that changes every step never triggers a compile of its own.

Graphs of more than ``FUSE_MAX_NODES`` nodes stay per node: XLA's compile time of the fused program grows faster
than linearly with its length (an unrolled LSTMCell loop, measured on CPU: 35 nodes 2.6 s, 67 nodes 9 s, 131
nodes 31 s; a 999-step sequence did not finish in 14 min), while the per-node path reuses one compiled pullback
per distinct node and ran that loop faster (67 nodes: 20 ms a backward against 47 ms fused).
"""
from __future__ import annotations

import jax
import jax.numpy as jnp

from .._stats import STATS
from .graph import FREED_MSG, Node, PureKernel, record, zeros_cotangent
from .grad_mode import _Mode, enable_grad, no_grad

FUSE_AFTER = 2          # a signature is fused on its second sighting
FUSE_MAX_NODES = 64     # longer graphs stay per node (see the module docstring)
_seen: dict = {}        # signature -> times seen
_fused: dict = {}       # signature -> jitted backward
_MAX_SEEN = 10_000


def topo_order(roots):
    """Nodes reachable from ``roots`` (edges), parents after children: the order backward visits them."""
    order, visited = [], set()
    stack = [(e[0], False) for e in roots if e is not None and isinstance(e[0], Node)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        if node.saved is None:
            raise RuntimeError(FREED_MSG)
        stack.append((node, True))
        for e in node.edges:
            if e is not None and isinstance(e[0], Node) and id(e[0]) not in visited:
                stack.append((e[0], False))
    order.reverse()
    return order


def reached_leaves(order, root_edges):
    """The leaf tensors a backward over ``order`` reaches (roots that are leaves first), each once, in order."""
    leaves, seen = [], set()
    for e in list(root_edges) + [e for n in order for e in n.edges]:
        if e is not None and not isinstance(e[0], Node) and id(e[0]) not in seen:
            seen.add(id(e[0]))
            leaves.append(e[0])
    return leaves


def _key(target):
    return (id(target[0]), target[1])


def _aval_of(v):
    return (v.shape, v.dtype) if hasattr(v, "shape") else type(v)


def signature(order, root_edges, captures):
    pos = {id(n): i for i, n in enumerate(order)}
    leaves = {}
    sig = []
    for n in order:
        wiring = []
        for e in n.edges:
            if e is None:
                wiring.append(None)
            elif isinstance(e[0], Node):
                wiring.append((pos[id(e[0])], e[1]))
            else:
                wiring.append(("leaf", leaves.setdefault(id(e[0]), len(leaves))))
        sig.append((n.kernel.key, tuple(_aval_of(s) for s in n.saved), tuple(wiring)))
    roots = tuple((pos[id(e[0])], e[1]) if isinstance(e[0], Node)
                  else ("leaf", leaves.setdefault(id(e[0]), len(leaves))) for e in root_edges)
    caps = tuple((pos.get(id(c[0])), c[1]) if isinstance(c[0], Node) else ("leaf", leaves.get(id(c[0])))
                 for c in captures)
    return (tuple(sig), roots, caps)


def _accumulate(ct, key, g):
    prev = ct.get(key)
    ct[key] = g if prev is None else prev + g


def _pullback_values(order, root_edges, root_cts, captures, node_vjp):
    """Shared traversal. Returns {capture key: cotangent} for leaves (``(leaf, 0)``) and captured outputs."""
    ct = {}
    for e, g in zip(root_edges, root_cts):
        _accumulate(ct, _key(e), g)
    cap_keys = {_key(c) for c in captures}
    captured = {}
    for node in order:
        nid = id(node)
        cts = []
        for j in range(len(node.out_avals)):
            k = (nid, j)
            g = ct.pop(k, None)
            if k in cap_keys and g is not None:
                captured[k] = g
            cts.append(g)
        if all(g is None for g in cts):
            continue
        grads = node_vjp(node, cts)
        for e, g in zip(node.edges, grads):
            if e is not None and g is not None:
                _accumulate(ct, _key(e), g)
    for k, g in ct.items():
        if k in cap_keys:
            captured[k] = g
    return captured


def _array_node_vjp(node, cts):
    """Per-node path: run a node's compiled pullback (or its Python backward) on arrays."""
    cts = [zeros_cotangent(a) if g is None else g for g, a in zip(cts, node.out_avals)] \
        if any(g is None for g in cts) else cts
    if node.tensor_hooks or node.retained:
        cts = _run_output_hooks(node, cts)
    needs = tuple(e is not None for e in node.edges)
    if not node.kernel.pure:
        return node.kernel.backward_arrays(node, cts)
    saved = [s for s in node.saved]
    grads = node.kernel.vjp(saved, tuple(cts), needs)
    it = iter(grads)
    return [next(it) if n else None for n in needs]


def _run_output_hooks(node, cts):
    from .._tensor import Tensor
    cts = list(cts)
    for j in range(len(cts)):
        for hook in (node.tensor_hooks or {}).get(j, ()):
            with no_grad():
                r = hook(Tensor._make(cts[j]))
            if r is not None:
                cts[j] = r._value
        ref = (node.retained or {}).get(j)
        t = ref() if ref is not None else None
        if t is not None:
            g = Tensor._make(cts[j])
            t._grad = g if t._grad is None else Tensor._make(t._grad._value + cts[j])
    return cts


def _fused_fn(order, root_edges, captures, leaf_list):
    """Build the one-call backward for this graph shape: a pure function of the saved arrays and root cotangents."""
    plan = []
    pos = {id(n): i for i, n in enumerate(order)}
    leaf_pos = {id(t): i for i, t in enumerate(leaf_list)}

    def key(e):
        return ("n", pos[id(e[0])], e[1]) if isinstance(e[0], Node) else ("l", leaf_pos[id(e[0])])

    for n in order:
        plan.append((n.kernel, tuple(e is not None for e in n.edges),
                     tuple(key(e) if e is not None else None for e in n.edges), n.out_avals))
    root_keys = tuple(key(e) for e in root_edges)
    cap_keys = tuple(key(c) if (isinstance(c[0], Node) and id(c[0]) in pos) or id(c[0]) in leaf_pos else None
                     for c in captures)

    def fused(saved, root_cts):
        STATS["fused_compiles"] += 1
        ct = {}
        for k, g in zip(root_keys, root_cts):
            _accumulate(ct, k, g)
        captured = {}
        for i, (kernel, needs, ekeys, out_avals) in enumerate(plan):
            cts = []
            for j, aval in enumerate(out_avals):
                g = ct.pop(("n", i, j), None)
                if ("n", i, j) in cap_keys and g is not None:
                    captured[("n", i, j)] = g
                cts.append(zeros_cotangent(aval) if g is None else g)
            grads = iter(kernel.pullback(saved[i], tuple(cts), needs))
            for n_, k in zip(needs, ekeys):
                if n_:
                    _accumulate(ct, k, next(grads))
        return tuple(ct.get(k, captured.get(k)) if k is not None else None for k in cap_keys)

    return jax.jit(fused)


def _conj_complex(g):
    """torch's gradient of a complex tensor is the conjugate of JAX's cotangent (torch: dL/d(conj z), JAX: dL/dz):
    complex cotangents are conjugated on the way into the pullbacks and on the way out; real ones pass as they are."""
    from .._tensor import Tensor
    if g is None or not jnp.iscomplexobj(g._value if isinstance(g, Tensor) else g):
        return g
    if isinstance(g, Tensor):  # create_graph: a recorded conjugation
        return g.conj_physical()
    return jnp.conj(g)


def run_backward(order, root_edges, root_cts, captures, retain_graph, create_graph):
    """Cotangents for each of ``captures`` (edges: ``(node, j)`` or ``(leaf, 0)``); None where unreached.

    ``order`` is ``topo_order(root_edges)`` (the caller walks the graph once and may read the leaves from it).
    """
    result = _run_backward(order, root_edges, [_conj_complex(c) for c in root_cts], captures, retain_graph,
                           create_graph)
    return [_conj_complex(r) for r in result]


def _run_backward(order, root_edges, root_cts, captures, retain_graph, create_graph):
    per_node = len(order) > FUSE_MAX_NODES or any(n.needs_python for n in order)
    if create_graph:
        result = _create_graph_backward(order, root_edges, root_cts, captures)
    else:
        sig = None if per_node else signature(order, root_edges, captures)
        if sig is not None:
            seen = _seen.get(sig, 0) + 1
            if len(_seen) < _MAX_SEEN or sig in _seen:
                _seen[sig] = seen
        if sig is not None and seen >= FUSE_AFTER:
            fn = _fused.get(sig)
            if fn is None:
                leaf_list = reached_leaves(order, list(root_edges) + list(captures))
                fn = _fused[sig] = _fused_fn(order, root_edges, captures, leaf_list)
            result = list(fn(tuple(n.saved for n in order), tuple(root_cts)))
        else:
            captured = _pullback_values(order, root_edges, root_cts, captures, _array_node_vjp)
            result = [captured.get(_key(c)) for c in captures]
    if not retain_graph:
        for n in order:
            n.saved = None
    return result


def _create_graph_backward(order, root_edges, root_cts, captures):
    """Per-node backward where every pullback is itself a recorded op, so the gradients are differentiable."""
    from .._tensor import Tensor

    def as_input(node, i):
        arr, e = node.saved[i], node.edges[i]
        if e is None or not hasattr(arr, "shape"):
            return None, arr
        if not isinstance(e[0], Node) and e[0]._value is arr:
            return e[0], arr
        t = Tensor._make(arr)
        if isinstance(e[0], Node):
            t._grad_fn, t._out_idx = e
        else:
            t = e[0]
        t._requires_grad = True
        return t, arr

    def node_vjp(node, cts):
        cts = [Tensor._make(zeros_cotangent(a)) if g is None else g for g, a in zip(cts, node.out_avals)]
        if node.tensor_hooks or node.retained:
            arrs = _run_output_hooks(node, [c._value for c in cts])
            cts = [Tensor._make(a) if a is not c._value else c for a, c in zip(arrs, cts)]
        needs = tuple(e is not None for e in node.edges)
        if not node.kernel.pure:
            return node.kernel.backward_tensors(node, cts)
        ins = [as_input(node, i) for i in range(len(node.saved))]
        k = _VjpKernel.of(node.kernel, needs, len(node.out_avals))
        dyn = [a for _, a in ins] + [c._value for c in cts]
        inputs = [t for t, _ in ins] + list(cts)
        out = k.call(*dyn)
        outs = [Tensor._make(o) for o in (out if isinstance(out, tuple) else (out,))]
        if _Mode.enabled and any(t is not None and t._requires_grad for t in inputs):
            record(k, dyn, inputs, outs)
        it = iter(outs)
        return [next(it) if n else None for n in needs]

    with enable_grad():
        roots = [g if isinstance(g, Tensor) else Tensor._make(g) for g in root_cts]
        captured = _pullback_values(order, root_edges, roots, captures, node_vjp)
    return [captured.get(_key(c)) for c in captures]


class _VjpKernel(PureKernel):
    """The pullback of a kernel as a kernel of its own (inputs..., cotangents...) -> input grads: what
    ``create_graph=True`` records, so second derivatives are ``jax.vjp`` of ``jax.vjp``."""

    _cache: dict = {}

    def __init__(self, kernel, needs, n_out):
        self.key = ("vjp", kernel.key, needs, n_out)
        self.grad_name = kernel.grad_name.replace("Backward0", "BackwardBackward0")
        n_in = len(needs)

        def fn(*dyn):
            saved, cts = list(dyn[:n_in]), dyn[n_in:]
            grads = tuple(kernel.pullback(saved, tuple(cts), needs))
            return grads if len(grads) > 1 else grads[0]

        self.fn = fn
        self.call = jax.jit(fn)
        self._vjps = {}

    @classmethod
    def of(cls, kernel, needs, n_out):
        key = (kernel.key, needs, n_out)
        k = cls._cache.get(key)
        if k is None:
            k = cls._cache[key] = cls(kernel, needs, n_out)
        return k
