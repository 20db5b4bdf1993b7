"""nn.Module's contract against torch: registration, traversal order, state_dict, load_state_dict, repr, hooks,
modes, conversion and copying."""
import copy
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
tnn = torch.nn

import ptjax  # noqa: E402
import ptjax.nn as pnn  # noqa: E402
from _ops_harness import to_numpy  # noqa: E402

LIBS = {"torch": (torch, tnn), "ptjax": (ptjax, pnn)}


def both(build):
    """build(lib, nn) for each library."""
    return build(ptjax, pnn), build(torch, tnn)


def same_error(fn):
    errs = []
    for name, (lib, nn) in LIBS.items():
        try:
            fn(lib, nn)
        except Exception as e:  # noqa: BLE001
            errs.append(e)
        else:
            raise AssertionError(f"{name} did not raise")
    te, pe = errs
    assert type(pe).__name__ == type(te).__name__, (pe, te)
    assert str(pe) == str(te), f"\nptjax: {pe}\ntorch: {te}"


# ---- models built the same way in both libraries ----------------------------------------------------------------

def make_net(lib, nn):
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(4, 4)
            self.register_buffer("scale", lib.ones(4))
            self.register_buffer("tmp", lib.zeros(2), persistent=False)
            self.register_buffer("nothing", None)
            self.register_parameter("absent", None)
            self.act = nn.ReLU()

        def forward(self, x):
            return self.act(self.lin(x)) * self.scale

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(10, 4)
            self.blocks = nn.ModuleList([Block(), Block()])
            self.head = nn.Sequential(nn.Linear(4, 3), nn.Tanh(), nn.Sequential(nn.Linear(3, 2), nn.Softmax(dim=1)))
            self.alpha = nn.Parameter(lib.ones(1))
            self.register_buffer("steps", lib.zeros((), dtype=lib.int64))

        def forward(self, x):
            x = self.fc1(x)
            for b in self.blocks:
                x = b(x)
            return self.head(x) * self.alpha

    return Net()


def make_shared(lib, nn):
    shared = nn.Linear(3, 3)

    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = shared
            self.b = shared
            self.c = nn.Linear(3, 3)
            self.c.weight = self.a.weight
            self.seq = nn.Sequential(shared, nn.ReLU())

    return Tied()


def names(it):
    return [n for n, _ in it]


# ---- registration ----------------------------------------------------------------------------------------------

def test_registration_via_setattr():
    m = pnn.Module()
    m.w = pnn.Parameter(ptjax.ones(2))
    m.sub = pnn.Linear(2, 2)
    m.register_buffer("b", ptjax.zeros(3))
    m.plain = 5
    assert list(m._parameters) == ["w"] and list(m._modules) == ["sub"] and list(m._buffers) == ["b"]
    assert "w" not in m.__dict__ and m.plain == 5
    m.b = ptjax.ones(3)  # a tensor assigned over a buffer stays a buffer
    assert to_numpy(m._buffers["b"]).sum() == 3
    m.w = None
    assert m._parameters["w"] is None and m.w is None
    m.sub = None
    assert m._modules["sub"] is None
    del m.b
    assert "b" not in m._buffers
    m.b = pnn.Buffer(ptjax.ones(1), persistent=False)
    assert "b" in m._buffers and "b" in m._non_persistent_buffers_set
    del m.w
    assert "w" not in m._parameters
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'w'"):
        m.w


def test_parameter_class():
    p = pnn.Parameter(ptjax.tensor([1.0, 2.0]))
    t = tnn.Parameter(torch.tensor([1.0, 2.0]))
    assert repr(p) == repr(t)
    assert p.requires_grad and isinstance(p, ptjax.Tensor)
    assert not pnn.Parameter(ptjax.ones(2), requires_grad=False).requires_grad
    assert type(p * 2) is ptjax.Tensor and type(p.data) is ptjax.Tensor
    q = copy.deepcopy(p)
    assert type(q) is pnn.Parameter and q is not p and q.requires_grad
    r = pickle.loads(pickle.dumps(p))
    assert type(r) is pnn.Parameter and to_numpy(r).tolist() == [1.0, 2.0]


@pytest.mark.parametrize("case", range(12))
def test_registration_errors_match_torch(case):
    def f(lib, nn):
        m = nn.Linear(2, 3)
        if case == 0:
            m.weight = lib.zeros(3, 2)
        elif case == 1:
            m.register_parameter("x", lib.zeros(1))
        elif case == 2:
            m.register_parameter("weight2", None)
            m.register_parameter("in_features", None)
        elif case == 3:
            m.add_module("x", 5)
        elif case == 4:
            m.add_module("a.b", nn.ReLU())
        elif case == 5:
            m.nope
        elif case == 6:
            m.register_buffer("a.b", lib.zeros(1))
        elif case == 7:
            m.register_buffer("x", 5)
        elif case == 8:
            m.register_buffer("", lib.zeros(1))
        elif case == 9:
            n = nn.Sequential(nn.ReLU())
            n[0] = 5
        elif case == 10:
            m.register_buffer("b", lib.zeros(1))
            m.b = "x"
        elif case == 11:
            m.register_parameter("w", nn.Parameter(lib.ones(2)) * 2)
    same_error(f)


def test_assign_before_init():
    class Bad(pnn.Module):
        def __init__(self):
            self.w = pnn.Parameter(ptjax.ones(1))

    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__\(\) call"):
        Bad()


def test_get_submodule_parameter_buffer():
    p, t = both(make_net)
    for target in ["blocks.0.lin", "head.2.0", ""]:
        assert type(p.get_submodule(target)).__name__ == type(t.get_submodule(target)).__name__
    assert p.get_parameter("blocks.1.lin.bias") is p.blocks[1].lin.bias
    assert p.get_buffer("blocks.1.scale") is p.blocks[1].scale
    same_error(lambda lib, nn: make_net(lib, nn).get_submodule("blocks.5"))
    same_error(lambda lib, nn: make_net(lib, nn).get_submodule("fc1.weight"))
    same_error(lambda lib, nn: make_net(lib, nn).get_parameter("fc1.nope"))
    same_error(lambda lib, nn: make_net(lib, nn).get_parameter("blocks.0.scale"))
    same_error(lambda lib, nn: make_net(lib, nn).get_buffer("fc1.weight"))


# ---- traversal -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("build", [make_net, make_shared])
def test_named_members_order(build):
    p, t = both(build)
    for kw in [{}, {"prefix": "model"}, {"recurse": False}, {"remove_duplicate": False}]:
        assert names(p.named_parameters(**kw)) == names(t.named_parameters(**kw)), kw
        assert names(p.named_buffers(**kw)) == names(t.named_buffers(**kw)), kw
    for kw in [{}, {"prefix": "m"}, {"remove_duplicate": False}]:
        assert names(p.named_modules(**kw)) == names(t.named_modules(**kw)), kw
    assert names(p.named_children()) == names(t.named_children())
    assert len(list(p.parameters())) == len(list(t.parameters()))
    assert len(list(p.buffers())) == len(list(t.buffers()))
    assert [type(m).__name__ for m in p.modules()] == [type(m).__name__ for m in t.modules()]
    assert [type(m).__name__ for m in p.children()] == [type(m).__name__ for m in t.children()]


def test_apply_order():
    seen = {"torch": [], "ptjax": []}
    p, t = both(make_net)
    p.apply(lambda m: seen["ptjax"].append(type(m).__name__))
    t.apply(lambda m: seen["torch"].append(type(m).__name__))
    assert seen["ptjax"] == seen["torch"]


def test_dir():
    p = make_net(ptjax, pnn)
    d = dir(p)
    for name in ("fc1", "alpha", "steps", "forward", "training", "state_dict"):
        assert name in d
    assert "0" not in dir(p.head)


# ---- state_dict ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("build", [make_net, make_shared])
def test_state_dict_keys_and_metadata(build):
    p, t = both(build)
    ps, ts = p.state_dict(), t.state_dict()
    assert list(ps) == list(ts)
    assert dict(ps._metadata) == dict(ts._metadata)
    assert list(ps._metadata) == list(ts._metadata)
    assert all(not v.requires_grad for v in ps.values())
    kv = p.state_dict(keep_vars=True)
    first = next(iter(p.named_parameters()))
    assert kv[first[0]] is first[1]
    assert list(p.state_dict(prefix="x.")) == list(t.state_dict(prefix="x."))


def copy_weights(src_torch, dst):
    dst.load_state_dict({k: ptjax.tensor(v.detach().numpy()) for k, v in src_torch.state_dict().items()})


def test_load_state_dict_roundtrip_and_forward():
    p, t = both(make_net)
    copy_weights(t, p)
    x = np.random.default_rng(0).standard_normal((5, 10)).astype(np.float32)
    np.testing.assert_allclose(to_numpy(p(ptjax.tensor(x))), to_numpy(t(torch.tensor(x))), rtol=1e-5, atol=1e-6)
    r = p.load_state_dict(p.state_dict())
    assert repr(r) == "<All keys matched successfully>" and r.missing_keys == [] and r.unexpected_keys == []


def _bad_state(lib, sd, case):
    sd = dict(sd)
    if case == "missing":
        del sd["fc1.weight"], sd["blocks.1.scale"]
    elif case == "unexpected":
        sd["fc1.extra"] = lib.zeros(1)
        sd["nosuch.weight"] = lib.zeros(1)
        sd["blocks.0.tmp"] = lib.zeros(2)  # non-persistent: unexpected too
    elif case == "size":
        sd["fc1.weight"] = lib.zeros(5, 10)
        sd["head.2.0.bias"] = lib.zeros(7)
    elif case == "all":
        del sd["alpha"]
        sd["zzz"] = lib.zeros(1)
        sd["fc1.bias"] = lib.zeros(3)
    elif case == "notensor":
        sd["fc1.bias"] = [1.0, 2.0]
    return sd


@pytest.mark.parametrize("case", ["missing", "unexpected", "size", "all", "notensor"])
def test_load_state_dict_errors_match_torch(case):
    def f(lib, nn):
        m = make_net(lib, nn)
        m.load_state_dict(_bad_state(lib, m.state_dict(), case))
    same_error(f)


@pytest.mark.parametrize("case", ["missing", "unexpected"])
def test_load_state_dict_non_strict(case):
    res = []
    for lib, nn in (LIBS["ptjax"], LIBS["torch"]):
        m = make_net(lib, nn)
        res.append(m.load_state_dict(_bad_state(lib, m.state_dict(), case), strict=False))
    assert res[0].missing_keys == res[1].missing_keys
    assert res[0].unexpected_keys == res[1].unexpected_keys
    assert repr(res[0]) == repr(res[1])


def test_load_state_dict_changes_nothing_when_it_raises():
    p = make_net(ptjax, pnn)
    before = {k: to_numpy(v).copy() for k, v in p.state_dict().items()}
    sd = {k: ptjax.full(tuple(v.shape), 7.0, dtype=v.dtype) for k, v in p.state_dict().items()}
    sd["head.0.weight"] = ptjax.zeros(9, 9)  # one bad entry among good ones
    with pytest.raises(RuntimeError, match="size mismatch for head.0.weight"):
        p.load_state_dict(sd)
    for k, v in p.state_dict().items():
        np.testing.assert_array_equal(to_numpy(v), before[k])
    sd["head.0.weight"] = ptjax.full((3, 4), 7.0)
    p.load_state_dict(sd)
    assert all((to_numpy(v) == 7).all() for v in p.state_dict().values())


@pytest.mark.parametrize("case", ["missing", "unexpected", "size", "all"])
def test_load_state_dict_strict_error_changes_nothing(case):
    """Missing, unexpected and mis-shaped keys among good ones (all 7s): raises torch's message listing every bad
    key (checked against torch in test_load_state_dict_errors_match_torch), and no tensor of the model changes."""
    p = make_net(ptjax, pnn)
    before = {k: to_numpy(v).copy() for k, v in p.state_dict().items()}
    sd = {k: ptjax.full(tuple(v.shape), 7, dtype=v.dtype) for k, v in p.state_dict().items()}
    with pytest.raises(RuntimeError, match="Error\\(s\\) in loading state_dict for Net"):
        p.load_state_dict(_bad_state(ptjax, sd, case))
    for k, v in p.state_dict().items():
        np.testing.assert_array_equal(to_numpy(v), before[k], err_msg=k)


def test_load_state_dict_keeps_identity_and_casts():
    p = small_net()
    w = p[0].weight
    p.load_state_dict({k: v.double() if v.is_floating_point() else v for k, v in p.state_dict().items()})
    assert p[0].weight is w and w.dtype == ptjax.float32 and w.requires_grad


def test_load_state_dict_assign():
    p = make_net(ptjax, pnn)
    sd = {k: v.clone() for k, v in p.state_dict().items()}
    p.load_state_dict(sd, assign=True)
    assert isinstance(p.fc1.weight, pnn.Parameter) and p.fc1.weight.requires_grad
    assert to_numpy(p.fc1.weight).tolist() == to_numpy(sd["fc1.weight"]).tolist()


def test_load_state_dict_type_error():
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        pnn.Linear(2, 2).load_state_dict([1, 2])


def test_state_dict_through_torch_serialization_names(tmp_path):
    """Keys saved by a torch model load into the ptjax model and back."""
    p, t = both(make_net)
    copy_weights(t, p)
    t2 = make_net(torch, tnn)
    t2.load_state_dict({k: torch.tensor(to_numpy(v)) for k, v in p.state_dict().items()})
    for (k, a), (_, b) in zip(t.state_dict().items(), t2.state_dict().items()):
        assert torch.equal(a, b), k


# ---- repr ------------------------------------------------------------------------------------------------------

def _reprs(lib, nn):
    out = [make_net(lib, nn), make_shared(lib, nn)]
    out.append(nn.Sequential(nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU(), nn.Dropout(0.1))),
                             nn.ModuleList([nn.Linear(1, 1) for _ in range(3)] + [nn.ReLU(), nn.ReLU()]),
                             nn.ModuleDict({"b": nn.GELU(), "a": nn.Identity()})))
    out.append(nn.ModuleList())
    out.append(nn.ParameterList([nn.Parameter(lib.ones(2)), nn.Parameter(lib.ones(2, 3))]))
    out.append(nn.ParameterDict({"a": nn.Parameter(lib.ones(2)), "b": nn.Parameter(lib.ones(1, 3))}))
    out.append(nn.ParameterDict({"a": nn.Parameter(lib.ones(2))}))
    from collections import OrderedDict
    out.append(nn.Sequential(OrderedDict([("conv", nn.Linear(3, 3, bias=False)), ("act", nn.LeakyReLU(0.2, True))])))
    return out


def test_repr_matches_torch():
    for p, t in zip(_reprs(ptjax, pnn), _reprs(torch, tnn)):
        assert repr(p) == repr(t)


LAYER_REPRS = [
    "Identity()", "Linear(3, 4)", "Linear(3, 4, bias=False)", "Bilinear(2, 3, 4)", "Flatten()", "Flatten(0, 2)",
    "Unflatten(1, (2, 2))", "ReLU()", "ReLU(True)", "LeakyReLU()", "LeakyReLU(0.2, True)", "GELU()", "GELU('tanh')",
    "SiLU()", "SiLU(True)", "ELU()", "ELU(0.5, True)", "CELU(2.0)", "SELU(True)", "Tanh()", "Sigmoid()", "Softmax()",
    "Softmax(dim=1)", "LogSoftmax(dim=-1)", "Softmin(1)", "Softmax2d()", "Softplus()", "Softplus(2, 10)",
    "Hardtanh()", "Hardtanh(0, 2, True)", "ReLU6()", "ReLU6(True)", "Mish()", "Threshold(0.1, 20)", "GLU()",
    "PReLU()", "PReLU(3)", "RReLU()", "Hardshrink()", "Softshrink(0.3)", "Hardsigmoid()", "Hardswish(True)",
    "Tanhshrink()", "Softsign()", "LogSigmoid()", "Dropout()", "Dropout(0.2, True)", "Dropout1d()", "Dropout2d(0.3)",
    "Dropout3d()", "AlphaDropout(0.1)", "FeatureAlphaDropout()", "Embedding(3, 4)", "Embedding(3, 4, padding_idx=0)",
    "Embedding(3, 4, max_norm=1.0, scale_grad_by_freq=True, sparse=True)", "Embedding(3, 4, norm_type=1.)",
    "CrossEntropyLoss()", "NLLLoss()", "MSELoss()", "L1Loss()", "SmoothL1Loss()", "HuberLoss()", "BCELoss()",
    "BCEWithLogitsLoss()", "KLDivLoss()", "PoissonNLLLoss()", "GaussianNLLLoss()", "SoftMarginLoss()",
    "MarginRankingLoss()", "HingeEmbeddingLoss()", "CosineEmbeddingLoss()", "TripletMarginLoss()",
    "MultiLabelSoftMarginLoss()", "MultiMarginLoss()",
]


@pytest.mark.parametrize("expr", LAYER_REPRS)
def test_layer_repr_matches_torch(expr):
    p, t = eval("nn." + expr, {"nn": pnn}), eval("nn." + expr, {"nn": tnn})
    assert repr(p) == repr(t)
    assert [(n, tuple(v.shape)) for n, v in p.named_parameters()] == \
        [(n, tuple(v.shape)) for n, v in t.named_parameters()]
    assert list(p.state_dict()) == list(t.state_dict())


# ---- hooks -----------------------------------------------------------------------------------------------------

def test_forward_hooks_match_torch():
    logs = {}
    outs = {}
    for name, (lib, nn) in LIBS.items():
        log = logs[name] = []
        m = nn.Linear(3, 2)
        with lib.no_grad():
            m.weight.copy_(lib.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]))
            m.bias.fill_(0.5)

        def pre(mod, args):
            log.append("pre")
            return (args[0] * 2,)

        def pre_first(mod, args):
            log.append("pre_first")

        def pre_kw(mod, args, kwargs):
            log.append(("pre_kw", sorted(kwargs)))

        def post(mod, args, out):
            log.append("post")
            return out + 1

        def post_kw(mod, args, kwargs, out):
            log.append("post_kw")

        h1 = m.register_forward_pre_hook(pre)
        m.register_forward_pre_hook(pre_first, prepend=True)
        m.register_forward_pre_hook(pre_kw, with_kwargs=True)
        h2 = m.register_forward_hook(post)
        m.register_forward_hook(post_kw, with_kwargs=True)
        x = lib.ones(1, 3)
        o1 = m(x)
        h1.remove()
        h2.remove()
        o2 = m(x)
        outs[name] = (to_numpy(o1), to_numpy(o2))
    assert logs["ptjax"] == logs["torch"]
    for a, b in zip(outs["ptjax"], outs["torch"]):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_hook_handle_context_manager_and_always_call():
    m = pnn.Identity()
    calls = []
    with m.register_forward_hook(lambda mod, a, o: calls.append(o)):
        m(ptjax.ones(1))
    m(ptjax.ones(1))
    assert len(calls) == 1

    class Boom(pnn.Module):
        def forward(self, x):
            raise ValueError("boom")

    b = Boom()
    b.register_forward_hook(lambda mod, a, o: calls.append("always"), always_call=True)
    with pytest.raises(ValueError):
        b(ptjax.ones(1))
    assert calls[-1] == "always"


def test_full_backward_hooks_match_torch():
    res = {}
    for name, (lib, nn) in LIBS.items():
        rec = res[name] = []
        m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
        with lib.no_grad():
            for i, prm in enumerate(m.parameters()):
                prm.copy_(lib.linspace(-1, 1, prm.numel()).reshape(prm.shape) * (i + 1))

        def hook(mod, gin, gout):
            rec.append(("hook", [None if g is None else to_numpy(g).round(5).tolist() for g in gin],
                        [to_numpy(g).round(5).tolist() for g in gout]))
            return (gin[0] * 2,)

        def pre(mod, gout):
            rec.append(("pre", [to_numpy(g).round(5).tolist() for g in gout]))

        m[1].register_full_backward_hook(hook)
        m[1].register_full_backward_pre_hook(pre)
        x = lib.tensor([[0.1, 0.2, 0.3]], requires_grad=True)
        m(x).sum().backward()
        rec.append(("xgrad", to_numpy(x.grad).round(5).tolist()))
    assert res["ptjax"] == res["torch"]


def test_backward_hook_without_input_grad():
    calls = []
    m = pnn.Linear(2, 2)
    m.register_full_backward_hook(lambda mod, gin, gout: calls.append((gin, len(gout))))
    m(ptjax.ones(1, 2)).sum().backward()
    assert calls == [((None,), 1)]


# ---- modes, grads, conversion, copies ---------------------------------------------------------------------------

def test_train_eval_propagates():
    p = make_net(ptjax, pnn)
    assert p.training and all(m.training for m in p.modules())
    assert p.eval() is p and not any(m.training for m in p.modules())
    p.train()
    assert all(m.training for m in p.modules())
    p.head.train(False)
    assert p.training and not p.head[2][0].training
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        p.train("yes")


def small_net():
    m = pnn.Sequential(pnn.Linear(3, 2), pnn.Tanh())
    m.register_buffer("scale", ptjax.ones(2))
    m.register_buffer("steps", ptjax.zeros((), dtype=ptjax.int64))
    return m


def test_zero_grad_and_requires_grad():
    p = small_net()
    p(ptjax.ones(2, 3)).sum().backward()
    assert p[0].weight.grad is not None
    p.zero_grad(set_to_none=False)
    assert to_numpy(p[0].weight.grad).sum() == 0 and p[0].weight.grad is not None
    p.zero_grad()
    assert all(q.grad is None for q in p.parameters())
    p.requires_grad_(False)
    assert not any(q.requires_grad for q in p.parameters())
    p.requires_grad_()
    assert all(q.requires_grad for q in p.parameters())


def test_to_dtype_keeps_parameter_identity():
    p = small_net()
    w = p[0].weight
    p(ptjax.ones(2, 3)).sum().backward()
    assert p.double() is p
    assert p[0].weight is w and w.dtype == ptjax.float64 and isinstance(w, pnn.Parameter) and w.requires_grad
    assert w.grad.dtype == ptjax.float64
    assert p.scale.dtype == ptjax.float64 and p.steps.dtype == ptjax.int64
    out = p(ptjax.ones(2, 3, dtype=ptjax.float64))
    assert out.dtype == ptjax.float64
    p.to(ptjax.float32)
    assert w.dtype == ptjax.float32 and p.steps.dtype == ptjax.int64
    p.half()
    assert w.dtype == ptjax.float16
    p.float()
    p.to("cpu")
    p.cpu()
    assert w.device.type == "cpu"
    p.type(ptjax.float64)
    assert w.dtype == ptjax.float64 and p.steps.dtype == ptjax.float64  # type() converts every tensor, as torch
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes"):
        p.to(ptjax.int32)


def test_deepcopy_and_pickle():
    p = make_shared(ptjax, pnn)
    q = copy.deepcopy(p)
    assert q.a is q.b and q.c.weight is q.a.weight and q.seq[0] is q.a
    assert q.a.weight is not p.a.weight
    np.testing.assert_array_equal(to_numpy(q.a.weight), to_numpy(p.a.weight))
    with ptjax.no_grad():
        q.a.weight.fill_(3.0)
    assert not (to_numpy(p.a.weight) == 3).all()
    n = pnn.Sequential(pnn.Linear(10, 4), pnn.ReLU(), pnn.Dropout(), pnn.Linear(4, 2)).eval()
    x = ptjax.randn(2, 10)
    n2 = pickle.loads(pickle.dumps(n))
    np.testing.assert_allclose(to_numpy(n2(x)), to_numpy(n(x)), rtol=1e-6)
    assert isinstance(n2[0].weight, pnn.Parameter) and not n2.training
    n3 = copy.deepcopy(make_net(ptjax, pnn))
    assert n3(x).shape == (2, 2)


def test_call_without_forward():
    with pytest.raises(NotImplementedError, match='Module \\[Module\\] is missing the required "forward" function'):
        pnn.Module()(1)


# ---- containers ------------------------------------------------------------------------------------------------

def test_sequential_protocol():
    s = pnn.Sequential(pnn.Linear(2, 3), pnn.ReLU(), pnn.Linear(3, 1))
    assert len(s) == 3 and isinstance(s[-1], pnn.Linear)
    sub = s[1:]
    assert type(sub) is pnn.Sequential and len(sub) == 2 and sub[0] is s[1]
    assert [type(m).__name__ for m in s] == ["Linear", "ReLU", "Linear"]
    s.append(pnn.Sigmoid())
    assert len(s) == 4 and list(s._modules) == ["0", "1", "2", "3"]
    del s[1]
    assert list(s._modules) == ["0", "1", "2"] and isinstance(s[1], pnn.Linear)
    s.insert(0, pnn.Identity())
    assert isinstance(s[0], pnn.Identity) and len(s) == 4
    s[0] = pnn.Tanh()
    assert isinstance(s[0], pnn.Tanh)
    assert s(ptjax.ones(5, 2)).shape == (5, 1)
    with pytest.raises(IndexError, match="index 9 is out of range"):
        s[9]
    assert len(s + pnn.Sequential(pnn.ReLU())) == 5
    s.extend([pnn.ReLU()])
    assert s.pop(-1).__class__ is pnn.ReLU


def test_modulelist_moduledict_parameter_containers():
    ml = pnn.ModuleList([pnn.Linear(1, 1), pnn.ReLU()])
    ml.append(pnn.Tanh())
    ml.extend([pnn.Sigmoid()])
    ml.insert(1, pnn.Identity())
    assert [type(m).__name__ for m in ml] == ["Linear", "Identity", "ReLU", "Tanh", "Sigmoid"]
    assert isinstance(ml[-1], pnn.Sigmoid) and len(ml[1:3]) == 2
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2", "3"]
    md = pnn.ModuleDict({"a": pnn.ReLU()})
    md["b"] = pnn.Linear(2, 2)
    md.update([("c", pnn.Tanh())])
    assert list(md.keys()) == ["a", "b", "c"] and "b" in md and len(md) == 3
    assert len(list(md.parameters())) == 2
    md.pop("b")
    assert list(md) == ["a", "c"]
    pl = pnn.ParameterList([pnn.Parameter(ptjax.ones(2)), ptjax.zeros(3)])
    assert isinstance(pl[1], pnn.Parameter) and len(pl) == 2
    pl.append(ptjax.ones(1))
    assert len(list(pl.parameters())) == 3 and [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    pd = pnn.ParameterDict({"w": ptjax.ones(2)})
    pd["v"] = pnn.Parameter(ptjax.zeros(1))
    assert list(pd.keys()) == ["w", "v"] and isinstance(pd["w"], pnn.Parameter)
    assert [n for n, _ in pd.named_parameters()] == ["w", "v"]
    assert "w" in pd and pd.get("zz") is None


@pytest.mark.parametrize("with_metadata", [True, False])
def test_batchnorm_state_dict_without_num_batches_tracked(with_metadata):
    """torch fills num_batches_tracked in when the state_dict has no version-2 metadata (an old or filtered
    dict), and reports it missing when the metadata says version 2."""
    def keys(lib):
        bn = lib.nn.BatchNorm1d(3)
        sd = bn.state_dict()
        del sd["num_batches_tracked"]
        if not with_metadata:
            sd = dict(sd)
        result = bn.load_state_dict(sd, strict=False)
        return result.missing_keys, result.unexpected_keys, int(bn.num_batches_tracked)
    assert keys(ptjax) == keys(torch)


# ---- swap_tensors and the torch.__future__ conversion switches -------------------------------------------------

def test_swap_tensors_matches_torch():
    def run(lib, nn):
        t1, t2 = lib.arange(2), nn.Parameter(lib.ones(3))
        t2.tag = "p"
        lib.utils.swap_tensors(t1, t2)
        return [type(t1).__name__, to_numpy(t1).tolist(), t1.requires_grad, t1.tag, type(t2).__name__,
                to_numpy(t2).tolist(), t2.requires_grad, hasattr(t2, "tag")]
    assert run(ptjax, pnn) == run(torch, tnn)
    import weakref

    def with_weakref(lib, nn):
        t = lib.ones(1)
        keep = weakref.ref(t)  # noqa: F841
        lib.utils.swap_tensors(lib.ones(2), t)
    same_error(with_weakref)


def test_swap_tensors_views_follow_their_storage():
    def run(lib, nn):
        base, other = lib.arange(3.0), lib.zeros(4)
        view, alias = base.detach()[:2], base.detach()
        lib.utils.swap_tensors(base, other)
        view.add_(10)
        lib.utils.swap_tensors(base, alias)  # with its own alias: the same storage stays
        base.add_(1)
        return [to_numpy(t).tolist() for t in (base, other, view, alias)]
    assert run(ptjax, pnn) == run(torch, tnn)


@pytest.mark.parametrize("flag", [None, "swap", "overwrite"])
def test_future_module_conversion_flags_match_torch(flag):
    def run(lib, nn):
        future = lib.__future__
        if flag:
            getattr(future, f"set_{flag}_module_params_on_conversion")(True)
        try:
            m = nn.BatchNorm1d(2)
            with lib.no_grad():
                m.weight.copy_(lib.tensor([0.5, 2.0]))
            m(lib.tensor([[1.0, 2.0], [3.0, 5.0]])).pow(2).sum().backward()
            w, g, rm = m.weight, m.weight.grad, m.running_mean
            m.double()
            out = [w is m.weight, g is m.weight.grad, rm is m.running_mean, str(w.dtype), str(m.weight.dtype),
                   str(m.weight.grad.dtype), type(m.weight).__name__, m.weight.requires_grad, m.weight.is_leaf,
                   to_numpy(m.weight.grad).tolist()]
            w, rm = m.weight, m.running_mean
            for assign in (False, True):
                sd = {k: v + 1 if v.is_floating_point() else v for k, v in m.state_dict().items()}
                m.load_state_dict(sd, assign=assign)
                out += [w is m.weight, rm is m.running_mean, str(m.weight.dtype), m.weight.requires_grad,
                        to_numpy(m.weight.detach()).tolist(), to_numpy(m.running_mean).tolist()]
            return out
        finally:
            future.set_swap_module_params_on_conversion(False)
            future.set_overwrite_module_params_on_conversion(False)
    assert run(ptjax, pnn) == run(torch, tnn)


def test_module_load_matches_torch():
    def run(lib, nn):
        dest, src = lib.zeros(2, dtype=lib.float64), lib.tensor([1.0, 2.0], requires_grad=True)
        copied = dest.module_load(src)
        assigned = dest.module_load(src, assign=True)
        return [str(copied.dtype), to_numpy(dest).tolist(), copied.requires_grad, str(assigned.dtype),
                assigned.requires_grad, to_numpy(assigned).tolist()]
    assert run(ptjax, pnn) == run(torch, tnn)
