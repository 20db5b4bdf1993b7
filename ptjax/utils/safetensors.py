"""The safetensors format (https://github.com/huggingface/safetensors), read and written with NumPy.

Layout::

    8 bytes      N, the header length (unsigned little-endian 64-bit)
    N bytes      a UTF-8 JSON object: {"__metadata__": {str: str}?, name: {"dtype": "F32", "shape": [2, 3],
                 "data_offsets": [begin, end]}, ...}, padded with spaces so the data starts 8-byte aligned
    the rest     the tensors' bytes, little-endian, C order; offsets are relative to the end of the header

Written like the reference implementation (tensors ordered by its dtype ranking, descending, then by name; compact
JSON; ``__metadata__`` first), so files are byte-identical to ``safetensors.numpy.save``'s. Read with its checks:
header at most 100 MB, a JSON object with exactly those fields, known dtypes, each entry's byte size equal to
``numel * itemsize``, entries contiguous from 0 with no gaps or overlaps, and covering the data exactly. Any
violation raises :class:`SafetensorError` (a :class:`ptjax.serialization.CheckpointError`, hence a
``RuntimeError``). Nothing is allocated before the declared sizes have been checked against the file.

Tensors are written by value (each one's elements, contiguous): the format has no notion of shared storage, so
tensors that were views of one another load as independent tensors. ``complex128`` has no safetensors dtype and is
refused, as by the reference implementation.

API (as ``safetensors.torch``): ``save(tensors, metadata=None) -> bytes``, ``load(data) -> dict``,
``save_file(tensors, filename, metadata=None)`` (atomic: temp file, fsync, ``os.replace``),
``load_file(filename, device='cpu') -> dict``. NumPy arrays are accepted as input too.
"""
from __future__ import annotations

import json
import math
import os
import struct

import numpy as np

from .. import _dtype
from .._atomic import atomic_write
from ..serialization import CheckpointError

__all__ = ["save", "load", "save_file", "load_file", "SafetensorError"]

_MAX_HEADER = 100_000_000

_TO_NAME = {_dtype.bool: "BOOL", _dtype.uint8: "U8", _dtype.int8: "I8", _dtype.int16: "I16", _dtype.int32: "I32",
            _dtype.int64: "I64", _dtype.float16: "F16", _dtype.bfloat16: "BF16", _dtype.float32: "F32",
            _dtype.float64: "F64", _dtype.complex64: "C64"}
_FROM_NAME = {v: k for k, v in _TO_NAME.items()}
# the reference implementation's dtype order (its Rust enum); tensors are laid out by descending rank, then name
_RANK = {name: i for i, name in enumerate(["BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3",
                                           "F8_E8M0", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64",
                                           "I64", "U64"])}


class SafetensorError(CheckpointError):
    """The data is not a valid safetensors file."""


# ---- adapters: the only code touching ptjax.Tensor --------------------------------------------------------------

def _values(t) -> np.ndarray:
    """C-contiguous host values of a tensor (or a NumPy array)."""
    if isinstance(t, np.ndarray):
        return np.asarray(t, order="C")
    d = t.detach()
    if getattr(getattr(d, "device", None), "type", "cpu") != "cpu":
        d = d.cpu()
    return np.asarray(d.numpy(), order="C")


def _tensor(a: np.ndarray, device):
    # jax.device_put, not ptjax.from_numpy: no per-shape compilation, and straight onto the device
    import jax
    from .._device import to_jax_device
    from .._tensor import Tensor
    return Tensor._make(jax.device_put(a, to_jax_device("cpu" if device is None else device)))


# ---- writing -----------------------------------------------------------------------------------------------------

def _dtype_of(a: np.ndarray):
    try:
        d = _dtype.from_numpy_dtype(a.dtype)
    except TypeError:
        d = None
    if d not in _TO_NAME:
        raise ValueError(f"safetensors cannot store dtype {a.dtype if d is None else d}")
    return d


def _serialize(tensors: dict, metadata) -> list:
    if not isinstance(tensors, dict):
        raise TypeError(f"tensors must be a dict of name -> tensor, not {type(tensors).__name__}")
    if metadata is not None:
        if not isinstance(metadata, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                     for k, v in metadata.items()):
            raise ValueError("metadata must be a dict of str -> str")
    arrays = {}
    for name, t in tensors.items():
        if not isinstance(name, str):
            raise TypeError(f"tensor names must be str, not {type(name).__name__}")
        if name == "__metadata__":
            raise ValueError("'__metadata__' is reserved and cannot be a tensor name")
        a = _values(t)
        arrays[name] = (a, _dtype_of(a))
    order = sorted(arrays, key=lambda n: (-_RANK[_TO_NAME[arrays[n][1]]], n))
    header = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    pos = 0
    chunks = []
    for name in order:
        a, d = arrays[name]
        raw = a.reshape(-1).view(np.uint8) if a.size else np.empty(0, np.uint8)
        if a.dtype.byteorder == ">" or (a.dtype.byteorder == "=" and np.little_endian is False):
            raw = a.astype(a.dtype.newbyteorder("<")).reshape(-1).view(np.uint8)
        header[name] = {"dtype": _TO_NAME[d], "shape": [int(s) for s in a.shape],
                        "data_offsets": [pos, pos + raw.nbytes]}
        pos += raw.nbytes
        chunks.append(raw)
    hb = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    hb += b" " * ((-len(hb)) % 8)
    return [struct.pack("<Q", len(hb)), hb] + chunks


def save(tensors: dict, metadata: dict | None = None) -> bytes:
    """The safetensors bytes of ``tensors`` (name -> tensor), with optional str -> str ``metadata``."""
    return b"".join(bytes(memoryview(c)) if isinstance(c, np.ndarray) else c for c in _serialize(tensors, metadata))


def save_file(tensors: dict, filename, metadata: dict | None = None) -> None:
    """Write ``tensors`` to ``filename`` atomically (temp file beside it, fsync, ``os.replace``)."""
    parts = _serialize(tensors, metadata)
    with atomic_write(filename) as fh:
        for c in parts:
            fh.write(memoryview(c) if isinstance(c, np.ndarray) else c)


# ---- reading -----------------------------------------------------------------------------------------------------

def _parse_header(head8: bytes, read_header, total: int):
    """Validate the header; returns (data_start, [(name, dtype, shape, begin, end)], metadata)."""
    if len(head8) < 8:
        raise SafetensorError("HeaderTooSmall: fewer than 8 bytes")
    n, = struct.unpack("<Q", head8)
    if n > _MAX_HEADER:
        raise SafetensorError(f"HeaderTooLarge: header of {n} bytes (limit {_MAX_HEADER})")
    if 8 + n > total:
        raise SafetensorError(f"InvalidHeaderLength: header of {n} bytes but the file has {total} bytes")
    raw = read_header(n)
    if len(raw) != n:
        raise SafetensorError("InvalidHeaderLength: truncated header")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SafetensorError(f"InvalidHeader: not UTF-8 ({e})") from None
    if not text.startswith("{"):
        raise SafetensorError("InvalidHeaderStart: the header must be a JSON object")
    try:
        header = json.loads(text)
    except (ValueError, RecursionError) as e:
        raise SafetensorError(f"InvalidHeaderDeserialization: {e}") from None
    if not isinstance(header, dict):
        raise SafetensorError("InvalidHeaderDeserialization: the header must be a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is not None and (not isinstance(metadata, dict) or not all(isinstance(v, str)
                                                                            for v in metadata.values())):
        raise SafetensorError("InvalidHeaderDeserialization: __metadata__ must map str to str")
    entries = []
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise SafetensorError(f"InvalidHeaderDeserialization: bad entry for {name!r}")
        d = _FROM_NAME.get(info["dtype"]) if isinstance(info["dtype"], str) else None
        if d is None:
            raise SafetensorError(f"InvalidHeaderDeserialization: unsupported dtype {info['dtype']!r} for {name!r}")
        shape, offs = info["shape"], info["data_offsets"]
        if not isinstance(shape, list) or not all(type(s) is int and s >= 0 for s in shape):
            raise SafetensorError(f"InvalidHeaderDeserialization: bad shape for {name!r}")
        if not isinstance(offs, list) or len(offs) != 2 or not all(type(o) is int and o >= 0 for o in offs):
            raise SafetensorError(f"InvalidHeaderDeserialization: bad data_offsets for {name!r}")
        entries.append((name, d, tuple(shape), offs[0], offs[1]))
    data_len = total - 8 - n
    pos = 0
    for name, d, shape, b, e in sorted(entries, key=lambda x: (x[3], x[4])):
        if b != pos or e < b:
            raise SafetensorError(f"InvalidOffset: {name!r} ({b}, {e}) does not start where the previous entry "
                                  f"ends ({pos})")
        if math.prod(shape) * d.itemsize != e - b:
            raise SafetensorError(f"TensorInvalidInfo: {name!r} of shape {list(shape)} and dtype {_TO_NAME[d]} needs "
                                  f"{math.prod(shape) * d.itemsize} bytes, the entry has {e - b}")
        pos = e
    if pos != data_len:
        raise SafetensorError(f"MetadataIncompleteBuffer: the tensors cover {pos} bytes but the data has {data_len}")
    return 8 + n, entries, metadata


def _build(entries, get_bytes, device):
    out = {}
    for name, d, shape, b, e in entries:
        raw = get_bytes(b, e)
        a = raw.view(d.np) if raw.size else np.empty(0, d.np)
        if d is _dtype.bool:
            a = raw != 0
        if not np.little_endian and d.itemsize > 1:
            a = a.byteswap()
        out[name] = _tensor(a.reshape(shape), device)
    return out


def load(data: bytes, device="cpu") -> dict:
    """Tensors (name -> ptjax tensor) from safetensors bytes."""
    mv = memoryview(data).cast("B")
    start, entries, _ = _parse_header(bytes(mv[:8]), lambda n: bytes(mv[8:8 + n]), mv.nbytes)
    return _build(entries, lambda b, e: np.frombuffer(mv[start + b:start + e], np.uint8).copy(), device)


def load_file(filename, device="cpu") -> dict:
    """Tensors (name -> ptjax tensor) from a safetensors file, placed on ``device``."""
    with open(os.fspath(filename), "rb") as fh:
        fh.seek(0, 2)
        total = fh.tell()
        fh.seek(0)
        start, entries, _ = _parse_header(fh.read(8), fh.read, total)

        def get(b, e):
            buf = np.empty(e - b, np.uint8)
            fh.seek(start + b)
            if fh.readinto(memoryview(buf)) != e - b:
                raise SafetensorError("the file ended before the tensor data")
            return buf
        return _build(entries, get, device)


def load_metadata(data: bytes) -> dict | None:
    """The ``__metadata__`` of safetensors bytes (``None`` when absent)."""
    mv = memoryview(data).cast("B")
    return _parse_header(bytes(mv[:8]), lambda n: bytes(mv[8:8 + n]), mv.nbytes)[2]
