"""ptjax.jit: trace/script compile a module's forward; save/load run it in a fresh process without its class."""
import os
import subprocess
import sys

import numpy as np
import pytest

import ptjax as torch
import ptjax.nn as nn
import ptjax.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 4)
        self.bn = nn.BatchNorm1d(4)
        self.head = nn.Sequential(nn.Dropout(0.0), nn.Linear(4, 3))

    def forward(self, x):
        h = F.relu(self.bn(self.fc(x)))
        return self.head(h), h.mean()


def test_trace_save_load_in_a_fresh_process_without_the_class(tmp_path):
    torch.manual_seed(0)
    model = Net().eval()
    x = torch.randn(2, 6)
    traced = torch.jit.trace(model, x)
    assert list(traced.state_dict()) == list(model.state_dict())
    logits, _ = traced(x)
    ref_logits, ref_mean = model(x)
    np.testing.assert_array_equal(logits.detach().numpy(), ref_logits.detach().numpy())
    assert "dot_general" in str(traced.graph) and "stablehlo" in traced.code
    path = str(tmp_path / "net.pt")
    torch.jit.save(traced, path)
    np.save(tmp_path / "x.npy", x.numpy())
    code = ("import sys, numpy as np, ptjax\n"
            "m = ptjax.jit.load(sys.argv[1])\n"
            "logits, mean = m(ptjax.tensor(np.load(sys.argv[2])))\n"
            "np.save(sys.argv[3], logits.numpy())\n"
            "print(type(m).__name__, list(m.state_dict()) == sys.argv[4].split(','), mean.item())\n")
    out = subprocess.run([sys.executable, "-c", code, path, str(tmp_path / "x.npy"), str(tmp_path / "y.npy"),
                          ",".join(model.state_dict())], capture_output=True, text=True, cwd=str(tmp_path), check=False,
                         env={**os.environ, "PYTHONPATH": ROOT}, timeout=120)
    assert out.returncode == 0, out.stderr
    name, keys_match, loaded_mean = out.stdout.split()
    assert name == "RecursiveScriptModule" and keys_match == "True"
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), ref_logits.detach().numpy())
    assert float(loaded_mean) == pytest.approx(ref_mean.item(), rel=1e-6)


def test_loaded_module_in_training_mode_updates_its_statistics(tmp_path):
    torch.manual_seed(0)
    model = Net().train()
    x = torch.randn(4, 6)
    scripted = torch.jit.script(model)
    with pytest.raises(RuntimeError, match="has not run yet"):
        scripted.save(str(tmp_path / "early.pt"))
    scripted(x)                       # recorded here (batch statistics updated once, as eagerly)
    scripted.save(str(tmp_path / "train.pt"))
    loaded = torch.jit.load(str(tmp_path / "train.pt"))
    before = loaded.bn.running_mean.numpy().copy()
    np.testing.assert_array_equal(before, model.bn.running_mean.numpy())
    out_loaded = loaded(x)[0]
    out_model = model(x)[0]
    np.testing.assert_allclose(out_loaded.detach().numpy(), out_model.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(loaded.bn.running_mean.numpy(), model.bn.running_mean.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError, match=r"traced for shape \[4, 6\]"):
        loaded(torch.randn(3, 6))


def test_traced_module_shares_parameters_and_functions_trace():
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    traced = torch.jit.trace(model, torch.ones(1, 3))
    with torch.no_grad():
        model.weight.fill_(1.0)
        model.bias.zero_()
    assert traced(torch.ones(2, 3)).tolist() == [[3.0, 3.0], [3.0, 3.0]]
    f = torch.jit.trace(lambda a, b: a * b + 1, (torch.ones(2), torch.full((2,), 2.0)))
    assert f(torch.ones(2), torch.ones(2)).tolist() == [2.0, 2.0]
    assert torch.jit.script(f) is f and not torch.jit.is_scripting()
    assert torch.jit.ignore(len) is len and torch.jit.annotate(int, 3) == 3


def test_same_outputs_as_torch_jit_trace():
    torch_ = pytest.importorskip("torch")
    tmodel = torch_.nn.Sequential(torch_.nn.Linear(5, 4), torch_.nn.Tanh(), torch_.nn.Linear(4, 2)).eval()
    model = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 2)).eval()
    model.load_state_dict({k: torch.tensor(v.detach().numpy()) for k, v in tmodel.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    theirs = torch_.jit.trace(tmodel, torch_.tensor(x))(torch_.tensor(x)).detach().numpy()
    ours = torch.jit.trace(model, torch.tensor(x))(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
