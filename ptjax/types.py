"""torch.types: the type aliases torch's annotations use (``Number``, ``Device``, ``FileLike`` …, and the
underscore forms ``_dtype``, ``_size``, ``_device``, ``_int`` …) over ptjax's classes, for scripts that import them
in their own annotations."""
from __future__ import annotations

import os
from typing import IO, Union

from ._device import device as _device
from ._dtype import dtype as _dtype  # noqa: F401
from ._size import Size as _size  # noqa: F401

__all__ = ["Number", "Device", "FileLike", "PySymType", "Storage", "IntLikeType", "FloatLikeType", "BoolLikeType"]

_bool, _int, _float, _complex = bool, int, float, complex
Number = Union[int, float, bool]
Device = Union[_device, str, int, None]
FileLike = Union[str, os.PathLike, IO[bytes]]
IntLikeType, FloatLikeType, BoolLikeType = int, float, bool
PySymType = Union[int, float, bool]
Storage = object   # ptjax tensors hold a jax.Array, not a typed storage
