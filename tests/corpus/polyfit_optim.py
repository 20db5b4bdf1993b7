"""The cubic fit with optimizers: the same model trained by SGD with momentum, RMSprop, Adam and Adamax."""
import math

import torch

from _report import numpy_init, report

x = torch.linspace(-math.pi, math.pi, 200)
y = torch.sin(x)
xx = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3]))


def fit(make_optimizer, steps=150):
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    numpy_init(model, seed=7, scale=0.1)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    optimizer = make_optimizer(model.parameters())
    first = None
    for _ in range(steps):
        loss = loss_fn(model(xx), y)
        first = loss.item() if first is None else first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return first, loss.item(), torch.cat([model[0].bias, model[0].weight.flatten()]).tolist()


for name, make in [
    ("sgd_momentum", lambda ps: torch.optim.SGD(ps, lr=1e-6, momentum=0.9)),
    ("sgd_nesterov", lambda ps: torch.optim.SGD(ps, lr=1e-6, momentum=0.9, nesterov=True)),
    ("rmsprop", lambda ps: torch.optim.RMSprop(ps, lr=1e-3)),
    ("adam", lambda ps: torch.optim.Adam(ps, lr=1e-2)),
    ("adamax", lambda ps: torch.optim.Adamax(ps, lr=1e-2)),
]:
    first, last, params = fit(make)
    report(f"{name}_final_loss", last, rtol=2e-3)
    report(f"{name}_params", params, rtol=2e-3, atol=1e-5)
    report(f"{name}_improved", last / first, max=0.8)
