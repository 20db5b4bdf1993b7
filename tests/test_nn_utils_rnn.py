"""``nn.utils`` against torch: packed sequences (and RNN/LSTM/GRU on them), parametrize / parametrizations,
weight and spectral norm, BatchNorm fusion, ``stateless.functional_call``, ``skip_init``, memory-format helpers."""
import contextlib

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn as tnn  # noqa: E402
from torch.nn.utils import parametrizations as TZ  # noqa: E402
from torch.nn.utils import parametrize as TP  # noqa: E402
from torch.nn.utils import rnn as TR  # noqa: E402

import ptjax  # noqa: E402
import ptjax.nn as pnn  # noqa: E402
from ptjax.nn.utils import parametrizations as PZ  # noqa: E402
from ptjax.nn.utils import parametrize as PP  # noqa: E402
from ptjax.nn.utils import rnn as PR  # noqa: E402
from _nn_helpers import assert_close, compare, load_from_torch, same_error  # noqa: E402

pytestmark = pytest.mark.usefixtures("fast_compiles")
R = np.random.default_rng(11)


def randn(*shape, dtype=np.float32):
    return R.standard_normal(shape).astype(dtype)


def assert_packed(p, t):
    assert type(p).__name__ == "PackedSequence"
    for field in ("data", "batch_sizes", "sorted_indices", "unsorted_indices"):
        a, b = getattr(p, field), getattr(t, field)
        assert (a is None) == (b is None), field
        if b is not None:
            assert_close(a, b, what=field)


# ---- packing --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("batch_first, enforce_sorted, lengths", [(False, True, [4, 2, 1]), (True, False, [2, 4, 1])])
def test_pack_pad_round_trip(batch_first, enforce_sorted, lengths):
    x = randn(3, 4, 2) if batch_first else randn(4, 3, 2)

    def run(lib, R_):
        def fn(x):
            packed = R_.pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
            padded, lens = R_.pad_packed_sequence(packed, batch_first=batch_first, padding_value=-1.0, total_length=5)
            return packed, padded, lens
        return fn
    (pp, _, plen), (tp, _, tlen) = run(ptjax, PR)(ptjax.tensor(x)), run(torch, TR)(torch.tensor(x))
    assert_packed(pp, tp)
    assert_close(plen, tlen)
    compare(lambda x: run(ptjax, PR)(x)[1], lambda x: run(torch, TR)(x)[1], x)


def test_sequence_helpers_and_errors():
    seqs = [randn(3, 2), randn(1, 2), randn(2, 2)]
    for side in ("right", "left"):
        compare(lambda *s: PR.pad_sequence(list(s), batch_first=True, padding_value=0.5, padding_side=side),
                lambda *s: TR.pad_sequence(list(s), batch_first=True, padding_value=0.5, padding_side=side), *seqs)
    assert_packed(PR.pack_sequence([ptjax.tensor(s) for s in seqs], enforce_sorted=False),
                  TR.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False))
    for p, t in zip(PR.unpack_sequence(PR.pack_sequence([ptjax.tensor(s) for s in seqs], enforce_sorted=False)),
                    seqs):
        assert_close(p, torch.tensor(t))
    padded = PR.pad_sequence([ptjax.tensor(s) for s in seqs])
    for p, t in zip(PR.unpad_sequence(padded, ptjax.tensor([3, 1, 2])), seqs):
        assert_close(p, torch.tensor(t))
    assert_close(PR.invert_permutation(ptjax.tensor([2, 0, 1])), TR.invert_permutation(torch.tensor([2, 0, 1])))
    x = randn(4, 3, 2)
    for lengths in ([3, 4, 2], [4, 3, 0], [4, 3]):
        same_error(lambda x: PR.pack_padded_sequence(x, lengths), lambda x: TR.pack_padded_sequence(x, lengths), x)
    same_error(lambda s: PR.pad_sequence([s], padding_side="mid"), lambda s: TR.pad_sequence([s], padding_side="mid"),
               x)
    same_error(lambda: PR.pad_sequence([]), lambda: TR.pad_sequence([]))
    same_error(lambda x: PR.pad_packed_sequence(PR.pack_sequence([x]), total_length=1),
               lambda x: TR.pad_packed_sequence(TR.pack_sequence([x]), total_length=1), x[:, 0])


@pytest.mark.parametrize("cls, kw", [("LSTM", dict(num_layers=2, bidirectional=True)), ("GRU", dict(batch_first=True)),
                                     ("RNN", dict(nonlinearity="relu"))])
def test_rnn_on_packed_sequences(cls, kw):
    t, p = getattr(tnn, cls)(2, 3, **kw), getattr(pnn, cls)(2, 3, **kw)
    load_from_torch(p, t)
    bf = kw.get("batch_first", False)
    x = randn(3, 4, 2) if bf else randn(4, 3, 2)
    h = randn(4 if cls == "LSTM" else 1, 3, 3)
    outs = {}
    for lib, mod, R_ in (("p", p, PR), ("t", t, TR)):
        tx = (ptjax if lib == "p" else torch).tensor(x, requires_grad=True)
        th = (ptjax if lib == "p" else torch).tensor(h)
        packed = R_.pack_padded_sequence(tx, [2, 4, 1], batch_first=bf, enforce_sorted=False)
        out, hn = mod(packed, (th, th) if cls == "LSTM" else th)
        padded, _ = R_.pad_packed_sequence(out, batch_first=bf)
        hn = hn[1] if cls == "LSTM" else hn
        (padded.sum() + hn.sum()).backward()
        outs[lib] = (out, padded, hn, tx.grad)
    assert_packed(outs["p"][0], outs["t"][0])
    for a, b in zip(outs["p"][1:], outs["t"][1:]):
        assert_close(a, b, atol=1e-5)


# ---- parametrize ----------------------------------------------------------------------------------------------

def _symmetric(nn):
    class Symmetric(nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).mT

        def right_inverse(self, A):
            return A.triu()
    return Symmetric()


def test_register_and_remove_parametrization():
    t, p = tnn.Linear(3, 3), pnn.Linear(3, 3)
    load_from_torch(p, t)
    TP.register_parametrization(t, "weight", _symmetric(tnn))
    PP.register_parametrization(p, "weight", _symmetric(pnn))
    assert repr(p) == repr(t) and type(p).__name__ == "ParametrizedLinear"
    assert list(p.state_dict()) == list(t.state_dict())
    assert PP.is_parametrized(p) and PP.is_parametrized(p, "weight") and not PP.is_parametrized(p, "bias")
    assert PP.type_before_parametrizations(p) is pnn.Linear
    x = randn(2, 3)
    to, po = t(torch.tensor(x)), p(ptjax.tensor(x))
    assert_close(po, to)
    to.sum().backward()
    po.sum().backward()
    assert_close(p.parametrizations.weight.original.grad, t.parametrizations.weight.original.grad)
    w = randn(3, 3)
    t.weight, p.weight = torch.tensor(w), ptjax.tensor(w)          # through right_inverse
    assert_close(p.parametrizations.weight.original, t.parametrizations.weight.original)
    with PP.cached():
        assert p.weight is p.weight
    TP.remove_parametrizations(t, "weight")
    PP.remove_parametrizations(p, "weight")
    assert type(p) is pnn.Linear and list(p.state_dict()) == list(t.state_dict())
    assert_close(p.weight, t.weight)
    same_error(lambda: PP.remove_parametrizations(p, "weight"), lambda: TP.remove_parametrizations(t, "weight"))


def test_parametrization_errors():
    class First(tnn.Module):
        def forward(self, X):
            return X[0]

    class PFirst(pnn.Module):
        def forward(self, X):
            return X[0]
    same_error(lambda: PP.register_parametrization(pnn.Linear(3, 3), "weight", PFirst()),
               lambda: TP.register_parametrization(tnn.Linear(3, 3), "weight", First()))
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element with name"):
        PP.register_parametrization(pnn.Linear(3, 3), "foo", PFirst())


@pytest.mark.parametrize("name, kw", [("weight_norm", {}), ("weight_norm", dict(dim=None)), ("spectral_norm", {}),
                                      ("orthogonal", {}), ("orthogonal", dict(orthogonal_map="cayley")),
                                      ("orthogonal", dict(orthogonal_map="householder", use_trivialization=False))],
                         ids=str)
def test_parametrizations(name, kw):
    t, p = tnn.Linear(4, 4).double(), pnn.Linear(4, 4).double()
    load_from_torch(p, t)
    getattr(TZ, name)(t, **kw)
    getattr(PZ, name)(p, **kw)
    assert repr(p) == repr(t) and list(p.state_dict()) == list(t.state_dict())
    load_from_torch(p, t)   # torch's random vectors / basis
    x = randn(2, 4, dtype=np.float64)
    for mode in ("train", "eval"):
        getattr(t, mode)(), getattr(p, mode)()
        to, po = t(torch.tensor(x)), p(ptjax.tensor(x))
        assert_close(po, to, atol=1e-9)
    to.sum().backward()
    po.sum().backward()
    for (n, a), b in zip(p.named_parameters(), t.parameters()):
        assert_close(a.grad, b.grad, atol=1e-9, what=n)
    for (n, a), b in zip(p.named_buffers(), t.buffers()):
        assert_close(a, b, atol=1e-9, what=n)


# ---- hook-based weight/spectral norm, fusion, functional_call, skip_init ---------------------------------------

def test_weight_norm_and_spectral_norm_hooks():
    for apply, remove, kw in ((lambda m, **k: m.weight_norm(**k), "remove_weight_norm", dict(dim=1)),
                              (lambda m, **k: m.spectral_norm(**k), "remove_spectral_norm",
                               dict(n_power_iterations=2))):
        t, p = tnn.Linear(4, 3), pnn.Linear(4, 3)
        load_from_torch(p, t)
        with pytest.warns(FutureWarning) if remove == "remove_weight_norm" else contextlib.nullcontext():
            apply(pnn.utils, module=p, **kw)
        apply(tnn.utils, module=t, **kw)
        assert list(p.state_dict()) == list(t.state_dict())
        load_from_torch(p, t)
        x = randn(2, 4)
        for _ in range(2):   # training forwards run the power iteration
            assert_close(p(ptjax.tensor(x)), t(torch.tensor(x)))
        getattr(tnn.utils, remove)(t)
        getattr(pnn.utils, remove)(p)
        assert list(p.state_dict()) == list(t.state_dict())
        assert_close(p.weight, t.weight)
        same_error(lambda: getattr(pnn.utils, remove)(p), lambda: getattr(tnn.utils, remove)(t))


@pytest.mark.filterwarnings("ignore:`torch.nn.utils.stateless.functional_call` is deprecated")
def test_fusion_functional_call_skip_init_memory_format():
    for lin in (False, True):
        layer = (lambda nn: nn.Linear(3, 4)) if lin else (lambda nn: nn.Conv2d(2, 4, 3))
        t_layer, p_layer, t_bn, p_bn = layer(tnn), layer(pnn), tnn.BatchNorm1d(4), pnn.BatchNorm1d(4)
        t_bn.running_mean.normal_(), t_bn.running_var.uniform_(0.5, 2), t_bn.weight.data.normal_()
        load_from_torch(p_layer, t_layer)
        load_from_torch(p_bn, t_bn)
        for m in (t_layer, p_layer, t_bn, p_bn):
            m.eval()
        fuse = "fuse_linear_bn_eval" if lin else "fuse_conv_bn_eval"
        tf, pf = getattr(tnn.utils, fuse)(t_layer, t_bn), getattr(pnn.utils, fuse)(p_layer, p_bn)
        x = randn(2, 3) if lin else randn(1, 2, 5, 5)
        assert_close(pf(ptjax.tensor(x)), tf(torch.tensor(x)))
    with pytest.raises(AssertionError, match="Fusion only for eval!"):
        pnn.utils.fuse_linear_bn_eval(pnn.Linear(3, 4), pnn.BatchNorm1d(4))
    t, p = tnn.Linear(3, 2), pnn.Linear(3, 2)
    w, x = randn(2, 3), randn(1, 3)
    with pytest.warns(FutureWarning):
        po = pnn.utils.stateless.functional_call(p, {"weight": ptjax.tensor(w)}, (ptjax.tensor(x),))
    to = torch.func.functional_call(t, {"weight": torch.tensor(w), "bias": torch.tensor(p.bias.detach().numpy())},
                                    (torch.tensor(x),))
    assert_close(po, to)
    assert not np.allclose(p.weight.detach().numpy(), w)   # restored
    same_error(lambda: pnn.utils.stateless.functional_call(p, {"foo": ptjax.ones(1)}, (ptjax.tensor(x),), strict=True),
               lambda: torch.func.functional_call(t, {"foo": torch.ones(1)}, (torch.tensor(x),), strict=True))
    m = pnn.utils.skip_init(pnn.Linear, 3, 2)
    assert type(m) is pnn.Linear and tuple(m.weight.shape) == (2, 3)
    conv = pnn.Sequential(pnn.Conv2d(2, 3, 1))
    before = conv[0].weight.detach().numpy()
    assert pnn.utils.convert_conv2d_weight_memory_format(conv, getattr(ptjax, "channels_last", None)) is conv
    np.testing.assert_array_equal(conv[0].weight.detach().numpy(), before)
