"""Autograd from the ground up: leaves, graphs, backward, accumulation, no_grad, detach, higher order."""
import torch

from _report import report

# a one-layer network by hand: z = x @ w + b, binary cross-entropy against y
x = torch.ones(5)
y = torch.zeros(3)
w = torch.linspace(-1, 1, 15).reshape(5, 3).requires_grad_()
b = torch.tensor([0.1, -0.2, 0.3], requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
report("loss", loss, rtol=1e-6)
print(f"Gradient function for z = {z.grad_fn}")
report("grad_fn_names", [repr(z.grad_fn).split(" object at")[0], loss.grad_fn.name()])
report("is_leaf", [w.is_leaf, b.is_leaf, z.is_leaf])
loss.backward()
report("w_grad", w.grad, rtol=1e-6)
report("b_grad", b.grad, rtol=1e-6)

# gradients accumulate until zeroed
loss2 = torch.nn.functional.binary_cross_entropy_with_logits(x @ w + b, y)
loss2.backward()
report("b_grad_twice", b.grad, rtol=1e-6)
b.grad.zero_()
report("b_grad_zeroed", b.grad)

# turning tracking off
with torch.no_grad():
    z_frozen = x @ w + b
report("no_grad_requires_grad", z_frozen.requires_grad)
report("detach_requires_grad", (x @ w + b).detach().requires_grad)
report("is_grad_enabled", torch.is_grad_enabled())


@torch.no_grad()
def predict(inp):
    return inp @ w + b


report("decorated_no_grad", predict(x).requires_grad)

# non-scalar outputs need a vector for the vector-Jacobian product
inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
report("vjp_first", inp.grad)
out.backward(torch.ones_like(out))
report("vjp_accumulated", inp.grad)

# intermediate gradients with retain_grad, and hooks on tensors
a = torch.tensor([2.0, 3.0], requires_grad=True)
h = a * a
h.retain_grad()
seen = []
h.register_hook(lambda g: seen.append(g.tolist()))
(h.sum() * 3).backward()
report("retained", h.grad)
report("hook_saw", seen)
report("a_grad", a.grad)

# torch.autograd.grad and second derivatives
t = torch.tensor(1.5, requires_grad=True)
f = t ** 3 - 2 * t
(df,) = torch.autograd.grad(f, t, create_graph=True)
(d2f,) = torch.autograd.grad(df, t)
report("first_derivative", df, rtol=1e-6)
report("second_derivative", d2f, rtol=1e-6)

# requires_grad propagation and in-place on leaves
p = torch.randn(3, requires_grad=True)
q = torch.randn(3)
report("propagation", [(p + q).requires_grad, (q * 2).requires_grad])
try:
    p.add_(1)
    leaf_error = ""
except RuntimeError as exc:
    leaf_error = str(exc)
report("inplace_on_leaf_error", leaf_error)

# gradient through an index and a sort
s = torch.tensor([3.0, 1.0, 2.0], requires_grad=True)
sorted_vals, order = s.sort()
(sorted_vals * torch.tensor([1.0, 10.0, 100.0])).sum().backward()
report("sort_grad", s.grad)
report("sort_order", order)
