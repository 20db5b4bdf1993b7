"""The PyTorch examples' MNIST recipe on real torch (1 thread), as the reference for docs/performance.md.

Same CNN, Adadelta(lr=1.0), StepLR(gamma=0.7), batch 64, seed 1, the same IDX files (read with ptjax's reader,
no torchvision needed). Prints wall time per epoch, samples/s and test accuracy.

    python benchmarks/mnist_torch_reference.py --data data --epochs 1
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from ptjax.vision.datasets.mnist import read_image_file, read_label_file

sys.path.insert(0, os.path.dirname(__file__))
from bench_train import cnn  # noqa: E402  (the same CNN, built with torch)


def load(raw, split):
    prefix = "train" if split == "train" else "t10k"
    x = read_image_file(os.path.join(raw, f"{prefix}-images-idx3-ubyte")).astype(np.float32) / 255.0
    y = read_label_file(os.path.join(raw, f"{prefix}-labels-idx1-ubyte")).astype(np.int64)
    return TensorDataset(torch.from_numpy((x[:, None] - 0.1307) / 0.3081), torch.from_numpy(y))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="data")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    raw = os.path.join(args.data, "MNIST", "raw")
    train = DataLoader(load(raw, "train"), batch_size=64, shuffle=True)
    test = DataLoader(load(raw, "test"), batch_size=1000)
    model = cnn(torch)
    opt = torch.optim.Adadelta(model.parameters(), lr=1.0)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    for epoch in range(1, args.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        for x, y in train:
            opt.zero_grad()
            F.nll_loss(model(x), y).backward()
            opt.step()
        dt = time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            correct = sum(model(x).argmax(1).eq(y).sum().item() for x, y in test)
        print(f"torch epoch {epoch}: {dt:.1f} s, {60000 / dt:.0f} samples/s, {1000 * dt / len(train):.1f} ms/step, "
              f"test accuracy {correct / 100:.2f}%", flush=True)
        sched.step()


if __name__ == "__main__":
    main()
