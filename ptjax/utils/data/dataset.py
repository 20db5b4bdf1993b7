"""Datasets: ``torch.utils.data.dataset`` over ptjax tensors.

``Dataset`` (map-style), ``IterableDataset``, ``TensorDataset``, ``StackDataset``, ``ConcatDataset``,
``ChainDataset``, ``Subset`` and ``random_split``.

``random_split`` draws its permutation from ptjax's generator: the same seed gives the same split in ptjax
from run to run, not the split torch would give.
"""
from __future__ import annotations

import bisect
import math
import operator
import warnings

import numpy as np

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset", "ChainDataset",
           "Subset", "random_split"]


class Dataset:
    """A map-style dataset: ``__getitem__(index)`` (and usually ``__len__``).

    Optionally ``__getitems__(indices)`` returns a list of samples for a whole batch; the DataLoader uses it
    when present.
    """

    def __getitem__(self, index):
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other):
        return ConcatDataset([self, other])

    def __class_getitem__(cls, item):  # Dataset[int] in annotations
        return cls


class IterableDataset(Dataset):
    """A dataset that is an iterable of samples (``__iter__``).

    With ``num_workers > 0`` every worker iterates its own copy; split the work with
    :func:`ptjax.utils.data.get_worker_info` inside ``__iter__``.
    """

    def __iter__(self):
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other):
        return ChainDataset([self, other])


def _batch_indices(indices, length):
    """``indices`` as an int64 array with negative values wrapped, or None when they are not all integers.

    Raises torch's IndexError for an index out of range.
    """
    try:
        idx = np.fromiter((operator.index(i) for i in indices), dtype=np.int64, count=len(indices))
    except (TypeError, ValueError):
        return None
    if idx.size:
        bad = (idx >= length) | (idx < -length)
        if bad.any():
            i = int(idx[np.argmax(bad)])
            raise IndexError(f"index {i} is out of bounds for dimension 0 with size {length}")
    return np.where(idx < 0, idx + length, idx)


class TensorDataset(Dataset):
    """Samples are tuples ``(t[i] for t in tensors)``; all tensors share the first dimension."""

    def __init__(self, *tensors):
        assert all(tensors[0].size(0) == tensor.size(0) for tensor in tensors), "Size mismatch between tensors"
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(tensor[index] for tensor in self.tensors)

    def __len__(self):
        return self.tensors[0].size(0)

    # ---- batched fast path (used by the DataLoader with the default collate function) ---------------------
    # default_collate([ds[i] for i in idx]) == [t[idx] for t in tensors]: one gather per tensor instead of
    # len(idx) indexing ops and a stack.
    def _collated_batch(self, indices, numpy):
        if type(self).__getitem__ is not TensorDataset.__getitem__ or hasattr(self, "__getitems__"):
            return None  # a subclass changed what a sample is
        idx = _batch_indices(indices, len(self))
        if idx is None:
            return None
        if numpy:  # in a worker process: NumPy only; the main process makes the tensors
            from ._collate import _NumpyTensor, _numpy_of
            arrays = self.__dict__.get("_numpy_cache")
            if arrays is None or len(arrays) != len(self.tensors):
                arrays = [_numpy_of(t) for t in self.tensors]
                self.__dict__["_numpy_cache"] = arrays
            return [_NumpyTensor(a[idx]) for a in arrays]
        from ... import tensor as _tensor
        it = _tensor(idx)
        return [t[it] for t in self.tensors]

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_numpy_cache", None)
        return state


class StackDataset(Dataset):
    """Stacks datasets of equal length: samples are tuples (positional) or dicts (keyword arguments)."""

    def __init__(self, *args, **kwargs):
        if args:
            if kwargs:
                raise ValueError("Supported either ``tuple``- (via ``args``) or``dict``- (via ``kwargs``) like "
                                 "input/output, but both types are given.")
            self._length = len(args[0])
            if any(self._length != len(dataset) for dataset in args):
                raise ValueError("Size mismatch between datasets")
            self.datasets = args
        elif kwargs:
            tmp = list(kwargs.values())
            self._length = len(tmp[0])
            if any(self._length != len(dataset) for dataset in tmp):
                raise ValueError("Size mismatch between datasets")
            self.datasets = kwargs
        else:
            raise ValueError("At least one dataset should be passed")

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: dataset[index] for k, dataset in self.datasets.items()}
        return tuple(dataset[index] for dataset in self.datasets)

    def __getitems__(self, indices):
        def column(dataset):
            getitems = getattr(dataset, "__getitems__", None)
            if callable(getitems):
                items = getitems(indices)
                if len(items) != len(indices):
                    raise ValueError("Nested dataset's output size mismatch. "
                                     f"Expected {len(indices)}, got {len(items)}")
                return list(items)
            return [dataset[i] for i in indices]

        if isinstance(self.datasets, dict):
            cols = {k: column(d) for k, d in self.datasets.items()}
            return [{k: cols[k][j] for k in cols} for j in range(len(indices))]
        cols = [column(d) for d in self.datasets]
        return [tuple(c[j] for c in cols) for j in range(len(indices))]

    def __len__(self):
        return self._length


class ConcatDataset(Dataset):
    """The concatenation of map-style datasets."""

    @staticmethod
    def cumsum(sequence):
        r, s = [], 0
        for e in sequence:
            s += len(e)
            r.append(s)
        return r

    def __init__(self, datasets):
        self.datasets = list(datasets)
        assert len(self.datasets) > 0, "datasets should not be an empty iterable"
        for d in self.datasets:
            assert not isinstance(d, IterableDataset), "ConcatDataset does not support IterableDataset"
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError("absolute value of index should not exceed dataset length")
            idx = len(self) + idx
        dataset_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        sample_idx = idx if dataset_idx == 0 else idx - self.cumulative_sizes[dataset_idx - 1]
        return self.datasets[dataset_idx][sample_idx]

    @property
    def cummulative_sizes(self):
        warnings.warn("cummulative_sizes attribute is renamed to cumulative_sizes", DeprecationWarning,
                      stacklevel=2)
        return self.cumulative_sizes


class ChainDataset(IterableDataset):
    """Chains iterable datasets (lazily, one after the other)."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for d in self.datasets:
            assert isinstance(d, IterableDataset), "ChainDataset only supports IterableDataset"
            yield from d

    def __len__(self):
        total = 0
        for d in self.datasets:
            assert isinstance(d, IterableDataset), "ChainDataset only supports IterableDataset"
            total += len(d)
        return total


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices):
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems([self.indices[idx] for idx in indices])
        return [self.dataset[self.indices[idx]] for idx in indices]

    def __len__(self):
        return len(self.indices)

    def _collated_batch(self, indices, numpy):
        cls = type(self)
        if cls.__getitem__ is not Subset.__getitem__ or cls.__getitems__ is not Subset.__getitems__:
            return None
        inner = getattr(self.dataset, "_collated_batch", None)
        if inner is None:
            return None
        try:
            mapped = [self.indices[operator.index(i)] for i in indices]
        except TypeError:
            return None
        return inner(mapped, numpy)


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping :class:`Subset` s of the given lengths (or fractions summing
    to 1; the remainder of the floors goes round-robin to the first splits, as in torch).

    The permutation comes from ptjax's generator (``generator`` or the global one): reproducible under
    ``ptjax.manual_seed`` but not the permutation torch draws for the same seed.
    """
    from ... import randperm
    from ..._ops.random import default_generator

    if generator is None:
        generator = default_generator
    lengths = list(lengths)
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        subset_lengths = []
        for i, frac in enumerate(lengths):
            if frac < 0 or frac > 1:
                raise ValueError(f"Fraction at index {i} is not between 0 and 1")
            subset_lengths.append(int(math.floor(n * frac)))
        remainder = n - sum(subset_lengths)
        for i in range(remainder):
            subset_lengths[i % len(subset_lengths)] += 1
        lengths = subset_lengths
        for i, length in enumerate(lengths):
            if length == 0:
                warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.")
    if sum(lengths) != n:
        raise ValueError("Sum of input lengths does not equal the length of the input dataset!")
    indices = randperm(sum(lengths), generator=generator).tolist()
    out, offset = [], 0
    for length in lengths:
        out.append(Subset(dataset, indices[offset:offset + length]))
        offset += length
    return out
