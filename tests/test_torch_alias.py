"""python -m ptjax's torch -> ptjax mapping: the modules ptjax provides import under torch's names, and a module it
lacks says so (not Python's "No module named 'torch.x'", which misleads where real torch is installed)."""
import subprocess
import sys
import textwrap

import pytest

from ptjax._torch_alias import TorchAliasFinder


@pytest.mark.parametrize("name,base", [("torch.no_such_module", "ptjax"), ("torch.nn.no_such_layer", "ptjax"),
                                       ("torchvision.no_such_module", "ptjax.vision")])
def test_missing_module_message(name, base):
    with pytest.raises(ModuleNotFoundError) as info:
        TorchAliasFinder().find_spec(name)
    head = name.split(".")[0]
    assert str(info.value) == f"ptjax does not provide {name} yet (python -m ptjax maps {head} onto {base})"
    assert info.value.name == name
    assert TorchAliasFinder().find_spec("numpy.linalg") is None   # other packages are not its business


def test_under_python_m_ptjax(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent("""
        import torch
        import torch.functional, torch.onnx, torch.hub, torch.random, torch.types, torch.overrides
        import torch.autograd.functional as AF
        from torch.autograd import Variable
        from torch.autograd.forward_ad import dual_level
        from torch.optim import LBFGS, NAdam
        from torch.optim.swa_utils import AveragedModel
        assert torch.functional.einsum is torch.einsum and torch.random.manual_seed is torch.manual_seed
        x = Variable(torch.ones(2), requires_grad=True)
        print("jacobian", AF.jacobian(lambda v: v * 3, x).tolist())
        try:
            import torch.no_such_module
        except ModuleNotFoundError as e:
            print("error:", e)
        try:
            torch.onnx.export(None, x, "m.onnx")
        except NotImplementedError as e:
            print("onnx:", str(e).split(":")[0])
    """))
    out = subprocess.run([sys.executable, "-m", "ptjax", str(script)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines == ["jacobian [[3.0, 0.0], [0.0, 3.0]]",
                     "error: ptjax does not provide torch.no_such_module yet (python -m ptjax maps torch onto ptjax)",
                     "onnx: ptjax has no ONNX exporter"]


# ---- the small modules torch scripts import: torch.functional, torch.random, torch.hub, torch.onnx, torch.types ----
def test_functional_random_hub_onnx_against_torch(tmp_path, monkeypatch):
    torch = pytest.importorskip("torch")
    import numpy as np

    import ptjax
    assert set(ptjax.functional.__all__) == set(torch.functional.__all__)
    for name in ptjax.functional.__all__:
        if hasattr(ptjax, name):
            assert getattr(ptjax.functional, name) is getattr(ptjax, name)
        else:
            with pytest.raises(AttributeError, match=f"ptjax does not provide torch.functional.{name} yet"):
                getattr(ptjax.functional, name)
    assert set(torch.random.__all__) <= set(dir(ptjax.random))
    ptjax.random.manual_seed(3)
    with ptjax.random.fork_rng():
        inside = ptjax.rand(3).numpy()
    np.testing.assert_array_equal(ptjax.rand(3).numpy(), inside)   # the block did not advance the generator
    assert ptjax.random.initial_seed() == 3 and ptjax.manual_seed is ptjax.random.manual_seed

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    monkeypatch.setattr(ptjax.hub, "_hub_dir", None)   # set_dir below is undone after the test
    monkeypatch.setattr(torch.hub, "_hub_dir", None)
    assert ptjax.hub.get_dir() == torch.hub.get_dir()
    ckpt = tmp_path / "th" / "hub" / "checkpoints"
    ckpt.mkdir(parents=True)
    torch.save({"w": torch.arange(3.0)}, ckpt / "model-1234.pth")
    sd = ptjax.hub.load_state_dict_from_url("https://example.com/models/model-1234.pth")
    assert sd["w"].tolist() == [0.0, 1.0, 2.0]
    with pytest.raises(RuntimeError, match="ptjax does not download models"):
        ptjax.hub.load_state_dict_from_url("https://example.com/models/other.pth")
    with pytest.raises(RuntimeError, match="ptjax does not download models"):
        ptjax.hub.load("pytorch/vision", "resnet18")
    ptjax.hub.set_dir(str(tmp_path / "mine"))
    torch.hub.set_dir(str(tmp_path / "mine"))
    assert ptjax.hub.get_dir() == torch.hub.get_dir()

    assert ptjax.onnx.is_in_onnx_export() is torch.onnx.is_in_onnx_export() is False
    with pytest.raises(NotImplementedError, match="ptjax has no ONNX exporter"):
        ptjax.onnx.export(None, None, str(tmp_path / "m.onnx"))
    assert ptjax.types.Number == torch.types.Number
    assert not ptjax.overrides.has_torch_function((ptjax.ones(1),))
    assert ptjax.overrides.is_tensor_like(ptjax.ones(1))
