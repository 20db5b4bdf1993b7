"""ptjax.optim against torch.optim: identical parameters and gradients, 20 steps, parameters and state_dict()
compared after every step; lr edits, skipped grads, load_state_dict from torch, errors, one jitted call per group."""
import math
import warnings

import numpy as np
import pytest

T = pytest.importorskip("torch")

import ptjax as P  # noqa: E402
import ptjax.optim as PO  # noqa: E402
from _ops_harness import to_numpy  # noqa: E402
from ptjax._stats import STATS  # noqa: E402
from ptjax.optim import optimizer as _opt_mod  # noqa: E402

RTOL, ATOL = 1e-5, 1e-6
SHAPES = [(3, 4), (5,), (2, 3), ()]          # group 0: params 0, 1; group 1: params 2, 3 (3 is float64)
DTYPES = [np.float32, np.float32, np.float32, np.float64]
STEPS = 20


def _to_ptjax(obj):
    """A torch state_dict with its tensors converted to ptjax tensors (and back to torch with _to_torch)."""
    if isinstance(obj, T.Tensor):
        return P.tensor(obj.detach().numpy().copy())
    if isinstance(obj, dict):
        return {k: _to_ptjax(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_to_ptjax(v) for v in obj]
    return obj


def _make_params(rng):
    init = [rng.standard_normal(s).astype(d) for s, d in zip(SHAPES, DTYPES)]
    tp = [T.tensor(a, requires_grad=True) for a in init]
    pp = [P.tensor(a, requires_grad=True) for a in init]
    return tp, pp


def _groups(params, group1):
    return [{"params": params[:2]}, {"params": params[2:], **group1}]


def _assert_same(tp, pp, to, po, where):
    for i, (t, p) in enumerate(zip(tp, pp)):
        np.testing.assert_allclose(to_numpy(p), to_numpy(t), rtol=RTOL, atol=ATOL, err_msg=f"{where}: param {i}")
    ts, ps = to.state_dict(), po.state_dict()
    assert ps["param_groups"] == ts["param_groups"], where
    assert list(ps["state"]) == list(ts["state"]), where
    for i, tst in ts["state"].items():
        pst = ps["state"][i]
        assert list(pst) == list(tst), f"{where}: state keys of param {i}"
        for k, tv in tst.items():
            pv = pst[k]
            assert isinstance(pv, P.Tensor), (where, i, k)
            a, b = to_numpy(tv), to_numpy(pv)
            assert a.dtype == b.dtype and a.shape == b.shape, (where, i, k, a.dtype, b.dtype, a.shape, b.shape)
            np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL, err_msg=f"{where}: state[{i}][{k!r}]")


CONFIGS = [
    ("SGD", dict(lr=0.1), dict(lr=0.05, weight_decay=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9), dict(lr=0.05, momentum=0.5)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.01), dict(dampening=0.0, lr=0.02)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01, maximize=True), dict(momentum=0.7)),
    ("Adam", dict(lr=0.01), dict(lr=0.03, betas=(0.8, 0.99))),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1), dict(eps=1e-3, weight_decay=0.0)),
    ("Adam", dict(lr=0.01, maximize=True, betas=(0.3, 0.5)), dict(amsgrad=True, lr=0.1)),
    ("AdamW", dict(lr=0.01), dict(lr=0.05, weight_decay=0.5)),
    ("AdamW", dict(lr=0.01, amsgrad=True, maximize=True), dict(weight_decay=0.0, betas=(0.5, 0.9))),
    ("RMSprop", dict(lr=0.01), dict(lr=0.001, alpha=0.9)),
    ("RMSprop", dict(lr=0.01, centered=True, weight_decay=0.1), dict(eps=1e-2)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True), dict(momentum=0.0, centered=False, maximize=True)),
    ("Adagrad", dict(lr=0.1), dict(lr=0.5, eps=1e-3)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.3),
     dict(maximize=True, lr_decay=0.0)),
    ("Adadelta", dict(), dict(lr=0.5, rho=0.5)),
    ("Adadelta", dict(lr=0.3, weight_decay=0.1, maximize=True), dict(eps=1e-3, weight_decay=0.0)),
]


@pytest.mark.parametrize("idx", range(len(CONFIGS)), ids=[f"{c[0]}-{i}" for i, c in enumerate(CONFIGS)])
def test_matches_torch(idx):
    name, kw, group1 = CONFIGS[idx]
    rng = np.random.default_rng(idx)
    tp, pp = _make_params(rng)
    to = getattr(T.optim, name)(_groups(tp, group1), **kw)
    po = getattr(PO, name)(_groups(pp, group1), **kw)
    _assert_same(tp, pp, to, po, "init")
    for k in range(STEPS):
        grads = [rng.standard_normal(s).astype(d) for s, d in zip(SHAPES, DTYPES)]
        for i, (t, p, g) in enumerate(zip(tp, pp, grads)):
            # no grad: torch skips the parameter (its state starts at step 3); every other config (compile time)
            skip = i == 1 and k < 2 and idx % 2 == 0
            t.grad = None if skip else T.tensor(g)
            p.grad = None if skip else P.tensor(g)
        if k == 8:    # lr edits between steps take effect on the next step
            to.param_groups[0]["lr"] *= 0.5
            po.param_groups[0]["lr"] *= 0.5
        if k == 13:
            to.param_groups[1]["lr"] = 0.2
            po.param_groups[1]["lr"] = 0.2
        to.step()
        po.step()
        _assert_same(tp, pp, to, po, f"step {k + 1}")


def test_lr_edit_does_not_recompile():
    rng = np.random.default_rng(0)
    _, pp = _make_params(rng)
    opt = PO.Adam(pp[:2], lr=0.01)
    for p in pp[:2]:
        p.grad = P.ones_like(p.detach())
    opt.step()
    traces = STATS["optimizer_traces"]
    for lr in (0.1, 0.02, 1e-4):
        opt.param_groups[0]["lr"] = lr
        opt.param_groups[0]["betas"] = (0.5, 0.9)
        opt.step()
    assert STATS["optimizer_traces"] == traces


def test_one_jitted_call_per_group(monkeypatch):
    calls = []
    real = _opt_mod._jitted

    def counting(cls, flags):
        fn = real(cls, flags)

        def wrapped(params, grads, states, hyper):
            calls.append(len(params))
            return fn(params, grads, states, hyper)
        return wrapped

    monkeypatch.setattr(_opt_mod, "_jitted", counting)
    rng = np.random.default_rng(1)
    _, pp = _make_params(rng)
    extra = [P.tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True)]
    opt = PO.AdamW([{"params": pp[:2]}, {"params": pp[2:], "lr": 0.1}, {"params": extra}])
    for p in pp:
        p.grad = P.ones_like(p.detach())
    opt.step()
    assert calls == [2, 2]            # one call per group with grads; group 2 has none: no call
    calls.clear()
    pp[0].grad = None
    extra[0].grad = P.ones_like(extra[0].detach())
    opt.step()
    assert calls == [1, 2, 1]


@pytest.mark.parametrize("idx", [2, 3, 5, 8, 11, 13, 15], ids=lambda i: f"{CONFIGS[i][0]}-{i}")
def test_load_torch_state_dict_and_continue(idx):
    name, kw, group1 = CONFIGS[idx]   # the configurations above: their compiled updates are reused
    rng = np.random.default_rng(100 + idx)
    tp, _ = _make_params(rng)
    to = getattr(T.optim, name)(_groups(tp, group1), **kw)
    grads = [[rng.standard_normal(s).astype(d) for s, d in zip(SHAPES, DTYPES)] for _ in range(10)]
    for k in range(5):
        for t, g in zip(tp, grads[k]):
            t.grad = T.tensor(g)
        to.step()
    pp = [P.tensor(t.detach().numpy().copy(), requires_grad=True) for t in tp]
    po = getattr(PO, name)(_groups(pp, dict(group1, lr=0.3)), **kw)
    po.load_state_dict(_to_ptjax(to.state_dict()))
    _assert_same(tp, pp, to, po, "loaded")
    for k in range(5, 10):
        for t, p, g in zip(tp, pp, grads[k]):
            t.grad = T.tensor(g)
            p.grad = P.tensor(g)
        to.step()
        po.step()
        _assert_same(tp, pp, to, po, f"step {k + 1}")
    # and the other way: ptjax's state dict loads into torch
    to2 = getattr(T.optim, name)(_groups([T.tensor(to_numpy(p), requires_grad=True) for p in pp], {}), **kw)
    sd = po.state_dict()
    to2.load_state_dict({"state": {i: {k: T.tensor(to_numpy(v)) for k, v in s.items()} for i, s in sd["state"].items()},
                         "param_groups": sd["param_groups"]})
    assert to2.state_dict()["param_groups"] == sd["param_groups"]


@pytest.mark.parametrize("idx", [2, 5, 8, 11, 13, 15], ids=lambda i: f"{CONFIGS[i][0]}-{i}")
def test_add_param_group_mid_training_matches_torch(idx):
    """One group for 4 steps, then add_param_group (its own hyper-parameters, defaults filled in) and 6 more steps:
    parameters and state_dict() equal torch's after every step."""
    name, kw, group1 = CONFIGS[idx]   # the configurations above: their compiled updates are reused
    rng = np.random.default_rng(200 + idx)
    tp, pp = _make_params(rng)
    to = getattr(T.optim, name)(tp[:2], **kw)
    po = getattr(PO, name)(pp[:2], **kw)
    for k in range(10):
        if k == 4:
            to.add_param_group({"params": tp[2:], **group1})
            po.add_param_group({"params": pp[2:], **group1})
            assert len(po.param_groups) == 2 and po.param_groups[1]["params"][0] is pp[2]
            _assert_same(tp, pp, to, po, "added")
        n = 2 if k < 4 else 4
        for t, p, s, d in zip(tp[:n], pp[:n], SHAPES, DTYPES):
            g = rng.standard_normal(s).astype(d)
            t.grad, p.grad = T.tensor(g), P.tensor(g)
        to.step()
        po.step()
        _assert_same(tp, pp, to, po, f"step {k + 1}")


def test_load_state_dict_casts_and_aliases():
    # state tensors are cast to the parameter's dtype (not 'step'); the loaded optimizer keeps working
    p = P.tensor(np.ones(3), requires_grad=True)   # float64
    opt = PO.Adam([p])
    sd = {"state": {0: {"step": P.tensor(3.0), "exp_avg": P.tensor(np.full(3, 0.1, np.float32)),
                        "exp_avg_sq": P.tensor(np.full(3, 0.01, np.float32))}},
          "param_groups": [dict(opt.state_dict()["param_groups"][0], lr=0.5)]}
    opt.load_state_dict(sd)
    st = opt.state[p]
    assert st["exp_avg"].dtype == P.float64 and st["step"].dtype == P.float32
    assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["params"][0] is p
    p.grad = P.tensor(np.ones(3))
    opt.step()
    assert float(st["step"]) == 4.0
    # a state_dict() taken before a step sees the update (same tensors, updated in place, as in torch)
    held = opt.state_dict()["state"][0]["exp_avg"]
    before = to_numpy(held).copy()
    opt.step()
    assert not np.array_equal(to_numpy(held), before)


def _err(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)
    return None


def _errors(lib, optim):
    def leaf(v=None):
        return lib.tensor(np.zeros(2, np.float32) if v is None else v, requires_grad=True)

    cases = [
        lambda: optim.SGD([], lr=0.1),
        lambda: optim.SGD([leaf()], lr=-0.1),
        lambda: optim.SGD([leaf()], lr=0.1, momentum=-0.5),
        lambda: optim.SGD([leaf()], lr=0.1, weight_decay=-1),
        lambda: optim.SGD([leaf()], lr=0.1, nesterov=True),
        lambda: optim.SGD([leaf() * 2], lr=0.1),
        lambda: optim.SGD([1.0], lr=0.1),
        lambda: optim.SGD(leaf(), lr=0.1),
        lambda: optim.SGD([{"params": {leaf()}}], lr=0.1),
        lambda: optim.Adam([leaf()], lr=-1e-3),
        lambda: optim.Adam([leaf()], eps=-1.0),
        lambda: optim.Adam([leaf()], betas=(1.0, 0.999)),
        lambda: optim.Adam([leaf()], betas=(0.9, 1.5)),
        lambda: optim.Adam([leaf()], betas=(0.9, 0)),
        lambda: optim.Adam([leaf()], weight_decay=-0.1),
        lambda: optim.AdamW([leaf()], betas=(-0.1, 0.9)),
        lambda: optim.RMSprop([leaf()], alpha=-0.1),
        lambda: optim.RMSprop([leaf()], momentum=-0.1),
        lambda: optim.RMSprop([leaf()], eps=-0.1),
        lambda: optim.Adagrad([leaf()], lr_decay=-0.1),
        lambda: optim.Adagrad([leaf()], initial_accumulator_value=-0.1),
        lambda: optim.Adadelta([leaf()], rho=1.5),
        lambda: optim.Adadelta([leaf()], lr=-1.0),
    ]
    out = [_err(c) for c in cases]

    a, b = leaf(), leaf()
    opt = optim.SGD([a], lr=0.1)
    out.append(_err(lambda: opt.add_param_group({"params": [b, a]})))
    out.append(_err(lambda: opt.add_param_group([b])))
    out.append(_err(lambda: opt.load_state_dict({"state": {}, "param_groups": []})))
    sd = opt.state_dict()
    sd["param_groups"][0]["params"] = [0, 1]
    out.append(_err(lambda: opt.load_state_dict(sd)))
    out.append(_err(lambda: optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1)))
    return out


def test_errors_match_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _errors(T, T.optim)
        got = _errors(P, PO)
    assert all(e is not None for e in expected)
    for e, g in zip(expected, got):
        assert g == e


def test_defaults_and_repr():
    a = P.tensor(np.zeros(2, np.float32), requires_grad=True)
    ta = T.tensor(np.zeros(2, np.float32), requires_grad=True)
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"):
        kw = {"lr": 0.1} if name == "SGD" else {}
        po, to = getattr(PO, name)([a], **kw), getattr(T.optim, name)([ta], **kw)
        assert po.defaults == to.defaults
        assert po.state_dict()["param_groups"] == to.state_dict()["param_groups"]
        assert repr(po) == repr(to)
        # hyper-parameters accepted and ignored
        getattr(PO, name)([a], foreach=False, differentiable=False, **kw)


def test_zero_grad_and_closure():
    p = P.tensor(np.array([1.0, -2.0], np.float32), requires_grad=True)
    opt = PO.SGD([p], lr=0.1)

    def closure():
        assert P.is_grad_enabled()
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss

    with P.no_grad():
        loss = opt.step(closure)
    assert float(loss) == 5.0
    np.testing.assert_allclose(to_numpy(p), [0.8, -1.6], rtol=1e-6)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(to_numpy(p.grad), [0.0, 0.0])
    opt.zero_grad()
    assert p.grad is None


def test_real_backward_training_matches_torch():
    """Gradients from autograd, not set by hand: a small least-squares fit with Adam, 15 steps."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((8, 3)).astype(np.float32)
    y = rng.standard_normal(8).astype(np.float32)
    w0 = rng.standard_normal(3).astype(np.float32)
    results = []
    for lib, optim in ((T, T.optim), (P, PO)):
        w = lib.tensor(w0, requires_grad=True)
        b = lib.tensor(np.zeros((), np.float32), requires_grad=True)
        opt = optim.Adam([w, b], lr=0.05, amsgrad=True)
        Xt, yt = lib.tensor(X), lib.tensor(y)
        for _ in range(15):
            opt.zero_grad()
            loss = ((Xt @ w + b - yt) ** 2).mean()
            loss.backward()
            opt.step()
        results.append((to_numpy(w), to_numpy(b)))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.05, amsgrad=True)),
                                     ("RMSprop", dict(centered=True)), ("Adagrad", {}), ("Adadelta", {})])
def test_complex_params_match_torch(name, kw):
    rng = np.random.default_rng(4)
    z0 = (rng.standard_normal(4) + 1j * rng.standard_normal(4)).astype(np.complex64)
    tz, pz = T.tensor(z0, requires_grad=True), P.tensor(z0, requires_grad=True)
    to, po = getattr(T.optim, name)([tz], **kw), getattr(PO, name)([pz], **kw)
    for _ in range(5):
        g = (rng.standard_normal(4) + 1j * rng.standard_normal(4)).astype(np.complex64)
        tz.grad, pz.grad = T.tensor(g), P.tensor(g)
        to.step()
        po.step()
    np.testing.assert_allclose(to_numpy(pz), to_numpy(tz), rtol=RTOL, atol=ATOL)
    for k, v in to.state_dict()["state"][0].items():
        pv = to_numpy(po.state[pz][k])
        assert pv.dtype == to_numpy(v).dtype
        np.testing.assert_allclose(pv, to_numpy(v), rtol=RTOL, atol=ATOL)


def test_tensor_lr_and_param_names():
    a = P.tensor(np.ones(2, np.float32), requires_grad=True)
    opt = PO.SGD([("w", a)], lr=P.tensor(0.5))
    assert opt.param_groups[0]["param_names"] == ["w"]
    a.grad = P.tensor(np.ones(2, np.float32))
    opt.step()
    np.testing.assert_allclose(to_numpy(a), [0.5, 0.5])
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w"]
    assert math.isclose(float(opt.param_groups[0]["lr"]), 0.5)


def test_step_hooks_and_no_recompile_for_tensor_hyperparameters():
    a = P.tensor(np.ones(2, np.float32), requires_grad=True)
    opt = PO.SGD([a], lr=0.1, momentum=0.9, weight_decay=P.tensor(0.01))
    seen = []
    h1 = opt.register_step_pre_hook(lambda o, args, kwargs: seen.append(("pre", args)))
    opt.register_step_post_hook(lambda o, args, kwargs: seen.append(("post", args)))
    a.grad = P.tensor(np.ones(2, np.float32))
    opt.step()
    traces = STATS["optimizer_traces"]
    h1.remove()
    opt.step()
    assert seen == [("pre", ()), ("post", ()), ("post", ())]
    assert STATS["optimizer_traces"] == traces


@pytest.mark.parametrize("name, kw", [("SGD", {"lr": math.nan}), ("SGD", {"lr": 0.1, "momentum": math.nan}),
                                      ("SGD", {"lr": 0.1, "weight_decay": math.nan}), ("Adam", {"lr": math.nan}),
                                      ("RMSprop", {"lr": 0.1, "momentum": math.nan})])
def test_nan_hyperparameters_accepted_or_refused_as_torch(name, kw):
    """torch checks ``v < 0`` in SGD (NaN passes) and ``not 0 <= v`` elsewhere (NaN refused)."""
    def outcome(lib, optim):
        try:
            getattr(optim, name)([lib.zeros(2, requires_grad=True)], **kw)
            return "ok"
        except ValueError as e:
            return str(e)
    assert outcome(P, PO) == outcome(T, T.optim)
