"""ptjax.utils.data: datasets, samplers, collation, DataLoader (single- and multi-process).

Differential tests import torch (the oracle) inside the test.  Multi-process tests run under an alarm so a
hang fails instead of blocking the run.
"""
import collections
import gc
import math
import os
import re
import subprocess
import sys
import signal
import time
import warnings

import numpy as np
import pytest

import ptjax
from ptjax.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset, DistributedSampler,
                              IterableDataset, RandomSampler, SequentialSampler, StackDataset, Subset,
                              SubsetRandomSampler, TensorDataset, WeightedRandomSampler, default_collate,
                              default_convert, get_worker_info, random_split)


# ---- helpers --------------------------------------------------------------------------------------------------

@pytest.fixture
def deadline():
    """Fail (instead of hanging) if the test takes more than 20 s."""
    def on_alarm(signum, frame):
        raise TimeoutError("test exceeded its 20 s deadline (DataLoader hang?)")
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def plain(x):
    """A comparable description of a (ptjax or torch) batch structure."""
    if hasattr(x, "dtype") and hasattr(x, "shape") and type(x).__module__.split(".")[0] in ("ptjax", "torch"):
        values = np.asarray(x.detach().cpu().numpy() if hasattr(x, "cpu") else x).tolist()
        return ("tensor", str(x.dtype).split(".")[-1], tuple(x.shape), values)
    if isinstance(x, np.ndarray):
        return ("ndarray", str(x.dtype), x.shape, x.tolist())
    if isinstance(x, dict):
        return ("dict", type(x).__name__, {k: plain(v) for k, v in x.items()})
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return ("namedtuple", type(x).__name__, [plain(v) for v in x])
    if isinstance(x, (list, tuple)):
        return (type(x).__name__, [plain(v) for v in x])
    return ("leaf", type(x).__name__, x)


def to_torch(x):
    import torch
    if isinstance(x, ptjax.Tensor):
        return torch.from_numpy(np.array(x.numpy()))
    if isinstance(x, dict):
        return {k: to_torch(v) for k, v in x.items()}
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return type(x)(*(to_torch(v) for v in x))
    if isinstance(x, (list, tuple)):
        return type(x)(to_torch(v) for v in x)
    return x


def error_of(f):
    try:
        f()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None


Point = collections.namedtuple("Point", "x y")


class SquareDataset(Dataset):
    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"x": np.full((3,), i, np.float32), "y": i * i, "name": f"s{i}", "p": Point(float(i), ptjax.tensor(i))}


class RaisingDataset(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise ValueError(f"bad index {i}")
        return i


class KeyErrorDataset(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        return {}["missing"]


class SuicideDataset(Dataset):
    def __init__(self, kill_at=4):
        self.kill_at = kill_at

    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        return i


class SlowDataset(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(5)
        return i


class WorkerIdDataset(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return np.array([i, info.id, info.seed % 1000003, os.getpid(), INIT_MARK.get("worker", -1)])


INIT_MARK = {}


def mark_init(worker_id):
    INIT_MARK["worker"] = worker_id


class RangeIterable(IterableDataset):
    def __init__(self, start, end):
        self.start, self.end = start, end

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            lo, hi = self.start, self.end
        else:
            per = int(math.ceil((self.end - self.start) / info.num_workers))
            lo = self.start + info.id * per
            hi = min(lo + per, self.end)
        return iter(range(lo, hi))

    def __len__(self):
        return self.end - self.start


class NumpyOnlyDataset(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return np.arange(3, dtype=np.int32) + i, float(i)


class WideDataset(Dataset):
    """16 KiB samples: a collated batch of 10 crosses the out-of-band (memfd) threshold of the transport."""

    def __len__(self):
        return 25

    def __getitem__(self, i):
        return np.full((64, 64), i, np.float32), i


class MnistLike(Dataset):
    """uint8 images through ToTensor + Normalize, integer targets (the MNIST example's samples)."""

    def __init__(self, images):
        from ptjax.vision import transforms
        self.images = images
        self.transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return self.transform(self.images[i]), i % 3


class TorchMnistLike(MnistLike):
    """The same samples with torch ops (torchvision's ToTensor + Normalize)."""

    def __init__(self, images):
        self.images = images

    def __getitem__(self, i):
        import torch
        x = torch.from_numpy(self.images[i][None].copy()).float().div(255)
        return x.sub_(torch.tensor([0.1307])[:, None, None]).div_(torch.tensor([0.3081])[:, None, None]), i % 3


def tensor_ds(n=10):
    return TensorDataset(ptjax.arange(n * 2).reshape(n, 2).float(), ptjax.arange(n))


# ---- datasets ---------------------------------------------------------------------------------------------------

def test_tensor_dataset():
    ds = tensor_ds(5)
    assert len(ds) == 5
    x, y = ds[3]
    assert x.tolist() == [6.0, 7.0] and y.item() == 3
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(ptjax.zeros(3), ptjax.zeros(4))


def test_concat_subset_stack_chain():
    a, b = tensor_ds(3), tensor_ds(4)
    c = a + b
    assert isinstance(c, ConcatDataset) and len(c) == 7 and c.cumulative_sizes == [3, 7]
    assert c[3][1].item() == 0 and c[-1][1].item() == 3
    with pytest.raises(ValueError, match="absolute value of index"):
        c[-8]
    with pytest.raises(AssertionError, match="datasets should not be an empty iterable"):
        ConcatDataset([])
    s = Subset(b, [3, 1])
    assert len(s) == 2 and s[0][1].item() == 3 and [t[1].item() for t in s.__getitems__([1, 0])] == [1, 3]
    st = StackDataset(a, SquareDataset(3))
    assert len(st) == 3 and st[2][1]["y"] == 4
    st = StackDataset(u=a, v=SquareDataset(3))
    assert st[1]["v"]["name"] == "s1"
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(a, b)
    ch = RangeIterable(0, 3) + RangeIterable(10, 12)
    assert isinstance(ch, ChainDataset) and list(ch) == [0, 1, 2, 10, 11] and len(ch) == 5
    with pytest.raises(NotImplementedError):
        Dataset()[0]


def test_random_split():
    ds = tensor_ds(10)
    parts = random_split(ds, [3, 7], generator=ptjax.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [3, 7]
    idx = [i for p in parts for i in p.indices]
    assert sorted(idx) == list(range(10))
    again = random_split(ds, [3, 7], generator=ptjax.Generator().manual_seed(0))
    assert [p.indices for p in again] == [p.indices for p in parts]
    ptjax.manual_seed(5)
    g1 = [p.indices for p in random_split(ds, [5, 5])]
    ptjax.manual_seed(5)
    assert [p.indices for p in random_split(ds, [5, 5])] == g1
    # fractions, torch 2.x style: remainder round-robin
    assert [len(p) for p in random_split(range(10), [0.33, 0.33, 0.34])] == [4, 3, 3]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert [len(p) for p in random_split(range(10), [0.9, 0.05, 0.05])] == [10, 0, 0]
    assert [str(w.message) for w in caught] == [f"Length of split at index {i} is 0. This might result in an empty "
                                                 "dataset." for i in (1, 2)]
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(ds, [3, 3])


def test_random_split_lengths_match_torch():
    torch = pytest.importorskip("torch")
    for n, lengths in [(10, [0.5, 0.5]), (10, [0.33, 0.33, 0.34]), (10, [0.15, 0.85]), (10, [3, 7])]:
        ours = [len(p) for p in random_split(range(n), lengths)]
        theirs = [len(p) for p in torch.utils.data.random_split(range(n), lengths)]
        assert ours == theirs


# ---- samplers ---------------------------------------------------------------------------------------------------

def test_samplers():
    assert list(SequentialSampler(range(4))) == [0, 1, 2, 3]
    rs = RandomSampler(range(10), generator=ptjax.Generator().manual_seed(1))
    perm = list(rs)
    assert len(rs) == 10 and sorted(perm) == list(range(10))
    assert list(RandomSampler(range(10), generator=ptjax.Generator().manual_seed(1))) == perm
    # sizes kept at 10: every new n compiles a permutation
    more = list(RandomSampler(range(10), num_samples=25))
    assert len(more) == 25 and sorted(more[:10]) == sorted(more[10:20]) == list(range(10))
    rep = list(RandomSampler(range(10), replacement=True, num_samples=70))
    assert len(rep) == 70 and set(rep) <= set(range(10))
    sub = SubsetRandomSampler(list(range(10, 20)))
    assert len(sub) == 10 and sorted(sub) == list(range(10, 20))
    w = list(WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 50))
    assert len(w) == 50 and set(w) <= {1, 3}
    w = list(WeightedRandomSampler([1.0, 1.0, 0.0, 3.0], 3, replacement=False))
    assert sorted(w) == [0, 1, 3]
    bs = BatchSampler(range(10), 3, drop_last=False)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]] and len(bs) == 4
    bs = BatchSampler(range(10), 3, drop_last=True)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6, 7, 8]] and len(bs) == 3
    ds = [DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False) for r in range(3)]
    assert [list(d) for d in ds] == [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]
    d = DistributedSampler(range(10), num_replicas=2, rank=0, seed=3)
    d2 = DistributedSampler(range(10), num_replicas=2, rank=1, seed=3)
    assert sorted(list(d) + list(d2)) == list(range(10))
    d.set_epoch(1)
    assert sorted(d) != list(d) or True  # new epoch draws a new permutation (same on all replicas)


def test_sampler_shuffle_reproducible_with_manual_seed():
    ptjax.manual_seed(123)
    a = list(RandomSampler(range(10)))
    b = list(RandomSampler(range(10)))
    ptjax.manual_seed(123)
    assert list(RandomSampler(range(10))) == a
    assert list(RandomSampler(range(10))) == b
    assert a != b


def test_sampler_errors_match_torch():
    torch = pytest.importorskip("torch")
    tu = torch.utils.data
    cases = [
        (lambda m: m.BatchSampler(range(3), 0, False)),
        (lambda m: m.BatchSampler(range(3), 2, 1)),
        (lambda m: m.RandomSampler(range(3), replacement=1)),
        (lambda m: m.RandomSampler(range(3), num_samples=0)),
        (lambda m: m.RandomSampler([])),
        (lambda m: m.WeightedRandomSampler([1.0, 2.0], 0)),
        (lambda m: m.WeightedRandomSampler([[1.0, 2.0]], 2)),
        (lambda m: m.WeightedRandomSampler([1.0, 2.0], 2, replacement=0)),
        (lambda m: list(m.WeightedRandomSampler([1.0, 2.0], 3, replacement=False))),
    ]
    import ptjax.utils.data as ours
    for case in cases:
        assert error_of(lambda: case(ours)) == error_of(lambda: case(tu))
    for s in [lambda m: m.SequentialSampler(range(7)), lambda m: m.RandomSampler(range(10), num_samples=13),
              lambda m: m.BatchSampler(range(10), 4, False), lambda m: m.BatchSampler(range(10), 4, True),
              lambda m: m.WeightedRandomSampler([0.0, 1.0, 0.0, 3.0], 50),
              lambda m: m.SubsetRandomSampler(list(range(10)))]:
        assert len(s(ours)) == len(s(tu))
        assert len(list(s(ours))) == len(list(s(tu)))


def test_samplers_iterate_like_torch():
    """Deterministic samplers give torch's sequence; random ones torch's length and the same multiset where that
    is fixed (a permutation of the indices), in torch's element type."""
    torch = pytest.importorskip("torch")
    tu = torch.utils.data
    import ptjax.utils.data as ours
    same = [lambda m: m.SequentialSampler(range(7)),
            lambda m: m.BatchSampler(range(10), 4, False), lambda m: m.BatchSampler(range(10), 4, True),
            lambda m: m.BatchSampler(m.SequentialSampler(range(5)), 2, False),
            lambda m: m.BatchSampler([3, 1, 4, 1, 5], 2, True)]
    same += [lambda m, r=r: m.DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False)
             for r in range(3)]
    same += [lambda m, r=r: m.DistributedSampler(range(10), num_replicas=3, rank=r, shuffle=False, drop_last=True)
             for r in range(3)]
    for make in same:
        a, b = list(make(ours)), list(make(tu))
        assert a == b and [type(x) for x in a] == [type(x) for x in b]
        assert len(make(ours)) == len(make(tu))
    perms = [lambda m: m.RandomSampler(range(10)), lambda m: m.SubsetRandomSampler(list(range(10, 20))),
             lambda m: m.WeightedRandomSampler([1.0, 1.0, 0.0, 3.0], 3, replacement=False),
             lambda m: m.BatchSampler(m.RandomSampler(range(10)), 4, False),
             # shuffled DistributedSampler: the replicas' shares together (sizes kept at 10: one compile)
             lambda m: [i for r in range(2) for i in m.DistributedSampler(range(10), num_replicas=2, rank=r, seed=3)]]
    for make in perms:
        a, b = list(make(ours)), list(make(tu))
        assert len(a) == len(b) == len(make(ours)) == len(make(tu))
        if isinstance(b[0], list) and isinstance(b[0][0], int):
            assert [len(x) for x in a] == [len(x) for x in b]
            a, b = sum(a, []), sum(b, [])
        assert sorted(a) == sorted(b) and {type(x) for x in a} == {type(x) for x in b}
    # random_split: torch's lengths, a partition of the dataset into Subsets
    for lengths in ([3, 7], [0.3, 0.3, 0.4], [0.25, 0.75]):
        ps, ts = random_split(range(10), lengths), tu.random_split(range(10), lengths)
        assert [len(x) for x in ps] == [len(x) for x in ts]
        assert sorted(i for x in ps for i in x) == sorted(i for x in ts for i in x) == list(range(10))
        assert all(isinstance(x, Subset) for x in ps)


# ---- collation --------------------------------------------------------------------------------------------------

def collate_cases():
    return [
        [np.zeros((2, 3), np.float32), np.ones((2, 3), np.float32)],
        [np.arange(3), np.arange(3)],
        [np.arange(2, dtype=np.uint8), np.arange(2, dtype=np.uint8)],
        [np.float32(1.5), np.float32(2.5)],
        [np.int32(1), np.int32(2)],
        [np.bool_(True), np.bool_(False)],
        [1.5, 2.5],
        [1, 2],
        [True, False],
        [1, 2.5],
        ["a", "b"],
        [b"a", b"b"],
        [(1, 2.0), (3, 4.0)],
        [[1, 2], [3, 4]],
        [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}],
        [Point(1, np.zeros(2)), Point(2, np.ones(2))],
        [{"img": np.zeros((2, 2), np.float64), "meta": {"id": 3, "tags": ("u", "v")}},
         {"img": np.ones((2, 2), np.float64), "meta": {"id": 4, "tags": ("w", "z")}}],
    ]


def test_default_collate_matches_torch():
    torch = pytest.importorskip("torch")
    for batch in collate_cases():
        assert plain(default_collate(batch)) == plain(torch.utils.data.default_collate(batch)), batch
    # tensors (ptjax in, torch in)
    for make in [lambda m: [m.arange(6).reshape(2, 3), m.arange(6).reshape(2, 3) + 1],
                 lambda m: [m.tensor(1.5), m.tensor(2.5)],
                 lambda m: [(m.zeros(2), 1), (m.ones(2), 2)],
                 lambda m: [{"t": m.zeros(2, dtype=m.float64), "n": [m.tensor(1), 2.0]},
                            {"t": m.ones(2, dtype=m.float64), "n": [m.tensor(3), 4.0]}]]:
        assert plain(default_collate(make(ptjax))) == plain(torch.utils.data.default_collate(make(torch)))


def test_default_collate_errors_match_torch():
    torch = pytest.importorskip("torch")
    for batch in [[np.array(["a"]), np.array(["b"])], [object(), object()], [[1, 2], [1]],
                  [np.zeros(3), np.zeros(2)], [None, None]]:
        assert error_of(lambda: default_collate(batch)) == error_of(lambda: torch.utils.data.default_collate(batch))
    assert error_of(lambda: default_collate([ptjax.zeros(3), ptjax.zeros(2)])) == \
        error_of(lambda: torch.utils.data.default_collate([torch.zeros(3), torch.zeros(2)]))


def test_default_convert_matches_torch():
    torch = pytest.importorskip("torch")
    for data in [np.zeros((2,), np.float32), np.float32(3), (np.zeros(2), 1, "a"), [np.ones(1)], {"a": np.ones(2)},
                 Point(np.zeros(1), 2), 5, "s", np.array(["x"])]:
        ours, theirs = default_convert(data), torch.utils.data.default_convert(data)
        assert plain(ours) == plain(theirs)


def test_collate_keeps_autograd():
    a = ptjax.ones(2, requires_grad=True)
    out = default_collate([a, a * 2])
    out.sum().backward()
    assert a.grad.tolist() == [3.0, 3.0]


# ---- DataLoader: validation, single process -------------------------------------------------------------------

def test_dataloader_argument_errors_match_torch():
    torch = pytest.importorskip("torch")
    tu = torch.utils.data
    import ptjax.utils.data as ours
    ds = list(range(10))

    def it(m):
        return RangeIterable(0, 5) if m is ours else _TorchRange()

    cases = [
        lambda m: m.DataLoader(ds, num_workers=-1),
        lambda m: m.DataLoader(ds, timeout=-1),
        lambda m: m.DataLoader(ds, prefetch_factor=2),
        lambda m: m.DataLoader(ds, num_workers=1, prefetch_factor=-1),
        lambda m: m.DataLoader(ds, persistent_workers=True),
        lambda m: m.DataLoader(ds, sampler=m.SequentialSampler(ds), shuffle=True),
        lambda m: m.DataLoader(ds, batch_sampler=m.BatchSampler(m.SequentialSampler(ds), 2, False), batch_size=2),
        lambda m: m.DataLoader(ds, batch_sampler=m.BatchSampler(m.SequentialSampler(ds), 2, False), shuffle=True),
        lambda m: m.DataLoader(ds, batch_sampler=m.BatchSampler(m.SequentialSampler(ds), 2, False), drop_last=True),
        lambda m: m.DataLoader(ds, batch_sampler=m.BatchSampler(m.SequentialSampler(ds), 2, False),
                               sampler=m.SequentialSampler(ds)),
        lambda m: m.DataLoader(ds, batch_size=None, drop_last=True),
        lambda m: m.DataLoader(ds, batch_size=0),
        lambda m: m.DataLoader(it(m), shuffle=True),
        lambda m: m.DataLoader(ds, multiprocessing_context="spawn"),
        lambda m: m.DataLoader(ds, num_workers=1, multiprocessing_context="nope"),
        lambda m: m.DataLoader(ds, num_workers=1, multiprocessing_context=3),
    ]
    for case in cases:
        ours_err, torch_err = error_of(lambda: case(ours)), error_of(lambda: case(tu))
        assert ours_err is not None and ours_err == torch_err
    dl = DataLoader(ds)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        dl.batch_size = 3


class _TorchRange:
    """Built lazily: an IterableDataset for torch (only when the torch test runs)."""

    def __new__(cls):
        import torch

        class R(torch.utils.data.IterableDataset):
            def __iter__(self):
                return iter(range(5))
        return R()


def test_batch_order_matches_torch():
    torch = pytest.importorskip("torch")
    n = 23
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    ours_ds = TensorDataset(ptjax.from_numpy(x), ptjax.arange(n))
    theirs_ds = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.arange(n))
    for kw in [dict(batch_size=5), dict(batch_size=5, drop_last=True), dict(batch_size=1), dict(batch_size=None),
               dict(batch_size=4, sampler=[3, 1, 4, 1, 5, 9, 2, 6])]:
        ours = DataLoader(ours_ds, **kw)
        theirs = torch.utils.data.DataLoader(theirs_ds, **kw)
        assert len(ours) == len(theirs)
        assert [plain(b) for b in ours] == [plain(b) for b in theirs], kw
    bs = [[0, 2], [5, 1, 3], [22]]
    assert [plain(b) for b in DataLoader(ours_ds, batch_sampler=bs)] == \
        [plain(b) for b in torch.utils.data.DataLoader(theirs_ds, batch_sampler=bs)]
    # a custom dataset (dict samples with numpy, numbers, strings, namedtuples of tensors)
    ours = [plain(b) for b in DataLoader(SquareDataset(7), batch_size=3)]
    theirs = [plain(to_torch_batch(b)) for b in DataLoader(SquareDataset(7), batch_size=3)]
    ref = [plain(b) for b in torch.utils.data.DataLoader(_TorchSquare(), batch_size=3)]
    assert ours == theirs == ref


def to_torch_batch(b):
    return to_torch(b)


class _TorchSquare:
    def __len__(self):
        return 7

    def __getitem__(self, i):
        import torch
        return {"x": np.full((3,), i, np.float32), "y": i * i, "name": f"s{i}", "p": Point(float(i), torch.tensor(i))}


def test_iterable_dataset_single_process():
    torch = pytest.importorskip("torch")
    assert [b.tolist() for b in DataLoader(RangeIterable(0, 7), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(RangeIterable(0, 7), batch_size=3, drop_last=True)] == [[0, 1, 2],
                                                                                                   [3, 4, 5]]
    assert [b for b in DataLoader(RangeIterable(0, 3), batch_size=None)] == [0, 1, 2]
    assert len(DataLoader(RangeIterable(0, 7), batch_size=3)) == 3
    assert len(DataLoader(RangeIterable(0, 7), batch_size=3, drop_last=True)) == 2
    assert [plain(b) for b in DataLoader(RangeIterable(0, 7), batch_size=3)] == \
        [plain(b) for b in torch.utils.data.DataLoader(range(7), batch_size=3)]


def test_shuffle_reproducible():
    ds = tensor_ds(10)
    ptjax.manual_seed(0)
    a = [b[1].tolist() for b in DataLoader(ds, batch_size=4, shuffle=True)]
    b = [b[1].tolist() for b in DataLoader(ds, batch_size=4, shuffle=True)]
    ptjax.manual_seed(0)
    assert [b[1].tolist() for b in DataLoader(ds, batch_size=4, shuffle=True)] == a
    assert sorted(sum(a, [])) == list(range(10)) and a != b
    g = [[x[1].tolist() for x in DataLoader(ds, batch_size=4, shuffle=True, generator=ptjax.Generator().manual_seed(9))]
         for _ in range(2)]
    assert g[0] == g[1]
    assert get_worker_info() is None


def test_worker_info_and_pin_memory():
    from ptjax.utils.data import WorkerInfo
    info = WorkerInfo(id=1, num_workers=2, seed=7, dataset=None)
    assert repr(info) == "WorkerInfo(id=1, num_workers=2, seed=7, dataset=None)"
    with pytest.raises(RuntimeError, match="Cannot assign attributes to WorkerInfo objects"):
        info.id = 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no accelerator (see below)
        assert [b[1].tolist() for b in DataLoader(tensor_ds(4), batch_size=2, pin_memory=True)] == [[0, 1], [2, 3]]


def test_pin_memory_and_non_blocking_match_torch():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available() or ptjax.cuda.is_available():
        pytest.skip("compares the CPU-only behaviour")
    for m in (ptjax, torch):
        with pytest.warns(UserWarning) as record:
            list(m.utils.data.DataLoader(list(range(4)), pin_memory=True))
        m.messages = [str(w.message) for w in record]
    assert ptjax.messages == torch.messages
    assert error_of(lambda: ptjax.ones(2).pin_memory()) == error_of(lambda: torch.ones(2).pin_memory())
    assert error_of(lambda: ptjax.ones(2).cuda(non_blocking=True)) == \
        error_of(lambda: torch.ones(2).cuda(non_blocking=True))
    t = ptjax.ones(2)
    assert not t.is_pinned() and t.to("cpu", non_blocking=True) is t
    assert t.to(ptjax.float64, True, True).dtype == ptjax.float64  # positional non_blocking, copy
    assert t.to("cpu", ptjax.float32, False, True) is not t      # copy=True copies


def test_host_tensor_batches_match_torch():
    """ToTensor + Normalize samples collate with NumPy into a batch that is still on the host (one transfer at
    its first op); the values are what torch's DataLoader gives for the same work."""
    torch = pytest.importorskip("torch")
    images = np.random.default_rng(0).integers(0, 256, (10, 5, 5), dtype=np.uint8)
    batches = list(DataLoader(MnistLike(images), batch_size=4))
    ref = list(torch.utils.data.DataLoader(TorchMnistLike(images), batch_size=4))
    assert all(isinstance(x._data, np.ndarray) and isinstance(y._data, np.ndarray) for x, y in batches)
    assert [plain(b) for b in batches] == [plain(b) for b in ref]


# ---- DataLoader: worker processes -------------------------------------------------------------------------------

def test_workers_same_batches_as_single_process(deadline):
    images = np.random.default_rng(0).integers(0, 256, (9, 4, 4), dtype=np.uint8)
    for ds, kw in [(tensor_ds(23), dict(batch_size=5)), (SquareDataset(11), dict(batch_size=3, drop_last=True)),
                   (WideDataset(), dict(batch_size=10)), (MnistLike(images), dict(batch_size=4))]:
        single = [plain(b) for b in DataLoader(ds, **kw)]
        multi = [plain(b) for b in DataLoader(ds, num_workers=2, **kw)]
        assert multi == single
    ptjax.manual_seed(3)
    single = [b[1].tolist() for b in DataLoader(tensor_ds(10), batch_size=3, shuffle=True)]
    ptjax.manual_seed(3)
    multi = [b[1].tolist() for b in DataLoader(tensor_ds(10), batch_size=3, shuffle=True, num_workers=2,
                                                prefetch_factor=1)]
    assert multi == single


def test_workers_persistent_in_order_and_len(deadline):
    dl = DataLoader(tensor_ds(10), batch_size=3, num_workers=2, persistent_workers=True)
    assert len(dl) == 4
    it = iter(dl)
    first = next(it)  # abandon the epoch: the next one must not see its leftovers
    e1 = [plain(b) for b in dl]
    pids = dl._iterator._worker_pids
    e2 = [plain(b) for b in dl]
    assert e1 == e2 == [plain(b) for b in DataLoader(tensor_ds(10), batch_size=3)]
    assert plain(first) == e1[0] and dl._iterator._worker_pids == pids
    unordered = [b[1].tolist() for b in DataLoader(tensor_ds(10), batch_size=2, num_workers=2, in_order=False)]
    assert sorted(sum(unordered, [])) == list(range(10))
    dl._iterator._shutdown_workers()
    # iterable dataset with persistent workers: every epoch restarts each worker's iterator
    dl = DataLoader(RangeIterable(0, 6), batch_size=2, num_workers=2, persistent_workers=True)
    assert [b.tolist() for b in dl] == [b.tolist() for b in dl] == [[0, 1], [3, 4], [2], [5]]
    dl._iterator._shutdown_workers()


def mixed_collate(batch):  # a custom collate_fn: runs in the worker, returns ptjax tensors and NumPy
    return ptjax.tensor(np.stack([b[0] for b in batch])) * 2, np.stack([b[0] for b in batch]), [b[1] for b in batch]


def test_custom_collate_in_workers(deadline):
    out = list(DataLoader(WideDataset(), batch_size=10, num_workers=2, collate_fn=mixed_collate))
    ref = list(DataLoader(WideDataset(), batch_size=10, collate_fn=mixed_collate))
    assert [plain(b) for b in out] == [plain(b) for b in ref]
    assert isinstance(out[0][0], ptjax.Tensor) and out[0][0].dtype == ptjax.float32
    arrays = [b[1] for b in out]
    assert [a.shape for a in arrays] == [(10, 64, 64), (10, 64, 64), (5, 64, 64)]
    assert arrays[1][:, 0, 0].tolist() == list(range(10, 20))
    arrays[1][0] = -1  # arrays that came out of band are ordinary writable arrays
    assert arrays[1][0, 0, 0] == -1


def test_workers_info_seed_and_init_fn(deadline):
    rows = np.concatenate([b.numpy() for b in DataLoader(WorkerIdDataset(), batch_size=2, num_workers=2,
                                                          worker_init_fn=mark_init)])
    assert rows[:, 0].tolist() == list(range(8))
    assert rows[:, 1].tolist() == [0, 0, 1, 1, 0, 0, 1, 1]      # batches go round-robin
    assert (rows[:, 4] == rows[:, 1]).all()                     # worker_init_fn ran in each worker
    assert len(set(rows[:, 3].tolist())) == 2 and os.getpid() not in rows[:, 3]
    seeds = {int(r[1]): int(r[2]) for r in rows}
    assert (seeds[1] - seeds[0]) % 1000003 == 1                 # seed = base_seed + worker id


def test_iterable_dataset_workers(deadline):
    # each worker iterates its share (get_worker_info); batches interleave round-robin like torch
    out = [b.tolist() for b in DataLoader(RangeIterable(0, 10), batch_size=2, num_workers=2)]
    assert out == [[0, 1], [5, 6], [2, 3], [7, 8], [4], [9]]
    assert [b for b in DataLoader(RangeIterable(0, 4), batch_size=None, num_workers=2)] == [0, 2, 1, 3]


def test_worker_exception_surfaces_with_traceback(deadline):
    t0 = time.time()
    with pytest.raises(ValueError) as info:
        for _ in DataLoader(RaisingDataset(), batch_size=2, num_workers=2):
            pass
    msg = str(info.value)
    assert msg.startswith("Caught ValueError in DataLoader worker process 0.\n"
                          "Original Traceback (most recent call last):")
    assert "bad index 5" in msg and "in __getitem__" in msg and 'raise ValueError(f"bad index {i}")' in msg
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process"):
        next(iter(DataLoader(KeyErrorDataset(), num_workers=1)))
    assert time.time() - t0 < 15


def test_worker_killed_raises(deadline):
    t0 = time.time()
    # the main process is busy while worker 0 dies and worker 1's batch arrives: both are ready in the same
    # wait() round, and the death must not be forgotten while that batch is returned (a past hang)
    it = iter(DataLoader(SuicideDataset(kill_at=2), batch_size=1, num_workers=2))
    next(it)
    time.sleep(1.0)
    with pytest.raises(RuntimeError, match=r"^DataLoader worker \(pid\(s\) \d+\) exited unexpectedly$") as info:
        for _ in it:
            pass
    assert re.fullmatch(r"DataLoader worker \(pid \d+\) is killed by signal: Killed. ", str(info.value.__cause__))
    assert time.time() - t0 < 15


def test_worker_timeout(deadline):
    with pytest.raises(RuntimeError, match="DataLoader timed out after 0.5 seconds"):
        next(iter(DataLoader(SlowDataset(), num_workers=1, timeout=0.5)))


def test_workers_shut_down_on_break_and_gc(deadline):
    dl = DataLoader(tensor_ds(40), batch_size=2, num_workers=2)
    it = iter(dl)
    next(it)
    workers = list(it._workers)
    assert all(w.is_alive() for w in workers)
    del it
    gc.collect()
    assert not any(w.is_alive() for w in workers)
    for i, _ in enumerate(dl):  # early break
        if i == 1:
            break
    gc.collect()
    assert not any(p.name.startswith("ForkServerProcess") and p.is_alive()
                   for p in __import__("multiprocessing").active_children())


def test_fork_context_numpy_dataset(deadline):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # JAX warns that fork() and threads do not mix
        out = [plain(b) for b in DataLoader(NumpyOnlyDataset(), batch_size=4, num_workers=2,
                                            multiprocessing_context="fork")]
    assert out == [plain(b) for b in DataLoader(NumpyOnlyDataset(), batch_size=4)]


# ---- scripts without a main guard (subprocesses: the real entry points) ----------------------------------------

UNGUARDED_SCRIPT = """
import torch
from torch.utils.data import DataLoader, Dataset


class Squares(Dataset):  # defined in the script, which has no main guard
    def __len__(self):
        return 10

    def __getitem__(self, i):
        import torch.nn.functional as F  # imported in the worker
        return torch.tensor([i, i * i]), F.relu(torch.tensor(float(i - 3)))


class Failing(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        raise ValueError(f"bad sample {i}")


seen = [batch for batch in DataLoader(Squares(), batch_size=4, num_workers=2)]
print([[t.tolist() for t in batch] for batch in seen], all(isinstance(t, torch.Tensor) for b in seen for t in b))
stack = DataLoader(Squares(), batch_size=3, num_workers=2, worker_init_fn=lambda worker_id: None,
                   collate_fn=lambda b: torch.stack([x for x, _ in b]).sum(0))
print([t.tolist() for t in stack])
try:
    list(DataLoader(Failing(), batch_size=2, num_workers=2))
except ValueError as e:
    print(str(e).splitlines()[:2])
"""


def test_unguarded_script_with_workers_runs_as_under_torch(tmp_path):
    """torch on Linux forks its workers, so a script creating a multi-process DataLoader at module level works;
    so must it under ``python -m ptjax`` (torch installed beside it: the workers must still get ptjax) and with
    ``import ptjax as torch``. A worker's exception surfaces with torch's message; nothing hangs."""
    pytest.importorskip("torch")
    as_torch = tmp_path / "as_torch.py"
    as_torch.write_text(UNGUARDED_SCRIPT)
    as_ptjax = tmp_path / "as_ptjax.py"
    as_ptjax.write_text(UNGUARDED_SCRIPT.replace("torch", "ptjax"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [os.path.dirname(os.path.dirname(
        ptjax.__file__)), os.environ.get("PYTHONPATH")])))
    runs = {name: subprocess.Popen([sys.executable, *args], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
            for name, args in [("torch", [str(as_torch)]), ("python -m ptjax", ["-m", "ptjax", str(as_torch)]),
                               ("import ptjax as torch", [str(as_ptjax)])]}
    out = {}
    try:
        for name, p in runs.items():
            stdout, stderr = p.communicate(timeout=120)
            assert p.returncode == 0, f"{name}:\n{stderr[-3000:]}"
            out[name] = stdout
    finally:
        for p in runs.values():
            p.kill()
    assert "Caught ValueError in DataLoader worker process 0." in out["torch"]
    assert out["python -m ptjax"] == out["torch"]
    assert out["import ptjax as torch"] == out["torch"]
