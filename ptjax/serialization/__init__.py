"""``ptjax.save`` / ``ptjax.load``: PyTorch's own checkpoint file format, read and written without torch.

The format, the allow list of ``weights_only=True``, ``map_location``, ``mmap`` and every exception are specified
in ``docs/serialization.md``. The package: ``_zip`` (the container), ``_pickler`` (save), ``_unpickler`` (load and
its allow list), ``_storage`` (storages and rebuilding tensors), ``map_location``, ``_adapters`` (the only code
touching ``ptjax.Tensor``), ``_errors``.
"""
from __future__ import annotations

import io
import os
import pickle

from .._atomic import atomic_write
from ._errors import CheckpointError, LegacyFormatError, WeightsOnlyUnpicklingError
from ._pickler import _archive_name, _Pickler, _write_archive
from ._storage import MAX_EXPANDED_VIEW_BYTES, LoadedStorage
from ._unpickler import _LoadUnpickler, _PassThrough, _WeightsOnlyUnpickler
from ._zip import _Archive
from .map_location import _make_location_mapper

__all__ = ["save", "load", "CheckpointError", "LegacyFormatError", "WeightsOnlyUnpicklingError", "LoadedStorage",
           "MAX_EXPANDED_VIEW_BYTES"]


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
        path = os.fspath(f)
        with atomic_write(path) as fh:
            _write_archive(fh, _archive_name(path), data_pkl, storages)
    elif hasattr(f, "write"):
        _write_archive(f, "archive", data_pkl, storages)
        if hasattr(f, "flush"):
            f.flush()
    else:
        raise TypeError(f"f must be a str, os.PathLike or a binary file object, not {type(f).__name__}")


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=False, **pickle_load_args):
    """Load an object saved by ``torch.save`` or :func:`save` (errors and options: ``docs/serialization.md``).

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
        raise p.exc  # noqa: B904  (the map_location / device error reaches the caller as it was raised)
    except (CheckpointError, WeightsOnlyUnpicklingError):
        raise
    except Exception as e:  # noqa: BLE001  (every failure inside the pickle is a corrupt/invalid checkpoint)
        raise CheckpointError(f"failed to unpickle data.pkl: {type(e).__name__}: {e}") from e
