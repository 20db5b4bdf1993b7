"""Every layer against torch's: torch's initialised weights copied in with ``load_state_dict``, then outputs, input
gradients and parameter gradients compared (train mode), and outputs again in eval mode."""
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
tnn = torch.nn

import ptjax  # noqa: E402
import ptjax.nn as pnn  # noqa: E402
from _nn_helpers import assert_close, check_layer, load_from_torch  # noqa: E402
from _ops_harness import to_numpy  # noqa: E402

R = np.random.default_rng(1)


def randn(*shape):
    return R.standard_normal(shape).astype(np.float32)


X = randn(4, 6)


@pytest.mark.parametrize("expr", ["nn.Linear(6, 3)", "nn.Linear(6, 3, bias=False)"])
def test_linear(expr):
    check_layer(expr, [X])


def test_linear_3d_input_and_identity():
    check_layer("nn.Linear(6, 2)", [randn(2, 3, 6)])
    check_layer("nn.Identity(3, foo=1)", [X])


def test_linear_wrong_in_features_message():
    msgs = []
    for nn, lib in ((pnn, ptjax), (tnn, torch)):
        with pytest.raises(RuntimeError) as e:
            nn.Linear(9000, 128)(lib.zeros(64, 9216))
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1] == "mat1 and mat2 shapes cannot be multiplied (64x9216 and 9000x128)"


def test_bilinear():
    check_layer("nn.Bilinear(6, 2, 3)", [X, randn(4, 2)])


def test_flatten_unflatten():
    check_layer("nn.Flatten()", [randn(2, 3, 2, 2)])
    check_layer("nn.Unflatten(1, (2, 3))", [X])


ACTIVATIONS = ["nn.ReLU()", "nn.LeakyReLU()", "nn.GELU()", "nn.GELU('tanh')", "nn.SiLU()", "nn.ELU()",
               "nn.Tanh()", "nn.Sigmoid()", "nn.Softplus()", "nn.Hardtanh()", "nn.ReLU6()", "nn.Mish()",
               "nn.Softmax(dim=-1)", "nn.LogSoftmax(dim=1)", "nn.Softmin(dim=1)", "nn.PReLU()", "nn.PReLU(8)",
               "nn.Threshold(1.0, 20.0)", "nn.CELU(2.0)", "nn.SELU()", "nn.GLU()", "nn.Hardswish()",
               "nn.Hardsigmoid()", "nn.LogSigmoid()", "nn.Softsign()", "nn.Tanhshrink()", "nn.Hardshrink()",
               "nn.Softshrink()"]


@pytest.mark.parametrize("expr", ACTIVATIONS)
def test_activation_layers(expr):
    # the input of the functional activation tests (kinks, large values), so compiled kernels are shared
    special = [-30.0, -6.0, -3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0, 6.0, 25.0, 30.0]
    x = np.concatenate([special, np.random.default_rng(5).standard_normal(20) * 3]).astype(np.float32).reshape(4, 8)
    check_layer(expr, [x])


def test_softmax_implicit_dim_module_warns():
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        pnn.Softmax()(ptjax.tensor(X))


def test_inplace_activation_layer():
    x = ptjax.tensor(X)
    assert pnn.ReLU(inplace=True)(x) is x and (to_numpy(x) >= 0).all()


def test_rrelu_train_vs_eval():
    x = -np.abs(randn(4, 8)) - 0.1
    m = pnn.RReLU(0.1, 0.3)
    slopes = to_numpy(m(ptjax.tensor(x))) / x
    assert slopes.min() >= 0.1 - 1e-6 and slopes.max() <= 0.3 + 1e-6 and slopes.std() > 0
    m.eval()
    t = tnn.RReLU(0.1, 0.3).eval()
    np.testing.assert_allclose(to_numpy(m(ptjax.tensor(x))), to_numpy(t(torch.tensor(x))), rtol=1e-6)


@pytest.mark.parametrize("cls", ["Dropout", "Dropout1d", "Dropout2d", "AlphaDropout"])
def test_dropout_layers_train_and_eval(cls):
    m = getattr(pnn, cls)(0.4)
    x = ptjax.ones(32, 16, 4, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = m(x)
    a = to_numpy(y)
    if cls != "AlphaDropout":
        assert 0.3 < (a == 0).mean() < 0.5
        np.testing.assert_allclose(np.unique(a), [0.0, 1 / 0.6], rtol=1e-6)
        y.sum().backward()
        np.testing.assert_allclose(to_numpy(x.grad), a, rtol=1e-6)
    m.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert m(x) is x
    assert repr(m) == repr(getattr(tnn, cls)(0.4))


@pytest.mark.parametrize("kwargs", ["", ", padding_idx=1", ", padding_idx=-2, scale_grad_by_freq=True"])
def test_embedding(kwargs):
    idx = np.array([[0, 1, 4], [4, 4, 2]], np.int64)
    check_layer(f"nn.Embedding(5, 3{kwargs})", [idx])


def test_embedding_padding_row_zero_and_from_pretrained():
    e = pnn.Embedding(4, 3, padding_idx=2)
    assert not to_numpy(e.weight[2]).any() and to_numpy(e.weight).any()
    w = randn(4, 3)
    pe = pnn.Embedding.from_pretrained(ptjax.tensor(w))
    te = tnn.Embedding.from_pretrained(torch.tensor(w))
    assert not pe.weight.requires_grad and repr(pe) == repr(te)
    idx = np.array([3, 0], np.int64)
    np.testing.assert_array_equal(to_numpy(pe(ptjax.tensor(idx))), to_numpy(te(torch.tensor(idx))))
    assert pnn.Embedding.from_pretrained(ptjax.tensor(w), freeze=False).weight.requires_grad
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        pnn.Embedding(3, 2, padding_idx=3)


LOGITS = randn(6, 5)
TARGET = np.array([0, 4, 2, 1, 1, 3], np.int64)
W5 = R.uniform(0.2, 1.0, 5).astype(np.float32)


@pytest.mark.parametrize("expr,inputs", [
    ("nn.CrossEntropyLoss()", [LOGITS, TARGET]),
    ("nn.CrossEntropyLoss(weight=torch.tensor(W5), ignore_index=2, label_smoothing=0.1)", [LOGITS, TARGET]),
    ("nn.CrossEntropyLoss(reduction='sum')", [LOGITS, R.dirichlet(np.ones(5), 6).astype(np.float32)]),
    ("nn.NLLLoss(weight=torch.tensor(W5))", [LOGITS, TARGET]),
    ("nn.MSELoss()", [X, randn(4, 6)]),
    ("nn.L1Loss(reduction='none')", [X, randn(4, 6)]),
    ("nn.SmoothL1Loss(beta=0.5, reduction='none')", [X, randn(4, 6)]),
    ("nn.HuberLoss(delta=0.3, reduction='none')", [X, randn(4, 6)]),
    ("nn.BCELoss()", [R.uniform(0.05, 0.95, (4, 6)).astype(np.float32), R.uniform(0, 1, (4, 6)).astype(np.float32)]),
    ("nn.BCEWithLogitsLoss(pos_weight=torch.tensor(np.arange(1, 7, dtype=np.float32)), reduction='sum')",
     [X, R.uniform(0, 1, (4, 6)).astype(np.float32)]),
    ("nn.KLDivLoss(reduction='batchmean')", [np.log(R.dirichlet(np.ones(6), 4)).astype(np.float32),
                                             R.dirichlet(np.ones(6), 4).astype(np.float32)]),
])
def test_loss_layers(expr, inputs):
    expr = expr.replace("W5", repr(W5.tolist()))
    expr = expr.replace("np.arange(1, 7, dtype=np.float32)", "[1., 2., 3., 4., 5., 6.]")
    p, t = check_layer(expr, inputs, eval_too=False)
    assert list(p.state_dict()) == list(t.state_dict())


def test_mlp_training_step_matches_torch():
    """A small MLP: an SGD step gives the same parameters as torch's."""
    expr = "nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 5), nn.LogSoftmax(dim=1))"
    t = eval(expr, {"nn": tnn})
    p = eval(expr, {"nn": pnn})
    load_from_torch(p, t)
    for lib, m, x, y in ((ptjax, p, ptjax.tensor(X), ptjax.tensor(TARGET[:4])),
                         (torch, t, torch.tensor(X), torch.tensor(TARGET[:4]))):
        F = pnn.functional if lib is ptjax else tnn.functional
        m.zero_grad()
        loss = F.nll_loss(m(x), y)
        loss.backward()
        with lib.no_grad():
            for prm in m.parameters():
                prm -= 0.1 * prm.grad
    for (n, a), (_, b) in zip(p.state_dict().items(), t.state_dict().items()):
        assert_close(a, b, 1e-5, 1e-6, n)


def _container_net(nn, lib):
    """Sequential, ModuleList and ModuleDict (keys not in sorted order) all on the forward path."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU())
            self.blocks = nn.ModuleList([nn.Sequential(nn.Linear(8, 8), nn.Tanh()) for _ in range(2)])
            self.heads = nn.ModuleDict({"b": nn.Linear(8, 3), "a": nn.Sequential(nn.Flatten(), nn.Linear(8, 3))})

        def forward(self, x):
            x = self.stem(x)
            for block in self.blocks:
                x = x + block(x)
            outs = [head(x) for head in self.heads.values()]
            return outs[0] * 2 + outs[1]

    return Net()


def test_containers_forward_and_grads_train_and_eval():
    p, t = check_layer(_container_net, [X])
    assert [n for n, _ in p.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert list(p.heads.keys()) == list(t.heads.keys()) == ["b", "a"]


@pytest.mark.parametrize("cls,shape", [("Dropout", (16, 32)), ("Dropout2d", (8, 16, 2, 2))])
def test_dropout_modules_against_torch(cls, shape):
    x = randn(*shape)
    check_layer(f"nn.{cls}(0.0)", [x])               # p = 0: deterministic in both modes, compared directly
    # p > 0, eval: the identity in both libraries (values and gradients compared)
    pm, tm = getattr(pnn, cls)(0.4).eval(), getattr(tnn, cls)(0.4).eval()
    px, tx = ptjax.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    po, to = pm(px), tm(tx)
    assert_close(po, to, what="eval output")
    g = randn(*shape)
    po.backward(ptjax.tensor(g))
    to.backward(torch.tensor(g))
    assert_close(px.grad, tx.grad, what="eval grad")
    # p > 0, train: the masks come from different generators, so compare the rule on both libraries' outputs:
    # each element (Dropout) or whole channel (Dropout2d) is zeroed or scaled by 1/(1-p); the gradient is that factor
    for lib, m in ((ptjax, pm), (torch, tm)):
        m.train()
        xi = lib.tensor(np.abs(x) + 0.5, requires_grad=True)
        y = m(xi)
        y.sum().backward()
        factor = to_numpy(y) / to_numpy(xi)
        np.testing.assert_allclose(to_numpy(xi.grad), factor, rtol=1e-6, atol=1e-6)
        per_unit = factor.reshape(shape[:2] + (-1,)) if cls == "Dropout2d" else factor.reshape(-1, 1)
        kept = np.isclose(per_unit, 1 / 0.6, rtol=1e-6)
        assert np.all(kept.all(-1) | (per_unit == 0).all(-1)), lib.__name__
        assert 0.2 < (~kept.all(-1)).mean() < 0.6, lib.__name__
