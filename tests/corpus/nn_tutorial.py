"""What is torch.nn really? A logistic regression on 28x28 images, refactored one step at a time.

The images are synthetic (a fixed template per class plus noise, from NumPy), so the whole run is deterministic
and the same under both libraries: every refactoring must give exactly the losses of the hand-written version.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

from _report import report

rng = np.random.RandomState(0)
templates = rng.rand(10, 784).astype(np.float32)
labels = rng.randint(0, 10, size=600)
images = templates[labels] * 0.3 + rng.rand(600, 784).astype(np.float32) * 0.7 - 0.5
x_train, y_train, x_valid, y_valid = map(torch.tensor, (images[:500], labels[:500], images[500:], labels[500:]))
n, c = x_train.shape
report("data", [n, c, int(y_train.min()), int(y_train.max())])
report("label_dtype", y_train.dtype)

w0 = torch.from_numpy(rng.randn(784, 10).astype(np.float32) / math.sqrt(784))
bs, lr, epochs = 50, 0.1, 2

# 1. from scratch: log_softmax, negative log-likelihood, accuracy, manual SGD
weights = w0.clone().requires_grad_()
bias = torch.zeros(10, requires_grad=True)


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def model(xb):
    return log_softmax(xb @ weights + bias)


def nll(inp, target):
    return -inp[range(target.shape[0]), target].mean()


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


loss_func = nll
xb, yb = x_train[:bs], y_train[:bs]
preds = model(xb)
report("scratch_first_loss", loss_func(preds, yb), rtol=1e-5)
report("scratch_first_acc", accuracy(preds, yb))

for _epoch in range(epochs):
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        xb, yb = x_train[start_i:start_i + bs], y_train[start_i:start_i + bs]
        loss = loss_func(model(xb), yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
scratch = loss_func(model(x_valid), y_valid).item()
report("scratch_valid_loss", scratch, rtol=1e-4)

# 2. F.cross_entropy replaces log_softmax + nll
weights = w0.clone().requires_grad_()
bias = torch.zeros(10, requires_grad=True)
report("cross_entropy_matches", torch.allclose(F.cross_entropy(xb @ weights + bias, yb),
                                               nll(log_softmax(xb @ weights + bias), yb)))


# 3. nn.Module with nn.Parameter, then nn.Linear
class MnistLogistic(nn.Module):
    def __init__(self):
        super().__init__()
        self.weights = nn.Parameter(w0.clone())
        self.bias = nn.Parameter(torch.zeros(10))

    def forward(self, xb):
        return xb @ self.weights + self.bias


class MnistLinear(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(784, 10)
        with torch.no_grad():
            self.lin.weight.copy_(w0.t())
            self.lin.bias.zero_()

    def forward(self, xb):
        return self.lin(xb)


def get_data(train_ds, valid_ds, bs):
    return DataLoader(train_ds, batch_size=bs), DataLoader(valid_ds, batch_size=bs * 2)


def loss_batch(model, loss_func, xb, yb, opt=None):
    loss = loss_func(model(xb), yb)
    if opt is not None:
        loss.backward()
        opt.step()
        opt.zero_grad()
    return loss.item(), len(xb)


def fit(epochs, model, loss_func, opt, train_dl, valid_dl):
    for _epoch in range(epochs):
        model.train()
        for xb, yb in train_dl:
            loss_batch(model, loss_func, xb, yb, opt)
        model.eval()
        with torch.no_grad():
            losses, nums = zip(*[loss_batch(model, loss_func, xb, yb) for xb, yb in valid_dl])
        val_loss = np.sum(np.multiply(losses, nums)) / np.sum(nums)
    return val_loss


train_ds, valid_ds = TensorDataset(x_train, y_train), TensorDataset(x_valid, y_valid)
train_dl, valid_dl = get_data(train_ds, valid_ds, bs)
for name, make in [("module", MnistLogistic), ("linear", MnistLinear)]:
    m = make()
    val = fit(epochs, m, F.cross_entropy, optim.SGD(m.parameters(), lr=lr), train_dl, valid_dl)
    report(f"{name}_valid_loss", val, rtol=1e-4)
    report(f"{name}_agrees_with_scratch", abs(val - scratch) < 1e-3 * scratch)


# 4. a CNN through nn.Sequential with a Lambda layer, and a view as preprocessing in the loader
class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


class WrappedDataLoader:
    def __init__(self, dl, func):
        self.dl, self.func = dl, func

    def __len__(self):
        return len(self.dl)

    def __iter__(self):
        for b in self.dl:
            yield self.func(*b)


def preprocess(x, y):
    return x.view(-1, 1, 28, 28), y


cnn = nn.Sequential(
    nn.Conv2d(1, 8, kernel_size=3, stride=2, padding=1), nn.ReLU(),
    nn.Conv2d(8, 10, kernel_size=3, stride=2, padding=1), nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    Lambda(lambda x: x.view(x.size(0), -1)),
)
wrng = np.random.RandomState(1)
with torch.no_grad():
    for p in cnn.parameters():
        p.copy_(torch.from_numpy(wrng.uniform(-0.3, 0.3, tuple(p.shape)).astype(np.float32)))
report("cnn_out_shape", cnn(x_train[:4].view(-1, 1, 28, 28)).shape)
val = fit(2, cnn, F.cross_entropy, optim.SGD(cnn.parameters(), lr=0.05, momentum=0.9),
          WrappedDataLoader(train_dl, preprocess), WrappedDataLoader(valid_dl, preprocess))
report("cnn_valid_loss", val, rtol=2e-3)
report("n_batches", [len(train_dl), len(valid_dl)])
