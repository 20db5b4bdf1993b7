"""Writing a checkpoint: the pickler that writes tensors as torch does, and the archive around its output."""
from __future__ import annotations

import collections
import os
import pickle
import secrets
import sys
from typing import NamedTuple

import numpy as np

from .. import _dtype
from ._adapters import _is_device, _is_size, _is_tensor, _Layout, _storage_numpy, _tensor_layout
from ._storage import _DTYPE_STORAGE, _byteswap
from ._zip import _ZipWriter


class _TorchGlobal:
    """A reference to a torch global that the pickler writes as ``GLOBAL 'module name'`` (torch is never imported)."""

    __slots__ = ("module", "name")
    _cache: dict = {}

    def __new__(cls, module, name):
        key = (module, name)
        g = cls._cache.get(key)
        if g is None:
            g = object.__new__(cls)
            g.module, g.name = module, name
            cls._cache[key] = g
        return g

    def __call__(self, *args):  # pickle requires reduce functions to be callable
        raise TypeError(f"{self.module}.{self.name} is a placeholder for pickling")

    def __repr__(self):
        return f"{self.module}.{self.name}"


_G_REBUILD_V2 = _TorchGlobal("torch._utils", "_rebuild_tensor_v2")
_G_REBUILD_PARAM = _TorchGlobal("torch._utils", "_rebuild_parameter")
_G_SIZE = _TorchGlobal("torch", "Size")
_G_DEVICE = _TorchGlobal("torch", "device")
_G_ORDERED_DICT = collections.OrderedDict


class _Pickler(pickle._Pickler):
    """Pure-Python pickler (it can write arbitrary ``GLOBAL`` names) that writes tensors the way torch does."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, protocol):
        super().__init__(file, protocol)
        self.storages = []         # (key, root, dtype, numel) in key order
        self._keys = {}            # id(root) -> (key, dtype)

    def persistent_id(self, obj):
        if type(obj) is _StorageRef:
            return ("storage", _TorchGlobal("torch", _DTYPE_STORAGE[obj.dtype]), obj.key, obj.location, obj.numel)
        return None

    def reducer_override(self, obj):
        if type(obj) is _PlainTensor:
            return self._reduce_tensor(obj.layout)
        if _is_tensor(obj):
            lay = _tensor_layout(obj)
            if lay.is_parameter:
                return (_G_REBUILD_PARAM, (_PlainTensor(lay), lay.requires_grad, collections.OrderedDict()))
            return self._reduce_tensor(lay)
        if _is_size(obj):
            return (_G_SIZE, (tuple(obj),))
        if _is_device(obj):
            return (_G_DEVICE, (obj.type,) if obj.index is None else (obj.type, obj.index))
        return NotImplemented

    def _reduce_tensor(self, lay: _Layout):
        if lay.dtype not in _DTYPE_STORAGE:
            raise pickle.PicklingError(f"cannot save tensors of dtype {lay.dtype}")
        known = self._keys.get(id(lay.root))
        if known is None:
            key = str(len(self.storages))
            self._keys[id(lay.root)] = (key, lay.dtype)
            self.storages.append((key, lay.root, lay.dtype, lay.numel))
        else:
            key, dt = known
            if dt is not lay.dtype:
                raise RuntimeError("Cannot save multiple tensors or storages that view the same data as different "
                                   "types")
        ref = _StorageRef(key, lay.dtype, lay.location, lay.numel)
        return (_G_REBUILD_V2, (ref, lay.offset, lay.size, lay.stride, lay.requires_grad,
                                collections.OrderedDict()))

    def save_torch_global(self, obj):
        self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
        self.memoize(obj)

    dispatch[_TorchGlobal] = save_torch_global

    def save_dtype(self, obj):
        self.save(_TorchGlobal("torch", obj.name))

    dispatch[_dtype.dtype] = save_dtype


class _StorageRef(NamedTuple):
    key: str
    dtype: _dtype.dtype
    location: str
    numel: int


class _PlainTensor:
    __slots__ = ("layout",)

    def __init__(self, layout):
        self.layout = layout


def _archive_name(path: str) -> str:
    stem = os.path.splitext(os.path.basename(path))[0]
    if stem and stem.isascii() and stem.isprintable() and not any(c in stem for c in "/\\"):
        return stem
    return "archive"


def _write_archive(fh, prefix: str, data_pkl: bytes, storages) -> None:
    w = _ZipWriter(fh, prefix)
    w.add("data.pkl", data_pkl)
    w.add(".format_version", b"1")
    w.add(".storage_alignment", b"64")
    w.add("byteorder", b"little")
    for key, root, dt, numel in storages:
        flat = _storage_numpy(root)
        if flat.dtype != dt.np or flat.size != numel:
            raise RuntimeError(f"storage {key}: expected {numel} elements of {dt}, got {flat.size} of {flat.dtype}")
        if sys.byteorder == "big" and dt.itemsize > 1:
            flat = _byteswap(flat, dt)
        w.add(f"data/{key}", flat.view(np.uint8))
    w.add("version", b"3\n")
    w.add(".data/serialization_id", str(secrets.randbelow(10 ** 40)).zfill(40).encode())
    w.finish()
