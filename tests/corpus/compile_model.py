"""torch.compile on a small model and on a plain function: the compiled versions compute what eager does,
train the same, and recompile (or not) as input shapes change. backend="aot_eager" keeps torch's own compile
time (a C++ build per graph with the default backend) out of the test budget; the API is the same."""
import numpy as np
import torch
import torch.nn as nn

from _report import numpy_init, report


def foo(x, y):
    a = torch.sin(x)
    b = torch.cos(y)
    return a + b


opt_foo1 = torch.compile(foo, backend="aot_eager")
x = torch.linspace(0, 1, 10).view(2, 5)
report("compiled_function", opt_foo1(x, x), rtol=1e-6)
report("compiled_matches_eager", torch.allclose(opt_foo1(x, x), foo(x, x)))


@torch.compile(backend="aot_eager")
def opt_foo2(x, y):
    a = torch.sin(x)
    b = torch.cos(y)
    return a + b


report("decorator", torch.allclose(opt_foo2(x, x), foo(x, x)))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(16, 32)
        self.out = nn.Linear(32, 4)

    def forward(self, x):
        return self.out(torch.nn.functional.gelu(self.lin(x)))


rng = np.random.RandomState(0)
inp = torch.from_numpy(rng.randn(64, 16).astype(np.float32))
target = torch.from_numpy(rng.randint(0, 4, 64))
eager = numpy_init(MLP(), seed=2)
compiled_model = numpy_init(MLP(), seed=2)
opt_mod = torch.compile(compiled_model, backend="aot_eager")
report("compiled_forward", torch.allclose(opt_mod(inp), eager(inp), atol=1e-6))
report("compiled_state_dict_keys", list(opt_mod.state_dict().keys()))
report("orig_mod", opt_mod._orig_mod is compiled_model)


def train(model, steps=20):
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(inp), target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


eager_losses = train(eager)
compiled_losses = train(opt_mod)
report("eager_losses", eager_losses[::5], rtol=1e-4)
report("compiled_losses_match", np.allclose(eager_losses, compiled_losses, rtol=1e-4))
report("trained_params_match", all(torch.allclose(a, b, atol=1e-5) for a, b in
                                   zip(eager.parameters(), compiled_model.parameters())))
for n in (8, 16, 24):  # a new batch size: same answers
    report(f"batch_{n}", torch.allclose(opt_mod(inp[:n]), compiled_model(inp[:n]), atol=1e-6))
torch.compiler.reset()
