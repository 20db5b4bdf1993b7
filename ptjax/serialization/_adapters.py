"""The only code of ``ptjax.serialization`` that touches ``ptjax.Tensor``; everything else works on NumPy arrays."""
from __future__ import annotations

import sys
from typing import Any, NamedTuple

import jax
import numpy as np

from .. import _dtype
from .._device import accelerators, device, to_jax_device
from .._ops.shape import as_strided
from .._size import Size
from .._tensor import Tensor


class _Layout(NamedTuple):
    root: Any              # the tensor owning the storage (contiguous, offset 0)
    numel: int             # elements in the storage (the root's numel)
    dtype: _dtype.dtype
    offset: int
    size: tuple
    stride: tuple
    requires_grad: bool
    location: str          # 'cpu', 'cuda:0'
    is_parameter: bool


def _is_tensor(obj) -> bool:
    return isinstance(obj, Tensor)


def _parameter_class():
    """``nn.Parameter`` once ``ptjax.nn`` is imported (before that no tensor is a Parameter: saving a plain tensor
    does not import nn)."""
    mod = sys.modules.get("ptjax.nn.parameter")
    return None if mod is None else mod.Parameter


def _tensor_layout(t) -> _Layout:
    """Everything the pickle needs about ``t``; the storage is identified by its owner ``root``."""
    root = t
    while root._base is not None:
        root = root._base
    dev = getattr(t, "device", "cpu")
    loc = str(dev)
    if loc == "cuda":
        loc = "cuda:0"
    param = _parameter_class()
    return _Layout(root, int(root.numel()), t.dtype, int(t.storage_offset()), tuple(int(s) for s in t.shape),
                   tuple(int(s) for s in t.stride()), bool(t.requires_grad), loc,
                   param is not None and isinstance(t, param))


def _storage_numpy(root) -> np.ndarray:
    """The flat, contiguous, grad-free host data of a storage owner."""
    d = root.detach()
    if getattr(getattr(d, "device", None), "type", "cpu") != "cpu":
        d = d.cpu()
    return np.ascontiguousarray(np.asarray(d.numpy())).reshape(-1)


def _make_root(flat: np.ndarray, shape: tuple, location: str):
    """A new tensor owning ``flat`` (reshaped to ``shape``), placed directly on ``location``.

    ``jax.device_put`` + ``Tensor._make`` rather than ``ptjax.from_numpy``: ``jnp.asarray`` compiles a small XLA
    program for every new shape/dtype (measured 9-17 ms per new shape against 0.13 ms), which a checkpoint with
    hundreds of distinct shapes would pay per tensor; device_put also copies straight to the target device.
    """
    return Tensor._make(jax.device_put(flat.reshape(shape), to_jax_device(location)))


def _make_view(root, offset: int, size: tuple, stride: tuple):
    """A view of ``root``'s storage (storage-relative ``offset`` / ``stride``), autograd-independent of ``root``."""
    return as_strided(root.detach(), size, stride, offset)


def _finish_tensor(t, requires_grad: bool, conj: bool, neg: bool):
    if conj:
        t = t.conj()
    if neg:
        t = t.neg()
    if requires_grad:
        t.requires_grad_(True)
    return t


def _make_parameter(t, requires_grad: bool):
    from ..nn.parameter import Parameter
    return Parameter(t, requires_grad)


def _make_size(dims: tuple):
    return Size(dims)


def _make_device(*args):
    return device(*args)


def _cuda_device_count() -> int:
    return len(accelerators())


def _is_size(obj) -> bool:
    return type(obj) is Size


def _is_device(obj) -> bool:
    return isinstance(obj, device)
