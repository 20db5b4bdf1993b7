"""A custom nn.Module tour: submodules, buffers, parameters registered by hand, forward pre-hooks and hooks,
full backward hooks, hooks on tensors, apply() for initialization, train/eval, and removing hooks."""
import torch
import torch.nn as nn
import torch.nn.functional as F

from _report import numpy_init, report


class RunningNorm(nn.Module):
    """Normalizes features with running statistics kept in buffers (a tiny BatchNorm without affine)."""

    def __init__(self, features, momentum=0.5):
        super().__init__()
        self.momentum = momentum
        self.register_buffer("running_mean", torch.zeros(features))
        self.register_buffer("steps", torch.tensor(0, dtype=torch.long))
        self.register_buffer("scratch", torch.zeros(1), persistent=False)

    def forward(self, x):
        if self.training:
            with torch.no_grad():
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * x.mean(0))
                self.steps += 1
        return x - self.running_mean


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 6)
        self.norm = RunningNorm(6)
        self.fc2 = nn.Linear(6, 2)
        self.register_parameter("temperature", nn.Parameter(torch.tensor(2.0)))

    def forward(self, x):
        return self.fc2(F.relu(self.norm(self.fc1(x)))) / self.temperature


net = numpy_init(Net(), seed=5)
report("parameters", [(n, list(p.shape)) for n, p in net.named_parameters()])
report("buffers", [n for n, _ in net.named_buffers()])
report("state_dict_keys", list(net.state_dict().keys()))
report("children", [n for n, _ in net.named_children()])
report("repr", repr(net))

calls = []
pre = net.fc2.register_forward_pre_hook(lambda mod, args: calls.append(("pre", list(args[0].shape))))
post = net.fc1.register_forward_hook(lambda mod, args, out: calls.append(("post", round(out.sum().item(), 4))))


def double_input(mod, args):
    return (args[0] * 2,)


doubler = net.fc1.register_forward_pre_hook(double_input)
grads = []
back = net.fc2.register_full_backward_hook(lambda mod, gin, gout: grads.append(
    [round(gout[0].abs().sum().item(), 4), gin[0] is not None]))

x = torch.linspace(-1, 1, 12).view(3, 4)
out = net(x)
report("hook_calls", calls)
out.sum().backward()
report("backward_hook", grads)
report("buffers_after_train_step", [net.norm.running_mean.tolist(), net.norm.steps.item()], rtol=1e-5)

for h in (pre, post, doubler, back):
    h.remove()
calls.clear()
net.eval()
with torch.no_grad():
    y_eval = net(x)
report("no_calls_after_remove", calls)
report("eval_does_not_update", net.norm.steps.item())
report("eval_output", y_eval, rtol=1e-5, atol=1e-6)
report("training_flags", [m.training for m in net.modules()])

# apply(): re-initialize every Linear
def init_weights(m):
    if isinstance(m, nn.Linear):
        torch.nn.init.constant_(m.weight, 0.1)
        m.bias.data.fill_(0.01)


net.apply(init_weights)
report("reinitialized", [net.fc1.weight.mean().item(), net.fc2.bias.tolist()], rtol=1e-6)

# hooks on tensors modify gradients
w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
handle = w.register_hook(lambda g: g * 10)
(w * w).sum().backward()
report("tensor_hook_grad", w.grad)
handle.remove()
w.grad = None
(w * w).sum().backward()
report("tensor_hook_removed", w.grad)

# modules as containers
blocks = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.Sequential(nn.Linear(2, 3), nn.Tanh())})
report("moduledict_keys", list(blocks.keys()))
report("param_count", sum(p.numel() for p in blocks.parameters()))
stack = nn.ModuleList([nn.Linear(3, 3) for _ in range(3)])
stack.append(nn.Identity())
report("modulelist_len", len(stack))
report("get_submodule", type(blocks.get_submodule("b.1")).__name__)
net.requires_grad_(False)
report("frozen", [p.requires_grad for p in net.parameters()])
