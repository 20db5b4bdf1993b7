"""Writing autograd.Function subclasses: a clipped cubic with a hand-written backward, checked by gradcheck."""
import math

import torch

from _report import report


class ClippedCube(torch.autograd.Function):
    """f(x) = clamp(x, -limit, limit) ** 3 / 3, with its derivative written by hand."""

    @staticmethod
    def forward(ctx, x, limit):
        ctx.save_for_backward(x)
        ctx.limit = limit
        return x.clamp(-limit, limit).pow(3) / 3

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        inside = (x.abs() <= ctx.limit).to(grad_output.dtype)
        return grad_output * x.pow(2) * inside, None


class ScaleGrad(torch.autograd.Function):
    """Identity forward; the backward scales the incoming gradient (a gradient-reversal style trick)."""

    @staticmethod
    def forward(ctx, x, factor):
        ctx.factor = factor
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.factor, None


x = torch.linspace(-2, 2, 9, requires_grad=True)
y = ClippedCube.apply(x, 1.5)
report("forward", y, rtol=1e-6)
report("grad_fn", repr(y.grad_fn).split(" object at")[0])
y.sum().backward()
report("backward", x.grad, rtol=1e-6)

x.grad = None
z = ScaleGrad.apply(x * 2, -0.5)
z.sum().backward()
report("reversed", x.grad)

x64 = torch.tensor([-1.2, -0.3, 0.4, 1.1], dtype=torch.double, requires_grad=True)
report("gradcheck", torch.autograd.gradcheck(lambda t: ClippedCube.apply(t, 1.5), (x64,), eps=1e-6, atol=1e-4))

# fitting sin(x) with a custom activation in the loop, as the tutorial does with a Legendre polynomial
xs = torch.linspace(-math.pi, math.pi, 200)
ys = torch.sin(xs)
a = torch.tensor(0.0, requires_grad=True)
b = torch.tensor(0.6, requires_grad=True)
losses = []
for _step in range(200):
    pred = a + ClippedCube.apply(b * xs, 1.5)
    loss = (pred - ys).pow(2).sum()
    loss.backward()
    with torch.no_grad():
        a -= 1e-4 * a.grad
        b -= 1e-4 * b.grad
        a.grad = None
        b.grad = None
    losses.append(loss.item())
report("fit_losses", losses[::50], rtol=1e-4)
report("fit_params", [a.item(), b.item()], rtol=1e-4, atol=1e-7)


class Exp(torch.autograd.Function):
    """exp saving its output, with once_differentiable off: double backward through the saved result."""

    @staticmethod
    def forward(ctx, i):
        result = i.exp()
        ctx.save_for_backward(result)
        return result

    @staticmethod
    def backward(ctx, grad_output):
        (result,) = ctx.saved_tensors
        return grad_output * result


t = torch.tensor([0.5, 1.0], requires_grad=True)
out = Exp.apply(t)
(g,) = torch.autograd.grad(out.sum(), t, create_graph=True)
(g2,) = torch.autograd.grad(g.sum(), t)
report("exp_grad", g, rtol=1e-6)
report("exp_second_grad", g2, rtol=1e-6)
