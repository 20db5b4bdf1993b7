"""The cubic fit of sin(x) again, gradients from autograd; updates under no_grad; float32 this time."""
import math

import torch

from _report import report

x = torch.linspace(-math.pi, math.pi, 400)
y = torch.sin(x)
a = torch.tensor(0.2, requires_grad=True)
b = torch.tensor(-0.1, requires_grad=True)
c = torch.tensor(0.3, requires_grad=True)
d = torch.tensor(0.05, requires_grad=True)

lr = 2e-6
losses = []
for t in range(400):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    if t % 100 == 99:
        losses.append(loss.item())
    loss.backward()
    with torch.no_grad():
        for param in (a, b, c, d):
            param -= lr * param.grad
            param.grad = None

report("losses", losses, rtol=1e-4)
report("coefficients", [a.item(), b.item(), c.item(), d.item()], rtol=1e-4, atol=1e-6)
report("still_leaves", [p.is_leaf and p.requires_grad for p in (a, b, c, d)])
report("loss_fell", losses[-1] / losses[0], max=0.9)
