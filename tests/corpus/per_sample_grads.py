"""Per-sample gradients with torch.func: functional_call over detached parameters, grad of a one-sample loss,
vmap over the batch; checked against a plain loop of backward passes. Also jacrev/vjp/jvp on a small function."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call, grad, jacrev, jvp, vjp, vmap

from _report import numpy_init, report


class SimpleMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(6, 8)
        self.fc2 = nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


rng = np.random.RandomState(0)
data = torch.from_numpy(rng.randn(5, 6).astype(np.float32))
targets = torch.from_numpy(rng.randint(0, 3, 5))
model = numpy_init(SimpleMLP(), seed=1)


def compute_grad(sample, target):
    sample, target = sample.unsqueeze(0), target.unsqueeze(0)
    loss = F.cross_entropy(model(sample), target)
    return torch.autograd.grad(loss, list(model.parameters()))


loop_grads = [compute_grad(data[i], targets[i]) for i in range(5)]
loop_grads = [torch.stack(shards) for shards in zip(*loop_grads)]

params = {k: v.detach() for k, v in model.named_parameters()}
buffers = {k: v.detach() for k, v in model.named_buffers()}


def compute_loss(params, buffers, sample, target):
    batch, targets = sample.unsqueeze(0), target.unsqueeze(0)
    predictions = functional_call(model, (params, buffers), (batch,))
    return F.cross_entropy(predictions, targets)


ft_compute_grad = grad(compute_loss)
ft_compute_sample_grad = vmap(ft_compute_grad, in_dims=(None, None, 0, 0))
ft_per_sample_grads = ft_compute_sample_grad(params, buffers, data, targets)
report("names", list(ft_per_sample_grads))
report("shapes", [list(g.shape) for g in ft_per_sample_grads.values()])
report("agree_with_loop", all(torch.allclose(a, b, atol=1e-6) for a, b in zip(ft_per_sample_grads.values(),
                                                                               loop_grads)))
report("fc2_bias_grads", ft_per_sample_grads["fc2.bias"], rtol=1e-5, atol=1e-7)
report("mean_is_batch_grad", torch.allclose(
    ft_per_sample_grads["fc1.weight"].mean(0),
    torch.autograd.grad(F.cross_entropy(model(data), targets), model.fc1.weight)[0], atol=1e-6))


def f(x):
    return torch.stack([x[0] * x[1], x[1].sin(), x.pow(2).sum()])


x0 = torch.tensor([0.5, -1.0, 2.0])
report("jacrev", jacrev(f)(x0), rtol=1e-6)
out, vjp_fn = vjp(f, x0)
report("vjp", vjp_fn(torch.tensor([1.0, 0.0, 1.0]))[0], rtol=1e-6)
report("jvp", jvp(f, (x0,), (torch.tensor([1.0, 1.0, 0.0]),))[1], rtol=1e-6)
report("vmap_dot", vmap(torch.dot)(torch.ones(4, 3), torch.arange(12.0).view(4, 3)))
report("grad_of_grad", grad(grad(lambda t: t.sin() * t))(torch.tensor(0.3)), rtol=1e-6)
