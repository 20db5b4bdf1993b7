"""Storages read from a checkpoint and the tensors rebuilt from them (each rebuild checks its arguments against the
bytes really present)."""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype
from ._adapters import _finish_tensor, _is_tensor, _make_device, _make_parameter, _make_root, _make_view, \
    _parameter_class
from ._errors import WeightsOnlyUnpicklingError, _fail

#: Largest materialized size (bytes) of a loaded view that has more elements than its storage (stride 0 / overlap).
MAX_EXPANDED_VIEW_BYTES = 1 << 30

# storage class name -> dtype (None: UntypedStorage, bytes)
_STORAGE_DTYPES = {f"{_dtype.SCALAR_TYPE_NAME[d.name]}Storage": d for d in _dtype.ALL}
_DTYPE_STORAGE = {d: name for name, d in _STORAGE_DTYPES.items()}
_UNSUPPORTED_STORAGES = {"QInt8Storage", "QUInt8Storage", "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage"}
_TORCH_DTYPE_NAMES = ("uint16", "uint32", "uint64", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz",
                      "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "complex32", "chalf", "qint8",
                      "quint8", "qint32", "quint4x2", "quint2x4", "bits8", "bits16", "bits1x8", "bits2x4",
                      "bits4x2", "int1", "int2", "int3", "int4", "int5", "int6", "int7", "uint1", "uint2", "uint3",
                      "uint4", "uint5", "uint6", "uint7")


class _StorageType:
    """What ``torch.FloatStorage`` / ``torch.UntypedStorage`` unpickle to: a tag inside a storage persistent id."""

    __slots__ = ("name", "dtype")

    def __init__(self, name, dtype):
        self.name, self.dtype = name, dtype

    def __repr__(self):
        return f"torch.{self.name}"

    def __reduce__(self):  # never pickled by ptjax itself; keeps a stray reference picklable
        return (_storage_type_by_name, (self.name,))


_STORAGE_TYPES = {name: _StorageType(name, d) for name, d in _STORAGE_DTYPES.items()}
_STORAGE_TYPES["UntypedStorage"] = _StorageType("UntypedStorage", None)


def _storage_type_by_name(name):
    return _STORAGE_TYPES[name]


def _byteswap(a: np.ndarray, dt: _dtype.dtype) -> np.ndarray:
    width = dt.itemsize // 2 if dt.is_complex else dt.itemsize
    if width <= 1:
        return a
    return a.view(f"u{width}").byteswap().view(a.dtype)


class LoadedStorage:
    """A storage read from a checkpoint, as passed to a callable ``map_location(storage, location)``.

    ``data`` is the raw bytes (a uint8 NumPy array), ``dtype`` the element type (a ptjax dtype, ``None`` for an
    ``UntypedStorage``), ``location`` where it is ('cpu' when the callable gets it, as in torch; the tag from the
    file is the callable's second argument). Return it from the callable (possibly via ``.cpu()``, ``.cuda(i)``,
    ``.to(device)``) or ``None`` to restore it where it was saved.
    """

    __slots__ = ("data", "dtype", "location", "key", "_big_endian", "_roots")

    def __init__(self, data, dtype, location, key, big_endian=False):
        self.data, self.dtype, self.location, self.key = data, dtype, location, key
        self._big_endian = big_endian
        self._roots = {}

    @property
    def device(self):
        return _make_device(self.location)

    def nbytes(self) -> int:
        return int(self.data.nbytes)

    def size(self) -> int:
        return self.nbytes() if self.dtype is None else self.nbytes() // self.dtype.itemsize

    def element_size(self) -> int:
        return 1 if self.dtype is None else self.dtype.itemsize

    def _moved(self, location):
        return LoadedStorage(self.data, self.dtype, location, self.key, self._big_endian)

    def cpu(self):
        return self._moved("cpu")

    def cuda(self, device=None, non_blocking=False):
        if device is None:
            return self._moved("cuda:0")
        return self._moved(str(_make_device("cuda", device) if isinstance(device, int) else _make_device(device)))

    def to(self, device=None, non_blocking=False, **kwargs):
        return self._moved(str(_make_device(device)) if device is not None else self.location)

    def __repr__(self):
        return (f"LoadedStorage(key={self.key!r}, dtype={self.dtype}, nbytes={self.nbytes()}, "
                f"location={self.location!r})")


def _as_int(x, what) -> int:
    if type(x) is bool or not isinstance(x, int):
        _fail(f"invalid tensor {what}: {x!r} is not an integer")
    return int(x)


def _as_int_tuple(x, what) -> tuple:
    if not isinstance(x, (tuple, list)):
        _fail(f"invalid tensor {what}: expected a tuple of integers, got {type(x).__name__}")
    out = tuple(_as_int(v, what) for v in x)
    if any(v < 0 for v in out):
        _fail(f"invalid tensor {what} {out}: negative entries")
    return out


def _rebuild_impl(storage, storage_offset, size, stride, requires_grad, dtype=None, metadata=None):
    if not isinstance(storage, LoadedStorage):
        _fail(f"tensor rebuild expected a storage, got {type(storage).__name__}")
    offset = _as_int(storage_offset, "storage offset")
    size = _as_int_tuple(size, "size")
    stride = _as_int_tuple(stride, "stride")
    if len(size) != len(stride):
        _fail(f"invalid tensor: size {size} and stride {stride} have different lengths")
    if type(requires_grad) is not bool:
        _fail(f"invalid tensor requires_grad: {requires_grad!r}")
    if dtype is None:
        dtype = storage.dtype
        if dtype is None:
            _fail("an UntypedStorage needs _rebuild_tensor_v3 (with a dtype)")
    elif not isinstance(dtype, _dtype.dtype):
        _fail(f"invalid tensor dtype: {dtype!r}")
    if storage.data.nbytes % dtype.itemsize:
        _fail(f"storage of {storage.data.nbytes} bytes cannot hold {dtype} elements")
    n_store = storage.data.nbytes // dtype.itemsize
    numel = math.prod(size)
    if offset < 0:
        _fail(f"invalid tensor: negative storage offset {offset}")
    if numel == 0:
        if offset > n_store:
            _fail(f"invalid tensor: storage offset {offset} beyond a storage of {n_store} elements")
    else:
        last = offset + sum((s - 1) * st for s, st in zip(size, stride))
        if last >= n_store:
            _fail(f"invalid tensor: size {size}, stride {stride}, storage offset {offset} reach element {last} of a "
                  f"storage of {n_store} elements (out of bounds)")
        if numel > n_store and numel * dtype.itemsize > MAX_EXPANDED_VIEW_BYTES:
            _fail(f"tensor of size {size} with stride {stride} expands a storage of {n_store} elements to "
                  f"{numel * dtype.itemsize} bytes (over MAX_EXPANDED_VIEW_BYTES={MAX_EXPANDED_VIEW_BYTES})")
    if requires_grad and not (dtype.is_floating_point or dtype.is_complex):
        _fail(f"invalid tensor: only floating point and complex tensors can require gradients, not {dtype}")
    conj = neg = False
    if metadata:
        if not isinstance(metadata, dict) or not set(metadata) <= {"conj", "neg"}:
            _fail(f"unsupported tensor metadata {metadata!r}")
        conj, neg = bool(metadata.get("conj")), bool(metadata.get("neg"))

    roots = storage._roots
    root = roots.get(dtype)
    contiguous = stride == _contiguous_strides(size)
    if root is None and offset == 0 and numel == n_store and contiguous:
        root = roots[dtype] = _make_root(_storage_array(storage, dtype), size, storage.location)
        t = root
    else:
        if root is None:
            root = roots[dtype] = _make_root(_storage_array(storage, dtype), (n_store,), storage.location)
        t = _make_view(root, offset, size, stride)
    return _finish_tensor(t, requires_grad, conj, neg)


def _contiguous_strides(size):
    st, acc = [], 1
    for s in reversed(size):
        st.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(st))


def _storage_array(storage: LoadedStorage, dtype) -> np.ndarray:
    raw = storage.data
    if dtype is _dtype.bool:
        a = raw if raw.dtype == np.bool_ else np.not_equal(raw.view(np.uint8), 0)
        return a
    a = raw.view(dtype.np)
    if storage._big_endian and dtype.itemsize > 1:
        a = _byteswap(a, dtype)
    return a


def _rebuild_tensor(storage, storage_offset, size, stride):
    return _rebuild_impl(storage, storage_offset, size, stride, False)


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    return _rebuild_impl(storage, storage_offset, size, stride, requires_grad, metadata=metadata)


def _rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None):
    if not isinstance(dtype, _dtype.dtype):
        _fail(f"invalid tensor dtype {dtype!r}")
    return _rebuild_impl(storage, storage_offset, size, stride, requires_grad, dtype=dtype, metadata=metadata)


def _check_loaded_tensor(t, what):
    if not _is_tensor(t):
        _fail(f"{what} expected a tensor, got {type(t).__name__}")


def _rebuild_parameter(data, requires_grad, backward_hooks):
    _check_loaded_tensor(data, "_rebuild_parameter")
    if type(requires_grad) is not bool:
        _fail(f"invalid parameter requires_grad: {requires_grad!r}")
    return _make_parameter(data, requires_grad)


def _set_state(obj, state, strict):
    """Restore Python attributes pickled for a Parameter / tensor subclass (``(dict, slots)`` or a dict)."""
    if state is None:
        return obj
    if isinstance(state, tuple) and len(state) == 2:
        d, slots = state
        items = list((d or {}).items()) + list((slots or {}).items())
    elif isinstance(state, dict):
        items = list(state.items())
    else:
        _fail(f"invalid tensor state {type(state).__name__}")
    for k, v in items:
        if not isinstance(k, str) or (strict and k.startswith("_")):
            raise WeightsOnlyUnpicklingError(f"Weights only load failed: refusing to set attribute {k!r} on a loaded "
                                             "tensor; load with weights_only=False if you trust this file")
        setattr(obj, k, v)
    return obj


def _make_rebuild_parameter_with_state(strict):
    def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
        p = _rebuild_parameter(data, requires_grad, backward_hooks)
        return _set_state(p, state, strict)
    return _rebuild_parameter_with_state


class _TypeTag:
    """What ``torch.Tensor`` / ``torch.nn.Parameter`` unpickle to (used by ``_rebuild_from_type_v2``)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __call__(self, data=None, requires_grad=True):
        if self.name == "Parameter":
            _check_loaded_tensor(data, "torch.nn.Parameter")
            if type(requires_grad) is not bool:
                _fail(f"invalid parameter requires_grad: {requires_grad!r}")
            return _make_parameter(data, requires_grad)
        _fail("calling torch.Tensor(...) in a checkpoint is not supported")

    def __repr__(self):
        return f"torch.{self.name}"


_TENSOR_TAG = _TypeTag("Tensor")
_PARAMETER_TAG = _TypeTag("Parameter")
_REBUILD_FUNCS = (_rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, _rebuild_parameter)


def _make_rebuild_from_type_v2(strict, param_with_state):
    def _rebuild_from_type_v2(func, new_type, args, state):
        if func not in _REBUILD_FUNCS and func is not param_with_state:
            _fail(f"_rebuild_from_type_v2: unsupported rebuild function {func!r}")
        if not isinstance(args, tuple):
            _fail("_rebuild_from_type_v2: args must be a tuple")
        t = func(*args)
        if new_type is _PARAMETER_TAG:
            param = _parameter_class()
            if param is None or not isinstance(t, param):
                t = _make_parameter(t, bool(t.requires_grad))
        elif new_type is not _TENSOR_TAG:
            _fail(f"_rebuild_from_type_v2: tensor subclass {new_type!r} is not supported by ptjax")
        return _set_state(t, state, strict)
    return _rebuild_from_type_v2
