"""The optimizers beyond the first six against torch.optim (Adamax, NAdam, RAdam, ASGD, Rprop, Adafactor, Muon,
LBFGS): 20 steps on the same parameters and gradients, parameters and state_dict() compared after every step (the
machinery of tests/test_optim.py); lr changes by a scheduler, state_dicts both ways, errors, flags."""
import warnings

import numpy as np
import pytest

T = pytest.importorskip("torch")

import ptjax as P  # noqa: E402
import ptjax.optim as PO  # noqa: E402
from _ops_harness import to_numpy  # noqa: E402
from ptjax._stats import STATS  # noqa: E402
from test_optim import SHAPES, DTYPES, _assert_same, _err, _groups, _make_params  # noqa: E402

STEPS = 20
pytestmark = pytest.mark.usefixtures("fast_compiles")

CONFIGS = [
    ("Adamax", dict(lr=0.01), dict(lr=0.03, betas=(0.8, 0.99))),
    ("Adamax", dict(lr=0.01, weight_decay=0.1, maximize=True), dict(eps=1e-3, weight_decay=0.0)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True), dict(maximize=True, momentum_decay=0.01)),
    ("NAdam", dict(lr=0.01, weight_decay=0.1, betas=(0.5, 0.9)), dict(weight_decay=0.0, eps=1e-3)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, maximize=True), dict(weight_decay=0.0)),
    ("RAdam", dict(lr=0.01, weight_decay=0.1, betas=(0.5, 0.5)), dict(eps=1e-2, betas=(0.8, 0.9))),
    ("ASGD", dict(lr=0.05), dict(lr=0.1, lambd=0.01, alpha=0.5)),
    ("ASGD", dict(lr=0.05, t0=5, weight_decay=0.1, maximize=True), dict(t0=2.0, lambd=0.1)),
    ("Rprop", dict(lr=0.01), dict(lr=0.05, etas=(0.3, 1.5))),
    ("Rprop", dict(lr=0.01, maximize=True, step_sizes=(1e-3, 0.02)), dict(step_sizes=(1e-4, 1.0))),
    ("Adafactor", dict(lr=0.01), dict(lr=0.05, beta2_decay=-0.5)),
    ("Adafactor", dict(lr=0.01, weight_decay=0.1, eps=(1e-20, 1e-2), maximize=True), dict(d=2.0)),
]


def _run_against_torch(idx, configs, steps=STEPS, scheduler=None):
    name, kw, group1 = configs[idx]
    rng = np.random.default_rng(idx)
    tp, pp = _make_params(rng)
    to = getattr(T.optim, name)(_groups(tp, group1), **kw)
    po = getattr(PO, name)(_groups(pp, group1), **kw)
    ts, ps = (None, None) if scheduler is None else (scheduler(T.optim, to), scheduler(PO, po))
    _assert_same(tp, pp, to, po, "init")
    for k in range(steps):
        grads = [rng.standard_normal(s).astype(d) for s, d in zip(SHAPES, DTYPES)]
        for i, (t, p, g) in enumerate(zip(tp, pp, grads)):
            skip = i == 1 and k < 2 and idx % 2 == 0     # no grad: torch skips the parameter
            t.grad = None if skip else T.tensor(g)
            p.grad = None if skip else P.tensor(g)
        if k == 8 and ts is None:    # lr edits between steps take effect on the next step
            to.param_groups[0]["lr"] *= 0.5
            po.param_groups[0]["lr"] *= 0.5
        to.step()
        po.step()
        if ts is not None:
            ts.step()
            ps.step()
        _assert_same(tp, pp, to, po, f"step {k + 1}")
    return to, po


@pytest.mark.parametrize("idx", range(len(CONFIGS)), ids=[f"{c[0]}-{i}" for i, c in enumerate(CONFIGS)])
def test_matches_torch(idx):
    _run_against_torch(idx, CONFIGS)


def _cosine(optim, opt):
    return optim.lr_scheduler.CosineAnnealingLR(opt, T_max=7, eta_min=1e-4)


@pytest.mark.parametrize("idx", [2, 6], ids=lambda i: f"{CONFIGS[i][0]}-{i}")
def test_scheduler_drives_lr_without_recompiling(idx):
    """A scheduler changes lr every step: same parameters as torch's, and no new compile after the first steps."""
    to, po = _run_against_torch(idx, CONFIGS, steps=6, scheduler=_cosine)
    assert po.param_groups[0]["lr"] == to.param_groups[0]["lr"]
    traces = STATS["optimizer_traces"]
    pp = [p for g in po.param_groups for p in g["params"]]
    sched = PO.lr_scheduler.StepLR(po, step_size=1, gamma=0.5)
    for _ in range(3):
        for p in pp:
            p.grad = P.ones_like(p.detach())
        po.step()
        sched.step()
    assert STATS["optimizer_traces"] == traces


@pytest.mark.parametrize("idx", [3, 7, 11], ids=lambda i: f"{CONFIGS[i][0]}-{i}")
def test_state_dict_files_both_ways(idx, tmp_path):
    """torch trains 4 steps and torch.save()s its state_dict; ptjax.load() + load_state_dict continue exactly as
    torch does; ptjax.save() of ptjax's state_dict loads into torch (torch.load, weights_only) and continues alike."""
    name, kw, group1 = CONFIGS[idx]
    rng = np.random.default_rng(300 + idx)
    tp, _ = _make_params(rng)
    to = getattr(T.optim, name)(_groups(tp, group1), **kw)
    grads = [[rng.standard_normal(s).astype(d) for s, d in zip(SHAPES, DTYPES)] for _ in range(8)]

    def step(params, lib, opt, k):
        for p, g in zip(params, grads[k]):
            p.grad = lib.tensor(g)
        opt.step()

    for k in range(4):
        step(tp, T, to, k)
    T.save(to.state_dict(), tmp_path / "torch.pt")
    # both load the file (loading casts state to the parameter's dtype: float64 mu_product/eta in torch too)
    tp = [T.tensor(t.detach().numpy().copy(), requires_grad=True) for t in tp]
    to = getattr(T.optim, name)(_groups(tp, {}), **kw)
    to.load_state_dict(T.load(tmp_path / "torch.pt", weights_only=True))
    pp = [P.tensor(t.detach().numpy().copy(), requires_grad=True) for t in tp]
    po = getattr(PO, name)(_groups(pp, {}), **kw)
    po.load_state_dict(P.load(tmp_path / "torch.pt"))
    _assert_same(tp, pp, to, po, "loaded")
    for k in range(4, 6):
        step(tp, T, to, k)
        step(pp, P, po, k)
        _assert_same(tp, pp, to, po, f"step {k + 1}")
    P.save(po.state_dict(), str(tmp_path / "ptjax.pt"))
    tp2 = [T.tensor(to_numpy(p), requires_grad=True) for p in pp]
    to2 = getattr(T.optim, name)(_groups(tp2, {}), **kw)
    to2.load_state_dict(T.load(tmp_path / "ptjax.pt", weights_only=True))
    for k in range(6, 8):
        step(tp2, T, to2, k)
        step(pp, P, po, k)
        _assert_same(tp2, pp, to2, po, f"torch from ptjax, step {k + 1}")


def test_muon_matches_torch():
    rng = np.random.default_rng(7)
    shapes = [(4, 3), (3, 5)]
    init = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    tp = [T.tensor(a, requires_grad=True) for a in init]
    pp = [P.tensor(a, requires_grad=True) for a in init]
    kw = dict(lr=0.02, weight_decay=0.1)
    to = T.optim.Muon([{"params": tp[:1]}, {"params": tp[1:], "nesterov": False, "adjust_lr_fn": "match_rms_adamw"}],
                      **kw)
    po = PO.Muon([{"params": pp[:1]}, {"params": pp[1:], "nesterov": False, "adjust_lr_fn": "match_rms_adamw"}], **kw)
    for _ in range(10):
        for t, p, s in zip(tp, pp, shapes):
            g = rng.standard_normal(s).astype(np.float32)
            t.grad, p.grad = T.tensor(g), P.tensor(g)
        to.step()
        po.step()
    for t, p in zip(tp, pp):
        np.testing.assert_allclose(to_numpy(p), to_numpy(t), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(to_numpy(po.state[p]["momentum_buffer"]),
                                   to_numpy(to.state[t]["momentum_buffer"]), rtol=1e-5, atol=1e-6)
    assert po.state_dict()["param_groups"] == to.state_dict()["param_groups"]


# ---- LBFGS -------------------------------------------------------------------------------------------------------
def _lbfgs_problem(lib, dtype):
    """A small ill-conditioned least-squares fit plus a quartic term: a few iterations do not solve it."""
    rng = np.random.default_rng(11)
    A = lib.tensor((rng.standard_normal((12, 5)) * np.array([1, 3, 0.5, 2, 0.2])).astype(dtype))
    b = lib.tensor(rng.standard_normal(12).astype(dtype))
    w = lib.tensor(np.full(5, 0.5, dtype), requires_grad=True)
    v = lib.tensor(np.array([[1.0, -1.0]], dtype), requires_grad=True)

    def loss_fn():
        r = A @ w - b + v.sum()
        return (r * r).sum() + (w ** 4).sum() * 0.1 + (v * v).sum()
    return [w, v], loss_fn


def _lbfgs_pair(dtype, **kw):
    runs = []
    for lib in (T, P):
        params, loss_fn = _lbfgs_problem(lib, dtype)
        opt = lib.optim.LBFGS(params, **kw)

        def closure(opt=opt, loss_fn=loss_fn):
            opt.zero_grad()
            loss = loss_fn()
            loss.backward()
            return loss
        runs.append((params, opt, closure))
    return runs


def _assert_lbfgs_same(tr, pr, rtol, where):
    (tparams, topt, _), (pparams, popt, _) = tr, pr
    for t, p in zip(tparams, pparams):
        np.testing.assert_allclose(to_numpy(p), to_numpy(t), rtol=rtol, atol=rtol, err_msg=where)
    ts, ps = topt.state_dict(), popt.state_dict()
    assert ps["param_groups"] == ts["param_groups"]
    tst, pst = ts["state"][0], ps["state"][0]
    assert list(pst) == list(tst), where
    for key, tv in tst.items():
        pv = pst[key]
        if isinstance(tv, list):
            assert len(pv) == len(tv), (where, key)
            pairs = [(a, b) for a, b in zip(tv, pv) if a is not None or b is not None]
        else:
            pairs = [(tv, pv)]
        for a, b in pairs:
            if isinstance(a, T.Tensor):
                assert isinstance(b, P.Tensor) and to_numpy(b).dtype == to_numpy(a).dtype, (where, key)
                np.testing.assert_allclose(to_numpy(b), to_numpy(a), rtol=rtol, atol=rtol, err_msg=f"{where}: {key}")
            else:
                assert type(b) is type(a) and b == pytest.approx(a, rel=rtol, abs=rtol), (where, key, a, b)


@pytest.mark.parametrize("kw", [dict(history_size=3, max_iter=6),
                                dict(line_search_fn="strong_wolfe", history_size=4, max_iter=8, lr=0.8),
                                dict(max_iter=50, tolerance_grad=1e-3, tolerance_change=1e-6)],
                         ids=["fixed-step", "strong-wolfe", "tolerances"])
def test_lbfgs_matches_torch(kw):
    tr, pr = _lbfgs_pair(np.float64, **kw)
    for k in range(3):
        tl, pl = tr[1].step(tr[2]), pr[1].step(pr[2])
        assert float(pl) == pytest.approx(float(tl.detach()), rel=1e-9)
        _assert_lbfgs_same(tr, pr, 1e-7, f"step {k + 1}")


def test_lbfgs_float32_and_state_dict_from_torch(tmp_path):
    tr, pr = _lbfgs_pair(np.float32, line_search_fn="strong_wolfe", history_size=5, max_iter=5)
    tr[1].step(tr[2])
    pr[1].step(pr[2])
    _assert_lbfgs_same(tr, pr, 1e-4, "float32")
    # torch's state (lists of tensors, ints, floats) saved with torch.save continues in ptjax as in torch
    T.save(tr[1].state_dict(), tmp_path / "lbfgs.pt")
    for t, p in zip(tr[0], pr[0]):
        p.detach().copy_(P.tensor(t.detach().numpy()))
    pr[1].load_state_dict(P.load(tmp_path / "lbfgs.pt"))
    tr[1].step(tr[2])
    pr[1].step(pr[2])
    _assert_lbfgs_same(tr, pr, 1e-4, "after load")


def test_lbfgs_errors_and_hooks():
    a = P.tensor(np.ones(2, np.float32), requires_grad=True)
    b = T.tensor(np.ones(2, np.float32), requires_grad=True)
    for lib, x in ((T, b), (P, a)):
        with pytest.raises(ValueError, match="LBFGS doesn't support per-parameter options"):
            lib.optim.LBFGS([{"params": [x]}, {"params": [lib.zeros(1, requires_grad=True)]}])
    def closure():
        a.grad = None
        loss = (a * a).sum()
        loss.backward()
        return loss
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        PO.LBFGS([a], line_search_fn="wolfe").step(closure)
    opt = PO.LBFGS([a])
    seen = []
    opt.register_step_post_hook(lambda o, args, kwargs: seen.append(len(args)))
    assert float(opt.step(closure)) == 2.0 and seen == [1]
    assert float(a.abs().max()) < 1e-4    # a quadratic: solved


# ---- construction: torch's checks and messages, defaults, repr, flags ----------------------------------------------
def _errors(lib, optim):
    def leaf():
        return lib.tensor(np.zeros(2, np.float32), requires_grad=True)

    cases = [
        lambda: optim.Adamax([leaf()], lr=-1.0), lambda: optim.Adamax([leaf()], eps=-1.0),
        lambda: optim.Adamax([leaf()], betas=(1.0, 0.5)), lambda: optim.Adamax([leaf()], weight_decay=-1),
        lambda: optim.NAdam([leaf()], betas=(0.9, 1.0)), lambda: optim.NAdam([leaf()], momentum_decay=-1),
        lambda: optim.RAdam([leaf()], betas=(-0.1, 0.5)), lambda: optim.RAdam([leaf()], weight_decay=-1),
        lambda: optim.ASGD([leaf()], lr=-1), lambda: optim.ASGD([leaf()], weight_decay=-1),
        lambda: optim.Rprop([leaf()], etas=(1.5, 1.2)), lambda: optim.Rprop([leaf()], lr=-0.1),
        lambda: optim.Adafactor([leaf()], lr=-1), lambda: optim.Adafactor([leaf()], beta2_decay=0.5),
        lambda: optim.Adafactor([leaf()], eps=(-1, 1e-3)), lambda: optim.Adafactor([leaf()], eps=(None, -1)),
        lambda: optim.Adafactor([leaf()], d=0.5), lambda: optim.Adafactor([leaf()], weight_decay=-1),
        lambda: optim.Muon([leaf()]), lambda: optim.Muon([leaf().reshape(1, 2).detach()], adjust_lr_fn="x"),
        lambda: optim.Muon([leaf()], momentum=-1), lambda: optim.LBFGS([leaf()], lr=-1),
        lambda: optim.Adamax([leaf()], lr=lib.tensor([0.1, 0.2])),
    ]
    return [_err(c) for c in cases]


def test_errors_match_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, got = _errors(T, T.optim), _errors(P, PO)
    assert all(e is not None for e in expected)
    assert got == expected


NAMES = ["Adamax", "NAdam", "RAdam", "ASGD", "Rprop", "Adafactor", "LBFGS"]


def test_defaults_repr_and_flags():
    a = P.tensor(np.zeros((2, 2), np.float32), requires_grad=True)
    ta = T.tensor(np.zeros((2, 2), np.float32), requires_grad=True)
    for name in NAMES + ["Muon"]:
        po, to = getattr(PO, name)([a]), getattr(T.optim, name)([ta])
        assert po.defaults == to.defaults, name
        assert po.state_dict()["param_groups"] == to.state_dict()["param_groups"], name
        assert repr(po) == repr(to), name
    for name in ("Adamax", "NAdam", "RAdam", "ASGD", "Rprop"):   # flags torch accepts: accepted, same update
        flags = dict(foreach=True, capturable=True, differentiable=False)
        po = getattr(PO, name)([a], **flags)
        assert {k: po.param_groups[0][k] for k in flags} == flags


def test_complex_params_match_torch():
    rng = np.random.default_rng(5)
    z0 = (rng.standard_normal(3) + 1j * rng.standard_normal(3)).astype(np.complex64)
    for name in ("Adamax", "NAdam", "RAdam", "ASGD", "Rprop"):
        tz, pz = T.tensor(z0, requires_grad=True), P.tensor(z0, requires_grad=True)
        to, po = getattr(T.optim, name)([tz], lr=0.05), getattr(PO, name)([pz], lr=0.05)
        for _ in range(4):
            g = (rng.standard_normal(3) + 1j * rng.standard_normal(3)).astype(np.complex64)
            tz.grad, pz.grad = T.tensor(g), P.tensor(g)
            to.step()
            po.step()
        np.testing.assert_allclose(to_numpy(pz), to_numpy(tz), rtol=1e-5, atol=1e-6, err_msg=name)
    pz.grad = P.tensor(g)
    with pytest.raises(RuntimeError, match="Adafactor does not support complex parameters"):
        PO.Adafactor([pz]).step()


# ---- swa_utils, swap_in_optimizer_params_and_state -------------------------------------------------------------
def _bn_net(lib, seed_state=None):
    nn = lib.nn
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    if seed_state is not None:
        net.load_state_dict({k: lib.tensor(v) for k, v in seed_state.items()})
    return net


@pytest.mark.parametrize("kind", ["swa", "ema-multi", "ema-avg"])
def test_averaged_model_and_update_bn_match_torch(kind):
    rng = np.random.default_rng(21)
    init = {k: v.detach().numpy().copy() for k, v in _bn_net(T).state_dict().items()}
    xs = [rng.standard_normal((5, 3)).astype(np.float32) for _ in range(3)]
    out = []
    for lib in (T, P):
        su = lib.optim.swa_utils
        net = _bn_net(lib, init)
        kw = {"swa": {}, "ema-multi": dict(multi_avg_fn=su.get_ema_multi_avg_fn(0.9)),
              "ema-avg": dict(avg_fn=su.get_ema_avg_fn(0.8), use_buffers=True)}[kind]
        avg = su.AveragedModel(net, **kw)
        for k in range(4):
            with lib.no_grad():
                for p in net.parameters():
                    p.mul_(0.9).add_(0.1 * (k + 1))
            net(lib.tensor(xs[k % 3]))   # moves the BatchNorm buffers
            avg.update_parameters(net)
        su.update_bn([lib.tensor(x) for x in xs], avg)
        out.append({k: to_numpy(v).copy() for k, v in avg.state_dict().items()})
        out[-1]["y"] = to_numpy(avg.eval()(lib.tensor(xs[0])).detach())
    assert list(out[1]) == list(out[0])
    for k, v in out[0].items():
        np.testing.assert_allclose(out[1][k], v, rtol=1e-5, atol=1e-6, err_msg=k)


@pytest.mark.parametrize("strategy,anneal", [("cos", 3), ("linear", 0)])
def test_swalr_matches_torch(strategy, anneal):
    lrs = []
    for lib in (T, P):
        opt = lib.optim.SGD([{"params": [lib.zeros(1, requires_grad=True)]},
                             {"params": [lib.zeros(1, requires_grad=True)], "lr": 0.3}], lr=0.1)
        sched = lib.optim.swa_utils.SWALR(opt, swa_lr=[0.05, 0.01], anneal_epochs=anneal, anneal_strategy=strategy)
        seq = []
        for _ in range(6):
            opt.step()
            sched.step()
            seq.append(sched.get_last_lr())
        lrs.append(seq)
        with pytest.raises(ValueError, match="anneal_strategy must be one of 'cos' or 'linear', instead got x"):
            lib.optim.swa_utils.SWALR(opt, 0.1, anneal_strategy="x")
    np.testing.assert_allclose(lrs[1], lrs[0], rtol=1e-12)


def test_swap_in_optimizer_params_and_state_matches_torch():
    results = []
    for lib in (T, P):
        live = lib.tensor(np.ones(3, np.float32), requires_grad=True)
        opt = lib.optim.Adam([live], lr=0.1)
        live.grad = lib.tensor(np.full(3, 0.5, np.float32))
        opt.step()
        sd = opt.state_dict()
        other = lib.tensor(np.arange(3, dtype=np.float32), requires_grad=True)
        other.grad = lib.tensor(np.array([1.0, -1.0, 2.0], np.float32))
        swap_sd = {"state": {0: {k: v.clone() for k, v in sd["state"][0].items()}},
                   "param_groups": [dict(sd["param_groups"][0], lr=0.5)]}
        with lib.optim.swap_in_optimizer_params_and_state(opt, {"w": other}, swap_sd):
            assert opt.param_groups[0]["lr"] == 0.5 and opt.param_groups[0]["params"][0] is other
            opt.step()
        assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["params"][0] is live
        results.append([to_numpy(other), to_numpy(live), to_numpy(swap_sd["state"][0]["exp_avg"]),
                        float(opt.state[live]["step"])])
        with pytest.raises(RuntimeError, match="has a different number of parameter groups"):
            with lib.optim.swap_in_optimizer_params_and_state(opt, {"w": other}, {"state": {}, "param_groups": []}):
                pass
    for a, b in zip(results[0], results[1]):
        np.testing.assert_allclose(b, a, rtol=1e-6)
