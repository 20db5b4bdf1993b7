"""ptjax.compile: compiled training steps and modules give eager's numbers (eager ptjax is the oracle here; it is
tested against torch elsewhere), with state written back, guards, recompiles and graph breaks.

Models are tiny and steps few; XLA's optimizations are off while this module compiles (as in the op tests).
"""
import numpy as np
import pytest

import ptjax as torch
import ptjax.nn as nn
import ptjax.nn.functional as F

pytestmark = pytest.mark.usefixtures("fast_compiles")
STEPS = 20


def batches(shape, classes, n=4, seed=0, regression=False):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        x = torch.tensor(rng.standard_normal(shape).astype(np.float32))
        y = (torch.tensor(rng.standard_normal((shape[0], classes)).astype(np.float32)) if regression
             else torch.tensor(rng.integers(0, classes, shape[0])))
        out.append((x, y))
    return out


def tutorial_step(model, optimizer, criterion, scheduler=None, clip=None, accumulate=False, item=False):
    def step(x, y):
        optimizer.zero_grad()
        if accumulate:  # two backward calls per step
            h = x.shape[0] // 2
            (criterion(model(x[:h]), y[:h]) / 2).backward()
            loss = criterion(model(x[h:]), y[h:]) / 2
        else:
            loss = criterion(model(x), y)
        loss.backward()
        if clip is not None:
            nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        return loss.item() if item else loss
    return step


def train(build, data, compiled, steps=STEPS):
    """Run ``steps`` steps of the step ``build()`` makes; returns losses, final state and the step function."""
    torch.manual_seed(0)
    model, step = build()
    fn = torch.compile(step) if compiled else step
    losses = []
    for i in range(steps):
        out = fn(*data[i % len(data)])
        losses.append(out if isinstance(out, float) else out.item())
    return losses, {k: v.numpy().copy() for k, v in model.state_dict().items()}, fn, model


def assert_same_training(build, data, steps=STEPS, rtol=1e-5, atol=1e-6):
    le, se, _, _ = train(build, data, False, steps)
    lc, sc, fn, model = train(build, data, True, steps)
    np.testing.assert_allclose(lc, le, rtol=rtol, atol=atol)
    assert se.keys() == sc.keys()
    for k in se:
        np.testing.assert_allclose(sc[k], se[k], rtol=rtol, atol=atol, err_msg=k)
    assert fn.compiles == 1   # one program for all the steady steps
    return fn, model


class SimpleNet(nn.Module):  # the seeds' tutorial model
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(10, 20)
        self.fc2 = nn.Linear(20, 2)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


@pytest.mark.parametrize("opt", ["SGD", "Adam", "RMSprop"])
def test_seed_tutorial_loop(opt):
    kwargs = {"SGD": {"lr": 0.01, "momentum": 0.9}, "Adam": {"lr": 1e-3}, "RMSprop": {"lr": 1e-3}}[opt]

    def build():
        m = SimpleNet()
        return m, tutorial_step(m, getattr(torch.optim, opt)(m.parameters(), **kwargs), nn.MSELoss())
    assert_same_training(build, batches((8, 10), 2, regression=True))


class MnistNet(nn.Module):  # the PyTorch examples' CNN, scaled down (two convs, max-pool, two dropouts)
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, 1)
        self.conv2 = nn.Conv2d(4, 8, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(32, 16)
        self.fc2 = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = self.dropout1(F.max_pool2d(x, 2))
        x = self.dropout2(F.relu(self.fc1(torch.flatten(x, 1))))
        return F.log_softmax(self.fc2(x), dim=1)


def test_mnist_cnn_with_dropout():
    def build():
        m = MnistNet()
        return m, tutorial_step(m, torch.optim.Adadelta(m.parameters(), lr=1.0), F.nll_loss)
    assert_same_training(build, batches((4, 1, 8, 8), 10))


def test_batchnorm_running_stats_train_and_eval():
    data = batches((4, 2, 6, 6), 3)

    def build():
        m = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(64, 3))
        return m, tutorial_step(m, torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9), nn.CrossEntropyLoss())
    _, model = assert_same_training(build, data)   # running_mean/var/num_batches_tracked compared
    assert int(model[1].num_batches_tracked) == STEPS
    eval_eager = model.eval()(data[0][0]).detach().numpy()
    compiled = torch.compile(model)
    with torch.no_grad():
        np.testing.assert_allclose(compiled(data[0][0]).numpy(), eval_eager, rtol=1e-5, atol=1e-6)
    assert int(model[1].num_batches_tracked) == STEPS   # eval leaves the stats alone


def test_lstm():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(4, 6, batch_first=True)
            self.fc = nn.Linear(6, 2)

        def forward(self, x):
            out, _ = self.rnn(x)
            return self.fc(out[:, -1])

    def build():
        m = M()
        return m, tutorial_step(m, torch.optim.Adam(m.parameters(), lr=0.01), F.cross_entropy)
    assert_same_training(build, batches((3, 5, 4), 2))


def test_transformer_encoder():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.1, batch_first=True)
            self.enc = nn.TransformerEncoder(layer, 1)
            self.fc = nn.Linear(8, 2)

        def forward(self, x):
            return self.fc(self.enc(x).mean(1))

    def build():
        m = M()
        # SGD: Adam turns roundoff in a gradient that is zero in exact arithmetic (attention's key bias) into lr-sized
        # steps, so compiled and eager would differ there by more than float tolerance
        return m, tutorial_step(m, torch.optim.SGD(m.parameters(), lr=0.05, momentum=0.9), F.cross_entropy)
    assert_same_training(build, batches((2, 5, 8), 2))


@pytest.mark.parametrize("sched", ["StepLR", "OneCycleLR"])
def test_schedulers_inside_the_step(sched):
    def build():
        m = SimpleNet()
        opt = torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        s = (torch.optim.lr_scheduler.StepLR(opt, 3, 0.5) if sched == "StepLR"
             else torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=40))
        return m, tutorial_step(m, opt, F.cross_entropy, scheduler=s)
    assert_same_training(build, batches((8, 10), 2))


def test_lr_changing_every_step_never_recompiles():
    m = SimpleNet()
    opt = torch.optim.Adam(m.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: 1.0 / (1 + i))
    step = torch.compile(tutorial_step(m, opt, F.cross_entropy, scheduler=sched))
    x, y = batches((8, 10), 2, n=1)[0]
    for _ in range(200):
        step(x, y)
    assert step.compiles == 1
    assert sched.last_epoch == 200 and opt.param_groups[0]["lr"] == pytest.approx(0.01 / 201)


def test_clip_grad_norm_and_grad_accumulation():
    def build(**kw):
        def b():
            m = SimpleNet()
            return m, tutorial_step(m, torch.optim.Adam(m.parameters(), lr=0.05), F.cross_entropy, **kw)
        return b
    data = batches((8, 10), 2)
    assert_same_training(build(clip=0.1), data)
    assert_same_training(build(accumulate=True), data)


def test_grads_are_written_back():
    m = SimpleNet()
    step = torch.compile(tutorial_step(m, torch.optim.SGD(m.parameters(), lr=0.1), F.cross_entropy))
    x, y = batches((8, 10), 2, n=1)[0]
    step(x, y)
    step(x, y)   # compiled
    w = m.fc1.weight.detach().clone().requires_grad_(True)
    b = m.fc1.bias.detach().clone()
    ref = F.cross_entropy(m.fc2(torch.relu(x @ w.T + b)), y)
    ref.backward()
    step(x, y)
    np.testing.assert_allclose(m.fc1.weight.grad.numpy(), w.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_step_returning_item_is_one_break_and_correct():
    def build():
        m = SimpleNet()
        return m, tutorial_step(m, torch.optim.SGD(m.parameters(), lr=0.1), F.cross_entropy, item=True)
    with pytest.warns(UserWarning, match=r"graph break .* at .*test_compile.py:\d+: Tensor.item\(\)") as rec:
        assert_same_training(build, batches((8, 10), 2), steps=5)
    assert sum("graph break" in str(w.message) for w in rec) == 1


def test_graph_break_runs_eagerly_and_fullgraph_raises():
    m = SimpleNet()
    opt = torch.optim.SGD(m.parameters(), lr=0.1)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(m(x), y)
        if loss > 0.5:   # Python control flow on a tensor's value
            loss = loss * 2
        loss.backward()
        opt.step()
        return loss
    line = step.__code__.co_firstlineno + 3
    x, y = batches((8, 10), 2, n=1)[0]
    fn = torch.compile(step)
    with pytest.warns(UserWarning, match=rf"graph break .* at .*test_compile.py:{line}: Python control flow"):
        out = [fn(x, y).item() for _ in range(3)]
    assert fn.compiles == 0 and out[0] != out[2]   # it ran (eagerly) three times
    strict = torch.compile(step, fullgraph=True)
    with pytest.raises(torch._dynamo.exc.Unsupported, match=rf"test_compile.py:{line}"):
        strict(x, y)


def test_short_last_batch_costs_one_compile_and_cache_limit_warns():
    m = SimpleNet()
    step = torch.compile(tutorial_step(m, torch.optim.SGD(m.parameters(), lr=0.1), F.cross_entropy))
    full, short = batches((8, 10), 2, n=1)[0], batches((3, 10), 2, n=1)[0]
    for _ in range(2):           # two epochs: 3 full batches and a short one each
        for _ in range(3):
            step(*full)
        step(*short)
    assert step.compiles == 2
    old = torch._dynamo.config.cache_size_limit
    torch._dynamo.config.cache_size_limit = 3
    try:
        step(*batches((5, 10), 2, n=1)[0])
        with pytest.warns(UserWarning) as rec:
            loss = step(*batches((6, 10), 2, n=1)[0])
    finally:
        torch._dynamo.config.cache_size_limit = old
    assert step.compiles == 3 and np.isfinite(loss.item())
    msg = str(rec[0].message)
    assert "hit config.recompile_limit (3)" in msg and "tutorial_step.<locals>.step" in msg
    assert "the size of tensor 'x' changed from [5, 10] to [6, 10]" in msg
    assert "drop_last=True" in msg


def test_optimized_module_forward_backward_and_state_dict():
    data = batches((6, 10), 2)
    results = []
    for compile_it in (False, True, "in_place"):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(10, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 2))
        if compile_it == "in_place":
            model.compile()
            net = model
        else:
            net = torch.compile(model) if compile_it else model
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        losses = []
        for x, y in data:
            opt.zero_grad()
            out = net(x)
            loss = F.cross_entropy(out, y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        if compile_it is True:
            assert type(net).__name__ == "OptimizedModule" and net._orig_mod is model
            assert next(iter(net.state_dict())) == "_orig_mod.0.weight"
            assert out.grad_fn.name() == "CompiledFunctionBackward"
            model.note = "kept"
            assert net.note == "kept" and next(net.parameters()) is model[0].weight   # attributes reach the module
        net.eval()
        with torch.no_grad():
            ev = net(data[0][0]).numpy()
        results.append((losses, [t.numpy() for t in model.state_dict().values()], ev))
    for other in results[1:]:
        np.testing.assert_allclose(other[0], results[0][0], rtol=1e-5)
        for a, b in zip(other[1], results[0][1]):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(other[2], results[0][2], rtol=1e-5, atol=1e-6)


def test_views_of_parameters_see_compiled_updates():
    m = SimpleNet()
    step = torch.compile(tutorial_step(m, torch.optim.SGD(m.parameters(), lr=0.1), F.cross_entropy))
    x, y = batches((8, 10), 2, n=1)[0]
    view = m.fc1.weight.detach()   # shares storage with the parameter, as in torch
    before = m.fc1.weight.detach().clone()
    for _ in range(3):
        step(x, y)
    np.testing.assert_array_equal(view.numpy(), m.fc1.weight.detach().numpy())
    assert not np.allclose(before.numpy(), view.numpy())


def test_compile_arguments_as_torch():
    f = torch.compile(lambda x: x * 2, backend="eager", mode="max-autotune")
    assert f(torch.ones(2)).tolist() == [2.0, 2.0]
    assert torch.compile(lambda x: x, disable=True)(3) == 3

    @torch.compile(fullgraph=True)
    def g(x):
        return torch.sin(x) + 1
    np.testing.assert_allclose(g(torch.zeros(3)).numpy(), np.ones(3))
    torch_ = pytest.importorskip("torch")
    for kwargs in ({"backend": "nope"}, {"mode": "fastest"}, {"mode": "default", "options": {}}):
        with pytest.raises(Exception) as theirs:
            torch_.compile(lambda x: x, **kwargs)
        with pytest.raises(Exception) as ours:
            torch.compile(lambda x: x, **kwargs)
        assert str(ours.value) == str(theirs.value) and type(ours.value).__name__ == type(theirs.value).__name__


def test_state_nobody_passed_in_is_found_and_kept_current():
    scale = torch.ones(3)              # a global the function reads, changed in place between calls
    cache = {}

    def f(x):
        if "offset" not in cache:       # a tensor kept in Python state on the first call
            cache["offset"] = torch.full((3,), 10.0)
        cache["offset"].add_(1)
        return x * scale + cache["offset"]
    g = torch.compile(f)
    x = torch.arange(3.0)
    assert g(x).tolist() == [11.0, 12.0, 13.0]
    scale.fill_(2.0)
    assert g(x).tolist() == [12.0, 14.0, 16.0]
    assert g(x).tolist() == [13.0, 15.0, 17.0] and cache["offset"].tolist() == [13.0] * 3
    assert g.compiles == 2   # the first call's program kept a new tensor in Python state: traced again once
    with torch.no_grad():
        m = nn.Linear(3, 2)
        cm = torch.compile(m)
        cm(x)
        m.weight.data = torch.ones(2, 3)   # same shape, new array: still the same program
        np.testing.assert_allclose(cm(x).numpy(), (x.sum() + m.bias).numpy(), rtol=1e-6)
        assert cm._compiled.compiles == 1
