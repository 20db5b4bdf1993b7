"""``ptjax.save`` / ``ptjax.load``: PyTorch's own checkpoint file format, read and written without torch.

The format (what ``torch.save`` has written since torch 1.6, checked against torch 2.13)
    An uncompressed zip archive whose entries all live under one top-level folder (``archive/`` for file objects,
    the file's stem for paths; readers take whatever the first entry uses)::

        archive/data.pkl              the object, pickled with protocol 2; every storage is a *persistent id*
        archive/.format_version       b"1"
        archive/.storage_alignment    b"64"
        archive/byteorder             b"little"
        archive/data/0, data/1, ...   one entry per storage: its raw bytes, element after element
        archive/version               b"3\\n"
        archive/.data/serialization_id

    Every entry's data starts at a multiple of 64 bytes from the start of the archive (the local header's extra
    field is padded with an ``FB`` record), so readers can ``mmap`` storages in place. A tensor pickles as
    ``torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, OrderedDict())`` whose
    ``storage`` is the persistent id ``('storage', torch.FloatStorage, '<key>', 'cpu', numel)``; tensors viewing
    one storage reference the same key, so views stay views across a save/load round trip. ``nn.Parameter``
    pickles as ``torch._utils._rebuild_parameter(tensor, requires_grad, OrderedDict())``, dtypes as the globals
    ``torch.float32`` …, ``torch.Size`` as ``torch.Size((2, 3))``, devices as ``torch.device('cuda', 0)``, bytes as
    ``_codecs.encode(str, 'latin1')`` (protocol 2 has no bytes opcode). A module's ``state_dict`` is an
    ``OrderedDict`` whose ``_metadata`` attribute is pickled through ``BUILD``, as Python does for any
    ``OrderedDict`` carrying instance attributes.

Public API
    ``save(obj, f, pickle_module=None, pickle_protocol=2)`` and
    ``load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=False, **pickle_load_args)``
    as torch's. ``f``: a ``str`` / ``os.PathLike`` path or a binary file object. Saving to a path is atomic: the
    archive is written to a temporary file beside the target, flushed, ``fsync``-ed and moved over it with
    ``os.replace``; an interrupted save leaves the previous file untouched.

Exceptions (everything a bad *file* can cause ends in one of the first three; nothing is allocated before a
declared size has been checked against the bytes actually present)
    :class:`CheckpointError` (a ``RuntimeError``, like torch's ``PytorchStreamReader failed ...``)
        the file is not a readable checkpoint: empty, not a zip, truncated, bad CRC, missing ``data.pkl`` /
        ``version`` / ``data/<key>`` entries, an unsupported compression method, a storage whose byte size does
        not match its declared element count, a tensor whose size/stride/offset reach outside its storage, a
        pickle that is malformed or builds something other than what a checkpoint may contain. Errors raised while
        unpickling are re-raised as ``CheckpointError`` with the original exception chained as ``__cause__``.
    :class:`LegacyFormatError` (a ``CheckpointError``)
        the file is a pre-1.6 (non-zip) ``torch.save`` file or a TorchScript archive: not supported.
    :class:`WeightsOnlyUnpicklingError` (a ``pickle.UnpicklingError``)
        ``weights_only=True`` refused a global (``os.system``, ``builtins.eval``, any class or function outside
        the allow-list below) or an opcode that instantiates arbitrary classes (``INST``, ``OBJ``, ``NEWOBJ``,
        ``EXT*`` …). Nothing from the refused name is imported or called. ``weights_only=False`` is the explicit
        opt-in for trusted files.
    ``RuntimeError``
        a storage is to be restored on a CUDA device that is not there (torch's message), or on a device type
        ptjax does not know.
    ``TypeError`` / ``ValueError``
        bad arguments (``f`` of the wrong type, ``mmap=True`` with a file object, an unsupported
        ``pickle_module`` …). ``OSError`` for the file system (missing file, permissions).

``weights_only=True`` (the default, as torch >= 2.6) allows exactly: the tensor rebuild functions
``torch._utils._rebuild_tensor{,_v2,_v3}``, ``_rebuild_parameter{,_with_state}``,
``torch._tensor._rebuild_from_type_v2`` (for ``Tensor`` / ``Parameter``); typed and untyped storage classes
(as persistent-id tags only); the twelve dtypes ptjax has; ``torch.Size``; ``torch.device``;
``torch.nn.Parameter``; ``collections.OrderedDict`` / ``Counter``; ``builtins.set`` / ``complex`` /
``bytearray`` / ``bytes`` (never with an integer size); ``_codecs.encode`` (latin-1 only, for bytes); plus
pickle's own scalars and containers. Each
callable checks its arguments, ``BUILD`` may only set attributes of an ``OrderedDict`` / ``Counter`` (the
``_metadata`` of a module ``state_dict``), ``APPEND``/``SETITEM``/``ADDITEMS`` only work on lists, dicts and sets.
The pickle is read by a pure-Python unpickler, so every length prefix is bounded by the bytes really present.

``weights_only=False`` unpickles anything (only for files you trust) but still maps torch's globals
(``torch._utils._rebuild_tensor_v2``, ``torch.FloatStorage``, ``torch.Size`` …) onto ptjax without importing
torch; other ``torch.*`` globals raise ``CheckpointError``.

``map_location`` as torch: ``None`` (restore each storage where it was saved; a ``'cuda:N'`` storage on a machine
without CUDA raises torch's "Attempting to deserialize object on a CUDA device ..." error), a device string or
``ptjax.device`` (everything there), a dict ``{'cuda:0': 'cpu'}`` (remap tags, others restored as saved), or a
callable ``(storage, location) -> storage | None`` receiving a :class:`LoadedStorage` on the CPU (``None`` means
"restore as saved"; return ``storage``, ``storage.cpu()``, ``storage.cuda(i)`` or ``storage.to(device)``).

``mmap=True`` (``f`` must be a path, as in torch): storages that are stored uncompressed (always the case for
files written by torch or ptjax) are mapped copy-on-write with ``np.memmap`` at their offset in the archive
instead of being read; their CRC is then not verified (torch does not verify it either). Compressed entries are
read normally. ptjax tensors live in JAX arrays and ``jax.device_put`` copies the mapped bytes into them, so
``mmap`` saves the intermediate read buffers (which otherwise stay allocated, one per storage, until ``load``
returns), not the tensors' own memory: the raw bytes stay file-backed pages the OS can drop.

Tensors that shared a storage in the file alias after load: the first tensor covering the whole storage
contiguously becomes the storage owner, the others are ``as_strided`` views of it (in ptjax a write through one
is seen by the others). A view whose element count exceeds its storage's (stride-0 / overlapping views) is
materialized by ptjax, so such views are limited to :data:`MAX_EXPANDED_VIEW_BYTES` to keep a tiny crafted file
from requesting a huge allocation.

Only the functions in the "adapters" section below touch ``ptjax.Tensor``; everything else works on NumPy arrays.
"""
from __future__ import annotations

import _compat_pickle
import codecs
import collections
import io
import math
import os
import pickle
import secrets
import stat
import struct
import sys
import zipfile
import zlib
from typing import Any, NamedTuple

import numpy as np

from .. import _dtype

__all__ = ["save", "load", "CheckpointError", "LegacyFormatError", "WeightsOnlyUnpicklingError", "LoadedStorage",
           "MAX_EXPANDED_VIEW_BYTES"]

#: Largest materialized size (bytes) of a loaded view that has more elements than its storage (stride 0 / overlap).
MAX_EXPANDED_VIEW_BYTES = 1 << 30


class CheckpointError(RuntimeError):
    """The file is not a readable PyTorch checkpoint (corrupt, truncated, not a zip, inconsistent)."""


class LegacyFormatError(CheckpointError):
    """The file uses a format ptjax does not read (pre-1.6 non-zip ``torch.save``, TorchScript archives)."""


class WeightsOnlyUnpicklingError(pickle.UnpicklingError):
    """``weights_only=True`` refused a global or opcode of the pickle; nothing from it was imported or called."""


# =====================================================================================================================
# adapters: the only code that touches ptjax.Tensor
# =====================================================================================================================

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


def _ptjax():
    import ptjax
    return ptjax


def _is_tensor(obj) -> bool:
    cls = getattr(sys.modules.get("ptjax._tensor"), "Tensor", None)
    return cls is not None and isinstance(obj, cls)


def _parameter_class():
    mod = sys.modules.get("ptjax.nn.parameter") or sys.modules.get("ptjax.nn")
    return getattr(mod, "Parameter", None)


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
    import jax
    from .._device import to_jax_device
    from .._tensor import Tensor
    return Tensor._make(jax.device_put(flat.reshape(shape), to_jax_device(location)))


def _make_view(root, offset: int, size: tuple, stride: tuple):
    """A view of ``root``'s storage (storage-relative ``offset`` / ``stride``), autograd-independent of ``root``."""
    as_strided = getattr(_ptjax(), "as_strided", None)
    if as_strided is not None:
        return as_strided(root.detach(), size, stride, offset)
    # until the core exports as_strided: the Tensor's own (non-differentiable) view constructor
    from .._tensor import _gather
    return root._make_view(_gather(root._value.reshape(-1), size, stride, offset), (size, stride, offset),
                           differentiable=False)


def _finish_tensor(t, requires_grad: bool, conj: bool, neg: bool):
    if conj:
        t = t.conj_physical() if hasattr(t, "conj_physical") else t.conj()
    if neg:
        t = t.neg()
    if requires_grad:
        t.requires_grad_(True)
    return t


def _make_parameter(t, requires_grad: bool):
    param = _parameter_class()
    if param is None:
        import ptjax.nn  # noqa: F401  (imports Parameter when the package has it)
        param = _parameter_class()
    if param is None:
        return t.requires_grad_(requires_grad)
    return param(t, requires_grad)


def _make_size(dims: tuple):
    cls = getattr(sys.modules.get("ptjax._size"), "Size", None)
    if cls is None:
        from .._size import Size as cls
    return cls(dims)


def _make_device(*args):
    from .._device import device
    return device(*args)


def _cuda_device_count() -> int:
    from .._device import _gpu_devices
    return len(_gpu_devices())


def _is_size(obj) -> bool:
    cls = getattr(sys.modules.get("ptjax._size"), "Size", None)
    return cls is not None and type(obj) is cls


def _is_device(obj) -> bool:
    cls = getattr(sys.modules.get("ptjax._device"), "device", None)
    return cls is not None and isinstance(obj, cls)


# =====================================================================================================================
# torch names
# =====================================================================================================================

# storage class name -> dtype (None: UntypedStorage, bytes)
_STORAGE_DTYPES = {
    "FloatStorage": _dtype.float32, "DoubleStorage": _dtype.float64, "HalfStorage": _dtype.float16,
    "BFloat16Storage": _dtype.bfloat16, "ByteStorage": _dtype.uint8, "CharStorage": _dtype.int8,
    "ShortStorage": _dtype.int16, "IntStorage": _dtype.int32, "LongStorage": _dtype.int64,
    "BoolStorage": _dtype.bool, "ComplexFloatStorage": _dtype.complex64, "ComplexDoubleStorage": _dtype.complex128,
}
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


# =====================================================================================================================
# zip writing
# =====================================================================================================================

_ALIGN = 64
_ZIP64_LIMIT = 0xFFFFFFFF        # sizes/offsets at or above this need zip64 fields (tests lower it)
_ZIP_DATE = 0x21                 # 1980-01-01, the zip epoch
_FLAGS = 0x0800                  # UTF-8 names


class _ZipWriter:
    """Streams an uncompressed, 64-byte-aligned zip to a binary file object (sequential writes only)."""

    def __init__(self, f, prefix: str):
        self._f = f
        self._pos = 0
        self._prefix = prefix
        self._entries = []

    def _write(self, data):
        self._f.write(data)
        self._pos += memoryview(data).nbytes

    def add(self, name: str, data) -> None:
        mv = memoryview(data).cast("B")
        size = mv.nbytes
        crc = zlib.crc32(mv) & 0xFFFFFFFF
        fname = f"{self._prefix}/{name}".encode("utf-8")
        offset = self._pos
        big = size >= _ZIP64_LIMIT
        extra = struct.pack("<HHQQ", 1, 16, size, size) if big else b""
        pad = (-(offset + 30 + len(fname) + len(extra) + 4)) % _ALIGN
        extra += b"FB" + struct.pack("<H", pad) + b"Z" * pad
        s32 = 0xFFFFFFFF if big else size
        self._write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if big else 20, _FLAGS, 0, 0, _ZIP_DATE, crc, s32, s32,
                                len(fname), len(extra)))
        self._write(fname)
        self._write(extra)
        if size:
            self._write(mv)
        self._entries.append((fname, crc, size, offset))

    def finish(self) -> None:
        cd_start = self._pos
        for fname, crc, size, offset in self._entries:
            fields = []
            if size >= _ZIP64_LIMIT:
                fields += [size, size]
            if offset >= _ZIP64_LIMIT:
                fields.append(offset)
            extra = struct.pack("<HH", 1, 8 * len(fields)) + struct.pack(f"<{len(fields)}Q", *fields) if fields else b""
            s32 = 0xFFFFFFFF if size >= _ZIP64_LIMIT else size
            version = 45 if fields else 20
            self._write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, version, version, _FLAGS, 0, 0, _ZIP_DATE, crc,
                                    s32, s32, len(fname), len(extra), 0, 0, 0, 0, min(offset, 0xFFFFFFFF)))
            self._write(fname)
            self._write(extra)
        cd_size = self._pos - cd_start
        n = len(self._entries)
        eocd64 = self._pos
        # torch always writes the zip64 end records; so do we
        self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, cd_size, cd_start))
        self._write(struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1))
        self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                                min(cd_size, 0xFFFFFFFF), min(cd_start, 0xFFFFFFFF), 0))


# =====================================================================================================================
# save
# =====================================================================================================================

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


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False) -> None:
    """Save ``obj`` in torch's checkpoint format (loadable by ``torch.load``, ``weights_only=True`` included).

    ``f``: a ``str`` / ``os.PathLike`` path (written atomically: temp file beside it, fsync, ``os.replace``) or a
    binary file object (written sequentially from its current position; it need not be seekable).
    """
    if pickle_module not in (None, pickle):
        raise ValueError("ptjax.save only supports the standard pickle module")
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("ptjax.save writes only the zip-based format (_use_new_zipfile_serialization=True)")
    if not 2 <= int(pickle_protocol) <= pickle.HIGHEST_PROTOCOL:
        raise ValueError(f"pickle_protocol must be between 2 and {pickle.HIGHEST_PROTOCOL}")
    buf = io.BytesIO()
    pickler = _Pickler(buf, int(pickle_protocol))
    pickler.dump(obj)
    data_pkl = buf.getvalue()
    storages = pickler.storages

    if isinstance(f, (str, os.PathLike)):
        _save_to_path(os.fspath(f), data_pkl, storages)
    elif hasattr(f, "write"):
        _write_archive(f, "archive", data_pkl, storages)
        if hasattr(f, "flush"):
            f.flush()
    else:
        raise TypeError(f"f must be a str, os.PathLike or a binary file object, not {type(f).__name__}")


def _save_to_path(path: str, data_pkl: bytes, storages) -> None:
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    if os.path.islink(path):
        path = os.path.realpath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot save to {path!r}: it is a directory")
    directory = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(6)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_archive(fh, _archive_name(path), data_pkl, storages)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        except OSError:
            pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:  # make the rename itself durable (POSIX); best effort
        dfd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def _byteswap(a: np.ndarray, dt: _dtype.dtype) -> np.ndarray:
    width = dt.itemsize // 2 if dt.is_complex else dt.itemsize
    if width <= 1:
        return a
    return a.view(f"u{width}").byteswap().view(a.dtype)


# =====================================================================================================================
# reading the archive
# =====================================================================================================================

_LEGACY_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"   # pickle of torch's legacy MAGIC_NUMBER
_CHUNK = 1 << 24
_DEFLATE_MAX_RATIO = 1032                                          # deflate cannot expand more than this


def _fail(msg: str, cause=None):
    raise CheckpointError(msg) from cause


class _Archive:
    """A validated view of the checkpoint zip: entry lookups, bounded reads, optional mmap."""

    def __init__(self, fh, mmap_path=None):
        self.fh = fh
        self.mmap_path = mmap_path
        start = fh.tell()
        head = fh.read(len(_LEGACY_MAGIC))
        fh.seek(start)
        magic = head[:4]
        if magic != b"PK\x03\x04":
            if not head:
                _fail("PytorchStreamReader failed reading zip archive: the file is empty")
            if head.startswith(_LEGACY_MAGIC[:len(head)]) and len(head) == len(_LEGACY_MAGIC):
                raise LegacyFormatError("this is a legacy (pre-1.6, non-zip) torch.save file, which ptjax does not "
                                        "read; re-save it with torch >= 1.6 (torch.save(torch.load(f), f2))")
            _fail("PytorchStreamReader failed reading zip archive: not a zip file (a checkpoint starts with "
                  f"b'PK\\x03\\x04', this one with {magic!r}); legacy pre-1.6 files are not supported")
        fh.seek(0, 2)
        self.size = fh.tell()
        fh.seek(start)
        try:
            self.zf = zipfile.ZipFile(fh)
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error,
                UnicodeDecodeError, OverflowError, NotImplementedError, KeyError, IndexError, TypeError) as e:
            _fail(f"PytorchStreamReader failed reading zip archive: {e}", e)
        if not infos:
            _fail("PytorchStreamReader failed reading zip archive: the archive has no entries")
        first = infos[0].filename
        if "/" not in first:
            _fail(f"PytorchStreamReader failed reading zip archive: entry {first!r} is not inside a top-level folder")
        self.prefix = first.split("/", 1)[0]
        self.infos = {i.filename: i for i in infos}
        for info in infos:
            self._check_info(info)
        # entries sharing bytes are a zip-bomb construction (and never written by torch): each entry's local header
        # and data must end before the next entry starts
        spans = sorted((i.header_offset, i.header_offset + 30 + i.compress_size, i.filename) for i in infos)
        for (_, end, name), (start, _, nxt) in zip(spans, spans[1:]):
            if start < end:
                _fail(f"PytorchStreamReader failed reading zip archive: entries {name!r} and {nxt!r} overlap")
        if self.prefix + "/data.pkl" not in self.infos:
            if self.prefix + "/constants.pkl" in self.infos or any(n.startswith(self.prefix + "/code/")
                                                                  for n in self.infos):
                raise LegacyFormatError("this is a TorchScript archive (torch.jit.save), which ptjax.load does not "
                                        "read; save a state_dict with torch.save instead")
            _fail("PytorchStreamReader failed locating file data.pkl: file not found")
        self.version = self._read_version()
        self.byteorder = "little"
        if self.prefix + "/byteorder" in self.infos:
            bo = self.read_bytes("byteorder", limit=16)
            if bo not in (b"little", b"big"):
                _fail(f"invalid byteorder record {bo[:16]!r} (expected b'little' or b'big')")
            self.byteorder = bo.decode()

    def _check_info(self, info):
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            _fail(f"entry {info.filename!r} uses compression method {info.compress_type}; only stored and deflated "
                  "entries are supported")
        if info.flag_bits & 0x1:
            _fail(f"entry {info.filename!r} is encrypted")
        if info.header_offset < 0 or info.header_offset + 30 + info.compress_size > self.size:
            _fail(f"PytorchStreamReader failed reading zip archive: entry {info.filename!r} extends past the end of "
                  "the file (truncated?)")
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            _fail(f"entry {info.filename!r}: stored entry with compressed size {info.compress_size} != size "
                  f"{info.file_size}")
        if info.file_size > info.compress_size * _DEFLATE_MAX_RATIO + 1024:
            _fail(f"entry {info.filename!r}: declared size {info.file_size} is impossible for {info.compress_size} "
                  "compressed bytes")

    def _read_version(self) -> int:
        for name in ("version", ".data/version"):
            if f"{self.prefix}/{name}" in self.infos:
                raw = self.read_bytes(name, limit=64)
                try:
                    v = int(raw.decode("ascii").strip())
                except (UnicodeDecodeError, ValueError):
                    _fail(f"invalid version record {raw[:64]!r}")
                if not 1 <= v <= 10:
                    _fail(f"unsupported checkpoint file format version {v} (this ptjax reads versions 1 to 10)")
                return v
        _fail('PytorchStreamReader failed locating file version: file not found (a checkpoint must have a '
              '"version" record)')

    def info(self, name):
        info = self.infos.get(f"{self.prefix}/{name}")
        if info is None:
            _fail(f"PytorchStreamReader failed locating file {name}: file not found")
        return info

    def read_bytes(self, name, limit=None) -> bytes:
        info = self.info(name)
        if limit is not None and info.file_size > limit:
            _fail(f"entry {name} is {info.file_size} bytes, more than the {limit} expected")
        buf = np.empty(info.file_size, np.uint8)
        self._read_into(info, buf)
        return buf.tobytes()

    def _read_into(self, info, buf: np.ndarray) -> None:
        n = buf.nbytes
        mv = memoryview(buf).cast("B")
        try:
            with self.zf.open(info) as src:
                pos = 0
                while pos < n:
                    chunk = src.read(min(_CHUNK, n - pos))
                    if not chunk:
                        _fail(f"PytorchStreamReader failed reading file {info.filename}: unexpected end of data")
                    mv[pos:pos + len(chunk)] = chunk
                    pos += len(chunk)
                if src.read(1):
                    _fail(f"PytorchStreamReader failed reading file {info.filename}: more data than declared")
        except CheckpointError:
            raise
        except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, struct.error, UnicodeDecodeError,
                OverflowError, NotImplementedError, KeyError, IndexError, TypeError) as e:
            _fail(f"PytorchStreamReader failed reading file {info.filename}: {e}", e)

    def read_storage(self, key: str, nbytes: int) -> np.ndarray:
        """The raw bytes of storage ``key`` as a writable uint8 array, after checking its size is ``nbytes``."""
        info = self.info(f"data/{key}")
        if info.file_size != nbytes:
            _fail(f"storage {key!r}: the archive entry has {info.file_size} bytes but the pickle declares {nbytes} "
                  "bytes (corrupt or mismatched checkpoint)")
        if self.mmap_path is not None and info.compress_type == zipfile.ZIP_STORED and nbytes:
            return np.memmap(self.mmap_path, dtype=np.uint8, mode="c", offset=self._data_offset(info),
                             shape=(nbytes,))
        buf = np.empty(nbytes, np.uint8)
        self._read_into(info, buf)
        return buf

    def _data_offset(self, info) -> int:
        self.fh.seek(info.header_offset)
        head = self.fh.read(30)
        if len(head) != 30 or head[:4] != b"PK\x03\x04":
            _fail(f"PytorchStreamReader failed reading file {info.filename}: bad local header")
        nlen, elen = struct.unpack("<HH", head[26:30])
        off = info.header_offset + 30 + nlen + elen
        if off + info.file_size > self.size:
            _fail(f"PytorchStreamReader failed reading file {info.filename}: data extends past the end of the file")
        return off


# =====================================================================================================================
# storages and map_location
# =====================================================================================================================

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


_CUDA_MISSING = ("Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. If you "
                 "are running on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') to "
                 "map your storages to the CPU.")


def _restore_location(location: str) -> str:
    """torch's default_restore_location: validate a location tag and normalize it ('cuda' -> 'cuda:0')."""
    loc = str(location)
    if loc == "cpu":
        return "cpu"
    if loc.startswith("cuda"):
        idx = 0
        if loc != "cuda":
            if not loc.startswith("cuda:") or not loc[5:].isdigit():
                raise RuntimeError(f"Invalid device string: '{loc}'")
            idx = int(loc[5:])
        count = _cuda_device_count()
        if count == 0:
            raise RuntimeError(_CUDA_MISSING)
        if idx >= count:
            raise RuntimeError(f"Attempting to deserialize object on CUDA device {idx} but "
                               f"torch.cuda.device_count() is {count}. Please use torch.load with map_location to "
                               "map your storages to an existing device.")
        return f"cuda:{idx}"
    raise RuntimeError(f"don't know how to restore data location of storage with location tag '{loc}'")


def _make_location_mapper(map_location):
    """``(storage on the CPU, location tag from the file) -> the location to restore the storage on``."""
    if map_location is None:
        return lambda storage, tag: _restore_location(tag)
    if isinstance(map_location, str) or _is_device(map_location):
        target = str(map_location)
        return lambda storage, tag: _restore_location(target)
    if isinstance(map_location, dict):
        mapping = {str(k): str(v) for k, v in map_location.items()}
        return lambda storage, tag: _restore_location(mapping.get(tag, tag))
    if callable(map_location):
        def call(storage, tag):
            result = map_location(storage, tag)
            if result is None:
                return _restore_location(tag)
            if isinstance(result, LoadedStorage):
                if result.data is not storage.data or result.dtype is not storage.dtype:
                    raise TypeError("map_location must return the storage it was given (or .cpu()/.cuda()/.to() "
                                    "of it), or None")
                return _restore_location(result.location)
            raise TypeError(f"map_location returned {type(result).__name__}; expected the storage or None")
        return call
    raise TypeError(f"map_location must be None, a str, a device, a dict or a callable, not "
                    f"{type(map_location).__name__}")


# =====================================================================================================================
# rebuilding tensors
# =====================================================================================================================

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


# =====================================================================================================================
# load
# =====================================================================================================================

def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=False, **pickle_load_args):
    """Load an object saved by ``torch.save`` or :func:`save` (see the module docstring for errors and options).

    ``weights_only=True`` (default; ``None`` means the same) refuses everything but tensors, dtypes, sizes, devices
    and plain containers; ``weights_only=False`` unpickles anything and must only be used for trusted files.
    """
    if pickle_module not in (None, pickle):
        raise ValueError("ptjax.load only supports the standard pickle module")
    if weights_only is None:
        weights_only = True
    unknown = set(pickle_load_args) - {"encoding", "errors"}
    if unknown:
        raise TypeError(f"load() got unexpected keyword arguments {sorted(unknown)}")
    encoding = pickle_load_args.get("encoding", "ASCII")
    errors = pickle_load_args.get("errors", "strict")
    mapper = _make_location_mapper(map_location)

    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        with open(path, "rb") as fh:
            return _load_from(fh, mapper, weights_only, path if mmap else None, encoding, errors)
    if mmap:
        raise ValueError("f must be a file path in order to use the mmap argument")
    if isinstance(f, (bytes, bytearray, memoryview)):
        raise TypeError("load() expects a path or a binary file object; wrap bytes in io.BytesIO")
    if not hasattr(f, "read"):
        raise TypeError(f"f must be a str, os.PathLike or a binary file object, not {type(f).__name__}")
    if not (hasattr(f, "seek") and hasattr(f, "tell") and _seekable(f)):
        f = io.BytesIO(f.read())
    return _load_from(f, mapper, weights_only, None, encoding, errors)


def _seekable(f):
    try:
        return f.seekable()
    except Exception:  # noqa: BLE001  (a file object without a working seekable())
        return False


def _load_from(fh, mapper, weights_only, mmap_path, encoding, errors):
    archive = _Archive(fh, mmap_path)
    pkl = archive.read_bytes("data.pkl")
    cls = _WeightsOnlyUnpickler if weights_only else _LoadUnpickler
    unpickler = cls(io.BytesIO(pkl), archive, mapper, {}, encoding=encoding, errors=errors)
    try:
        return unpickler.load()
    except _PassThrough as p:
        raise p.exc
    except (CheckpointError, WeightsOnlyUnpicklingError):
        raise
    except Exception as e:  # noqa: BLE001  (every failure inside the pickle is a corrupt/invalid checkpoint)
        raise CheckpointError(f"failed to unpickle data.pkl: {type(e).__name__}: {e}") from e
