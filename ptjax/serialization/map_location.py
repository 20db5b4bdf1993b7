"""``map_location``: where each storage of a checkpoint is restored (torch's rules and messages)."""
from __future__ import annotations

from ._adapters import _cuda_device_count, _is_device
from ._storage import LoadedStorage


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
