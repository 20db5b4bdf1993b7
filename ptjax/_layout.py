"""torch's layouts (``torch.strided`` …) and memory formats (``torch.channels_last`` …).

ptjax tensors are dense and XLA chooses their physical layout, so these are names to pass and compare:
``x.to(memory_format=torch.channels_last)`` and ``x.contiguous(memory_format=...)`` accept them and keep the
values; only ``torch.strided`` describes a ptjax tensor.
"""
from __future__ import annotations


class _Named:
    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return f"torch.{self._name}"

    def __reduce__(self):
        return self._name


class layout(_Named):
    """A tensor layout; ptjax has ``strided`` tensors only (the others are torch's sparse and nested layouts)."""


class memory_format(_Named):
    """A memory format: accepted wherever torch takes one; XLA decides the physical layout."""


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")
sparse_csc = layout("sparse_csc")
sparse_bsr = layout("sparse_bsr")
sparse_bsc = layout("sparse_bsc")
jagged = layout("jagged")

contiguous_format = memory_format("contiguous_format")
preserve_format = memory_format("preserve_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
legacy_contiguous_format = contiguous_format
