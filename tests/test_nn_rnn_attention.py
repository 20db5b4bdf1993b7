"""Differential tests (against torch) of ptjax's recurrent and attention layers: RNN/LSTM/GRU and cells,
scaled_dot_product_attention, MultiheadAttention, TransformerEncoderLayer/TransformerEncoder.

Torch's module is built first and its initialised state copied into ptjax's; outputs, input gradients and parameter
gradients are compared (backward of ``sum(out_i * g_i)`` over all floating outputs).
"""
import inspect
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn as tnn  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

import ptjax  # noqa: E402
import ptjax.nn as pnn  # noqa: E402
from ptjax.nn import functional as PA  # noqa: E402
from _ops_harness import to_numpy  # noqa: E402

RNG = np.random.default_rng(4321)


pytestmark = pytest.mark.usefixtures("fast_compiles")


def rand(*shape, dtype=np.float64):
    return RNG.standard_normal(shape).astype(dtype)


def close(p, t, rtol=1e-7, atol=1e-9, what=""):
    pa, ta = to_numpy(p), to_numpy(t)
    assert pa.shape == ta.shape, f"{what}: shape {pa.shape} != {ta.shape}"
    assert str(pa.dtype) == str(ta.dtype), f"{what}: dtype {pa.dtype} != {ta.dtype}"
    np.testing.assert_allclose(pa, ta, rtol=rtol, atol=atol, err_msg=what)


def flat(x):
    if isinstance(x, (tuple, list)):
        return [y for e in x for y in flat(e)]
    return [] if x is None else [x]


def backward_both(pouts, touts):
    pf, tf = flat(pouts), flat(touts)
    assert len(pf) == len(tf)
    gs = [rand(*t.shape) .astype(to_numpy(t).dtype) for t in tf]
    ps = [(p, ptjax.tensor(g)) for p, t, g in zip(pf, tf, gs) if t.requires_grad]
    ts = [(t, torch.tensor(g)) for t, g in zip(tf, gs) if t.requires_grad]
    torch.autograd.backward([t for t, _ in ts], [g for _, g in ts])
    ptjax.autograd.backward([p for p, _ in ps], [g for _, g in ps])


def make(name, *args, **kwargs):
    """(ptjax module, torch module) of the same class, float64, torch's init copied into ptjax's."""
    tk, pk = dict(kwargs), dict(kwargs)
    if "dtype" in inspect.signature(getattr(tnn, name).__init__).parameters or name in ("RNN", "LSTM", "GRU"):
        tk["dtype"], pk["dtype"] = torch.float64, ptjax.float64
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tm = getattr(tnn, name)(*args, **tk)
    pm = getattr(pnn, name)(*args, **pk)
    assert repr(pm) == repr(tm)
    assert list(pm.state_dict().keys()) == list(tm.state_dict().keys())
    pm.load_state_dict({k: ptjax.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return pm, tm


def run_module(pm, tm, inputs, kwargs=None, grad=True, rtol=1e-7, atol=1e-9, mode="train", call=None):
    """inputs: numpy arrays (requiring grad when floating and ``grad``) or tuples of them (LSTM's hx)."""
    kwargs = kwargs or {}
    getattr(pm, mode)(), getattr(tm, mode)()
    pm.zero_grad(), tm.zero_grad()

    def conv(v, lib):
        if isinstance(v, tuple):
            return tuple(conv(e, lib) for e in v)
        if isinstance(v, np.ndarray):
            rg = grad and v.dtype.kind == "f"
            return ptjax.tensor(v, requires_grad=rg) if lib == "p" else torch.tensor(v, requires_grad=rg)
        return v

    P, T = [conv(v, "p") for v in inputs], [conv(v, "t") for v in inputs]
    pk = {k: conv(v, "p") for k, v in kwargs.items()}
    tk = {k: conv(v, "t") for k, v in kwargs.items()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        to = call(tm, *T, **tk) if call else tm(*T, **tk)
    po = call(pm, *P, **pk) if call else pm(*P, **pk)
    pf, tf = flat(po), flat(to)
    assert len(pf) == len(tf)
    for i, (a, b) in enumerate(zip(pf, tf)):
        close(a, b, rtol, atol, f"{mode} output {i}")
    if grad:
        backward_both(po, to)
        for i, (a, b) in enumerate(zip(flat(P), flat(T))):
            if b.requires_grad:
                close(a.grad, b.grad, rtol, atol, f"{mode} grad of input {i}")
        pp = dict(pm.named_parameters())
        for k, v in tm.named_parameters():
            if v.grad is None:
                assert pp[k].grad is None or not np.any(to_numpy(pp[k].grad)), k
            else:
                close(pp[k].grad, v.grad, rtol, atol, f"{mode} grad of {k}")
    return po, to


# ---- recurrent -----------------------------------------------------------------------------------------------

RNN_CASES = [
    ("LSTM", dict(num_layers=2, bidirectional=True), (5, 2, 3), True),
    ("LSTM", dict(batch_first=True, proj_size=2, bias=False), (2, 5, 3), True),
    ("GRU", dict(bidirectional=True), (4, 2, 3), True),
    ("RNN", dict(nonlinearity="relu", num_layers=2, batch_first=True), (2, 4, 3), False),
]


@pytest.mark.parametrize("name,kw,shape,with_h0", RNN_CASES, ids=str)
def test_rnn_modules(name, kw, shape, with_h0):
    pm, tm = make(name, 3, 4, **kw)
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)
    unbatched = len(shape) == 2
    B = 1 if unbatched else shape[0 if kw.get("batch_first") else 1]
    hsz = kw.get("proj_size", 0) or 4
    inputs = [rand(*shape)]
    if with_h0:
        h0 = rand(D * L, hsz) if unbatched else rand(D * L, B, hsz)
        if name == "LSTM":
            c0 = rand(D * L, 4) if unbatched else rand(D * L, B, 4)
            inputs.append((h0, c0))
        else:
            inputs.append(h0)
    po, to = run_module(pm, tm, inputs)
    # the whole multi-layer recurrence is one autograd node whose edges lead straight to leaves
    if not unbatched:
        node = flat(po)[0].grad_fn
        assert all(n is None or n.name() == "torch::autograd::AccumulateGrad" for n, _ in node.next_functions)
    run_module(pm, tm, inputs, mode="eval")
    if name == "LSTM" and L == 2:
        with pytest.raises(RuntimeError):
            pm(ptjax.tensor(rand(5, 2, 3)), (ptjax.tensor(rand(4, 3, 4)), ptjax.tensor(rand(4, 2, 4))))
        with pytest.raises(ValueError):
            pm(ptjax.tensor(rand(5, 2, 3, 1)))
        with pytest.raises(ValueError):
            pnn.GRU(3, 4, proj_size=2)
        w = pm.weight_hh_l1_reverse.detach().numpy()
        assert np.abs(w).max() <= 0.5 and np.abs(w).max() > 0.4


def test_rnn_dropout_between_layers_train_only():
    pm, tm = make("LSTM", 3, 4, num_layers=2, dropout=0.5, bidirectional=True)
    x = ptjax.tensor(rand(5, 2, 3), requires_grad=True)
    pm.train()
    a, b = pm(x)[0], pm(x)[0]
    assert not np.allclose(to_numpy(a), to_numpy(b))          # fresh masks each call
    assert a.requires_grad and np.all(np.isfinite(to_numpy(a)))
    run_module(pm, tm, [rand(5, 2, 3)], mode="eval", grad=False)   # eval: no dropout, same kernel as torch's


@pytest.mark.parametrize("name,kw", [("LSTMCell", {}), ("GRUCell", {}), ("RNNCell", dict(nonlinearity="relu")),
                                     ("RNNCell", dict(bias=False))], ids=str)
def test_cells(name, kw):
    pm, tm = make(name, 3, 4, **kw)
    h = (rand(2, 4), rand(2, 4)) if name == "LSTMCell" else rand(2, 4)
    run_module(pm, tm, [rand(2, 3), h])
    run_module(pm, tm, [rand(3)], grad=False)


# ---- scaled dot-product attention ----------------------------------------------------------------------------

SDPA_CASES = [
    dict(),
    dict(mask="bool"),
    dict(mask="float", scale=0.3),
    dict(is_causal=True),
    dict(gqa=True, is_causal=True),
]


@pytest.mark.parametrize("case", SDPA_CASES, ids=str)
def test_sdpa(case):
    hq = 4
    hk = 2 if case.get("gqa") else 4
    q, k, v = rand(2, hq, 3, 5), rand(2, hk, 6, 5), rand(2, hk, 6, 4)
    kwargs = {}
    arrays = [q, k, v]
    if case.get("mask") == "bool":
        m = RNG.random((3, 6)) > 0.3
        m[:, 0] = True
        kwargs["attn_mask"] = m
    elif case.get("mask") == "float":
        arrays.append(rand(2, 1, 3, 6))
    for name in ("is_causal", "scale"):
        if name in case:
            kwargs[name] = case[name]
    if case.get("gqa"):
        kwargs["enable_gqa"] = True
    P = [ptjax.tensor(a, requires_grad=True) for a in arrays]
    T = [torch.tensor(a, requires_grad=True) for a in arrays]
    pk = {k_: ptjax.tensor(v_) if isinstance(v_, np.ndarray) else v_ for k_, v_ in kwargs.items()}
    tk = {k_: torch.tensor(v_) if isinstance(v_, np.ndarray) else v_ for k_, v_ in kwargs.items()}
    if len(arrays) == 4:
        pk["attn_mask"], tk["attn_mask"] = P[3], T[3]
    po = PA.scaled_dot_product_attention(*P[:3], **pk)
    to = TF.scaled_dot_product_attention(*T[:3], **tk)
    close(po, to, what="sdpa")
    backward_both(po, to)
    for i, (a, b) in enumerate(zip(P, T)):
        close(a.grad, b.grad, what=f"grad {i}")


def test_sdpa_fully_masked_rows_and_dropout():
    q, k, v = rand(1, 3, 4), rand(1, 5, 4), rand(1, 5, 4)
    m = np.ones((3, 5), bool)
    m[1] = False
    po = PA.scaled_dot_product_attention(ptjax.tensor(q), ptjax.tensor(k), ptjax.tensor(v), ptjax.tensor(m))
    to = TF.scaled_dot_product_attention(torch.tensor(q), torch.tensor(k), torch.tensor(v), torch.tensor(m))
    close(po, to, what="masked rows are zero")
    x = ptjax.tensor(q, requires_grad=True)
    a = PA.scaled_dot_product_attention(x, ptjax.tensor(k), ptjax.tensor(v), dropout_p=0.5)
    b = PA.scaled_dot_product_attention(x, ptjax.tensor(k), ptjax.tensor(v), dropout_p=0.5)
    assert a.shape == (1, 3, 4) and not np.allclose(to_numpy(a), to_numpy(b))
    a.sum().backward()
    assert np.all(np.isfinite(to_numpy(x.grad)))


# ---- MultiheadAttention --------------------------------------------------------------------------------------

def _bool_kpm(B, S):
    m = RNG.random((B, S)) > 0.6
    m[:, 0] = False
    return m


MHA_CASES = [
    ("self", dict(), dict()),
    ("self", dict(batch_first=True), dict(key_padding_mask="bool", average_attn_weights=False)),
    ("cross", dict(kdim=3, vdim=5, add_bias_kv=True, add_zero_attn=True),
     dict(key_padding_mask="bool", attn_mask="float2d")),
    ("self", dict(bias=False), dict(need_weights=False, attn_mask="float3d")),
    ("unbatched", dict(), dict(attn_mask="bool2d")),
]


@pytest.mark.parametrize("kind,ctor,fwd", MHA_CASES, ids=str)
def test_multihead_attention(kind, ctor, fwd):
    E, H, L, S, B = 8, 2, 4, 5, 3
    pm, tm = make("MultiheadAttention", E, H, **ctor)
    bf = ctor.get("batch_first", False)
    if kind == "unbatched":
        q = rand(L, E)
        k = v = q
        S = L
    elif kind == "self":
        q = rand(B, L, E) if bf else rand(L, B, E)
        k = v = q
        S = L
    else:
        q = rand(L, B, E)
        k, v = rand(S, B, ctor.get("kdim", E)), rand(S, B, ctor.get("vdim", E))
    kwargs = {k_: v_ for k_, v_ in fwd.items() if k_ not in ("key_padding_mask", "attn_mask")}
    if fwd.get("key_padding_mask") == "bool":
        kwargs["key_padding_mask"] = _bool_kpm(B, S)
    am = fwd.get("attn_mask")
    if am == "float2d":
        kwargs["attn_mask"] = rand(L, S)
    elif am == "float3d":
        kwargs["attn_mask"] = rand(B * H, L, S)
    elif am == "bool2d":
        m = RNG.random((L, S)) > 0.7
        m[:, 0] = False
        kwargs["attn_mask"] = m
    inputs = [q] if k is q else [q, k, v]
    # self-attention passes one tensor three times, so its gradient sums the three uses
    call = (lambda m, x, **kw_: m(x, x, x, **kw_)) if k is q else None
    for mode in ("train", "eval"):
        po, to = run_module(pm, tm, inputs, kwargs, call=call, mode=mode)
        if not fwd.get("need_weights", True):
            assert po[1] is None and to[1] is None
    with torch.no_grad(), ptjax.no_grad():   # eval without autograd: torch's fast path where it applies
        run_module(pm, tm, inputs, kwargs, call=call, mode="eval", grad=False)


def test_mha_dropout_and_is_causal_hint():
    pm = pnn.MultiheadAttention(8, 2, dropout=0.5, dtype=ptjax.float64)
    x = ptjax.tensor(rand(4, 3, 8))
    pm.train()
    assert not np.allclose(to_numpy(pm(x, x, x)[0]), to_numpy(pm(x, x, x)[0]))
    pm.eval()
    np.testing.assert_array_equal(to_numpy(pm(x, x, x)[0]), to_numpy(pm(x, x, x)[0]))
    with pytest.raises(RuntimeError):
        pm(x, x, x, is_causal=True)


# ---- transformer ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kw,fwd", [(dict(), dict(src_key_padding_mask=True, src_mask=True))], ids=str)
def test_transformer_encoder_layer(kw, fwd):
    pm, tm = make("TransformerEncoderLayer", 8, 2, 16, dropout=0.0, **kw)
    x = rand(4, 4, 8)          # (seq, batch) = (4, 4): the stack test's batch_first layout reuses the kernels
    kwargs = {}
    if fwd.get("src_key_padding_mask"):
        kwargs["src_key_padding_mask"] = _bool_kpm(4, 4)
    if fwd.get("src_mask"):
        kwargs["src_mask"] = np.triu(np.full((4, 4), -np.inf), 1)
    run_module(pm, tm, [x], kwargs)
    run_module(pm, tm, [x], kwargs, mode="eval")
    with torch.no_grad(), ptjax.no_grad():   # eval without autograd: torch's fast path where it applies
        run_module(pm, tm, [x], kwargs, mode="eval", grad=False)


def test_transformer_encoder_stack():
    layer_p, layer_t = make("TransformerEncoderLayer", 8, 2, 16, dropout=0.0, batch_first=True, norm_first=True,
                            activation="gelu")
    tm = tnn.TransformerEncoder(layer_t, 2, norm=tnn.LayerNorm(8, dtype=torch.float64), enable_nested_tensor=False)
    pm = pnn.TransformerEncoder(layer_p, 2, norm=pnn.LayerNorm(8, dtype=ptjax.float64), enable_nested_tensor=False)
    assert repr(pm) == repr(tm)
    assert list(pm.state_dict().keys()) == list(tm.state_dict().keys())
    with torch.no_grad():
        for p in tm.parameters():
            p.add_(torch.tensor(rand(*p.shape)) * 0.1)   # the two layers differ
    pm.load_state_dict({k: ptjax.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    kwargs = dict(mask=np.triu(np.full((4, 4), -np.inf), 1), src_key_padding_mask=_bool_kpm(4, 4))
    x = rand(4, 4, 8)
    run_module(pm, tm, [x], kwargs)
    run_module(pm, tm, [x], kwargs, mode="eval")
    with torch.no_grad(), ptjax.no_grad():   # eval without autograd: torch's fast path where it applies
        run_module(pm, tm, [x], kwargs, mode="eval", grad=False)
