"""Checking results in tests: torch.testing.assert_close (defaults per dtype, rtol/atol, equal_nan, containers,
the failure message), allclose/isclose/equal, and a tiny numerical gradient check written by hand."""
import math

import torch
from torch.testing import assert_close

from _report import report


def failure(fn):
    try:
        fn()
        return None
    except AssertionError as exc:
        return str(exc)


a = torch.tensor([1.0, 2.0, 3.0])
report("close_passes", failure(lambda: assert_close(a, a + 1e-7)))
report("float_defaults_fail", failure(lambda: assert_close(a, a + 1e-3)).splitlines()[0])
report("custom_tolerance", failure(lambda: assert_close(a, a + 1e-3, rtol=0, atol=2e-3)))
report("int_exact", failure(lambda: assert_close(torch.tensor([1, 2]), torch.tensor([1, 3]))).splitlines()[0])
report("dtype_mismatch", failure(lambda: assert_close(a, a.double())).splitlines()[0])
report("dtype_unchecked", failure(lambda: assert_close(a, a.double(), check_dtype=False)))
report("shape_mismatch", failure(lambda: assert_close(a, a[:2])).splitlines()[0])
nan = torch.tensor([1.0, float("nan")])
report("nan_fails", failure(lambda: assert_close(nan, nan)) is not None)
report("nan_equal", failure(lambda: assert_close(nan, nan, equal_nan=True)))
report("containers", failure(lambda: assert_close({"w": [a, a * 2]}, {"w": [a, a * 2 + 1e-8]})))
report("python_scalars", failure(lambda: assert_close(1.0, 1.0 + 1e-9)))
message = failure(lambda: assert_close(torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([[1.0, 2.5], [3.0, 4.0]])))
report("message_lines", [line.strip() for line in message.splitlines()])

report("allclose", [torch.allclose(a, a + 1e-6), torch.allclose(a, a + 1e-3),
                    torch.allclose(a, a + 1e-3, atol=1e-2)])
report("allclose_nan", [torch.allclose(nan, nan), torch.allclose(nan, nan, equal_nan=True)])
report("isclose", torch.isclose(a, torch.tensor([1.0, 2.1, 3.0 + 1e-7])))
report("equal", [torch.equal(a, a.clone()), torch.equal(a, a[:2]),
                 torch.equal(torch.tensor([1, 2]), torch.tensor([1, 2]))])


def numerical_grad(f, x, eps=1e-6):
    grads = torch.zeros_like(x)
    for i in range(x.numel()):
        step = torch.zeros_like(x)
        step.view(-1)[i] = eps
        grads.view(-1)[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grads


x = torch.tensor([[0.3, -1.2], [2.0, 0.7]], dtype=torch.float64, requires_grad=True)


def f(t):
    return (t.sin() * t.exp()).sum() + t.prod() + math.pi * t.norm()


f(x).backward()
report("manual_gradcheck", failure(lambda: assert_close(x.grad, numerical_grad(f, x.detach()), rtol=1e-6, atol=1e-7)))
report("gradcheck_builtin", torch.autograd.gradcheck(f, (x,)))
report("gradgradcheck", torch.autograd.gradgradcheck(lambda t: (t ** 3).sum(), (x,)))
report("make_tensor", list(torch.testing.make_tensor((2, 3), dtype=torch.float32, device="cpu", low=-1, high=1).shape))
