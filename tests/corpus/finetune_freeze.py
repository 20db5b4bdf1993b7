"""Transfer-learning style fine-tuning: freeze a "pretrained" backbone, replace the head, train only what
requires grad, then unfreeze with per-group learning rates under schedulers (StepLR, warmup + cosine, OneCycle)."""
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim
from torch.optim import lr_scheduler

from _report import numpy_init, report

backbone = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                         nn.Flatten())
model = nn.Sequential()
model.add_module("features", backbone)
model.add_module("fc", nn.Linear(8, 5))
numpy_init(model, seed=0)
num_ftrs = model.fc.in_features
model.fc = nn.Linear(num_ftrs, 2)  # the new head for a two-class problem
numpy_init(model.fc, seed=1)

for param in model.features.parameters():
    param.requires_grad = False
report("trainable", [n for n, p in model.named_parameters() if p.requires_grad])
report("frozen_count", sum(not p.requires_grad for p in model.parameters()))

rng = np.random.RandomState(0)
images = torch.from_numpy(rng.randn(32, 3, 8, 8).astype(np.float32))
labels = torch.from_numpy((rng.rand(32) > 0.5).astype(np.int64))
images[labels == 1] += 0.5
criterion = nn.CrossEntropyLoss()
frozen_before = [p.clone() for p in model.features.parameters()]
optimizer_ft = optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1, momentum=0.9)
exp_lr_scheduler = lr_scheduler.StepLR(optimizer_ft, step_size=3, gamma=0.1)
model.features.eval()  # keep the frozen BatchNorm statistics
lrs, losses = [], []
for _epoch in range(8):
    optimizer_ft.zero_grad()
    loss = criterion(model(images), labels)
    loss.backward()
    optimizer_ft.step()
    exp_lr_scheduler.step()
    lrs.append(optimizer_ft.param_groups[0]["lr"])
    losses.append(loss.item())
report("step_lrs", lrs, rtol=1e-12)
report("head_losses", losses, rtol=1e-4)
report("backbone_unchanged", all(torch.equal(a, b) for a, b in zip(frozen_before, model.features.parameters())))
report("frozen_grads_none", [p.grad is None for p in model.features.parameters()])

# unfreeze; the backbone learns ten times slower than the head
model.requires_grad_(True)
optimizer = optim.AdamW([
    {"params": model.features.parameters(), "lr": 1e-3},
    {"params": model.fc.parameters()},
], lr=1e-2, weight_decay=0.01)
report("group_lrs", [g["lr"] for g in optimizer.param_groups])
report("group_defaults", [g["weight_decay"] for g in optimizer.param_groups])
warmup = lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=3)
cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=7, eta_min=1e-5)
scheduler = lr_scheduler.SequentialLR(optimizer, schedulers=[warmup, cosine], milestones=[3])
model.train()
history = []
for _epoch in range(10):
    optimizer.zero_grad()
    loss = criterion(model(images), labels)
    loss.backward()
    optimizer.step()
    scheduler.step()
    history.append(scheduler.get_last_lr())
report("sequential_lrs", history, rtol=1e-9)
report("final_loss", loss.item(), rtol=1e-3)

one_cycle_opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
one_cycle = lr_scheduler.OneCycleLR(one_cycle_opt, max_lr=0.5, total_steps=12)
cycle = [one_cycle.get_last_lr()[0]]
for _ in range(11):
    one_cycle_opt.step()
    one_cycle.step()
    cycle.append(one_cycle.get_last_lr()[0])
report("one_cycle", cycle, rtol=1e-9)
report("one_cycle_momentum", one_cycle_opt.param_groups[0]["momentum"], rtol=1e-9)
plateau_opt = optim.SGD(model.parameters(), lr=1.0)
plateau = lr_scheduler.ReduceLROnPlateau(plateau_opt, mode="min", factor=0.5, patience=1)
for metric in [1.0, 0.9, 0.95, 0.97, 0.99, 0.5, 0.6, 0.7]:
    plateau.step(metric)
report("plateau_lr", plateau_opt.param_groups[0]["lr"])
