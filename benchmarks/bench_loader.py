"""Input pipeline benchmark (issue #11): the MNIST example's loader, ptjax against torch's DataLoader.

Both sides do the same work per batch of 64: shuffled indices, ``dataset[i]`` for each (a uint8 28x28 image
copied out of the data array, as ``ptjax.vision.datasets.MNIST`` hands it out without Pillow, and an int
target), ToTensor + Normalize((0.1307,), (0.3081,)) per image, default collation. The torch side writes
torchvision's ToTensor and Normalize with plain torch ops (torchvision is not a dependency), step for step
(ndarray → tensor, permute, contiguous, float, div 255; clone, mean/std as tensors, check std, sub_, div_).

A batch counts as delivered when its tensors are arrays the next op can use: torch's CPU tensors as they
come; for ptjax, their JAX arrays (a ptjax batch stays a host tensor until its first op or ``.to(device)``,
which moves it in one transfer; the benchmark forces that transfer). Where a GPU is present, both sides move
the batch there (``.to('cuda', non_blocking=True)``, synchronized). Rounds of 100 batches alternate
between the contenders (workers are persistent, warmed up first); the figures are medians over rounds.

Data: the real MNIST training set if ``--data`` (default: $PTJAX_DATA, ~/.cache/ptjax/data, ../data) has
it, else 60,000 synthetic images.

Run: ``python benchmarks/bench_loader.py`` (``--quick`` for fewer rounds).
"""
from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _util import fmt, try_import_torch  # noqa: E402

import ptjax  # noqa: E402
from ptjax.utils.data import DataLoader, Dataset  # noqa: E402
from ptjax.vision import datasets, transforms  # noqa: E402

MEAN, STD = (0.1307,), (0.3081,)


class SyntheticMNIST(Dataset):
    """60,000 random uint8 28x28 images with MNIST's ``__getitem__`` (no Pillow)."""

    def __init__(self, transform=None):
        rng = np.random.default_rng(0)
        self.data = rng.integers(0, 256, (60000, 28, 28), dtype=np.uint8)
        self.targets = rng.integers(0, 10, 60000)
        self.transform = transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        img = np.array(self.data[index], dtype=np.uint8, copy=True)
        if self.transform is not None:
            img = self.transform(img)
        return img, int(self.targets[index])


def find_mnist(root):
    """A directory holding the MNIST training files, or None."""
    for d in [root, os.environ.get("PTJAX_DATA"), os.path.expanduser("~/.cache/ptjax/data"), "../data"]:
        if d and os.path.isfile(os.path.join(d, "MNIST", "raw", "train-images-idx3-ubyte")):
            return d
    return None


# ---- torch's side: torchvision's transforms in plain torch -----------------------------------------------------

def torch_side(torch, images, targets):
    class ToTensor:
        def __call__(self, pic):
            if pic.ndim == 2:
                pic = pic[:, :, None]
            img = torch.from_numpy(pic.transpose((2, 0, 1))).contiguous()
            return img.to(dtype=torch.get_default_dtype()).div(255)

    class Normalize:
        def __init__(self, mean, std):
            self.mean, self.std = mean, std

        def __call__(self, tensor):
            tensor = tensor.clone()
            mean = torch.as_tensor(self.mean, dtype=tensor.dtype, device=tensor.device)
            std = torch.as_tensor(self.std, dtype=tensor.dtype, device=tensor.device)
            if (std == 0).any():
                raise ValueError("std evaluated to zero")
            return tensor.sub_(mean.view(-1, 1, 1)).div_(std.view(-1, 1, 1))

    class Compose:
        def __init__(self, ts):
            self.ts = ts

        def __call__(self, x):
            for t in self.ts:
                x = t(x)
            return x

    class MNISTLike(torch.utils.data.Dataset):
        def __init__(self, transform):
            self.data, self.targets, self.transform = images, targets, transform

        def __len__(self):
            return len(self.data)

        def __getitem__(self, index):
            img = np.array(self.data[index], dtype=np.uint8, copy=True)
            return self.transform(img), int(self.targets[index])

    return MNISTLike(Compose([ToTensor(), Normalize(MEAN, STD)]))


# ---- timing ------------------------------------------------------------------------------------------------------

def delivered_ptjax(batch):
    """On a GPU: ``.to('cuda')`` (one transfer from the host array); else the transfer the first op makes."""
    for t in batch:
        if ptjax.cuda.is_available():
            t = t.to("cuda", non_blocking=True)
        t._value.block_until_ready()


def delivered_torch(torch):
    def delivered(batch):
        if torch.cuda.is_available():
            for t in batch:
                t.to("cuda", non_blocking=True)
            torch.cuda.synchronize()
    return delivered


class Contender:
    """A loader iterated in rounds of ``n`` batches; an epoch that ends restarts (persistent workers)."""

    def __init__(self, loader, delivered):
        self.loader, self.delivered = loader, delivered
        self.it = iter(loader)

    def next_batch(self):
        try:
            return next(self.it)
        except StopIteration:
            self.it = iter(self.loader)
            return next(self.it)

    def round(self, n):
        t0 = time.perf_counter()
        for _ in range(n):
            self.delivered(self.next_batch())
        return (time.perf_counter() - t0) / n


def compare(contenders, rounds, n, warmup=10):
    for c in contenders.values():
        for _ in range(warmup):
            c.delivered(c.next_batch())
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, c in contenders.items():
            times[name].append(c.round(n))
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="directory holding MNIST/raw (else synthetic data)")
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 7")
    args = parser.parse_args()
    rounds, n = (3, 50) if args.quick else (7, 100)

    torch = try_import_torch()
    # torch forks its workers from this process, where JAX runs; they never touch JAX, so JAX's warning is moot
    warnings.filterwarnings("ignore", message=r"os.fork\(\) was called", category=RuntimeWarning)
    root = find_mnist(args.data)
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])
    if root is not None:
        ours = datasets.MNIST(root, train=True, transform=transform)
        images, targets = ours._data_np, ours._targets_np
        print(f"data: MNIST training set from {root}")
    else:
        ours = SyntheticMNIST(transform)
        images, targets = ours.data, ours.targets
        print("data: 60,000 synthetic 28x28 uint8 images (no MNIST files found)")
    print(f"ptjax {ptjax.__file__}; torch {torch.__version__ if torch else 'absent'}; {rounds} rounds of {n} "
          f"batches of 64, medians per batch\n")

    for workers in (0, 2):
        kw = {"batch_size": 64, "shuffle": True, "num_workers": workers}
        if workers:
            kw["persistent_workers"] = True
        contenders = {"ptjax": Contender(DataLoader(ours, **kw), delivered_ptjax)}
        if torch:
            contenders["torch"] = Contender(torch.utils.data.DataLoader(torch_side(torch, images, targets), **kw),
                                            delivered_torch(torch))
        t = compare(contenders, rounds, n)
        line = f"num_workers={workers}:  ptjax {fmt(t['ptjax'])}/batch"
        if torch:
            line += f"   torch {fmt(t['torch'])}/batch   ratio ptjax/torch {t['ptjax'] / t['torch']:.2f}x"
        print(line)
        del contenders  # persistent workers end with their loaders, before the next configuration
        gc.collect()


if __name__ == "__main__":
    main()
