"""A complete training script without TensorBoard: argparse settings, train/validation split, a tqdm-style
progress line, running averages, best-checkpoint tracking, early stopping, and a JSON summary at the end."""
import argparse
import copy
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset, random_split

from _report import report

parser = argparse.ArgumentParser(description="toy regression")
parser.add_argument("--epochs", type=int, default=12)
parser.add_argument("--batch-size", type=int, default=32)
parser.add_argument("--lr", type=float, default=0.05)
parser.add_argument("--patience", type=int, default=3)
parser.add_argument("--seed", type=int, default=1)
args = parser.parse_args()
torch.manual_seed(args.seed)


class AverageMeter:
    def __init__(self):
        self.sum, self.count = 0.0, 0

    def update(self, value, n=1):
        self.sum += value * n
        self.count += n

    @property
    def avg(self):
        return self.sum / max(self.count, 1)


def progress(it, desc, total):
    start = time.time()
    for i, item in enumerate(it, 1):
        yield item
        bar = "#" * int(20 * i / total)
        sys.stderr.write(f"\r{desc}: {i}/{total} [{bar:<20}] {time.time() - start:.1f}s")
    sys.stderr.write("\n")


rng = np.random.RandomState(args.seed)
X = rng.uniform(-2, 2, size=(512, 3)).astype(np.float32)
y = (np.sin(X[:, :1]) + X[:, 1:2] * X[:, 2:3] + 0.05 * rng.randn(512, 1)).astype(np.float32)
full = TensorDataset(torch.from_numpy(X), torch.from_numpy(y))
train_set, val_set = random_split(full, [448, 64])
train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
val_loader = DataLoader(val_set, batch_size=64)

model = nn.Sequential(nn.Linear(3, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
loss_fn = nn.MSELoss()

best_loss, best_state, bad_epochs, history = float("inf"), None, 0, []
for epoch in range(args.epochs):
    model.train()
    meter = AverageMeter()
    for xb, yb in progress(train_loader, f"epoch {epoch}", len(train_loader)):
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        meter.update(loss.item(), xb.size(0))
    scheduler.step()
    model.eval()
    with torch.inference_mode():
        val_loss = sum(loss_fn(model(xb), yb).item() * len(xb) for xb, yb in val_loader) / len(val_set)
    history.append({"epoch": epoch, "train": round(meter.avg, 5), "val": round(val_loss, 5)})
    print(json.dumps(history[-1]))
    if val_loss < best_loss - 1e-4:
        best_loss, best_state, bad_epochs = val_loss, copy.deepcopy(model.state_dict()), 0
    else:
        bad_epochs += 1
        if bad_epochs >= args.patience:
            print(f"early stop at epoch {epoch}")
            break

model.load_state_dict(best_state)
with torch.inference_mode():
    final = sum(loss_fn(model(xb), yb).item() * len(xb) for xb, yb in val_loader) / len(val_set)
report("restored_best", abs(final - best_loss) < 1e-6)
report("val_loss", final, max=0.15)
report("train_loss_fell", history[-1]["train"] / history[0]["train"], max=0.5)
report("epochs_run", len(history), min=args.patience + 1, max=args.epochs)
report("deepcopy_independent", best_state is not model.state_dict())
print(json.dumps({"best_val": best_loss, "epochs": len(history)}))
