"""A custom nn.Module with Python control flow: a polynomial whose degree varies per forward pass."""
import math
import random

import torch

from _report import report


class DynamicNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor(0.1))
        self.b = torch.nn.Parameter(torch.tensor(0.2))
        self.c = torch.nn.Parameter(torch.tensor(-0.1))
        self.d = torch.nn.Parameter(torch.tensor(0.05))
        self.e = torch.nn.Parameter(torch.tensor(0.0))

    def forward(self, x, extra_terms):
        y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
        for exp in range(4, 4 + extra_terms):  # the same parameter e reused for each extra power
            y = y + self.e * x ** exp
        return y

    def string(self):
        return (f"y = {self.a.item():.3f} + {self.b.item():.3f} x + {self.c.item():.3f} x^2 + "
                f"{self.d.item():.3f} x^3 + {self.e.item():.3f} x^4 ? + {self.e.item():.3f} x^5 ?")


x = torch.linspace(-math.pi, math.pi, 200)
y = torch.sin(x)
model = DynamicNet()
report("parameter_names", [n for n, _ in model.named_parameters()])
report("repr", repr(model))
criterion = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
choices = random.Random(0)  # Python's own generator: the same draws under both libraries
losses = []
for _t in range(300):
    y_pred = model(x, choices.randint(0, 2))
    loss = criterion(y_pred, y)
    losses.append(loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
report("losses", losses[::60], rtol=1e-3)
report("final_params", [p.item() for p in model.parameters()], rtol=1e-3, atol=1e-7)
print(model.string())
