"""The cubic fit with torch.nn: features x^1..x^3 built with pow, a Linear layer, Flatten, a summed MSE loss."""
import math

import torch

from _report import numpy_init, report

x = torch.linspace(-math.pi, math.pi, 300)
y = torch.sin(x)
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)
report("features_shape", xx.shape)

model = torch.nn.Sequential(
    torch.nn.Linear(3, 1),
    torch.nn.Flatten(0, 1),
)
numpy_init(model, seed=3, scale=0.2)
loss_fn = torch.nn.MSELoss(reduction="sum")

learning_rate = 2e-6
losses = []
for t in range(300):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    if t % 100 == 99:
        losses.append(loss.item())
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for param in model.parameters():
            param -= learning_rate * param.grad

linear_layer = model[0]
report("losses", losses, rtol=1e-4)
report("bias", linear_layer.bias, rtol=1e-4, atol=1e-6)
report("weights", linear_layer.weight, rtol=1e-4, atol=1e-6)
report("n_params", sum(param.numel() for param in model.parameters()))
report("module_names", [name for name, _ in model.named_modules()])
print(f"y = {linear_layer.bias.item():.4f} + {linear_layer.weight[:, 0].item():.4f} x + "
      f"{linear_layer.weight[:, 1].item():.4f} x^2 + {linear_layer.weight[:, 2].item():.4f} x^3")
