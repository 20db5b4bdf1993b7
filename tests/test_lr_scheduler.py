"""ptjax.optim.lr_scheduler against torch.optim.lr_scheduler: lr (and momentum/betas) sequences over 30 steps,
state_dict() contents, and a state_dict round trip (torch's dicts loaded into ptjax) that continues identically."""
import math
import warnings

import numpy as np
import pytest

T = pytest.importorskip("torch")

import ptjax as P  # noqa: E402
import ptjax.optim as PO  # noqa: E402

STEPS = 30


def _optimizer(lib, optim, kind="SGD"):
    a = lib.tensor(np.zeros(2, np.float32), requires_grad=True)
    b = lib.tensor(np.zeros(3, np.float32), requires_grad=True)
    if kind == "SGD":
        return optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5, "momentum": 0.8}], lr=0.1, momentum=0.9)
    return optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5, "betas": (0.8, 0.99)}], lr=0.1)


class Scale:
    """A callable object: its __dict__ goes into LambdaLR's state_dict."""

    def __init__(self, base):
        self.base = base

    def __call__(self, epoch):
        return self.base ** epoch


def _metric(k):
    return [5.0, 4.0, 3.9, 3.9, 3.9, 3.95, 4.0, 3.0, 3.0, 3.0, 3.0, 3.0, 2.9999, 2.0][k % 14] + (k // 14) * 0.5


S = None  # placeholder: the scheduler module of the library under test, passed to the factories

CASES = {
    "StepLR": (lambda o, S: S.StepLR(o, step_size=3, gamma=0.5), "SGD"),
    "MultiStepLR": (lambda o, S: S.MultiStepLR(o, milestones=[2, 5, 5, 9, 20], gamma=0.3), "SGD"),
    "ExponentialLR": (lambda o, S: S.ExponentialLR(o, gamma=0.9), "SGD"),
    "CosineAnnealingLR": (lambda o, S: S.CosineAnnealingLR(o, T_max=7, eta_min=0.01), "SGD"),
    "LinearLR": (lambda o, S: S.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=7), "SGD"),
    "ConstantLR": (lambda o, S: S.ConstantLR(o, factor=0.3, total_iters=4), "SGD"),
    "PolynomialLR": (lambda o, S: S.PolynomialLR(o, total_iters=8, power=2.0), "SGD"),
    "LambdaLR": (lambda o, S: S.LambdaLR(o, [lambda e: 1 / (e + 1), Scale(0.9)]), "SGD"),
    "MultiplicativeLR": (lambda o, S: S.MultiplicativeLR(o, lambda e: 0.95 if e % 2 else 1.01), "SGD"),
    "CosineAnnealingWarmRestarts": (lambda o, S: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=1e-3),
                                    "SGD"),
    "OneCycleLR-cos": (lambda o, S: S.OneCycleLR(o, max_lr=[1.0, 2.0], total_steps=31), "SGD"),
    "OneCycleLR-linear-3phase": (lambda o, S: S.OneCycleLR(o, max_lr=1.0, epochs=4, steps_per_epoch=8,
                                                           anneal_strategy="linear", three_phase=True), "SGD"),
    "OneCycleLR-adam": (lambda o, S: S.OneCycleLR(o, max_lr=0.3, total_steps=40, pct_start=0.25,
                                                  base_momentum=0.8, max_momentum=0.9), "Adam"),
    "CyclicLR-triangular2": (lambda o, S: S.CyclicLR(o, base_lr=0.01, max_lr=[0.1, 0.2], step_size_up=4,
                                                     mode="triangular2"), "SGD"),
    "CyclicLR-exp_range-adam": (lambda o, S: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4,
                                                        step_size_down=3, mode="exp_range", gamma=0.97), "Adam"),
    "SequentialLR": (lambda o, S: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=5),
                                                     S.ExponentialLR(o, gamma=0.9),
                                                     S.CosineAnnealingLR(o, T_max=6)], milestones=[5, 12]), "SGD"),
    "ChainedScheduler": (lambda o, S: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=4),
                                                          S.ExponentialLR(o, gamma=0.9),
                                                          S.StepLR(o, step_size=5, gamma=0.7)]), "SGD"),
    "ReduceLROnPlateau-min-rel": (lambda o, S: S.ReduceLROnPlateau(o, patience=2, factor=0.5, cooldown=1,
                                                                   min_lr=[0.01, 0.02]), "SGD"),
    "ReduceLROnPlateau-max-abs": (lambda o, S: S.ReduceLROnPlateau(o, mode="max", threshold_mode="abs",
                                                                   threshold=0.01, patience=1, factor=0.3,
                                                                   min_lr=1e-3, eps=1e-4), "SGD"),
}


def _step(sched, k, name):
    if name.startswith("ReduceLROnPlateau"):
        m = _metric(k)
        sched.step(-m if "max" in name else m)
    else:
        sched.step()


def _snapshot(opt, sched):
    out = list(sched.get_last_lr())
    for g in opt.param_groups:
        out.append(g["lr"])
        out.append(g.get("momentum"))
        out.append(g.get("betas"))
    return out


def _assert_close(a, b, where):
    assert len(a) == len(b), where
    for x, y in zip(a, b):
        if isinstance(x, tuple):
            assert isinstance(y, tuple) and len(x) == len(y), where
            for u, v in zip(x, y):
                assert math.isclose(u, v, rel_tol=1e-12, abs_tol=0), (where, a, b)
        elif x is None:
            assert y is None, where
        else:
            assert math.isclose(x, y, rel_tol=1e-12, abs_tol=0), (where, a, b)


def _clean(sd):
    """A scheduler state_dict with nested dicts normalised for comparison."""
    return {k: ([_clean(s) for s in v] if k == "_schedulers" else v) for k, v in sd.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_scheduler_matches_torch(name):
    factory, kind = CASES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        to, po = _optimizer(T, T.optim, kind), _optimizer(P, PO, kind)
        ts, ps = factory(to, T.optim.lr_scheduler), factory(po, PO.lr_scheduler)
        _assert_close(_snapshot(to, ts), _snapshot(po, ps), "init")
        assert _clean(ps.state_dict()) == _clean(ts.state_dict())
        assert po.state_dict()["param_groups"] == to.state_dict()["param_groups"]
        for k in range(STEPS):
            to.step()
            po.step()
            _step(ts, k, name)
            _step(ps, k, name)
            _assert_close(_snapshot(to, ts), _snapshot(po, ps), f"step {k + 1}")
            if k == 14:
                # round trip: torch's optimizer + scheduler state dicts loaded into a fresh ptjax pair
                assert _clean(ps.state_dict()) == _clean(ts.state_dict())
                po = _optimizer(P, PO, kind)
                ps = factory(po, PO.lr_scheduler)
                ps.load_state_dict(ts.state_dict())
                po.load_state_dict(to.state_dict())
                _assert_close(_snapshot(to, ts), _snapshot(po, ps), "reloaded")
        assert _clean(ps.state_dict()) == _clean(ts.state_dict())


@pytest.mark.parametrize("name,factory,epochs", [
    ("StepLR", lambda o, S: S.StepLR(o, step_size=3, gamma=0.5), [1, 2, 3, 7, 4, 10]),
    ("MultiStepLR", lambda o, S: S.MultiStepLR(o, [2, 5, 5], gamma=0.3), [1, 5, 3, 8]),
    ("ExponentialLR", lambda o, S: S.ExponentialLR(o, gamma=0.9), [1, 4, 2, 9]),
    ("CosineAnnealingLR", lambda o, S: S.CosineAnnealingLR(o, T_max=7), [1, 3, 9, 2]),
    ("LinearLR", lambda o, S: S.LinearLR(o, total_iters=4), [1, 3, 6, 2]),
    ("ConstantLR", lambda o, S: S.ConstantLR(o, total_iters=4), [1, 3, 6, 2]),
    ("CosineAnnealingWarmRestarts", lambda o, S: S.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
     [0.5, 1.25, 3.0, 4.7, 10.2, 25.0, 2.0]),
])
def test_step_with_epoch_uses_closed_form(name, factory, epochs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        to, po = _optimizer(T, T.optim), _optimizer(P, PO)
        ts, ps = factory(to, T.optim.lr_scheduler), factory(po, PO.lr_scheduler)
        for e in epochs:
            ts.step(e)
            ps.step(e)
            _assert_close(_snapshot(to, ts), _snapshot(po, ps), f"epoch {e}")


def test_warnings_and_errors():
    po = _optimizer(P, PO)
    with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before `optimizer.step\\(\\)`"):
        s = PO.lr_scheduler.StepLR(po, 2)
        s.step()
    po = _optimizer(P, PO)
    s = PO.lr_scheduler.StepLR(po, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        po.step()
        s.step()
    with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
        s.get_lr()
    with pytest.warns(UserWarning, match="verbose parameter is deprecated"):
        PO.lr_scheduler.ExponentialLR(_optimizer(P, PO), 0.9, verbose=True)

    def errs(lib, optim):
        S = optim.lr_scheduler
        out = []
        for fn in (lambda: S.StepLR(object(), 2),
                   lambda: S.StepLR(_optimizer(lib, optim), 2, last_epoch=3),
                   lambda: S.ConstantLR(_optimizer(lib, optim), factor=2.0),
                   lambda: S.LinearLR(_optimizer(lib, optim), start_factor=0.0),
                   lambda: S.LambdaLR(_optimizer(lib, optim), [lambda e: 1.0]),
                   lambda: S.ReduceLROnPlateau(_optimizer(lib, optim), factor=1.0),
                   lambda: S.ReduceLROnPlateau(_optimizer(lib, optim), mode="avg"),
                   lambda: S.OneCycleLR(_optimizer(lib, optim), 1.0),
                   lambda: S.OneCycleLR(_optimizer(lib, optim), 1.0, total_steps=10, pct_start=1),
                   lambda: S.CosineAnnealingWarmRestarts(_optimizer(lib, optim), T_0=0),
                   lambda: S.SequentialLR(_optimizer(lib, optim), [], milestones=[])):
            try:
                fn()
                out.append(None)
            except Exception as e:  # noqa: BLE001
                out.append((type(e).__name__, str(e)))
        o = _optimizer(lib, optim)
        s = S.OneCycleLR(o, 1.0, total_steps=2)
        o.step()
        s.step()
        s.step()
        try:
            s.step()
            out.append(None)
        except ValueError as e:
            out.append(str(e))
        return out

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, got = errs(T, T.optim), errs(P, PO)
    assert None not in expected
    assert got == expected


def test_tensor_lr_is_filled_in_place():
    a = P.tensor(np.zeros(2, np.float32), requires_grad=True)
    lr = P.tensor(0.1)
    opt = PO.SGD([a], lr=lr)
    s = PO.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    opt.step()
    s.step()
    assert opt.param_groups[0]["lr"] is lr
    assert math.isclose(float(lr), 0.05, rel_tol=1e-6)
    assert isinstance(s.get_last_lr()[0], P.Tensor) and s.get_last_lr()[0] is not lr
