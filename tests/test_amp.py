"""torch.autocast / torch.amp against real torch on CPU: which ops run in bfloat16/float16 or float32 inside a
region, their values and gradients, the state functions, and GradScaler's dynamic loss-scale rules."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ptjax  # noqa: E402

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 8)).astype(np.float32)
W = rng.standard_normal((3, 8)).astype(np.float32)
B = rng.standard_normal(3).astype(np.float32)
IMG = rng.standard_normal((1, 2, 5, 5)).astype(np.float32)
KER = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
TARGET = np.array([0, 1, 2, 0])


def _ops(lib):
    F = lib.nn.functional
    x, w, b = lib.tensor(X), lib.tensor(W), lib.tensor(B)
    return {
        "linear": lambda: F.linear(x, w, b), "matmul": lambda: x @ w.T, "mm": lambda: lib.mm(x, w.T),
        "bmm": lambda: lib.bmm(x[None], w.T[None]), "addmm": lambda: lib.addmm(b, x, w.T),
        "conv2d": lambda: F.conv2d(lib.tensor(IMG), lib.tensor(KER)),
        "add": lambda: x + 1, "relu": lambda: F.relu(x @ w.T), "softmax": lambda: lib.softmax(x @ w.T, 1),
        "cross_entropy": lambda: F.cross_entropy(x @ w.T, lib.tensor(TARGET)),
        "mse_loss": lambda: F.mse_loss(x @ w.T, (x @ w.T).float()),
        "float64 matmul": lambda: x.double() @ w.double().T,
    }


def _np(t):
    t = t.detach() if hasattr(t, "detach") else t
    return np.asarray(t.float() if str(t.dtype).endswith("bfloat16") else t, dtype=np.float64)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
def test_ops_in_a_cpu_region_match_torch(dtype):
    ref_ops, got_ops = _ops(torch), _ops(ptjax)
    with torch.autocast("cpu", dtype=getattr(torch, dtype)), ptjax.autocast("cpu", dtype=getattr(ptjax, dtype)):
        for name in ref_ops:
            ref, got = ref_ops[name](), got_ops[name]()
            assert str(got.dtype) == str(ref.dtype), f"{name}: {got.dtype} != torch's {ref.dtype}"
            np.testing.assert_allclose(_np(got), _np(ref), rtol=2e-2, atol=5e-2, err_msg=name)
    assert ptjax._ops.dispatch.AUTOCAST is None  # no cost outside regions


def test_mlp_gradients_under_autocast_match_torch():
    grads = {}
    for lib in (torch, ptjax):
        lib.manual_seed(0)
        lin = lib.nn.Linear(8, 3)
        with lib.no_grad():
            lin.weight.copy_(lib.tensor(W))
            lin.bias.copy_(lib.tensor(B))
        with lib.autocast("cpu"):
            out = lin(lib.tensor(X))
            assert str(out.dtype).endswith("bfloat16")
            loss = lib.nn.functional.cross_entropy(out, lib.tensor(TARGET))
        assert str(loss.dtype).endswith("float32")
        loss.backward()
        grads[lib.__name__] = (lin.weight.grad, lin.bias.grad)
    for t, p in zip(grads["torch"], grads["ptjax"], strict=False):
        assert str(p.dtype) == str(t.dtype) == "torch.float32"
        np.testing.assert_allclose(_np(p), _np(t), rtol=2e-2, atol=2e-2)


def test_state_nesting_and_decorator():
    x = ptjax.tensor(X)
    assert not ptjax.is_autocast_enabled("cpu") and ptjax.get_autocast_dtype("cpu") is ptjax.bfloat16
    assert ptjax.get_autocast_dtype("cuda") is ptjax.float16
    with ptjax.autocast("cpu", dtype=ptjax.float16):
        assert ptjax.is_autocast_enabled("cpu") and not ptjax.is_autocast_enabled()  # no argument: CUDA's state
        assert ptjax.get_autocast_cpu_dtype() is ptjax.float16 and ptjax.is_autocast_cpu_enabled()
        with ptjax.amp.autocast("cpu", enabled=False):
            assert (x @ x.T).dtype is ptjax.float32
        assert (x @ x.T).dtype is ptjax.float16

    @ptjax.autocast("cpu")
    def f(a):
        return a @ a.T
    assert f(x).dtype is ptjax.bfloat16 and (x @ x.T).dtype is ptjax.float32
    assert not ptjax.is_autocast_enabled("cpu") and ptjax._ops.dispatch.AUTOCAST is None
    ptjax.set_autocast_enabled("cpu", True)
    try:
        assert (x @ x.T).dtype is ptjax.bfloat16
    finally:
        ptjax.set_autocast_enabled("cpu", False)
    assert ptjax._ops.dispatch.AUTOCAST is None and ptjax.amp.is_autocast_available("cpu")


def test_unsupported_regions_warn_and_disable_as_torch():
    for lib in (torch, ptjax):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with lib.autocast("cpu", dtype=lib.float64):
                assert not lib.is_autocast_enabled("cpu")
        assert any("CPU Autocast only supports dtypes of torch.bfloat16, torch.float16" in str(w.message)
                   for w in caught)
    if not ptjax.cuda.is_available():
        for lib in (torch, ptjax):
            with pytest.warns(UserWarning, match="CUDA is not available"):
                region = lib.autocast("cuda")
            with region:
                assert (lib.tensor(X) @ lib.tensor(W).T).dtype is lib.float32
            with pytest.warns(FutureWarning, match=r"torch.cuda.amp.GradScaler\(args...\)` is deprecated"):
                assert not lib.cuda.amp.GradScaler().is_enabled()
        with pytest.warns(FutureWarning, match=r"torch.cuda.amp.autocast\(args...\)` is deprecated"):
            ptjax.cuda.amp.autocast()


def test_custom_fwd_bwd():
    class Square(ptjax.autograd.Function):
        @staticmethod
        @ptjax.amp.custom_fwd(device_type="cpu", cast_inputs=ptjax.float32)
        def forward(ctx, a):
            ctx.save_for_backward(a)
            assert not ptjax.is_autocast_enabled("cpu")
            return a @ a.T

        @staticmethod
        @ptjax.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return (g + g.T) @ a

    a = ptjax.tensor(X, requires_grad=True)
    with ptjax.autocast("cpu"):
        out = Square.apply(a)
        assert (a @ a.T).dtype is ptjax.bfloat16  # outside the Function, autocast is on
    assert out.dtype is ptjax.float32
    out.sum().backward()
    assert a.grad is not None and a.grad.dtype is ptjax.float32


# ---- GradScaler --------------------------------------------------------------------------------------------------

def _scaler_run(lib, events):
    """A few steps of SGD with a scaler; ``events``: per step, the loss multiplier (inf makes a non-finite grad)."""
    p = lib.nn.Parameter(lib.ones(2))
    opt = lib.optim.SGD([p], lr=0.1)
    scaler = lib.amp.GradScaler("cpu", init_scale=8.0, growth_interval=2)
    trace = []
    for m in events:
        opt.zero_grad()
        scaler.scale((p * m).sum()).backward()
        result = scaler.step(opt)
        scaler.update()
        trace.append((scaler.get_scale(), result, scaler.state_dict()["_growth_tracker"], p.detach().tolist()))
    return trace, scaler


def test_grad_scaler_dynamic_scale_matches_torch():
    events = [2.0, 2.0, float("inf"), 2.0, float("nan"), 2.0, 2.0]
    ref, t_scaler = _scaler_run(torch, events)
    got, p_scaler = _scaler_run(ptjax, events)
    for r, g in zip(ref, got, strict=False):
        assert g[:3] == r[:3]
        np.testing.assert_allclose(g[3], r[3], rtol=1e-6)
    assert p_scaler.state_dict() == t_scaler.state_dict()
    fresh = ptjax.amp.GradScaler("cpu")
    fresh.load_state_dict(t_scaler.state_dict())
    assert fresh.state_dict() == t_scaler.state_dict()


def _errors(lib):
    out = []

    def attempt(fn):
        try:
            fn()
            out.append(None)
        except Exception as e:  # noqa: BLE001 - compared with torch's
            out.append((type(e).__name__, str(e)))

    p = lib.nn.Parameter(lib.ones(2))
    opt = lib.optim.SGD([p], lr=0.1)
    s = lib.amp.GradScaler("cpu")
    attempt(s.update)                                          # before any scale()
    s.scale(p.sum()).backward()
    s.unscale_(opt)
    attempt(lambda: s.unscale_(opt))                           # twice
    attempt(lambda: s.step(opt, closure=lambda: 0))
    s.step(opt)
    attempt(lambda: s.step(opt))                               # twice
    attempt(lambda: s.unscale_(opt))                           # after step
    s.update()
    attempt(s.update)                                          # no inf checks recorded
    attempt(lambda: s.update(lib.tensor([1.0, 2.0])))
    attempt(lambda: lib.amp.GradScaler("cpu", growth_factor=0.5))
    attempt(lambda: lib.amp.GradScaler("cpu", enabled=False).load_state_dict({}))
    attempt(lambda: lib.amp.GradScaler("cpu").load_state_dict({}))
    s.update(4.0)
    out.append((s.get_scale(), s.scale([lib.ones(1), (lib.ones(1),)])[1][0].item()))
    disabled = lib.amp.GradScaler("cpu", enabled=False)
    out.append((disabled.state_dict(), disabled.get_scale(), disabled.scale(lib.ones(1)).item()))
    return out


def test_grad_scaler_errors_and_edges_match_torch():
    assert _errors(ptjax) == _errors(torch)
