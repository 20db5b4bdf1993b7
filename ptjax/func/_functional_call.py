"""``torch.func.functional_call`` and ``stack_module_state``: a module run with tensors given by name."""
from __future__ import annotations

import contextlib

from ..autograd.grad_mode import no_grad


def _owner(module, name):
    *path, leaf = name.split(".")
    for p in path:
        module = getattr(module, p)
    return module, leaf


@contextlib.contextmanager
def _reparametrized(module, tensors, tie_weights, strict):
    """Within the block, each ``name`` of ``tensors`` refers to the given tensor (tied names too)."""
    params = dict(module.named_parameters(remove_duplicate=False))
    buffers = dict(module.named_buffers(remove_duplicate=False))
    if strict:
        known = set(params) | set(buffers)
        missing = sorted(known - set(tensors))
        unexpected = sorted(set(tensors) - known)
        if missing or unexpected:
            msgs = []
            if unexpected:
                msgs.append("Unexpected key(s): " + ", ".join(repr(k) for k in unexpected) + ".")
            if missing:
                msgs.append("Missing key(s): " + ", ".join(repr(k) for k in missing) + ".")
            raise RuntimeError("Error(s) in reparametrizing for " + type(module).__name__ + ":\n\t" + "\n\t".join(msgs))
    tensors = dict(tensors)
    if tie_weights:   # a tensor given for one name of a tied weight is used for all of its names
        by_id = {}
        for n, t in list(params.items()) + list(buffers.items()):
            by_id.setdefault(id(t), []).append(n)
        for names in by_id.values():
            given = [n for n in names if n in tensors]
            for n in names:
                if given and n not in tensors:
                    tensors[n] = tensors[given[0]]
    saved = []
    try:
        for name, value in tensors.items():
            owner, leaf = _owner(module, name)
            for store in (owner._parameters, owner._buffers):
                if leaf in store:
                    saved.append((store, leaf, store[leaf]))
                    store[leaf] = value
                    break
            else:
                saved.append((owner.__dict__, leaf, owner.__dict__.get(leaf)))
                owner.__dict__[leaf] = value
        yield
    finally:
        for store, leaf, old in reversed(saved):
            store[leaf] = old


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with its parameters and buffers replaced by the given tensors (by name)."""
    if isinstance(parameter_and_buffer_dicts, dict):
        tensors = parameter_and_buffer_dicts
    else:
        tensors = {}
        for d in parameter_and_buffer_dicts:
            dup = sorted(set(d) & set(tensors))
            if dup:
                raise ValueError(f"{dup} appeared in multiple dictionaries; behavior of functional call is ambiguous")
            tensors.update(d)
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrized(module, tensors, tie_weights, strict):
        return module(*args, **(kwargs or {}))


def stack_module_state(models):
    """``(params, buffers)``: each named tensor of identically built ``models`` stacked along a new first dim."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: Expected at least one model, got 0.")
    if not (all(m.training for m in models) or all(not m.training for m in models)):
        raise RuntimeError("stack_module_state: Expected all models to have the same training/eval mode.")
    first = type(models[0])
    if not all(type(m) is first for m in models):
        raise RuntimeError("stack_module_state: Expected all models to be of the same class.")
    from .._ops.shape import stack

    def stacked(named):
        out = {}
        for name in named(models[0]):
            ts = [dict(named(m))[name] for m in models]
            with no_grad():
                s = stack([t.detach() for t in ts])
            if all(t.requires_grad for t in ts):
                s.requires_grad_(True)
            out[name] = s
        return out
    params = stacked(lambda m: dict(m.named_parameters()))
    buffers = stacked(lambda m: dict(m.named_buffers()))
    return params, buffers
