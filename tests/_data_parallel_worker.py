"""Run by tests/test_distributed.py with 8 simulated CPU devices: nn.DataParallel over all of them trains a
small MLP exactly as the plain module on one device. Prints one JSON line of findings."""
import json

import numpy as np

import ptjax as torch
import ptjax.nn.functional as F
from ptjax import nn


def make():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 3))


def main():
    single, replicated = make(), make()
    parallel = nn.DataParallel(replicated)
    optimizers = [torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9) for m in (single, parallel)]
    g = np.random.default_rng(0)
    for _ in range(3):
        x = torch.tensor(g.standard_normal((16, 6)), dtype=torch.float32)
        y = torch.tensor(g.integers(0, 3, 16))
        for model, opt in zip((single, parallel), optimizers):
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            opt.step()
    out = parallel(x)
    uneven = torch.randn(10, 6)      # 10 rows do not split over 8 devices: replicated, same values
    print(json.dumps({
        "devices": len(parallel.device_ids),
        "output_spec": repr(out._value.sharding.spec),
        "grad_devices": len(replicated[0].weight.grad._value.devices()),
        "max_parameter_difference": max(float(np.abs(a.detach().numpy() - b.detach().numpy()).max())
                                        for a, b in zip(single.parameters(), replicated.parameters())),
        "uneven_batch_max_difference": float(np.abs(parallel(uneven).detach().numpy()
                                                    - single(uneven).detach().numpy()).max()),
    }))


if __name__ == "__main__":
    main()
