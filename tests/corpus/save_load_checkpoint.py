"""Saving and loading: state_dict round trips, a full training checkpoint with the optimizer state, resuming
training exactly where it stopped, strict=False partial loads, and saving whole tensors and containers."""
import os

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

from _report import numpy_init, report


class TheModelClass(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3)
        self.pool = nn.MaxPool2d(2, 2)
        self.bn = nn.BatchNorm2d(4)
        self.fc1 = nn.Linear(4 * 3 * 3, 10)

    def forward(self, x):
        x = self.pool(torch.relu(self.bn(self.conv1(x))))
        return self.fc1(torch.flatten(x, 1))


rng = np.random.RandomState(0)
images = torch.from_numpy(rng.randn(16, 3, 8, 8).astype(np.float32))
labels = torch.from_numpy(rng.randint(0, 10, 16))
model = numpy_init(TheModelClass(), seed=0)
optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
criterion = nn.CrossEntropyLoss()


def train_steps(model, optimizer, n):
    losses = []
    for _ in range(n):
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


report("state_dict", [(k, list(v.shape)) for k, v in model.state_dict().items()])
report("optimizer_state_dict_before", optimizer.state_dict())
first = train_steps(model, optimizer, 3)
report("optimizer_state_keys", sorted(optimizer.state_dict()["state"][0].keys()))
report("param_groups", {k: v for k, v in optimizer.state_dict()["param_groups"][0].items() if k != "params"})

torch.save({"epoch": 3, "model_state_dict": model.state_dict(),
            "optimizer_state_dict": optimizer.state_dict(), "loss": first[-1]}, "checkpoint.tar")
continued = train_steps(model, optimizer, 3)

model2 = TheModelClass()
optimizer2 = optim.SGD(model2.parameters(), lr=0.5, momentum=0.1)
checkpoint = torch.load("checkpoint.tar", weights_only=True)
model2.load_state_dict(checkpoint["model_state_dict"])
optimizer2.load_state_dict(checkpoint["optimizer_state_dict"])
report("checkpoint_meta", [checkpoint["epoch"], checkpoint["loss"]], rtol=1e-5)
report("restored_lr", optimizer2.param_groups[0]["lr"])
model2.train()
resumed = train_steps(model2, optimizer2, 3)
report("losses", first + continued, rtol=1e-4)
report("resume_matches", np.allclose(resumed, continued, rtol=1e-5))

torch.save(model.state_dict(), "weights.pt")
report("file_exists", os.path.getsize("weights.pt") > 0)
model3 = TheModelClass()
model3.load_state_dict(torch.load("weights.pt"))
model3.eval()
model.eval()
with torch.no_grad():
    report("eval_outputs_equal", torch.equal(model3(images), model(images)))
report("bn_running_mean", model3.bn.running_mean, rtol=1e-4, atol=1e-6)
report("num_batches_tracked", model3.bn.num_batches_tracked)

partial = {k: v for k, v in model.state_dict().items() if k.startswith("fc1")}
result = TheModelClass().load_state_dict(partial, strict=False)
report("missing_keys", sorted(result.missing_keys))
report("unexpected_keys", result.unexpected_keys)
try:
    TheModelClass().load_state_dict(partial)
    strict_error = None
except RuntimeError as e:
    strict_error = str(e).splitlines()[0]
report("strict_error", strict_error)

misc = {"t": torch.arange(6).view(2, 3), "lst": [torch.ones(2), 3, "x"], "f64": torch.zeros(2, dtype=torch.float64)}
torch.save(misc, "misc.pt")
misc = torch.load("misc.pt")
report("misc", [misc["t"], misc["lst"][0], misc["lst"][1:], str(misc["f64"].dtype)])
shared = torch.arange(10)
view = shared[2:5]
torch.save([shared, view], "views.pt")
a, b = torch.load("views.pt")
a[3] = 100
report("views_share_storage_after_load", b.tolist())
