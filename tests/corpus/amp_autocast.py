"""Automatic mixed precision: matmuls under torch.autocast run in bfloat16 (CPU) while reductions and the loss
stay float32; a GradScaler scales the loss, unscales before clipping, and skips steps with inf gradients."""
import numpy as np
import torch
import torch.nn as nn

from _report import numpy_init, report

device = "cuda" if torch.cuda.is_available() else "cpu"
amp_dtype = torch.float16 if device == "cuda" else torch.bfloat16

rng = np.random.RandomState(0)
x_np = rng.randn(256, 32).astype(np.float32)
w_true = rng.randn(32, 1).astype(np.float32)
inputs = torch.from_numpy(x_np)
targets = torch.from_numpy(x_np @ w_true + 0.1 * rng.randn(256, 1).astype(np.float32))


def make_model():
    return numpy_init(nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 1)), seed=1).to(device)


model = make_model()
with torch.autocast(device_type=device, dtype=amp_dtype):
    output = model(inputs)
    report("autocast_linear_dtype", output.dtype == amp_dtype)
    loss = nn.functional.mse_loss(output.float(), targets)
    report("loss_dtype", loss.dtype)
    report("softmax_dtype", torch.softmax(output, dim=0).dtype)
    report("enabled_inside", torch.is_autocast_enabled(device))
report("enabled_outside", torch.is_autocast_enabled(device))
report("outside_dtype", model(inputs).dtype)
with torch.no_grad():
    full = model(inputs)
report("low_precision_close", (output.float() - full).abs().max().item(), max=0.1)

with torch.autocast(device_type=device, dtype=amp_dtype):
    with torch.autocast(device_type=device, enabled=False):
        report("disabled_region_dtype", model(inputs).dtype)

scaler = torch.amp.GradScaler(device, init_scale=2.0 ** 10)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
losses = []
for _epoch in range(30):
    optimizer.zero_grad()
    with torch.autocast(device_type=device, dtype=amp_dtype):
        loss = nn.functional.mse_loss(model(inputs), targets)
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=5.0)
    scaler.step(optimizer)
    scaler.update()
    losses.append(loss.item())
report("loss_fell", losses[-1] / losses[0], max=0.3)
report("scale", scaler.get_scale())

# an inf gradient: the step is skipped and the scale backs off
before = [p.detach().clone() for p in model.parameters()]
optimizer.zero_grad()
with torch.autocast(device_type=device, dtype=amp_dtype):
    loss = nn.functional.mse_loss(model(inputs), targets) * float("inf")
scaler.scale(loss).backward()
scaler.step(optimizer)
scaler.update()
report("skipped_step", all(torch.equal(a, b) for a, b in zip(before, model.parameters())))
report("scale_backed_off", scaler.get_scale())
report("scaler_state", sorted(scaler.state_dict()))
