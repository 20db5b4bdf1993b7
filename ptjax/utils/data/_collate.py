"""``default_collate`` / ``default_convert``, in two flavours sharing one recursion, both NumPy only.

* The public functions (main process) build *host tensors* (``Tensor._from_host``: CPU tensors whose storage
  is a NumPy array until their first op; see ``ptjax/_tensor.py``): a batch of host-tensor samples (what
  ``ToTensor`` and ``Normalize`` return) is stacked with ``np.stack`` and reaches JAX in one transfer, on its
  first op or its ``.to(device)``. Samples that are tensors in JAX are stacked with ``ptjax.stack``.
* ``_numpy_collate`` / ``_numpy_convert`` run in DataLoader worker processes.  They produce the same
  structure but every leaf that is to become a tensor is a :class:`_NumpyTensor` (a NumPy array in a small
  wrapper); tensors returned by the dataset are read out as NumPy.  The main process turns the wrappers into
  host tensors with :func:`_materialize`.  So a worker never touches JAX for batches (a forked worker cannot
  run JAX at all; see ``dataloader.py``).
"""
from __future__ import annotations

import collections.abc as cabc
import copy

import numpy as np

__all__ = ["default_collate", "default_convert"]

_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


class _NumpyTensor:
    """A NumPy array that the main process turns into a (host) tensor."""
    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __reduce__(self):
        return (_NumpyTensor, (self.array,))


def _Tensor():
    from ..._tensor import Tensor
    return Tensor


def _numpy_of(t):
    """A tensor's values as NumPy; a host tensor's without moving it into JAX."""
    host = t._host_array()
    return host if host is not None else np.asarray(t.detach()._value)


def _python_numbers(batch):
    """Python ints / bools as ``torch.tensor`` types them: int64, bool; a float among them, the default float."""
    a = np.array(batch)
    if a.dtype.kind == "f":
        from ... import get_default_dtype
        a = a.astype(get_default_dtype().np)
    return a


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _is_string_array(a):
    return a.dtype.kind in "USO"


def _check_same_shape(shapes):
    s0 = shapes[0]
    for i, s in enumerate(shapes):
        if s != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(s0)} at entry 0 and "
                               f"{list(s)} at entry {i}")


class _Policy:
    """How leaves become tensors: ``numpy=False`` builds host tensors, ``numpy=True`` builds wrappers."""

    def __init__(self, numpy):
        self.numpy = numpy

    def from_numpy(self, a):
        """``a`` is a fresh array, the batch's own."""
        if a.dtype == object:  # Python ints too large for int64: ptjax.tensor raises torch's error
            from ... import tensor
            tensor(a.tolist())
        return _NumpyTensor(a) if self.numpy else _Tensor()._from_host(a)

    def stack_tensors(self, batch):
        _check_same_shape([tuple(t.shape) for t in batch])
        if self.numpy or all(t._host_array() is not None for t in batch):
            return self.from_numpy(np.stack([_numpy_of(t) for t in batch]))
        from ... import stack
        return stack(list(batch), 0)

    def tensor_leaf(self, t):  # default_convert of a tensor
        return _NumpyTensor(_numpy_of(t)) if self.numpy else t


def _collate(batch, p):
    elem = batch[0]
    elem_type = type(elem)
    Tensor = _Tensor()
    if isinstance(elem, Tensor):
        return p.stack_tensors(batch)
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_", "bytes_"):
        if isinstance(elem, np.ndarray):  # ndarray or memmap
            if _is_string_array(elem):
                raise TypeError(_ERR.format(elem.dtype))
            arrays = [np.asarray(b) for b in batch]
            _check_same_shape([a.shape for a in arrays])
            return p.from_numpy(np.stack(arrays))
        if elem.shape == ():  # NumPy scalar
            if _is_string_array(np.asarray(elem)):
                raise TypeError(_ERR.format(np.asarray(elem).dtype))
            return p.from_numpy(np.array(batch))
    if isinstance(elem, float):
        return p.from_numpy(np.array(batch, dtype=np.float64))
    if isinstance(elem, int):  # bool included
        return p.from_numpy(_python_numbers(batch))
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, cabc.Mapping):
        try:
            if isinstance(elem, cabc.MutableMapping):
                clone = copy.copy(elem)
                clone.update({key: _collate([d[key] for d in batch], p) for key in elem})
                return clone
            return elem_type({key: _collate([d[key] for d in batch], p) for key in elem})
        except TypeError:
            return {key: _collate([d[key] for d in batch], p) for key in elem}
    if _is_namedtuple(elem):
        return elem_type(*(_collate(samples, p) for samples in zip(*batch)))
    if isinstance(elem, cabc.Sequence):
        it = iter(batch)
        elem_size = len(next(it))
        if not all(len(e) == elem_size for e in it):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [_collate(samples, p) for samples in transposed]
        try:
            if isinstance(elem, cabc.MutableSequence):
                clone = copy.copy(elem)
                for i, samples in enumerate(transposed):
                    clone[i] = _collate(samples, p)
                return clone
            return elem_type([_collate(samples, p) for samples in transposed])
        except TypeError:
            return [_collate(samples, p) for samples in transposed]
    raise TypeError(_ERR.format(elem_type))


def _convert(data, p):
    elem_type = type(data)
    if isinstance(data, _Tensor()):
        return p.tensor_leaf(data)
    if elem_type.__module__ == "numpy" and elem_type.__name__ not in ("str_", "string_", "bytes_"):
        if isinstance(data, np.ndarray) and _is_string_array(data):
            return data
        return p.from_numpy(np.array(data))
    if isinstance(data, cabc.Mapping):
        try:
            if isinstance(data, cabc.MutableMapping):
                clone = copy.copy(data)
                clone.update({key: _convert(data[key], p) for key in data})
                return clone
            return elem_type({key: _convert(data[key], p) for key in data})
        except TypeError:
            return {key: _convert(data[key], p) for key in data}
    if _is_namedtuple(data):
        return elem_type(*(_convert(d, p) for d in data))
    if isinstance(data, tuple):
        return [_convert(d, p) for d in data]
    if isinstance(data, cabc.Sequence) and not isinstance(data, (str, bytes)):
        try:
            if isinstance(data, cabc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(data):
                    clone[i] = _convert(d, p)
                return clone
            return elem_type([_convert(d, p) for d in data])
        except TypeError:
            return [_convert(d, p) for d in data]
    return data


_TENSORS = _Policy(numpy=False)
_NUMPY = _Policy(numpy=True)


def default_collate(batch):
    """Collate a list of samples into a batch, like torch's ``default_collate``.

    Tensors are stacked; NumPy arrays and NumPy scalars become stacked tensors; Python floats a float64
    tensor, ints an int64 tensor, bools a bool tensor; strings and bytes stay a list; mappings collate per
    key, namedtuples per field (type kept), other sequences are transposed (tuples give lists).
    """
    return _collate(batch, _TENSORS)


def default_convert(data):
    """Convert NumPy arrays (and NumPy scalars) in ``data`` to tensors, recursing into containers; used as
    ``collate_fn`` when automatic batching is off (``batch_size=None``)."""
    return _convert(data, _TENSORS)


def _numpy_collate(batch):
    return _collate(batch, _NUMPY)


def _numpy_convert(data):
    return _convert(data, _NUMPY)


# ---- main process: wrappers -> tensors --------------------------------------------------------------------

def _materialize(obj):
    """Replace every :class:`_NumpyTensor` in a (freshly unpickled, so ours to mutate) structure by a host
    tensor."""
    return _map_leaves(obj, lambda leaf: _Tensor()._from_host(leaf.array) if isinstance(leaf, _NumpyTensor)
                       else leaf)


def _pin_memory(batch):
    """``pin_memory()`` every tensor of a freshly collated batch (DataLoader(pin_memory=True))."""
    return _map_leaves(batch, lambda leaf: leaf.pin_memory() if isinstance(leaf, _Tensor()) else leaf)


def _map_leaves(obj, fn):
    """``fn`` applied to every leaf of a structure of containers; mutable containers are updated in place."""
    if isinstance(obj, (str, bytes, np.ndarray)) or obj is None:
        return fn(obj)
    if isinstance(obj, cabc.MutableMapping):
        for k in list(obj.keys()):
            obj[k] = _map_leaves(obj[k], fn)
        return obj
    if isinstance(obj, cabc.Mapping):
        items = {k: _map_leaves(v, fn) for k, v in obj.items()}
        try:
            return type(obj)(items)
        except TypeError:
            return items
    if _is_namedtuple(obj):
        return type(obj)(*(_map_leaves(v, fn) for v in obj))
    if isinstance(obj, tuple):
        return tuple(_map_leaves(v, fn) for v in obj)
    if isinstance(obj, cabc.MutableSequence):
        for i in range(len(obj)):
            obj[i] = _map_leaves(obj[i], fn)
        return obj
    return fn(obj)
