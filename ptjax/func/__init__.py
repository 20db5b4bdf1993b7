"""``torch.func`` on JAX's transforms: ``grad``, ``vjp``, ``jvp``, ``jacrev``, ``jacfwd``, ``hessian``, ``vmap``,
``functional_call``, ``stack_module_state``.

Each transform wraps the function in a pure one over arrays: tensor arguments become JAX values (tracers under
the transform) wrapped as fresh ptjax tensors, the function runs on them (ptjax ops are JAX calls), and tensor
results are unwrapped. Non-tensor arguments pass through unchanged. Autograd recording is off inside (the
transform differentiates), so calling ``.backward()`` inside is not supported, as in torch.func.

Differences from torch: ``chunk_size`` is accepted and ignored (XLA batches the whole map); with
``randomness="different"`` each vmapped sample draws from its own key split off ptjax's generator, so the numbers
differ from torch's (ptjax's generator never matches torch's).
"""
from __future__ import annotations

import contextlib

import jax

from .._ops import random as _random
from .._tensor import Tensor
from ..autograd.grad_mode import no_grad
from ._functional_call import functional_call, stack_module_state

__all__ = [
    "functional_call",
    "grad",
    "grad_and_value",
    "hessian",
    "jacfwd",
    "jacrev",
    "jvp",
    "stack_module_state",
    "vjp",
    "vmap",
]


# ---- tensors <-> arrays ----------------------------------------------------------------------------------------

def _is_tensor(x):
    return isinstance(x, Tensor)


class _Ordered(dict):
    """A dict whose pytree leaves keep their insertion order: JAX flattens a plain dict by sorted keys, while
    torch.func returns the gradients of ``{"fc1.weight": …, "fc1.bias": …}`` in the order they were given."""


jax.tree_util.register_pytree_node(_Ordered, lambda d: (list(d.values()), list(d.keys())),
                                   lambda keys, values: _Ordered(zip(keys, values)))


def _convert_dicts(tree, to):
    """``tree`` with its plain dicts made ``_Ordered`` (``to=_Ordered``) or its ``_Ordered`` made plain dicts
    (``to=dict``), recursively through dicts, lists and tuples; other mappings (OrderedDict) as they are."""
    if type(tree) is (dict if to is _Ordered else _Ordered):
        return to((k, _convert_dicts(v, to)) for k, v in tree.items())
    if isinstance(tree, dict):
        return type(tree)((k, _convert_dicts(v, to)) for k, v in tree.items())
    if isinstance(tree, (list, tuple)):
        items = [_convert_dicts(v, to) for v in tree]
        return type(tree)(*items) if hasattr(tree, "_fields") else type(tree)(items)
    return tree


def _split(args):
    """Per argument: a pytree of arrays (tensors) with ``None`` where other values are, and those values."""
    dyn, static = [], []
    for a in _convert_dicts(args, _Ordered):
        leaves, treedef = jax.tree_util.tree_flatten(a, is_leaf=_is_tensor)
        dyn.append(jax.tree_util.tree_unflatten(treedef, [x._value if _is_tensor(x) else None for x in leaves]))
        static.append((treedef, [None if _is_tensor(x) else x for x in leaves], [_is_tensor(x) for x in leaves]))
    return dyn, static


def _merge(dyn, static):
    out = []
    for d, (treedef, values, mask) in zip(dyn, static):
        arrays = iter(jax.tree_util.tree_leaves(d))
        out.append(jax.tree_util.tree_unflatten(treedef, [Tensor._make(next(arrays)) if m else v
                                                          for v, m in zip(values, mask)]))
    return out


def _arrays(tree):
    return jax.tree_util.tree_map(lambda x: x._value if _is_tensor(x) else x, _convert_dicts(tree, _Ordered),
                                  is_leaf=_is_tensor)


def _tensors(tree):
    return _convert_dicts(jax.tree_util.tree_map(lambda x: Tensor._make(x) if isinstance(x, jax.Array) else x, tree),
                          dict)


def _output_and_aux(out, has_aux):
    if not has_aux:
        return out, None
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError("grad_and_value(f)(*args): output of function f should be a tuple: (output, aux) if "
                           "has_aux is True")
    return out


def _pure(func, static, has_aux=False):
    """``func`` over the dynamic parts of its arguments, returning arrays (``(output, aux)`` with ``has_aux``)."""
    def f(*dyn):
        with no_grad():
            out, aux = _output_and_aux(func(*_merge(dyn, static)), has_aux)
        return (_arrays(out), _arrays(aux)) if has_aux else _arrays(out)
    return f


def _check_scalar(out):
    if not isinstance(out, Tensor):
        raise RuntimeError(  # noqa: TRY004 - torch's type
            f"grad_and_value(f)(*args): Expected f(*args) to return a Tensor, got {type(out)}")
    if out.numel() != 1:
        raise RuntimeError(f"grad_and_value(f)(*args): Expected f(*args) to return a scalar Tensor, got tensor with "
                           f"{out.dim()} dims. Maybe you wanted to use the vjp or jacrev APIs instead?")


# ---- differentiation ---------------------------------------------------------------------------------------------

def grad_and_value(func, argnums=0, has_aux=False):
    """``torch.func.grad_and_value``: ``(gradients w.r.t. argnums, value)`` (value is ``(output, aux)`` with aux)."""
    def wrapper(*args, **kwargs):
        dyn, static = _split(args)

        def scalar(*d):
            with no_grad():
                value, aux = _output_and_aux(func(*_merge(d, static), **kwargs), has_aux)
            _check_scalar(value)
            return value._value.reshape(()), (value._value, _arrays(aux))

        grads, (value, aux) = jax.grad(scalar, argnums=argnums, has_aux=True)(*dyn)
        value = Tensor._make(value)
        return _tensors(grads), ((value, _tensors(aux)) if has_aux else value)
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """``torch.func.grad``: the gradient of a scalar-valued ``func`` w.r.t. argument(s) ``argnums``."""
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux=False):
    """``torch.func.vjp``: ``(output, vjp_fn[, aux])``; ``vjp_fn(cotangents)`` returns a tuple of gradients."""
    dyn, static = _split(primals)
    out, pullback, *aux = jax.vjp(_pure(func, static, has_aux), *dyn, has_aux=has_aux)

    def vjp_fn(*cotangents):
        ct = _arrays(cotangents[0] if len(cotangents) == 1 else cotangents)
        return tuple(_tensors(pullback(ct)))
    return (_tensors(out), vjp_fn, _tensors(aux[0])) if has_aux else (_tensors(out), vjp_fn)


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``torch.func.jvp``: ``(output, jvp_out[, aux])``."""
    if not isinstance(primals, tuple) or not isinstance(tangents, tuple):
        raise RuntimeError(  # noqa: TRY004 - torch's type
            "jvp(f, primals, tangents): Expected primals to be a tuple. E.g. it should be valid to "
                           "call f(*primals).")
    dyn, static = _split(primals)
    res = jax.jvp(_pure(func, static, has_aux), tuple(dyn), tuple(_arrays(tangents)), has_aux=has_aux)
    return tuple(_tensors(r) for r in res)


def _jacobian(transform, func, argnums, has_aux):
    def wrapper(*args, **kwargs):
        dyn, static = _split(args)
        f = _pure(lambda *a: func(*a, **kwargs), static, has_aux)
        return _tensors(transform(f, argnums=argnums, has_aux=has_aux)(*dyn))
    return wrapper


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None, _preallocate_and_copy=False):
    """``torch.func.jacrev``: the Jacobian by reverse mode."""
    return _jacobian(jax.jacrev, func, argnums, has_aux)


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """``torch.func.jacfwd``: the Jacobian by forward mode."""
    return _jacobian(jax.jacfwd, func, argnums, has_aux)


def hessian(func, argnums=0):
    """``torch.func.hessian``: ``jacfwd(jacrev(func))``."""
    return _jacobian(lambda f, argnums, has_aux: jax.hessian(f, argnums=argnums), func, argnums, False)


# ---- vmap --------------------------------------------------------------------------------------------------------

_RANDOMNESS_ERROR = ("vmap: called random operation while in randomness error mode. Please either use the 'same' "
                     "or 'different' randomness flags on vmap or perform the randomness operation out of vmap")


@contextlib.contextmanager
def _random_mode(randomness, batched_key):
    gen = _random.default_generator
    if randomness == "error":
        original = _random.Generator.next_key

        def refuse(self):
            raise RuntimeError(_RANDOMNESS_ERROR)
        _random.Generator.next_key = refuse
        try:
            yield
        finally:
            _random.Generator.next_key = original
    elif randomness == "different":
        saved = gen._key
        gen._key = batched_key
        try:
            yield
        finally:
            gen._key = saved
    else:
        yield


def _batch_size(dyn, in_dims):
    dims = in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(dyn)
    for d, dim in zip(dyn, dims):
        if dim is None:
            continue
        leaves = jax.tree_util.tree_leaves(d)
        if leaves:
            return leaves[0].shape[dim if isinstance(dim, int) else 0]
    raise ValueError("vmap: at least one input must be batched (in_dims all None)")


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``torch.func.vmap``: ``func`` mapped over a batch dimension (``in_dims``/``out_dims`` as in torch)."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or 'same'. Got {randomness}")

    def wrapper(*args, **kwargs):
        dyn, static = _split(args)
        keys = None
        if randomness == "different":
            n = _batch_size(dyn, in_dims)
            keys = jax.random.key_data(jax.random.split(_random.default_generator.next_key(), n))

        def f(keys, *d):
            with _random_mode(randomness, keys), no_grad():
                out = func(*_merge(d, static), **kwargs)
            return _arrays(out)
        mapped = jax.vmap(f, in_axes=(0 if keys is not None else None,) + (
            in_dims if isinstance(in_dims, tuple) else (in_dims,) * len(dyn)), out_axes=out_dims)
        return _tensors(mapped(keys, *dyn))
    return wrapper
