"""``torch.nn.utils.rnn``: packed and padded batches of variable-length sequences.

A :class:`PackedSequence` holds the time steps of a batch sorted by decreasing length, time-major: step ``t`` of
every sequence longer than ``t``, then step ``t + 1`` ..., with ``batch_sizes[t]`` sequences at step ``t``. Packing
and unpacking are one gather each (indices computed on the host from the lengths, which torch also keeps on the
CPU), so gradients flow through both. ``nn.RNN`` / ``LSTM`` / ``GRU`` accept a PackedSequence as in torch.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from ... import _dtype as D
from ..._ops import creation as _creation
from ..._ops.shape import cat, stack
from ..._tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
           "unpad_sequence", "pack_sequence", "unpack_sequence"]


class PackedSequence_(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None
    unsorted_indices: Tensor | None


def bind(optional, fn):
    """``fn(optional)``, or None when ``optional`` is None."""
    return None if optional is None else fn(optional)


class PackedSequence(PackedSequence_):
    """``(data, batch_sizes, sorted_indices, unsorted_indices)``; made by :func:`pack_padded_sequence` and
    :func:`pack_sequence`. ``PackedSequence(data, batch_sizes, sorted_indices)`` derives ``unsorted_indices``."""

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise AssertionError("Expected data to be a list or tuple of length 2")
            data, batch_sizes = data
        elif batch_sizes.device.type != "cpu":
            raise ValueError("batch_sizes should always be on CPU. Instances of PackedSequence should never be created "
                             "manually. They should be instantiated by functions like pack_sequence and "
                             "pack_padded_sequences in nn.utils.rnn. "
                             "https://pytorch.org/docs/stable/nn.html#torch.nn.utils.rnn.pack_sequence")
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def pin_memory(self):
        return self

    def to(self, *args, **kwargs):
        """``data`` converted; the index tensors follow ``data``'s device; ``batch_sizes`` stays on the CPU."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self

        def follow(t):
            return t.to(data.device)
        return type(self)(data, self.batch_sizes, bind(self.sorted_indices, follow),
                          bind(self.unsorted_indices, follow))

    def cuda(self, *args, **kwargs):
        return self.to(self.data.cuda(*args, **kwargs).device)

    def cpu(self, *args, **kwargs):
        return self.to("cpu")

    def double(self):
        return self.to(dtype=D.float64)

    def float(self):
        return self.to(dtype=D.float32)

    def half(self):
        return self.to(dtype=D.float16)

    def long(self):
        return self.to(dtype=D.int64)

    def int(self):
        return self.to(dtype=D.int32)

    def short(self):
        return self.to(dtype=D.int16)

    def char(self):
        return self.to(dtype=D.int8)

    def byte(self):
        return self.to(dtype=D.uint8)

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    """The inverse permutation (``None`` stays ``None``)."""
    if permutation is None:
        return None
    inv = _creation.empty_like(permutation)
    inv[permutation] = _creation.arange(permutation.numel(), device=permutation.device)
    return inv


def _host_ints(t):
    return np.asarray(t.numpy() if isinstance(t, Tensor) else t, dtype=np.int64)


def _long_tensor(a):
    return _creation.tensor(np.asarray(a, np.int64))


def _packed_positions(batch_sizes):
    """(time, batch) of each row of a PackedSequence's ``data``, in order."""
    t = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    b = np.concatenate([np.arange(n) for n in batch_sizes]) if len(batch_sizes) else np.zeros(0, np.int64)
    return t, b


def _pack_sorted(padded, lengths):
    """``(data, batch_sizes)`` of a time-major ``padded`` batch whose ``lengths`` (host ints) do not increase."""
    batch_sizes = (lengths[None, :] > np.arange(int(lengths.max()))[:, None]).sum(1)
    t, b = _packed_positions(batch_sizes)
    return padded[_long_tensor(t), _long_tensor(b)], batch_sizes


def _unpack_sorted(data, batch_sizes, total_length, padding_value):
    """``(padded (T, B, *), lengths)`` in the packed (sorted) order."""
    t, b = _packed_positions(batch_sizes)
    batch = int(batch_sizes[0]) if len(batch_sizes) else 0
    rows = np.full((total_length, batch), len(t), np.int64)   # the padding row, past the end of ``data``
    rows[t, b] = np.arange(len(t))
    pad_row = _creation.full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    padded = cat([data, pad_row])[_long_tensor(rows)]
    lengths = (batch_sizes[None, :] > np.arange(batch)[:, None]).sum(1) if batch else np.zeros(0, np.int64)
    return padded, lengths


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``) of sequences of the given lengths.

    With ``enforce_sorted=False`` the batch is sorted by decreasing length first (``sorted_indices``)."""
    if isinstance(lengths, Tensor):
        if lengths.dim() != 1:
            raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.dim()}D "
                               f"{lengths.device.type} {D.SCALAR_TYPE_NAME[D.int64.name]} tensor")
    lengths = _host_ints(lengths)
    if lengths.ndim != 1:
        raise RuntimeError(f"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.ndim}D cpu Long "
                           "tensor")
    sorted_indices = None
    if not enforce_sorted:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        sorted_indices = _long_tensor(order)
        input = input.index_select(0 if batch_first else 1, sorted_indices.to(input.device))
    elif (np.diff(lengths) > 0).any():
        raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can "
                           "pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this "
                           "requirement if you do not need ONNX exportability.")
    if batch_first:
        input = input.transpose(0, 1)
    if len(lengths) != input.size(1):
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {len(lengths)} "
                           f"(batch_size={input.size(1)})")
    if (lengths <= 0).any():
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that "
                           "is <= 0")
    if lengths.max() > input.size(0):
        raise RuntimeError(f"pack_padded_sequence: a sequence length ({int(lengths.max())}) exceeds the padded length "
                           f"({input.size(0)})")
    data, batch_sizes = _pack_sorted(input, lengths)
    return PackedSequence(data, _long_tensor(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """``(padded, lengths)``: the inverse of :func:`pack_padded_sequence`, in the batch's original order."""
    batch_sizes = _host_ints(sequence.batch_sizes)
    max_seq_length = len(batch_sizes)
    if total_length is not None:
        if total_length < max_seq_length:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, but "
                             f"got total_length={total_length} and max sequence length being {max_seq_length}")
        max_seq_length = total_length
    padded, lengths = _unpack_sorted(sequence.data, batch_sizes, max_seq_length, padding_value)
    if sequence.unsorted_indices is not None:
        padded = padded.index_select(1, sequence.unsorted_indices)
        lengths = lengths[_host_ints(sequence.unsorted_indices)]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, _long_tensor(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences ``(L_i, *)`` into ``(T, B, *)`` (``(B, T, *)`` with ``batch_first``), padding to the longest
    one on the ``padding_side``."""
    if not isinstance(sequences, Iterable):
        raise RuntimeError(f"pad_sequence: Expected iterable for input sequences, but got arg of type: "
                           f"{type(sequences)}")
    sequences = tuple(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    longest = max(s.size(0) for s in sequences)
    padded = []
    for s in sequences:
        fill = _creation.full((longest - s.size(0),) + tuple(s.shape[1:]), padding_value, dtype=s.dtype,
                              device=s.device)
        padded.append(cat([s, fill] if padding_side == "right" else [fill, s]))
    return stack(padded, 0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The sequences of a padded batch, each cut to its length."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [seq[:n] for seq, n in zip(padded_sequences, _host_ints(lengths).tolist(), strict=True)]


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of sequences ``(L_i, *)`` (:func:`pad_sequence` then :func:`pack_padded_sequence`)."""
    lengths = [v.size(0) for v in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences a PackedSequence holds, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
