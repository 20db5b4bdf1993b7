"""ptjax on ``cuda`` against torch on the CPU: placement, results, errors and a training step.

Runs where ptjax sees a CUDA device, and skips otherwise. On a CPU-only machine ``tests/test_devices.py`` runs this
module in a subprocess with two host devices, the second standing in for ``cuda:0`` and made JAX's default device,
as a GPU is on a GPU machine (``_device._stand_in_accelerators``).
"""
import numpy as np
import pytest

import ptjax
from ptjax import nn as pnn

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.skipif(not ptjax.cuda.is_available(), reason="no CUDA device for ptjax")

CUDA = ptjax.device("cuda", 0)
CPU = ptjax.device("cpu")
MIXED = "Expected all tensors to be on the same device, but found at least two devices, {} and {}!"


def data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def close(p, t, tol=1e-5):
    np.testing.assert_allclose(p.detach().cpu().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


# ---- placement -----------------------------------------------------------------------------------------------------

def test_default_device_is_the_cpu():
    x = ptjax.tensor([1.0, 2.0])
    assert x.device == CPU and ptjax.get_default_device() == CPU
    assert x.numpy().tolist() == [1.0, 2.0]  # the issue: this raised "can't convert cuda:0 ..." on a GPU machine
    assert "device=" not in repr(x)
    for t in (ptjax.zeros(2), ptjax.ones(2), ptjax.full((2,), 3.0), ptjax.empty(2), ptjax.arange(3),
              ptjax.linspace(0, 1, 3), ptjax.eye(2), ptjax.rand(2), ptjax.randn(2), ptjax.randint(0, 5, (2,)),
              ptjax.randperm(3), ptjax.from_numpy(np.ones(2))):
        assert t.device == CPU


@pytest.mark.parametrize("factory", [
    lambda **k: ptjax.zeros(2, 3, **k), lambda **k: ptjax.ones(2, **k), lambda **k: ptjax.full((2,), 1.5, **k),
    lambda **k: ptjax.empty(3, **k), lambda **k: ptjax.tensor([1, 2], **k), lambda **k: ptjax.arange(4, **k),
    lambda **k: ptjax.linspace(0, 1, 5, **k), lambda **k: ptjax.eye(3, **k), lambda **k: ptjax.rand(2, **k),
    lambda **k: ptjax.randn(2, **k), lambda **k: ptjax.randint(0, 9, (3,), **k), lambda **k: ptjax.randperm(4, **k)])
def test_factories_honour_device_and_default_device(factory):
    assert factory(device="cuda").device == CUDA
    with ptjax.device("cuda"):
        assert factory().device == CUDA
        assert factory(device="cpu").device == CPU
    assert factory().device == CPU
    ptjax.set_default_device("cuda")
    try:
        assert factory().device == CUDA and ptjax.get_default_device() == CUDA
    finally:
        ptjax.set_default_device(None)
    assert factory().device == CPU


def test_like_factories_and_from_numpy():
    x = ptjax.ones(2, 3, device="cuda")
    for t in (ptjax.zeros_like(x), ptjax.ones_like(x), ptjax.full_like(x, 2.0), ptjax.empty_like(x),
              ptjax.rand_like(x), ptjax.randn_like(x), ptjax.randint_like(x, 5), x.new_zeros(2), x.new_tensor([1.0])):
        assert t.device == CUDA
    assert ptjax.zeros_like(x, device="cpu").device == CPU
    with ptjax.device("cuda"):
        assert ptjax.from_numpy(np.ones(2)).device == CPU  # as torch: from_numpy is always on the CPU


def test_results_stay_on_their_device():
    a = ptjax.tensor(data(3, 4), device="cuda")
    b = ptjax.tensor(data(4, 2, seed=1)).cuda()
    outs = [a + 1, a * a, a.relu(), a @ b, a.sum(0), a.softmax(-1), a[1:], a[ptjax.tensor([0, 2])], a.T,
            a.reshape(-1), ptjax.cat([a, a]), ptjax.where(a > 0, a, 0.0), (a > 0).nonzero(), a.unique(),
            ptjax.nn.functional.dropout(a, 0.5), a.argmax(), a.clone(), a.to(ptjax.float64)]
    for o in outs:
        assert o.device == CUDA
    assert a.cpu().device == CPU and a.to("cpu").cuda().device == CUDA
    assert a.cuda() is a and a.to("cuda:0") is a
    close(a @ b, torch.tensor(data(3, 4)) @ torch.tensor(data(4, 2, seed=1)))


def test_legacy_type_names():
    x = ptjax.ones(2, device="cuda")
    assert x.type() == "torch.cuda.FloatTensor" and x.cpu().type() == "torch.FloatTensor"
    assert x.type("torch.cuda.LongTensor").dtype is ptjax.int64
    y = x.type("torch.DoubleTensor")
    assert y.device == CPU and y.dtype is ptjax.float64


def test_numpy_of_a_cuda_tensor_is_torchs_error():
    with pytest.raises(TypeError, match="can't convert cuda:0 device type tensor to numpy"):
        ptjax.ones(2, device="cuda").numpy()


# ---- one device per op ---------------------------------------------------------------------------------------------

def test_mixed_devices_raise_torchs_error():
    g, c = ptjax.ones(3, device="cuda"), ptjax.ones(3)
    with pytest.raises(RuntimeError, match=MIXED.format("cuda:0", "cpu")):
        g + c
    with pytest.raises(RuntimeError, match=MIXED.format("cpu", "cuda:0")):
        c * g
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        ptjax.matmul(ptjax.ones(2, 3, device="cuda"), ptjax.ones(3, 2))
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        ptjax.cat([g, c])
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        g.add_(c)
    lin = pnn.Linear(3, 2).cuda()
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        lin(c)


def test_zero_dim_cpu_tensors_go_along():
    g = ptjax.tensor([1.0, 2.0], device="cuda")
    s = ptjax.tensor(3.0)
    for out in (g * s, s * g, ptjax.add(g, s), ptjax.where(g > 1, g, s)):
        assert out.device == CUDA
    close(g * s, torch.tensor([3.0, 6.0]))
    g.mul_(s)
    assert g.device == CUDA and g.tolist() == [3.0, 6.0]


def test_writes_copy_across_devices():
    g = ptjax.zeros(4, device="cuda")
    g[1:3] = ptjax.tensor([1.0, 2.0])           # slice assignment copies from the CPU, as torch's copy_
    g[ptjax.tensor([0])] = 5.0                  # CPU index tensors index a CUDA tensor, as in torch
    g.copy_(g.cpu() + 1)
    g.fill_(ptjax.tensor(7.0))
    assert g.device == CUDA and g.tolist() == [7.0] * 4
    assert g[ptjax.tensor([1, 3])].device == CUDA


# ---- autograd, a training step, checkpoints --------------------------------------------------------------------------

def test_training_step_on_cuda_matches_torch_on_cpu():
    x, y = data(8, 5), np.random.default_rng(2).integers(0, 3, 8)
    ptjax.manual_seed(0)
    pm = pnn.Sequential(pnn.Linear(5, 7), pnn.Tanh(), pnn.Linear(7, 3))
    tm = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3))
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in pm.state_dict().items()})
    pm.cuda()
    popt, topt = ptjax.optim.SGD(pm.parameters(), lr=0.1), torch.optim.SGD(tm.parameters(), lr=0.1)
    for _ in range(2):
        for m, opt, lib, dev in ((pm, popt, ptjax, "cuda"), (tm, topt, torch, "cpu")):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(m(lib.tensor(x, device=dev)), lib.tensor(y, device=dev))
            loss.backward()
            opt.step()
    for (name, p), t in zip(pm.named_parameters(), tm.parameters()):
        assert p.device == CUDA and p.grad.device == CUDA, name
        close(p, t, 1e-5)


def test_leaf_on_cpu_with_a_cuda_op():
    s = ptjax.tensor(2.0, requires_grad=True)
    g = ptjax.tensor([1.0, 3.0], device="cuda", requires_grad=True)
    (s * g).sum().backward()
    assert g.grad.device == CUDA and g.grad.tolist() == [2.0, 2.0]
    assert s.grad.device == CPU and float(s.grad) == 4.0


def test_checkpoint_of_cuda_tensors_loads_in_torch(tmp_path):
    path = tmp_path / "w.pt"
    ptjax.save({"w": ptjax.arange(4.0, device="cuda")}, path)
    assert torch.load(path, map_location="cpu")["w"].tolist() == [0.0, 1.0, 2.0, 3.0]
    assert ptjax.load(path)["w"].device == CUDA
    assert ptjax.load(path, map_location="cpu")["w"].device == CPU


# ---- namespaces ----------------------------------------------------------------------------------------------------

def test_cuda_namespace_with_a_device():
    cuda = ptjax.cuda
    assert cuda.device_count() >= 1 and cuda.current_device() == 0 and cuda.is_initialized()
    assert isinstance(cuda.get_device_name(), str) and cuda.get_device_name(0) == cuda.get_device_properties(0).name
    assert cuda.get_device_capability() == (cuda.get_device_properties().major, cuda.get_device_properties().minor)
    with cuda.device(0):
        assert cuda.current_device() == 0
    assert ptjax.accelerator.current_accelerator() == ptjax.device("cuda")
    assert ptjax.accelerator.device_count() == cuda.device_count()
    x = ptjax.ones(1000, device="cuda")
    start, end = cuda.Event(enable_timing=True), cuda.Event(enable_timing=True)
    start.record()
    y = (x * 2).sum()
    end.record()
    end.synchronize()
    assert start.elapsed_time(end) >= 0 and float(y) == 2000
    s = cuda.Stream()
    with cuda.stream(s):
        assert cuda.current_stream() == s
    assert cuda.current_stream() == cuda.default_stream()
    cuda.synchronize()
    assert cuda.memory_allocated() >= 0 and cuda.max_memory_allocated() >= cuda.memory_allocated() * 0
    cuda.reset_peak_memory_stats()
    cuda.empty_cache()
    free, total = cuda.mem_get_info()
    assert 0 <= free <= total
    assert isinstance(cuda.memory_summary(), str)
    assert isinstance(x, cuda.FloatTensor) and not isinstance(x.cpu(), cuda.FloatTensor)
    assert cuda.FloatTensor([1, 2]).device == CUDA
    assert x.cpu().pin_memory().is_pinned()


def test_float32_matmul_is_full_precision_by_default():
    """The issue: TF32 products (rel. error 3e-4 on a GPU); torch's default is full float32."""
    a, b = data(256, 512), data(512, 256, seed=1)
    exact = a.astype(np.float64) @ b.astype(np.float64)
    got = (ptjax.tensor(a, device="cuda") @ ptjax.tensor(b, device="cuda")).cpu().numpy()
    assert np.abs(got - exact).max() / np.abs(exact).max() < 1e-5
