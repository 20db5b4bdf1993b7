"""Top-level names real scripts use, against torch: torch.cond / while_loop, get_device_module, the anomaly
switches, vmap, the error classes, the build flags, and the nn functionals torch also has as Tensor methods."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ptjax  # noqa: E402
from _ops_harness import assert_same_value  # noqa: E402


@pytest.mark.parametrize("pred", [True, False])
def test_cond(pred):
    def run(m):
        return m.cond(m.tensor(pred), lambda x, y: x + y, lambda x, y: x - y, (m.tensor([1.0, 2.0]), m.tensor(3.0)))
    assert_same_value(run(torch), run(ptjax))


def test_cond_needs_a_scalar_predicate():
    with pytest.raises(RuntimeError):
        ptjax.cond(ptjax.tensor([True, False]), lambda: 1, lambda: 0)


def test_while_loop():
    def run(m):
        return m.while_loop(lambda i, x: i < 5, lambda i, x: (i + 1, x * 1.5), (m.tensor(0), m.tensor([1.0, 2.0])))
    assert_same_value(run(torch), run(ptjax))


def test_get_device_module():
    assert ptjax.get_device_module("cpu") is ptjax.cpu
    assert ptjax.get_device_module(ptjax.device("cuda:0")) is ptjax.cuda
    assert ptjax.get_device_module().__name__.split(".")[-1] == torch.get_device_module().__name__.split(".")[-1]


def test_anomaly_switches():
    for m in (torch, ptjax):
        m.set_anomaly_enabled(True, check_nan=False)
        got = (m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled())
        m.set_anomaly_enabled(False)
        assert got == (True, False)
        assert (m.is_anomaly_enabled(), m.is_anomaly_check_nan_enabled()) == (False, True)


def test_vmap():
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    assert_same_value(torch.vmap(lambda r: (r * r).sum())(torch.tensor(x)),
                      ptjax.vmap(lambda r: (r * r).sum())(ptjax.tensor(x)))


def test_error_classes_and_flags():
    for name in ("OutOfMemoryError", "AcceleratorError"):
        assert issubclass(getattr(ptjax, name), RuntimeError) and issubclass(getattr(torch, name), RuntimeError)
    assert ptjax.has_lapack and ptjax.has_spectral


@pytest.mark.parametrize("call", [lambda m, x: x.hardshrink(), lambda m, x: x.hardshrink(0.3),
                                  lambda m, x: x.prelu(m.tensor([0.1, 0.2, 0.3]))])
def test_functional_methods(call):
    x = np.random.default_rng(1).standard_normal((2, 3, 4)).astype(np.float32)
    tx, px = torch.tensor(x, requires_grad=True), ptjax.tensor(x, requires_grad=True)
    ref, got = call(torch, tx), call(ptjax, px)
    assert_same_value(ref, got)
    ref.sum().backward()
    got.sum().backward()
    np.testing.assert_allclose(px.grad.numpy(), tx.grad.numpy(), rtol=1e-6)
