"""ptjax.vision.models: torchvision's state_dict keys/shapes (checked-in list from independent plain-torch
references, tests/data/vision_model_keys.json), parameter counts, forward/backward, save/load, weights=path."""

import json
import math
import pathlib

import numpy as np
import pytest
import torch as real_torch

import ptjax as torch
from ptjax.vision import models

REF = json.loads((pathlib.Path(__file__).parent / "data" / "vision_model_keys.json").read_text())
# the last Linear of each architecture (its out_features follows num_classes)
HEAD = {"resnet18": "fc", "resnet34": "fc", "resnet50": "fc", "vgg11": "classifier.6",
        "mobilenet_v2": "classifier.1"}
NUM_CLASSES = 10
_cache = {}


def _model(arch):
    # one construction per architecture per session: building a model compiles an init draw per new shape
    if arch not in _cache:
        torch.manual_seed(0)
        _cache[arch] = getattr(models, arch)(num_classes=NUM_CLASSES)
    return _cache[arch]


def _expected(arch, num_classes=NUM_CLASSES):
    """The reference (key, shape) list with the head resized to ``num_classes``, and the parameter count."""
    head, keys = HEAD[arch], []
    in_features = None
    for name, shape in REF[arch]["state_dict"]:
        if name == head + ".weight":
            in_features = shape[1]
            shape = [num_classes, shape[1]]
        elif name == head + ".bias":
            shape = [num_classes]
        keys.append((name, tuple(shape)))
    n = REF[arch]["num_params"] - (1000 - num_classes) * (in_features + 1)
    return keys, n


# Building a model compiles one init draw per new weight shape (~0.5-1 s each on a loaded 2-core machine), and a
# first forward/backward compiles per op and shape: only resnet18 runs by default in under a minute; the other
# architectures are marked slow (`-m "not slow"` skips them).
_SLOW = pytest.mark.slow


@pytest.mark.parametrize("arch", ["resnet18", pytest.param("resnet34", marks=_SLOW),
                                  pytest.param("resnet50", marks=_SLOW), pytest.param("vgg11", marks=_SLOW),
                                  pytest.param("mobilenet_v2", marks=_SLOW)])
def test_state_dict_keys_shapes_and_param_count(arch):
    m = _model(arch)
    keys, n = _expected(arch)
    assert [(k, tuple(v.shape)) for k, v in m.state_dict().items()] == keys
    assert sum(p.numel() for p in m.parameters()) == n
    if arch == "vgg11":      # torchvision's Linear init: N(0, 0.01), bias 0
        v = m.classifier[3]
        assert abs(float(v.weight.std()) - 0.01) < 0.001 and float(v.bias.abs().max()) == 0.0


def test_reference_totals():
    expect = {"resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
              "vgg11": 132_863_336, "mobilenet_v2": 3_504_872}
    for arch, n in expect.items():
        assert REF[arch]["num_params"] == n
        assert sum(math.prod(s) for k, s in REF[arch]["state_dict"]
                   if not k.endswith(("running_mean", "running_var", "num_batches_tracked"))) == n


def test_init_follows_torchvision():
    m = _model("resnet18")
    assert float(m.bn1.weight.min()) == float(m.bn1.weight.max()) == 1.0
    assert float(m.bn1.bias.abs().max()) == 0.0
    w = m.layer3[0].conv2.weight                  # kaiming_normal_, fan_out, relu: std sqrt(2 / (256*9))
    assert abs(float(w.std()) - math.sqrt(2 / (256 * 9))) < 0.1 * math.sqrt(2 / (256 * 9))


@pytest.mark.parametrize("arch", ["resnet18", pytest.param("mobilenet_v2", marks=_SLOW),
                                  pytest.param("vgg11", marks=_SLOW)])
def test_forward_backward(arch):
    m = _model(arch).train()
    torch.manual_seed(1)
    x = torch.randn(2, 3, 64, 64)
    out = m(x)
    assert tuple(out.shape) == (2, NUM_CLASSES)
    m.zero_grad()
    out.square().mean().backward()
    for name, p in m.named_parameters():
        assert p.grad is not None, name
        assert bool(torch.isfinite(p.grad).all()), name


@pytest.mark.parametrize("arch", ["resnet18", pytest.param("mobilenet_v2", marks=_SLOW)])
def test_save_load_round_trip_eval(arch, tmp_path):
    m = _model(arch).eval()
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        ref = m(x).numpy()
    path = tmp_path / f"{arch}.pt"
    torch.save(m.state_dict(), path)
    m2 = getattr(models, arch)(num_classes=NUM_CLASSES, weights=path).eval()
    with torch.no_grad():
        np.testing.assert_array_equal(m2(x).numpy(), ref)
    # the file is torch's format: real torch reads it with the same keys
    sd = real_torch.load(path, weights_only=True)
    assert list(sd) == [k for k, _ in _expected(arch)[0]]


def _torch_module_with_keys(keys):
    """A plain torch.nn.Module tree whose state_dict has exactly ``keys`` (random values, BN stats positive)."""
    root = real_torch.nn.Module()
    g = real_torch.Generator().manual_seed(0)
    for name, shape in keys:
        *path, leaf = name.split(".")
        mod = root
        for part in path:
            if not hasattr(mod, part):
                mod.add_module(part, real_torch.nn.Module())
            mod = getattr(mod, part)
        if leaf == "num_batches_tracked":
            mod.register_buffer(leaf, real_torch.tensor(7))
        elif leaf in ("running_mean", "running_var"):
            mod.register_buffer(leaf, real_torch.rand(shape, generator=g) + 0.5)
        else:
            mod.register_parameter(leaf, real_torch.nn.Parameter(real_torch.randn(shape, generator=g) * 0.05))
    return root


def test_weights_from_torch_saved_file(tmp_path):
    keys, _ = _expected("resnet18")
    tm = _torch_module_with_keys(keys)
    assert [(k, tuple(v.shape)) for k, v in tm.state_dict().items()] == keys
    path = tmp_path / "resnet18_torch.pth"
    real_torch.save(tm.state_dict(), path)
    m = models.resnet18(weights=str(path), num_classes=NUM_CLASSES)
    sd = m.state_dict()
    for k, v in tm.state_dict().items():
        np.testing.assert_array_equal(sd[k].numpy(), v.numpy(), err_msg=k)
    assert int(m.bn1.num_batches_tracked) == 7


@pytest.mark.parametrize("kwargs", [{"weights": "IMAGENET1K_V1"}, {"weights": "DEFAULT"},
                                    {"pretrained": True}, {"weights": object()}])
def test_weights_download_refused(kwargs):
    for build in (models.resnet18, models.resnet50, models.vgg11, models.vgg11_bn, models.mobilenet_v2):
        with pytest.raises(RuntimeError, match="does not download weights") as e:
            build(**kwargs)     # refused before any layer is built
        assert "local" in str(e.value) and "weights=" in str(e.value)


def test_pretrained_false_and_missing_file(tmp_path):
    assert isinstance(_model("resnet18"), models.ResNet)
    with pytest.raises(FileNotFoundError):
        models.resnet18(weights=tmp_path / "missing.pth", num_classes=NUM_CLASSES)
