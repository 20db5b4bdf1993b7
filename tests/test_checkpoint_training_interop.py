"""A model trained a few steps in torch, saved, loads into the same architecture in ptjax with the same outputs —
and the other way round (issue: save/load with real PyTorch checkpoint files)."""
import numpy as np
import pytest

import ptjax

torch = pytest.importorskip("torch")


def net(lib):
    nn = lib.nn
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 3 * 3, 5), nn.Dropout(0.2), nn.Linear(5, 3))


def train(lib, model, x, y, steps=3):
    opt = lib.optim.Adam(model.parameters(), lr=1e-2)
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        lib.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()
    return opt


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((8, 1, 8, 8)).astype(np.float32), rng.integers(0, 3, 8)


def outputs(lib, model, x):
    with lib.no_grad():
        return np.asarray(model(lib.tensor(x)).numpy())


def test_trained_in_torch_loads_in_ptjax(tmp_path, data):
    x, y = data
    torch.manual_seed(0)
    tm = net(torch)
    topt = train(torch, tm, torch.tensor(x), torch.tensor(y))
    torch.save(tm.state_dict(), tmp_path / "model.pth")
    torch.save(topt.state_dict(), tmp_path / "optim.pth")
    pm = net(ptjax)
    pm.load_state_dict(ptjax.load(tmp_path / "model.pth"))
    pm.eval()
    np.testing.assert_allclose(outputs(ptjax, pm, x), outputs(torch, tm, x), rtol=1e-5, atol=1e-5)
    popt = ptjax.optim.Adam(pm.parameters(), lr=1e-2)
    popt.load_state_dict(ptjax.load(tmp_path / "optim.pth"))
    assert int(popt.state_dict()["state"][0]["step"]) == 3


def test_trained_in_ptjax_loads_in_torch(tmp_path, data):
    x, y = data
    ptjax.manual_seed(0)
    pm = net(ptjax)
    train(ptjax, pm, ptjax.tensor(x), ptjax.tensor(y))
    ptjax.save(pm.state_dict(), str(tmp_path / "model.pth"))
    tm = net(torch)
    tm.load_state_dict(torch.load(tmp_path / "model.pth", weights_only=True))
    tm.eval()
    np.testing.assert_allclose(outputs(torch, tm, x), outputs(ptjax, pm, x), rtol=1e-5, atol=1e-5)
    assert int(tm[1].num_batches_tracked) == 3
