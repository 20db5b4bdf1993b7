"""``torch.nn.utils.stateless.functional_call``: call a module with some of its parameters and buffers replaced by
given tensors (the module is restored afterwards). Deprecated by torch in favour of ``torch.func.functional_call``,
which behaves the same."""
from __future__ import annotations

import collections
import contextlib
import warnings

__all__ = ["functional_call"]


def _named_tensors(module):
    tensors = dict(module.named_parameters(remove_duplicate=False))
    tensors.update(module.named_buffers(remove_duplicate=False))
    return tensors


def _untie(module, given):
    """``given`` extended to every name tied (the same tensor) to a given name; several different values for one
    tied tensor are an error, as in torch."""
    groups = collections.defaultdict(set)
    for name, tensor in _named_tensors(module).items():
        groups[id(tensor)].add(name)
    tied = {name: names for names in groups.values() if len(names) > 1 for name in names}
    untied = dict(given)
    for name in [n for n in given if n in tied]:
        names = tied[name]
        if len(names & given.keys()) > 1 and len({id(given[n]) for n in names if n in given}) != 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(names)}, which are tied. Consider "
                             "using tie_weights=False")
        for other in names:
            untied[other] = given[name]
    return untied


def _swap(module, name, value):
    """Put ``value`` at the dotted ``name`` (parameter, buffer or attribute); return what was there."""
    prefix, _, leaf = name.rpartition(".")
    owner = module.get_submodule(prefix)
    for store in (owner._parameters, owner._buffers):
        if leaf in store:
            old, store[leaf] = store[leaf], value
            return old
    old = getattr(owner, leaf, None)
    object.__setattr__(owner, leaf, value)
    return old


@contextlib.contextmanager
def _reparametrize_module(module, parameters_and_buffers, tie_weights=False, strict=False):
    tensors = _untie(module, parameters_and_buffers) if tie_weights else parameters_and_buffers
    if strict:
        known = _named_tensors(module).keys()
        unexpected = sorted(set(tensors) - set(known))
        missing = sorted(set(known) - set(tensors))
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if msgs:
            raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(module._get_name(),
                                                                               "\n\t".join(msgs)))
    originals = {}
    try:
        for name, value in tensors.items():
            originals[name] = _swap(module, name, value)
        yield
    finally:
        for name, value in reversed(list(originals.items())):
            _swap(module, name, value)


def functional_call(module, parameter_and_buffer_dicts, args=None, kwargs=None, *, tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with the parameters and buffers named in ``parameter_and_buffer_dicts`` (a dict,
    or a sequence of dicts with distinct keys) replaced for the duration of the call."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 and will be removed in a "
                  "future version of PyTorch. Please use `torch.func.functional_call` instead which is a drop-in "
                  "replacement.", FutureWarning, stacklevel=2)
    if isinstance(parameter_and_buffer_dicts, dict):
        tensors = parameter_and_buffer_dicts
    elif isinstance(parameter_and_buffer_dicts, (list, tuple)):
        if not all(isinstance(d, dict) for d in parameter_and_buffer_dicts):
            raise ValueError("Expected all elements of parameter_and_buffer_dicts to be dictionaries")
        counts = collections.Counter(k for d in parameter_and_buffer_dicts for k in d)
        repeated = [k for k, n in counts.items() if n > 1]
        if repeated:
            raise ValueError(f"{repeated} appeared in multiple dictionaries; behavior of functional call is ambiguous")
        tensors = {k: v for d in parameter_and_buffer_dicts for k, v in d.items()}
    else:
        raise ValueError(f"Expected parameter_and_buffer_dicts to be a dict, or a list/tuple of dicts, but got "
                         f"{type(parameter_and_buffer_dicts)}")
    args = () if args is None else args if isinstance(args, tuple) else (args,)
    with _reparametrize_module(module, tensors, tie_weights=tie_weights, strict=strict):
        return module(*args, **(kwargs or {}))
