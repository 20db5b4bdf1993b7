"""Reading ``data.pkl``: the full unpickler (``weights_only=False``) and the ``weights_only=True`` one with its
allow list of globals, callables and opcodes."""
from __future__ import annotations

import _compat_pickle
import codecs
import collections
import pickle
import struct

from .. import _dtype
from ._adapters import _make_device, _make_size
from ._errors import WeightsOnlyUnpicklingError, _fail
from ._storage import _STORAGE_TYPES, _TORCH_DTYPE_NAMES, _UNSUPPORTED_STORAGES, LoadedStorage, _as_int, \
    _make_rebuild_from_type_v2, _make_rebuild_parameter_with_state, _PARAMETER_TAG, _rebuild_parameter, \
    _rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, _StorageType, _TENSOR_TAG


def _unsupported_tensor(name):
    def f(*args, **kwargs):
        _fail(f"{name}: this kind of tensor (sparse / quantized / nested / meta / subclass) is not supported by ptjax")
    f.__name__ = name
    return f


def _torch_globals(strict: bool) -> dict:
    """(module, name) -> what the unpickler gets for torch's globals (torch is never imported)."""
    pws = _make_rebuild_parameter_with_state(strict)
    g = {
        ("torch._utils", "_rebuild_tensor"): _rebuild_tensor,
        ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
        ("torch._utils", "_rebuild_tensor_v3"): _rebuild_tensor_v3,
        ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        ("torch._utils", "_rebuild_parameter_with_state"): pws,
        ("torch._tensor", "_rebuild_from_type_v2"): _make_rebuild_from_type_v2(strict, pws),
        ("torch", "Size"): _safe_size,
        ("torch", "device"): _safe_device,
        ("torch", "Tensor"): _TENSOR_TAG,
        ("torch._tensor", "Tensor"): _TENSOR_TAG,
        ("torch.nn.parameter", "Parameter"): _PARAMETER_TAG,
        ("torch.nn", "Parameter"): _PARAMETER_TAG,
    }
    for name in ("_rebuild_qtensor", "_rebuild_sparse_tensor", "_rebuild_meta_tensor_no_storage",
                 "_rebuild_nested_tensor", "_rebuild_wrapper_subclass", "_rebuild_device_tensor_from_numpy",
                 "_rebuild_device_tensor_from_cpu_tensor", "_rebuild_xla_tensor", "_rebuild_mtia_tensor"):
        g[("torch._utils", name)] = _unsupported_tensor(name)
    for name, st in _STORAGE_TYPES.items():
        g[("torch", name)] = st
        g[("torch.cuda", name)] = st
        g[("torch.storage", name)] = st
    for d in _dtype.ALL:
        g[("torch", d.name)] = d
    for alias, d in _dtype.ALIASES.items():
        g[("torch", alias)] = d
    return g


# ---- allow-listed callables for weights_only (they check their arguments) ------------------------------------------

def _safe_size(dims=()):
    if not isinstance(dims, (tuple, list)) or not all(type(d) is int for d in dims):
        _fail(f"torch.Size expects a tuple of ints, got {dims!r}")
    return _make_size(tuple(dims))


def _safe_device(*args):
    if not 1 <= len(args) <= 2 or not isinstance(args[0], (str, int)) or \
            (len(args) == 2 and args[1] is not None and type(args[1]) is not int):
        _fail(f"torch.device expects (type[, index]), got {args!r}")
    if len(args) == 2 and args[1] is None:
        args = args[:1]
    return _make_device(*args)


def _safe_ordered_dict(*args):
    if len(args) > 1 or (args and not isinstance(args[0], (list, tuple, dict))):
        _fail("OrderedDict expects no argument or a list/dict of items")
    return collections.OrderedDict(*args)


def _safe_counter(*args):
    if len(args) > 1 or (args and not isinstance(args[0], (list, tuple, dict))):
        _fail("Counter expects no argument or a list/dict")
    return collections.Counter(*args)


def _safe_set(*args):
    if len(args) > 1 or (args and not isinstance(args[0], (list, tuple, set, frozenset))):
        _fail("set expects no argument or a list")
    return set(*args)


def _safe_complex(*args):
    if len(args) > 2 or not all(type(a) in (int, float) for a in args):
        _fail(f"complex expects numbers, got {args!r}")
    return complex(*args)


def _safe_bytearray(*args):
    if not args:
        return bytearray()
    if len(args) == 1 and isinstance(args[0], (bytes, bytearray)):
        return bytearray(args[0])
    if len(args) == 2 and isinstance(args[0], str) and args[1] in ("latin1", "latin-1"):
        return bytearray(args[0], "latin-1")
    _fail(f"bytearray expects bytes or (str, 'latin-1'), got {tuple(type(a).__name__ for a in args)}")


def _safe_bytes(*args):
    # protocol 2 writes b"" as bytes() (torch's own weights_only loader refuses it); never bytes(<int>)
    if not args:
        return b""
    if len(args) == 1 and isinstance(args[0], (bytes, bytearray)):
        return bytes(args[0])
    _fail(f"bytes expects no argument or bytes, got {tuple(type(a).__name__ for a in args)}")


def _safe_codecs_encode(obj, encoding="utf-8", errors="strict"):
    if not isinstance(obj, str) or encoding not in ("latin1", "latin-1") or errors != "strict":
        _fail("_codecs.encode is only allowed as (str, 'latin1'), the way protocol-2 pickles write bytes")
    return codecs.encode(obj, "latin-1")


_SAFE_BUILTINS = {
    ("collections", "OrderedDict"): _safe_ordered_dict,
    ("collections", "Counter"): _safe_counter,
    ("builtins", "set"): _safe_set,
    ("builtins", "complex"): _safe_complex,
    ("builtins", "bytearray"): _safe_bytearray,
    ("builtins", "bytes"): _safe_bytes,
    ("_codecs", "encode"): _safe_codecs_encode,
}


# =====================================================================================================================
# unpicklers
# =====================================================================================================================

def _map_name(module, name):
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


def _is_torch_module(module):
    return module == "torch" or module.startswith("torch.")


def _load_bytearray8(self):
    # CPython's handler allocates bytearray(declared length) before reading; read (bounded by the data) first
    n, = struct.unpack("<Q", self.read(8))
    data = self.read(n)
    if len(data) != n:
        raise pickle.UnpicklingError("pickle data was truncated")
    self.append(bytearray(data))


class _LoadUnpickler(pickle._Unpickler):
    """Full unpickling (weights_only=False): torch's globals are mapped onto ptjax, everything else imported."""

    dispatch = pickle._Unpickler.dispatch.copy()
    dispatch[pickle.BYTEARRAY8[0]] = _load_bytearray8

    def __init__(self, file, archive, mapper, storages, **kwargs):
        super().__init__(file, **kwargs)
        self._archive = archive
        self._mapper = mapper
        self._storages = storages
        self._torch = _torch_globals(strict=self._strict)

    _strict = False

    def find_class(self, module, name):
        if not isinstance(module, str) or not isinstance(name, str):
            _fail("invalid global reference in pickle")
        mod, nm = _map_name(module, name)
        if _is_torch_module(mod):
            obj = self._torch.get((mod, nm))
            if obj is None:
                _fail(self._torch_missing(mod, nm))
            return obj
        return super().find_class(module, name)

    @staticmethod
    def _torch_missing(mod, nm):
        if mod == "torch" and (nm in _TORCH_DTYPE_NAMES):
            return f"dtype torch.{nm} is not supported by ptjax"
        if nm in _UNSUPPORTED_STORAGES:
            return f"torch.{nm} (quantized storage) is not supported by ptjax"
        return f"ptjax cannot rebuild the torch global {mod}.{nm}"

    def persistent_load(self, pid):
        if not isinstance(pid, tuple) or len(pid) != 5 or pid[0] != "storage":
            _fail(f"unsupported persistent id in data.pkl: {pid!r:.200}")
        _, stype, key, location, numel = pid
        if not isinstance(stype, _StorageType):
            _fail(f"persistent id names {stype!r:.100}, not a storage type")
        if not isinstance(key, str) or not key or not all(c.isascii() and (c.isalnum() or c in "_-.") for c in key):
            _fail(f"invalid storage key {key!r:.100}")
        if not isinstance(location, str) or len(location) > 64:
            _fail(f"invalid storage location {location!r:.100}")
        numel = _as_int(numel, "storage size")
        if numel < 0:
            _fail(f"invalid storage size {numel}")
        itemsize = 1 if stype.dtype is None else stype.dtype.itemsize
        cached = self._storages.get(key)
        if cached is not None:
            if cached.dtype is not stype.dtype or cached.data.nbytes != numel * itemsize:
                _fail(f"storage {key!r} is referenced with different types or sizes")
            return cached
        data = self._archive.read_storage(key, numel * itemsize)
        storage = LoadedStorage(data, stype.dtype, "cpu", key, self._archive.byteorder == "big")
        try:
            storage.location = self._mapper(storage, location)
        except Exception as e:  # noqa: BLE001  (map_location / device errors reach the caller unchanged)
            raise _PassThrough(e) from None
        self._storages[key] = storage
        return storage


_ALLOWED_OPS = {pickle.PROTO, pickle.FRAME, pickle.STOP, pickle.MARK, pickle.POP, pickle.POP_MARK, pickle.DUP,
                pickle.NONE, pickle.NEWTRUE, pickle.NEWFALSE, pickle.INT, pickle.BININT, pickle.BININT1,
                pickle.BININT2, pickle.LONG, pickle.LONG1, pickle.LONG4, pickle.FLOAT, pickle.BINFLOAT,
                pickle.STRING, pickle.BINSTRING, pickle.SHORT_BINSTRING, pickle.BINBYTES, pickle.SHORT_BINBYTES,
                pickle.BINBYTES8, pickle.BYTEARRAY8, pickle.UNICODE, pickle.BINUNICODE, pickle.SHORT_BINUNICODE,
                pickle.BINUNICODE8, pickle.EMPTY_TUPLE, pickle.TUPLE, pickle.TUPLE1, pickle.TUPLE2, pickle.TUPLE3,
                pickle.EMPTY_LIST, pickle.LIST, pickle.EMPTY_DICT, pickle.DICT, pickle.EMPTY_SET, pickle.FROZENSET,
                pickle.GET, pickle.BINGET, pickle.LONG_BINGET, pickle.PUT, pickle.BINPUT, pickle.LONG_BINPUT,
                pickle.MEMOIZE, pickle.GLOBAL, pickle.STACK_GLOBAL, pickle.BINPERSID, pickle.PERSID}


class _WeightsOnlyUnpickler(_LoadUnpickler):
    """The ``weights_only=True`` unpickler: allow-listed globals and opcodes only."""

    _strict = True

    def find_class(self, module, name):
        if not isinstance(module, str) or not isinstance(name, str):
            _fail("invalid global reference in pickle")
        mod, nm = _map_name(module, name)
        obj = self._torch.get((mod, nm)) if _is_torch_module(mod) else _SAFE_BUILTINS.get((mod, nm))
        if obj is None:
            if _is_torch_module(mod) and (nm in _TORCH_DTYPE_NAMES or nm in _UNSUPPORTED_STORAGES):
                _fail(self._torch_missing(mod, nm))
            raise WeightsOnlyUnpicklingError(
                f"Weights only load failed: unsupported global {mod}.{nm} (GLOBAL {module} {name}) is not an allowed "
                "global. ptjax.load(..., weights_only=True) only rebuilds tensors, storages, dtypes, torch.Size, "
                "torch.device, OrderedDict/Counter and plain Python containers and scalars; nothing was imported or "
                "called. If you trust the source of this file, load it with weights_only=False (which can run "
                "arbitrary code).")
        return obj

    def load_reduce(self):
        stack = self.stack
        args = stack.pop()
        func = stack[-1]
        if func not in self._safe_callables:
            raise WeightsOnlyUnpicklingError(f"Weights only load failed: {func!r:.100} is not an allowed callable")
        if not isinstance(args, tuple):
            _fail("REDUCE arguments must be a tuple")
        stack[-1] = func(*args)

    def load_build(self):
        stack = self.stack
        state = stack.pop()
        inst = stack[-1]
        if type(inst) not in (collections.OrderedDict, collections.Counter):
            raise WeightsOnlyUnpicklingError(
                f"Weights only load failed: BUILD (setting object state) is only allowed on OrderedDict/Counter, not "
                f"{type(inst).__name__}. Use weights_only=False only if you trust the source of this file.")
        slots = None
        if isinstance(state, tuple) and len(state) == 2:
            state, slots = state
        for part in (state, slots):
            if part is None:
                continue
            if not isinstance(part, dict):
                _fail("BUILD state must be a dict")
            for k, v in part.items():
                if not isinstance(k, str):
                    _fail("BUILD state keys must be strings")
                inst.__dict__[k] = v

    def load_append(self):
        value = self.stack.pop()
        target = self.stack[-1]
        if type(target) is not list:
            _fail(f"APPEND on {type(target).__name__}")
        target.append(value)

    def load_appends(self):
        items = self.pop_mark()
        target = self.stack[-1]
        if type(target) is not list:
            _fail(f"APPENDS on {type(target).__name__}")
        target.extend(items)

    def load_setitem(self):
        value = self.stack.pop()
        key = self.stack.pop()
        target = self.stack[-1]
        if type(target) not in (dict, collections.OrderedDict, collections.Counter):
            _fail(f"SETITEM on {type(target).__name__}")
        target[key] = value

    def load_setitems(self):
        items = self.pop_mark()
        target = self.stack[-1]
        if type(target) not in (dict, collections.OrderedDict, collections.Counter):
            _fail(f"SETITEMS on {type(target).__name__}")
        if len(items) % 2:
            _fail("SETITEMS with an odd number of items")
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]

    def load_additems(self):
        items = self.pop_mark()
        target = self.stack[-1]
        if type(target) is not set:
            _fail(f"ADDITEMS on {type(target).__name__}")
        target.update(items)

    dispatch = {}
    for _code in range(256):
        _op = bytes([_code])
        if _op in _ALLOWED_OPS:
            dispatch[_code] = pickle._Unpickler.dispatch[_code]
        else:
            def _refuse(self, _op=_op):
                raise WeightsOnlyUnpicklingError(
                    f"Weights only load failed: pickle opcode {_op!r} is not allowed (it can instantiate arbitrary "
                    "classes, or is not a valid opcode). Use weights_only=False only if you trust the source of "
                    "this file.")
            dispatch[_code] = _refuse
    dispatch[pickle.REDUCE[0]] = load_reduce
    dispatch[pickle.BUILD[0]] = load_build
    dispatch[pickle.APPEND[0]] = load_append
    dispatch[pickle.APPENDS[0]] = load_appends
    dispatch[pickle.SETITEM[0]] = load_setitem
    dispatch[pickle.SETITEMS[0]] = load_setitems
    dispatch[pickle.ADDITEMS[0]] = load_additems
    dispatch[pickle.BYTEARRAY8[0]] = _load_bytearray8
    del _code, _op

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._safe_callables = _IdSet({id(v): v for v in list(self._torch.values()) + list(_SAFE_BUILTINS.values())
                                       if callable(v) and not isinstance(v, (_dtype.dtype, _StorageType))})


class _PassThrough(Exception):
    """Carries an exception that must reach the caller unchanged (map_location, device restore) out of unpickling."""

    def __init__(self, exc):
        super().__init__(exc)
        self.exc = exc


class _IdSet:
    __slots__ = ("_d",)

    def __init__(self, d):
        self._d = d

    def __contains__(self, obj):
        return self._d.get(id(obj)) is obj
