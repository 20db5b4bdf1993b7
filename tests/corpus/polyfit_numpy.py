"""Fit y = sin(x) with a cubic a + b x + c x^2 + d x^3, gradients written out by hand (NumPy first, then tensors)."""
import math

import numpy as np
import torch

from _report import report

x_np = np.linspace(-math.pi, math.pi, 500)
y_np = np.sin(x_np)
coef_np = np.array([0.1, -0.2, 0.05, 0.3])  # the same starting point for both fits
lr = 1e-6

a, b, c, d = coef_np
for _ in range(300):
    y_pred = a + b * x_np + c * x_np ** 2 + d * x_np ** 3
    grad_y = 2.0 * (y_pred - y_np)
    a -= lr * grad_y.sum()
    b -= lr * (grad_y * x_np).sum()
    c -= lr * (grad_y * x_np ** 2).sum()
    d -= lr * (grad_y * x_np ** 3).sum()
numpy_coef = [a, b, c, d]

dtype = torch.float64
x = torch.linspace(-math.pi, math.pi, 500, dtype=dtype)
y = torch.sin(x)
a, b, c, d = (torch.tensor(v, dtype=dtype) for v in coef_np)
losses = []
for step in range(300):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum().item()
    if step % 100 == 99:
        losses.append(loss)
    grad_y_pred = 2.0 * (y_pred - y)
    a -= lr * grad_y_pred.sum()
    b -= lr * (grad_y_pred * x).sum()
    c -= lr * (grad_y_pred * x ** 2).sum()
    d -= lr * (grad_y_pred * x ** 3).sum()

report("losses", losses, rtol=1e-9)
report("coefficients", [a.item(), b.item(), c.item(), d.item()], rtol=1e-9)
report("matches_numpy", np.allclose([a.item(), b.item(), c.item(), d.item()], numpy_coef, rtol=1e-10))
print(f"Result: y = {a.item():.4f} + {b.item():.4f} x + {c.item():.4f} x^2 + {d.item():.4f} x^3")
