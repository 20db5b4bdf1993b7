"""nn.init (shapes, distribution statistics, gains equal torch's), layers' default initialisation, and nn.utils."""
import math
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ptjax  # noqa: E402
import ptjax.nn as pnn  # noqa: E402
from ptjax.nn import init  # noqa: E402
from _ops_harness import to_numpy  # noqa: E402

tinit = torch.nn.init


@pytest.mark.parametrize("args", [("linear",), ("conv2d",), ("sigmoid",), ("tanh",), ("relu",), ("leaky_relu",),
                                  ("leaky_relu", 0.2), ("leaky_relu", 3), ("selu",), ("conv_transpose3d",)])
def test_calculate_gain_equals_torch(args):
    assert init.calculate_gain(*args) == tinit.calculate_gain(*args)


def test_calculate_gain_errors():
    for args in [("foo",), ("leaky_relu", True), ("leaky_relu", "x")]:
        with pytest.raises(ValueError) as a:
            init.calculate_gain(*args)
        with pytest.raises(ValueError) as b:
            tinit.calculate_gain(*args)
        assert str(a.value) == str(b.value)


@pytest.mark.parametrize("shape", [(5, 3), (8, 4, 3, 3), (2, 6, 5)])
def test_fan_in_fan_out(shape):
    assert init._calculate_fan_in_and_fan_out(ptjax.empty(*shape)) == \
        tinit._calculate_fan_in_and_fan_out(torch.empty(*shape))
    with pytest.raises(ValueError, match="Fan in and fan out can not be computed for tensor with fewer than 2 dim"):
        init._calculate_fan_in_and_fan_out(ptjax.empty(3))


N = (200, 300)  # 60000 draws: sample statistics within a few percent


def stats(t):
    a = to_numpy(t).astype(np.float64)
    return a.min(), a.max(), a.mean(), a.std()


def test_uniform_normal_constant():
    lo, hi, mean, std = stats(init.uniform_(ptjax.empty(*N), -2.0, 3.0))
    assert -2 <= lo < -1.99 and 2.99 < hi <= 3 and abs(mean - 0.5) < 0.03 and abs(std - 5 / math.sqrt(12)) < 0.02
    _, _, mean, std = stats(init.normal_(ptjax.empty(*N), 1.0, 2.0))
    assert abs(mean - 1) < 0.03 and abs(std - 2) < 0.03
    assert (to_numpy(init.constant_(ptjax.empty(3, 2), 0.5)) == 0.5).all()
    assert (to_numpy(init.ones_(ptjax.empty(3))) == 1).all() and (to_numpy(init.zeros_(ptjax.ones(3))) == 0).all()


@pytest.mark.parametrize("kind", ["uniform", "normal"])
@pytest.mark.parametrize("shape,kwargs", [(N, {}), ((300, 20, 3, 3), {"mode": "fan_out", "nonlinearity": "relu"}),
                                          (N, {"a": math.sqrt(5)})])
def test_kaiming(kind, shape, kwargs):
    t = ptjax.empty(*shape)
    getattr(init, f"kaiming_{kind}_")(t, **kwargs)
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(t)
    fan = fan_out if kwargs.get("mode") == "fan_out" else fan_in
    gain = init.calculate_gain(kwargs.get("nonlinearity", "leaky_relu"), kwargs.get("a", 0))
    std = gain / math.sqrt(fan)
    lo, hi, mean, s = stats(t)
    assert abs(mean) < 0.05 * std and abs(s - std) < 0.03 * std
    if kind == "uniform":
        bound = math.sqrt(3) * std
        assert -bound <= lo and hi <= bound and hi > 0.99 * bound


@pytest.mark.parametrize("kind", ["uniform", "normal"])
def test_xavier(kind):
    t = getattr(init, f"xavier_{kind}_")(ptjax.empty(*N), gain=2.0)
    std = 2.0 * math.sqrt(2.0 / sum(N))
    lo, hi, mean, s = stats(t)
    assert abs(s - std) < 0.03 * std and abs(mean) < 0.05 * std
    if kind == "uniform":
        assert -math.sqrt(3) * std <= lo and hi <= math.sqrt(3) * std


def test_trunc_normal():
    lo, hi, mean, s = stats(init.trunc_normal_(ptjax.empty(*N), mean=1.0, std=2.0, a=-1.0, b=5.0))
    assert -1 <= lo and hi <= 5
    ref = torch.empty(*N)
    tinit.trunc_normal_(ref, mean=1.0, std=2.0, a=-1.0, b=5.0)
    _, _, tmean, ts = stats(ref)
    assert abs(mean - tmean) < 0.03 and abs(s - ts) < 0.03


def test_orthogonal_eye_dirac():
    for shape in [(6, 4), (4, 6), (3, 2, 2)]:
        q = to_numpy(init.orthogonal_(ptjax.empty(*shape), gain=1.5)).reshape(shape[0], -1)
        if q.shape[0] <= q.shape[1]:
            np.testing.assert_allclose(q @ q.T, 2.25 * np.eye(q.shape[0]), atol=1e-5)
        else:
            np.testing.assert_allclose(q.T @ q, 2.25 * np.eye(q.shape[1]), atol=1e-5)
    np.testing.assert_array_equal(to_numpy(init.eye_(ptjax.empty(3, 5))), np.eye(3, 5))
    for shape, groups in [((4, 4, 3), 1), ((6, 3, 3, 3), 2), ((2, 2, 3, 3, 3), 1)]:
        a = init.dirac_(ptjax.empty(*shape), groups)
        b = tinit.dirac_(torch.empty(*shape), groups)
        np.testing.assert_array_equal(to_numpy(a), b.numpy())
    for fn, args, msg in [(init.eye_, (ptjax.empty(3),), "Only tensors with 2 dimensions are supported"),
                          (init.dirac_, (ptjax.empty(3, 3),), "Only tensors with 3, 4, or 5 dimensions are supported"),
                          (init.dirac_, (ptjax.empty(3, 3, 3), 2), "dim 0 must be divisible by groups"),
                          (init.orthogonal_, (ptjax.empty(3),),
                           "Only tensors with 2 or more dimensions are supported")]:
        with pytest.raises(ValueError, match=msg):
            fn(*args)


def test_sparse_and_zero_element_warning():
    t = to_numpy(init.sparse_(ptjax.empty(10, 6), 0.3))
    assert ((t == 0).sum(0) >= 3).all()
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        init.kaiming_uniform_(ptjax.empty(0, 3))


def test_init_in_place_on_parameter_without_grad_record():
    lin = pnn.Linear(4, 3)
    w = lin.weight
    init.xavier_uniform_(lin.weight)
    assert lin.weight is w and w.is_leaf and w.requires_grad and w.grad_fn is None


def test_generator_reproducible():
    g = ptjax.Generator().manual_seed(7)
    a = to_numpy(init.normal_(ptjax.empty(5), generator=g))
    g.manual_seed(7)
    np.testing.assert_array_equal(a, to_numpy(init.normal_(ptjax.empty(5), generator=g)))


@pytest.mark.parametrize("shape", [N, (300, 20, 3, 3)], ids=str)
@pytest.mark.parametrize("fn,args,kwargs", [
    ("kaiming_uniform_", (), {"a": math.sqrt(5)}), ("kaiming_uniform_", (), {"mode": "fan_out"}),
    ("kaiming_normal_", (), {"mode": "fan_out", "nonlinearity": "relu"}), ("kaiming_normal_", (), {}),
    ("xavier_uniform_", (), {"gain": 2.0}), ("xavier_normal_", (), {}), ("uniform_", (-1.0, 2.0), {}),
    ("normal_", (0.5, 2.0), {}), ("zeros_", (), {}), ("ones_", (), {}), ("constant_", (0.3,), {}),
], ids=str)
def test_init_same_distribution_as_torch(fn, args, kwargs, shape):
    """The same call on a ptjax and a torch tensor: in place, same dtype and shape, and the sample agrees with
    torch's sample (bounds, mean, std; exact for the constant fills). The generators differ, so not the numbers."""
    pt, tt = ptjax.empty(*shape), torch.empty(*shape)
    assert getattr(init, fn)(pt, *args, **kwargs) is pt
    assert getattr(tinit, fn)(tt, *args, **kwargs) is tt
    a, b = to_numpy(pt), tt.numpy()
    assert a.dtype == b.dtype and a.shape == b.shape
    if b.min() == b.max():
        np.testing.assert_array_equal(a, b)
        return
    lo, hi, mean, std = stats(pt)
    tlo, thi, tmean, tstd = stats(tt)
    assert abs(std - tstd) < 0.03 * tstd and abs(mean - tmean) < 0.05 * tstd, (std, tstd, mean, tmean)
    if "uniform" in fn:   # same support: the extremes of 60000 draws lie within 1 % of the bounds
        assert abs(lo - tlo) < 0.01 * (thi - tlo) and abs(hi - thi) < 0.01 * (thi - tlo), (lo, tlo, hi, thi)


# ---- default initialisation of the layers --------------------------------------------------------------------

def test_layer_default_init_distributions():
    lin = pnn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # kaiming_uniform(a=sqrt(5)) gives U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    lo, hi, mean, s = stats(lin.weight)
    assert -bound <= lo and hi <= bound and hi > 0.99 * bound and abs(s - bound / math.sqrt(3)) < 0.02 * bound
    lo, hi, _, _ = stats(lin.bias)
    assert -bound <= lo and hi <= bound and hi > 0.9 * bound
    bil = pnn.Bilinear(30, 20, 10)
    b = 1 / math.sqrt(30)
    lo, hi, _, _ = stats(bil.weight)
    assert -b <= lo and hi <= b and hi > 0.99 * b
    emb = pnn.Embedding(300, 200)
    _, _, mean, s = stats(emb.weight)
    assert abs(mean) < 0.02 and abs(s - 1) < 0.02
    assert to_numpy(pnn.PReLU(3).weight).tolist() == [0.25] * 3
    assert pnn.Linear(3, 2, dtype=ptjax.float64).weight.dtype == ptjax.float64


# ---- nn.utils --------------------------------------------------------------------------------------------------

def _grads(lib, seed=0):
    rng = np.random.default_rng(seed)
    ps = []
    for shape in [(3, 4), (5,), (2, 2)]:
        p = (pnn if lib is ptjax else torch.nn).Parameter(lib.zeros(*shape))
        p.grad = lib.tensor(rng.standard_normal(shape).astype(np.float32))
        ps.append(p)
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm(norm_type, max_norm):
    pp, tp = _grads(ptjax), _grads(torch)
    pg = pp[0].grad
    a = pnn.utils.clip_grad_norm_(pp, max_norm, norm_type)
    b = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type)
    np.testing.assert_allclose(a.item(), b.item(), rtol=1e-5)
    assert pp[0].grad is pg  # scaled in place
    for p, t in zip(pp, tp):
        np.testing.assert_allclose(to_numpy(p.grad), t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_clip_grad_norm_edge_cases():
    assert pnn.utils.clip_grad_norm_([pnn.Parameter(ptjax.ones(2))], 1.0).item() == 0.0
    p = _grads(ptjax)
    total = pnn.utils.clip_grad_norm_(p[1], 0.1)  # a single tensor
    assert abs(total.item() - float(np.linalg.norm(to_numpy(p[1].grad)) / min(1, 0.1 / (total.item() + 1e-6)))) < 1e-3
    p = _grads(ptjax)
    p[0].grad = p[0].grad * float("nan")
    with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is "
                                           "non-finite"):
        pnn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    t = _grads(torch)
    t[0].grad = t[0].grad * float("nan")
    with pytest.raises(RuntimeError) as e:
        torch.nn.utils.clip_grad_norm_(t, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError) as e2:
        pnn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)
    assert str(e.value) == str(e2.value)


def test_clip_grad_value_and_vectors():
    pp, tp = _grads(ptjax), _grads(torch)
    pnn.utils.clip_grad_value_(pp, 0.5)
    torch.nn.utils.clip_grad_value_(tp, 0.5)
    for p, t in zip(pp, tp):
        np.testing.assert_array_equal(to_numpy(p.grad), t.grad.numpy())
    rng = np.random.default_rng(3)
    vals = [rng.standard_normal(s).astype(np.float32) for s in [(3, 4), (5,), (2, 2)]]
    pp = [pnn.Parameter(ptjax.tensor(v)) for v in vals]
    tp = [torch.nn.Parameter(torch.tensor(v)) for v in vals]
    pv, tv = pnn.utils.parameters_to_vector(pp), torch.nn.utils.parameters_to_vector(tp)
    np.testing.assert_array_equal(to_numpy(pv), tv.detach().numpy())
    pv.sum().backward()
    assert (to_numpy(pp[0].grad) == 1).all()
    new = np.arange(21, dtype=np.float32)
    first = pp[0]
    pnn.utils.vector_to_parameters(ptjax.tensor(new), pp)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), tp)
    assert pp[0] is first
    for p, t in zip(pp, tp):
        np.testing.assert_array_equal(to_numpy(p), t.detach().numpy())
    with pytest.raises(TypeError, match="expected torch.Tensor, but got: list"):
        pnn.utils.vector_to_parameters([1.0], pp)


def test_deprecated_init_names_warn():
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        init.normal(ptjax.empty(2))
    assert "nn.init.normal_" in str(w[0].message)
