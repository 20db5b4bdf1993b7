"""The PyTorch examples' MNIST recipe on real torch + torchvision, one epoch, timed like ``examples/mnist.py``
(Adadelta 1.0, batch 64, test batch 1000, seed 1; DataLoader with 1 worker and pinned memory, as torch users run it
on a GPU). Prints the same "Epoch 1: ... ms/step" and "Accuracy" lines as the ptjax example, so ``report.py`` reads
both alike.

    python benchmarks/gpu/mnist_torch.py --data DIR [--device cuda] [--dry-run]
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision import datasets, transforms


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3, 1), nn.Conv2d(32, 64, 3, 1)
        self.dropout1, self.dropout2 = nn.Dropout(0.25), nn.Dropout(0.5)
        self.fc1, self.fc2 = nn.Linear(9216, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = self.dropout1(F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2))
        x = self.dropout2(F.relu(self.fc1(torch.flatten(x, 1))))
        return F.log_softmax(self.fc2(x), dim=1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--dry-run", action="store_true", help="one batch, on the CPU")
    args = ap.parse_args()
    device = torch.device("cpu" if args.dry_run else args.device)
    torch.manual_seed(1)
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    kw = {"num_workers": 1, "pin_memory": device.type == "cuda"}
    train = torch.utils.data.DataLoader(datasets.MNIST(args.data, train=True, transform=tf), batch_size=64,
                                        shuffle=True, **kw)
    test = torch.utils.data.DataLoader(datasets.MNIST(args.data, train=False, transform=tf), batch_size=1000, **kw)
    model = Net().to(device)
    opt = torch.optim.Adadelta(model.parameters(), lr=1.0)
    model.train()
    t0 = time.perf_counter()
    steps = 0
    for i, (x, y) in enumerate(train):
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        opt.zero_grad()
        loss = F.nll_loss(model(x), y)
        loss.backward()
        opt.step()
        steps += 1
        if i % 10 == 0:
            loss.item()
        if args.dry_run:
            break
    elapsed = time.perf_counter() - t0
    print(f"Epoch 1: {elapsed:.1f} s, {steps * 64 / elapsed:.0f} samples/s, {1000 * elapsed / steps:.1f} ms/step")
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in test:
            correct += model(x.to(device)).argmax(1).eq(y.to(device)).sum().item()
            if args.dry_run:
                break
    print(f"Test set: Accuracy: {correct}/{len(test.dataset)} ({100 * correct / len(test.dataset):.2f}%)")


if __name__ == "__main__":
    main()
