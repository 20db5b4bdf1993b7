"""torch.utils: ``data`` (datasets, samplers, loaders), ``safetensors`` and ``swap_tensors``.

Imported on first use, so that after ``import ptjax`` the name ``ptjax.utils.data.DataLoader`` works as
``torch.utils.data.DataLoader`` does after ``import torch``.
"""
import gc
import importlib
import weakref

_SUBMODULES = ("data", "safetensors")


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def swap_tensors(t1, t2):
    """Swap the contents of two tensor objects: each keeps its identity and takes the other's class, data and
    attributes. As in torch, a tensor with a weak reference cannot be swapped, and views keep viewing the storage
    they viewed (now the other object's). Differences: torch also refuses a tensor its autograd graph holds beyond
    its gradient accumulator, and poisons that accumulator; here a graph recorded before the swap accumulates into
    the object. Finding the views asks the garbage collector (a heap walk per call)."""
    from .._tensor import Tensor
    for name, t in (("t1", t1), ("t2", t2)):
        if not isinstance(t, Tensor):
            raise TypeError(f"swap_tensors(): {name} must be a Tensor, not {type(t).__name__}")
        if weakref.getweakrefs(t):
            raise RuntimeError(f"Cannot swap {name} because it has weakref associated with it")
    views1, views2 = _views_of(t1, Tensor), _views_of(t2, Tensor)
    t1.__class__, t2.__class__ = t2.__class__, t1.__class__
    t1.__dict__, t2.__dict__ = t2.__dict__, t1.__dict__
    for attrs in views1:
        attrs["_base"] = t2
    for attrs in views2:
        attrs["_base"] = t1


def _views_of(t, tensor_cls):
    """The attribute dicts of the live views of ``t`` (tensors naming ``t`` as their ``_base``; the garbage
    collector reports such a tensor as itself or as its ``__dict__``, depending on how Python stores it)."""
    found = []
    for r in gc.get_referrers(t):
        attrs = r if isinstance(r, dict) else r.__dict__ if isinstance(r, tensor_cls) else None
        if attrs is not None and attrs.get("_base") is t:
            found.append(attrs)
    return found
