"""Bad input raises what torch raises: the same exception type with torch's message, word for word."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import ptjax  # noqa: E402
from _ops_harness import assert_same_error  # noqa: E402


pytestmark = pytest.mark.usefixtures("fast_compiles")

CASES = {
    "mm-shapes": lambda t: t.mm(t.ones(5, 10), t.ones(3, 2)),
    "matmul-shapes": lambda t: t.ones(5, 10) @ t.ones(3, 2),
    "matmul-batched-shapes": lambda t: t.matmul(t.ones(2, 4, 10), t.ones(3, 2)),
    "matmul-vec": lambda t: t.matmul(t.ones(3), t.ones(4)),
    "matmul-0d": lambda t: t.matmul(t.ones(()), t.ones(3)),
    "mm-dtype": lambda t: t.mm(t.ones(2, 3), t.ones(3, 2, dtype=t.int64)),
    "mm-not-matrix": lambda t: t.mm(t.ones(2, 3, 1), t.ones(3, 2)),
    "bmm-dtype": lambda t: t.bmm(t.ones(2, 2, 3), t.ones(2, 3, 2, dtype=t.float64)),
    "dot-dtype": lambda t: t.dot(t.ones(3), t.ones(3, dtype=t.int64)),
    "dot-2d": lambda t: t.dot(t.ones(2, 3), t.ones(3)),
    "view-numel": lambda t: t.ones(3, 4).view(5, 3),
    "view-stride": lambda t: t.ones(3, 4).t().view(12),
    "view-two-inferred": lambda t: t.ones(3, 4).view(-1, -1),
    "reshape-numel": lambda t: t.ones(2, 3).reshape(4, -1),
    "broadcast-add": lambda t: t.ones(2, 3) + t.ones(2, 4),
    "broadcast-3d": lambda t: t.ones(2, 3) * t.ones(4, 1, 2),
    "broadcast-int": lambda t: t.ones(2, 3) - t.ones(2, 4, dtype=t.int64),
    "broadcast-where": lambda t: t.where(t.ones(2, 3) > 0, t.ones(2), t.ones(3)),
    "broadcast-inplace": lambda t: t.ones(2, 3).mul_(t.ones(4)),
    "inplace-out-shape": lambda t: t.ones(2).add_(t.ones(2, 2)),
    "inplace-cast": lambda t: t.ones(2, dtype=t.int64).add_(1.5),
    "inplace-leaf": lambda t: t.ones(2, requires_grad=True).add_(1),
    "float-index": lambda t: t.ones(3)[t.tensor([0.0])],
    "float-index-select": lambda t: t.ones(3).index_select(0, t.tensor([0.0])),
    "float-gather": lambda t: t.ones(3).gather(0, t.tensor([0.0])),
    "index-oob": lambda t: t.ones(3)[3],
    "index-tensor-oob": lambda t: t.ones(3)[t.tensor([0, -4])],
    "too-many-indices": lambda t: t.ones(3)[0, 0],
    "mask-shape": lambda t: t.ones(2, 3)[t.tensor([True, False, True])],
    "python-float-index": lambda t: t.ones(3)[1.0],
    "item-multi": lambda t: t.ones(3).item(),
    "item-empty": lambda t: t.ones(0).item(),
    "numpy-requires-grad": lambda t: t.ones(3, requires_grad=True).numpy(),
    "float-multi": lambda t: float(t.ones(2)),
    "bool-multi": lambda t: bool(t.ones(2)),
    "int-multi": lambda t: int(t.ones(2)),
    "dim-range": lambda t: t.ones(2, 3).sum(2),
    "dim-range-neg": lambda t: t.ones(2, 3).cumsum(-3),
    "cat-shapes": lambda t: t.cat([t.ones(2, 3), t.ones(2, 4)]),
    "cat-0d": lambda t: t.cat([t.ones(()), t.ones(())]),
    "stack-shapes": lambda t: t.stack([t.ones(2), t.ones(3)]),
    "expand-mismatch": lambda t: t.ones(3, 2).expand(3, 4),
    "permute-len": lambda t: t.ones(2, 3).permute(0),
    "flatten-order": lambda t: t.ones(2, 3).flatten(1, 0),
    "narrow-range": lambda t: t.ones(2, 3).narrow(0, 1, 2),
    "split-sizes": lambda t: t.ones(4).split([1, 2]),
    "mean-int": lambda t: t.ones(3, dtype=t.int64).mean(),
    "var-int": lambda t: t.ones(3, dtype=t.int64).var(),
    "requires-grad-int": lambda t: t.ones(3, dtype=t.int64).requires_grad_(),
    "tensor-requires-grad-int": lambda t: t.tensor([1, 2], requires_grad=True),
    "max-empty": lambda t: t.ones(0).max(),
    "argmax-empty": lambda t: t.ones(0).argmax(),
    "clamp-no-bounds": lambda t: t.clamp(t.ones(2)),
    "masked-fill-int-mask": lambda t: t.ones(2).masked_fill(t.tensor([1, 0]), 0.0),
    "where-int-cond": lambda t: t.where(t.tensor([1, 0]), t.ones(2), t.zeros(2)),
    "bitwise-float": lambda t: t.ones(2) & t.ones(2),
    "sub-bool": lambda t: t.tensor([True]) - t.tensor([False]),
    "div-mode": lambda t: t.div(t.ones(2), 2, rounding_mode="round"),
    "gather-oob": lambda t: t.ones(3, 3).gather(1, t.tensor([[5]])),
    "scatter-oob": lambda t: t.ones(3, 3).scatter(1, t.tensor([[-1]]), 1.0),
    "take-oob": lambda t: t.ones(3).take(t.tensor([7])),
    "ragged": lambda t: t.tensor([[1, 2], [3]]),
    "backward-twice": lambda t: _backward_twice(t),
    "backward-non-scalar": lambda t: (t.ones(2, requires_grad=True) * 2).backward(),
    "grad-no-grad-fn": lambda t: t.autograd.grad(t.ones(1), t.ones(1, requires_grad=True)),
    "grad-unused": lambda t: _grad_unused(t),
    "setitem-shape": lambda t: t.ones(3, 4).__setitem__(0, t.ones(3)),
}


def _backward_twice(t):
    x = t.ones(2, requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    y.backward()


def _grad_unused(t):
    x, z = t.ones(2, requires_grad=True), t.ones(2, requires_grad=True)
    return t.autograd.grad((x * 2).sum(), [x, z])


@pytest.mark.parametrize("name", list(CASES))
def test_error_matches_torch(name):
    fn = CASES[name]
    with pytest.raises(Exception) as ref:
        fn(torch)
    try:
        fn(ptjax)
    except Exception as e:  # noqa: BLE001
        assert_same_error(ref.value, e, name, message=True)
    else:
        pytest.fail(f"torch raised {type(ref.value).__name__}({ref.value}); ptjax raised nothing")
