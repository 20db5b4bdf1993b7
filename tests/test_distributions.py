"""torch.distributions against real torch: densities, statistics, shapes, gradients of log_prob and KL,
validation errors (torch's messages); sampling by statistical bounds (ptjax draws from its own generator)."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ptjax  # noqa: E402


pytestmark = pytest.mark.usefixtures("fast_compiles")


rng = np.random.default_rng(0)
LOC = rng.standard_normal(3).astype(np.float32)
SCALE = rng.uniform(0.5, 2.0, 3).astype(np.float32)
POS = rng.uniform(0.5, 3.0, 3).astype(np.float32)
POS2 = rng.uniform(0.5, 3.0, 3).astype(np.float32)
PROBS = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], np.float32)
UNIT = rng.uniform(0.1, 0.9, 3).astype(np.float32)
A = rng.standard_normal((3, 3))
COV = (A @ A.T + 3 * np.eye(3)).astype(np.float32)
W = rng.standard_normal((3, 2)).astype(np.float32)
COUNTS = np.array([0.0, 2.0, 5.0], np.float32)


def _corr_cholesky(n, batch):
    """Cholesky factors of random correlation matrices."""
    x = rng.standard_normal((batch, n, n + 2))
    cov = x @ x.transpose(0, 2, 1)
    d = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
    return np.linalg.cholesky(cov / d[:, :, None] / d[:, None, :]).astype(np.float32)


CORR_CHOL = _corr_cholesky(3, 2)


class P:
    """A parameter: NumPy data that becomes a tensor (requiring grad when floating) in each library."""

    def __init__(self, data):
        self.data = np.asarray(data)


class Sub:
    """A distribution passed as a parameter (MixtureSameFamily's components …): ``(name, args, kwargs)``."""

    def __init__(self, name, *args, **kwargs):
        self.spec = (name, args, kwargs)


def _make(lib, spec, leaves):
    name, args, kwargs = spec
    def conv(v):
        if isinstance(v, Sub):
            return _make(lib, v.spec, leaves)
        if isinstance(v, P):
            t = lib.tensor(v.data)
            if t.is_floating_point():
                t.requires_grad_(True)
                leaves.append(t)
            return t
        return v
    return getattr(lib.distributions, name)(*[conv(a) for a in args], **{k: conv(v) for k, v in kwargs.items()})


# (distribution spec, a value in its support, which statistics torch has)
CASES = [
    (("Normal", (P(LOC), P(SCALE)), {}), LOC + 0.3, ("mean", "mode", "variance", "stddev", "entropy", "cdf", "icdf")),
    (("Uniform", (P(LOC - 1), P(LOC + 1.5)), {}), LOC, ("mean", "variance", "stddev", "entropy", "cdf", "icdf")),
    (("Exponential", (P(POS),), {}), POS2, ("mean", "mode", "variance", "stddev", "entropy", "cdf", "icdf")),
    (("Laplace", (P(LOC), P(SCALE)), {}), LOC - 0.7, ("mean", "mode", "variance", "stddev", "entropy", "cdf", "icdf")),
    (("Gamma", (P(POS), P(POS2)), {}), SCALE, ("mean", "mode", "variance", "entropy", "cdf")),
    (("Beta", (P(POS), P(POS2)), {}), UNIT, ("mean", "mode", "variance", "entropy")),
    (("Dirichlet", (P(PROBS * 4),), {}), PROBS[::-1].copy(), ("mean", "mode", "variance", "entropy")),
    (("MultivariateNormal", (P(LOC),), {"covariance_matrix": P(COV)}), LOC + 0.5, ("mean", "variance", "entropy")),
    (("MultivariateNormal", (P(LOC),), {"scale_tril": P(np.linalg.cholesky(COV))}), LOC - 0.5, ("variance", "entropy")),
    (("MultivariateNormal", (P(LOC),), {"precision_matrix": P(np.linalg.inv(COV))}), LOC, ("entropy",)),
    (("LogNormal", (P(LOC), P(SCALE)), {}), POS, ("mean", "mode", "variance", "entropy", "cdf", "icdf")),
    (("Bernoulli", (), {"probs": P(UNIT)}), np.array([1.0, 0.0, 1.0], np.float32), ("mean", "variance", "entropy")),
    (("Bernoulli", (), {"logits": P(LOC)}), np.array([0.0, 1.0, 1.0], np.float32), ("mean", "mode", "entropy")),
    (("Categorical", (), {"probs": P(PROBS)}), np.array([2, 0]), ("mode", "entropy")),
    (("Categorical", (), {"logits": P(np.log(PROBS))}), np.array([1, 1]), ("entropy",)),
    (("OneHotCategorical", (), {"probs": P(PROBS)}), np.eye(3, dtype=np.float32)[[2, 0]], ("mean", "variance", "mode",
                                                                                         "entropy")),
    (("Poisson", (P(POS),), {}), np.array([0.0, 2.0, 5.0], np.float32), ("mean", "mode", "variance")),
    (("Binomial", (P(np.array([5.0, 10.0, 10.0], np.float32)),), {"probs": P(UNIT)}),
     np.array([1.0, 4.0, 10.0], np.float32), ("mean", "mode", "variance")),
    (("Binomial", (10,), {"logits": P(LOC)}), np.array([0.0, 3.0, 7.0], np.float32), ("mean", "variance", "entropy")),
    # ---- the rest of torch 2.13's distributions
    (("StudentT", (P(POS + 2), P(LOC), P(SCALE)), {}), LOC + 0.4, ("mean", "mode", "variance", "entropy")),
    (("Geometric", (), {"probs": P(UNIT)}), COUNTS, ("mean", "mode", "variance", "entropy")),
    (("Geometric", (), {"logits": P(LOC)}), COUNTS, ("mean", "variance", "entropy")),
    (("NegativeBinomial", (P(POS),), {"probs": P(UNIT)}), COUNTS, ("mean", "mode", "variance")),
    (("NegativeBinomial", (5.0,), {"logits": P(LOC)}), COUNTS, ("mean", "variance")),
    (("Multinomial", (10,), {"probs": P(PROBS)}), np.array([[2.0, 3.0, 5.0], [6.0, 3.0, 1.0]], np.float32),
     ("mean", "variance", "entropy")),
    (("Multinomial", (4,), {"logits": P(np.log(PROBS))}), np.array([[0.0, 0.0, 4.0], [1.0, 3.0, 0.0]], np.float32),
     ("mean", "variance")),
    (("ContinuousBernoulli", (), {"probs": P(np.array([0.2, 0.5, 0.8], np.float32))}), UNIT,
     ("mean", "variance", "entropy", "cdf", "icdf")),
    (("ContinuousBernoulli", (), {"logits": P(LOC)}), UNIT, ("mean", "variance", "stddev", "entropy", "cdf", "icdf")),
    (("RelaxedBernoulli", (P(np.float32(0.7)),), {"probs": P(UNIT)}), UNIT[::-1].copy(), ()),
    (("RelaxedBernoulli", (P(np.float32(1.3)),), {"logits": P(LOC)}), UNIT, ()),
    (("RelaxedOneHotCategorical", (P(np.float32(0.6)),), {"probs": P(PROBS)}), PROBS[::-1].copy(), ()),
    (("LogisticNormal", (P(LOC[:2]), P(SCALE[:2])), {}), PROBS[1], ()),
    (("LowRankMultivariateNormal", (P(LOC), P(W), P(POS)), {}), LOC + 0.5,
     ("mean", "mode", "variance", "entropy", "covariance_matrix", "precision_matrix", "scale_tril")),
    (("MixtureSameFamily", (Sub("Categorical", P(PROBS[0])), Sub("Normal", P(LOC), P(SCALE))), {}),
     np.array([0.3, -1.0], np.float32), ("mean", "variance", "cdf")),
    (("MixtureSameFamily", (Sub("Categorical", P(PROBS)),
                            Sub("Independent", Sub("Normal", P(np.stack([LOC, LOC + 1] * 3).reshape(2, 3, 3)),
                                                   P(POS)), 1)), {}),
     LOC[None].repeat(2, 0), ("mean", "variance")),
    (("VonMises", (P(LOC), P(POS)), {}), LOC[::-1].copy(), ("mean", "mode", "variance")),
    (("Weibull", (P(SCALE), P(POS)), {}), POS2, ("mean", "mode", "variance", "entropy", "cdf", "icdf")),
    (("Kumaraswamy", (P(POS), P(POS2)), {}), UNIT, ("mean", "variance", "entropy", "cdf", "icdf")),
    (("FisherSnedecor", (P(POS + 4), P(POS2 + 5)), {}), POS, ("mean", "mode", "variance")),
    (("Pareto", (P(SCALE), P(POS + 2)), {}), SCALE + 0.6, ("mean", "mode", "variance", "entropy", "cdf", "icdf")),
    (("GeneralizedPareto", (P(LOC), P(SCALE), P(np.array([-0.2, 0.0, 0.3], np.float32))), {}), LOC + 0.5,
     ("mean", "mode", "variance", "entropy", "cdf", "icdf")),
    (("InverseGamma", (P(POS + 2), P(POS2)), {}), SCALE, ("mean", "mode", "variance", "entropy", "cdf")),
    (("LKJCholesky", (3, P(np.array([0.5, 2.0], np.float32))), {}), CORR_CHOL, ()),
    (("Wishart", (P(np.float32(5.0)),), {"covariance_matrix": P(COV)}), COV + np.eye(3, dtype=np.float32),
     ("mean", "mode", "variance", "entropy")),
    (("Wishart", (P(np.array([4.0, 6.5], np.float32)),), {"scale_tril": P(np.linalg.cholesky(COV))}), COV,
     ("mean", "variance", "entropy", "precision_matrix")),
    (("Wishart", (3.5,), {"precision_matrix": P(np.linalg.inv(COV))}), COV, ("covariance_matrix", "entropy")),
    (("OneHotCategoricalStraightThrough", (), {"probs": P(PROBS)}), np.eye(3, dtype=np.float32)[[1, 2]],
     ("mean", "mode", "entropy")),
]


def _ids(case):
    return case[0][0] + ("-" + next(iter(case[0][2])) if case[0][2] else "")


def _value(lib, x):
    return lib.tensor(x)


def _np(t):
    return np.asarray(t.detach() if hasattr(t, "detach") else t, dtype=np.float64)


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_densities_statistics_and_gradients_match_torch(case):
    spec, value, stats = case
    t_leaves, p_leaves = [], []
    t_dist, p_dist = _make(torch, spec, t_leaves), _make(ptjax, spec, p_leaves)
    assert tuple(p_dist.batch_shape) == tuple(t_dist.batch_shape)
    assert tuple(p_dist.event_shape) == tuple(t_dist.event_shape)
    assert repr(p_dist) == repr(t_dist).replace("torch.", "torch.")
    t_out = [t_dist.log_prob(_value(torch, value))]
    p_out = [p_dist.log_prob(_value(ptjax, value))]
    for stat in stats:
        if stat in ("cdf",):
            t_out.append(t_dist.cdf(_value(torch, value)))
            p_out.append(p_dist.cdf(_value(ptjax, value)))
        elif stat == "icdf":
            t_out.append(t_dist.icdf(_value(torch, UNIT)))
            p_out.append(p_dist.icdf(_value(ptjax, UNIT)))
        elif stat == "entropy":
            t_out.append(t_dist.entropy())
            p_out.append(p_dist.entropy())
        else:
            t_out.append(getattr(t_dist, stat))
            p_out.append(getattr(p_dist, stat))
    for name, t, p in zip(("log_prob",) + stats, t_out, p_out, strict=False):
        assert str(p.dtype) == str(t.dtype), f"{name}: {p.dtype} != {t.dtype}"
        assert tuple(p.shape) == tuple(t.shape), f"{name}: {tuple(p.shape)} != {tuple(t.shape)}"
        np.testing.assert_allclose(_np(p), _np(t), rtol=1e-4, atol=1e-5, err_msg=name)
    # gradients of everything differentiable, under one random cotangent each
    no_grad = {("Gamma", "cdf"), ("InverseGamma", "cdf")}  # torch: "the derivative for 'igamma: input' is not
    # implemented"
    pairs = [(t, p) for name, t, p in zip(("log_prob",) + stats, t_out, p_out, strict=False)
             if t.requires_grad and (spec[0], name) not in no_grad]
    cts = [np.random.default_rng(i).standard_normal(tuple(t.shape)).astype(np.float32) for i, (t, _) in
           enumerate(pairs)]
    t_grads = torch.autograd.grad([t for t, _ in pairs], t_leaves, [torch.tensor(c) for c in cts], allow_unused=True)
    p_grads = ptjax.autograd.grad([p for _, p in pairs], p_leaves, [ptjax.tensor(c) for c in cts], allow_unused=True)
    for i, (tg, pg) in enumerate(zip(t_grads, p_grads, strict=False)):
        if tg is None:
            assert pg is None or not _np(pg).any()
            continue
        np.testing.assert_allclose(_np(pg), _np(tg), rtol=2e-3, atol=2e-4, err_msg=f"grad[{i}]")


SAMPLED = ["Normal", "Uniform", "Exponential", "Laplace", "Beta", "MultivariateNormal-covariance_matrix",
           "Bernoulli-probs", "Categorical-probs", "OneHotCategorical-probs", "Poisson", "Binomial-logits"]
# (Gamma and Dirichlet draw through the same gamma sampler as Beta; LogNormal through Normal)


@pytest.mark.parametrize("case", [c for c in CASES if _ids(c) in SAMPLED], ids=SAMPLED)
def test_sampling_shapes_and_moments(case):
    spec = case[0]
    ptjax.manual_seed(0)
    t_dist, p_dist = _make(torch, spec, []), _make(ptjax, spec, [])
    n = 2000
    x = p_dist.sample((n,))
    ref = t_dist.sample((n,))
    assert tuple(x.shape) == tuple(ref.shape) and str(x.dtype) == str(ref.dtype) and not x.requires_grad
    assert bool(p_dist.support.check(x).all())
    mean, var = _np(t_dist.mean), _np(t_dist.variance)
    np.testing.assert_array_less(np.abs(_np(x).mean(0) - mean), 5 * np.sqrt(var / n) + 1e-6)
    assert tuple(p_dist.expand((2,) + tuple(p_dist.batch_shape)).batch_shape) == \
        tuple(t_dist.expand((2,) + tuple(t_dist.batch_shape)).batch_shape)


def test_rsample_gradients_flow_through_ptjax_autograd():
    ptjax.manual_seed(1)
    loc = ptjax.tensor(LOC, requires_grad=True)
    scale = ptjax.tensor(SCALE, requires_grad=True)
    x = ptjax.distributions.Normal(loc, scale).rsample((2000,))
    (x.mean(0).sum()).backward()
    np.testing.assert_allclose(_np(loc.grad), 1.0, rtol=1e-5)          # d mean / d loc = 1 exactly
    assert np.abs(_np(scale.grad)).max() < 0.15                         # E[eps] = 0
    conc = ptjax.tensor(np.array([2.0, 5.0], np.float32), requires_grad=True)
    rate = ptjax.tensor(np.array([1.0, 2.0], np.float32), requires_grad=True)
    g = ptjax.distributions.Gamma(conc, rate).rsample((4000,))
    g.mean(0).sum().backward()                                          # d(a/b)/da = 1/b, d(a/b)/db = -a/b²
    np.testing.assert_allclose(_np(conc.grad), [1.0, 0.5], rtol=0.1)
    np.testing.assert_allclose(_np(rate.grad), [-2.0, -1.25], rtol=0.1)
    mvn_loc = ptjax.tensor(LOC, requires_grad=True)
    s = ptjax.distributions.MultivariateNormal(mvn_loc, ptjax.tensor(COV)).rsample((3,))
    s.sum().backward()
    np.testing.assert_allclose(_np(mvn_loc.grad), 3.0)


KL_PAIRS = [
    ("Normal", (P(LOC), P(SCALE)), (P(LOC[::-1].copy()), P(POS))),
    ("Exponential", (P(POS),), (P(POS2),)),
    ("Laplace", (P(LOC), P(SCALE)), (P(LOC + 1), P(POS))),
    ("Gamma", (P(POS), P(POS2)), (P(POS2), P(POS))),
    ("Beta", (P(POS), P(POS2)), (P(POS2), P(POS))),
    ("Dirichlet", (P(PROBS * 4),), (P(PROBS[::-1] * 3),)),
    ("Poisson", (P(POS),), (P(POS2),)),
    ("Uniform", (P(LOC - 1), P(LOC + 1)), (P(LOC - 2), P(LOC + 2))),
    ("LogNormal", (P(LOC), P(SCALE)), (P(LOC + 1), P(POS))),
    ("Gumbel", (P(LOC), P(SCALE)), (P(LOC + 1), P(POS))),
    ("Cauchy", (P(LOC), P(SCALE)), (P(LOC + 1), P(POS))),
    ("HalfNormal", (P(SCALE),), (P(POS),)),
    ("Geometric", (P(UNIT),), (P(UNIT[::-1].copy()),)),
    ("Pareto", (P(SCALE + 1), P(POS)), (P(np.array([0.9, 2.0, 3.0], np.float32)), P(POS2))),
    ("ContinuousBernoulli", (P(np.array([0.2, 0.5, 0.8], np.float32)),), (P(UNIT),)),
    ("LowRankMultivariateNormal", (P(LOC), P(W), P(POS)), (P(LOC[::-1].copy()), P(W[::-1].copy()), P(POS2))),
    ("Wishart", (P(np.float32(5.0)), P(COV)), (P(np.float32(4.0)), P(COV + np.eye(3, dtype=np.float32)))),
]


@pytest.mark.parametrize("name,p_args,q_args", KL_PAIRS, ids=[k[0] for k in KL_PAIRS])
def test_kl_divergence_matches_torch(name, p_args, q_args):
    out = {}
    for lib in (torch, ptjax):
        leaves = []
        p, q = _make(lib, (name, p_args, {}), leaves), _make(lib, (name, q_args, {}), leaves)
        kl = lib.distributions.kl_divergence(p, q)
        grads = lib.autograd.grad(kl.sum(), leaves, allow_unused=True)
        out[lib.__name__] = (kl, grads)
    np.testing.assert_allclose(_np(out["ptjax"][0]), _np(out["torch"][0]), rtol=1e-4, atol=1e-5)
    for tg, pg in zip(out["torch"][1], out["ptjax"][1], strict=False):
        if tg is not None:
            np.testing.assert_allclose(_np(pg), _np(tg), rtol=1e-3, atol=1e-4)


def test_kl_of_discrete_and_structured_pairs_match_torch():
    def build(lib):
        t = lib.tensor
        mvn = lib.distributions.MultivariateNormal
        return [
            (lib.distributions.Bernoulli(t(UNIT)), lib.distributions.Bernoulli(t(UNIT[::-1].copy()))),
            (lib.distributions.Categorical(t(PROBS)), lib.distributions.Categorical(t(PROBS[::-1].copy()))),
            (lib.distributions.OneHotCategorical(t(PROBS)), lib.distributions.OneHotCategorical(t(PROBS[::-1].copy()))),
            (mvn(t(LOC), t(COV)), mvn(t(LOC[::-1].copy()), t(COV + 2 * np.eye(3, dtype=np.float32)))),
            (lib.distributions.Independent(lib.distributions.Normal(t(LOC), t(SCALE)), 1),
             lib.distributions.Independent(lib.distributions.Normal(t(POS), t(POS2)), 1)),
            (lib.distributions.Binomial(10, t(UNIT)), lib.distributions.Binomial(10, t(UNIT[::-1].copy()))),
            (mvn(t(LOC), t(COV)), lib.distributions.LowRankMultivariateNormal(t(LOC[::-1].copy()), t(W), t(POS))),
            (lib.distributions.LowRankMultivariateNormal(t(LOC[::-1].copy()), t(W), t(POS)), mvn(t(LOC), t(COV))),
        ]
    for (tp, tq), (pp, pq) in zip(build(torch), build(ptjax), strict=False):
        ref, got = torch.distributions.kl_divergence(tp, tq), ptjax.distributions.kl_divergence(pp, pq)
        assert tuple(got.shape) == tuple(ref.shape)
        np.testing.assert_allclose(_np(got), _np(ref), rtol=1e-4, atol=1e-5)
    for p, q in (("Normal", "Poisson"), ("Cauchy", "Poisson")):  # cross exponential families; no pair at all
        errors = [_error(lib, lambda lib: lib.distributions.kl_divergence(getattr(lib.distributions, p)(0.0, 1.0),
                                                                           getattr(lib.distributions, q)(1.0)))
                  for lib in (torch, ptjax)]
        assert errors[0] == errors[1] and errors[0][0] == "NotImplementedError"


def test_register_kl_and_independent_transformed():
    D = ptjax.distributions

    class MyNormal(D.Normal):
        pass

    @D.register_kl(MyNormal, D.Normal)
    def _kl(p, q):
        return ptjax.zeros(())

    assert float(D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(1.0, 1.0))) == 0.0
    assert float(D.kl_divergence(D.Normal(0.0, 1.0), MyNormal(1.0, 1.0))) == 0.5  # subclass of q falls back
    for lib in (torch, ptjax):
        base = lib.distributions.Normal(lib.tensor(LOC), lib.tensor(SCALE))
        tf = lib.distributions.TransformedDistribution(base, [lib.distributions.transforms.AffineTransform(1.0, 2.0),
                                                              lib.distributions.transforms.SigmoidTransform()])
        ind = lib.distributions.Independent(base, 1)
        tanh = lib.distributions.TransformedDistribution(base, lib.distributions.transforms.TanhTransform())
        v = lib.tensor(UNIT)
        out = [tf.log_prob(v), ind.log_prob(lib.tensor(LOC)), ind.entropy(), tanh.log_prob(v - 0.5),
               tf.cdf(v), ind.batch_shape, ind.event_shape, repr(ind)]
        if lib is torch:
            ref = out
        else:
            got = out
    for r, g in zip(ref, got, strict=False):
        if isinstance(r, torch.Tensor):
            np.testing.assert_allclose(_np(g), _np(r), rtol=1e-4, atol=1e-5)
        else:
            assert tuple(g) == tuple(r) if not isinstance(r, str) else g == r


def _error(lib, fn):
    try:
        fn(lib)
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return type(e).__name__, str(e)
    return None


ERRORS = [
    lambda lib: lib.distributions.Normal(lib.zeros(2), -lib.ones(2)),
    lambda lib: lib.distributions.Normal(0.0, -1.0),
    lambda lib: lib.distributions.Normal(lib.tensor([0.0]), lib.tensor([-1.0])),
    lambda lib: lib.distributions.Normal(0.0, 1.0).log_prob(lib.tensor([float("nan")])),
    lambda lib: lib.distributions.Normal(0.0, 1.0).log_prob(3),
    lambda lib: lib.distributions.Normal(lib.zeros(2, 3), 1.0).log_prob(lib.zeros(4)),
    lambda lib: lib.distributions.Bernoulli(probs=lib.tensor([0.3])).log_prob(lib.tensor([0.5])),
    lambda lib: lib.distributions.Bernoulli(probs=0.3, logits=0.1),
    lambda lib: lib.distributions.Uniform(1.0, 0.0),
    lambda lib: lib.distributions.Categorical(lib.tensor([0.2, -0.8])),
    lambda lib: lib.distributions.Categorical(lib.tensor([0.2, 0.8])).log_prob(lib.tensor([2])),
    lambda lib: lib.distributions.Gamma(lib.tensor([1.0]), lib.tensor([0.0])),
    lambda lib: lib.distributions.Beta(1.0, 1.0).log_prob(lib.tensor(1.5)),
    lambda lib: lib.distributions.Dirichlet(lib.tensor([1.0, -1.0])),
    lambda lib: lib.distributions.Poisson(lib.tensor([1.0])).log_prob(lib.tensor([0.5])),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2)),
    lambda lib: lib.distributions.MultivariateNormal(lib.zeros(2), scale_tril=lib.tensor([[1.0, 1.0], [0.0, 1.0]])),
    lambda lib: lib.distributions.Dirichlet(lib.ones(3)).log_prob(lib.ones(2)),
    lambda lib: lib.distributions.Normal(0.0, -1.0, validate_args=False).scale,
    lambda lib: lib.distributions.StudentT(lib.tensor([-1.0])),
    lambda lib: lib.distributions.Geometric(lib.tensor([0.0, 0.5])),
    lambda lib: lib.distributions.Geometric(lib.tensor([0.5])).log_prob(lib.tensor([1.5])),
    lambda lib: lib.distributions.NegativeBinomial(lib.tensor([2.0]), lib.tensor([1.0])),
    lambda lib: lib.distributions.Multinomial(lib.tensor(3), lib.tensor([0.5, 0.5])),
    lambda lib: lib.distributions.Multinomial(3, lib.tensor([0.5, 0.5])).log_prob(lib.tensor([3.0, 1.0])),
    lambda lib: lib.distributions.ContinuousBernoulli(lib.tensor([1.5]), validate_args=True),
    lambda lib: lib.distributions.Pareto(1.0, 2.0).log_prob(lib.tensor(0.5)),
    lambda lib: lib.distributions.Weibull(lib.tensor([1.0]), lib.tensor([-1.0])),
    lambda lib: lib.distributions.LKJCholesky(1),
    lambda lib: lib.distributions.LKJCholesky(2).log_prob(lib.tensor([[1.0, 0.0], [1.0, 1.0]])),
    lambda lib: lib.distributions.Wishart(1.5, lib.eye(3)),
    lambda lib: lib.distributions.Wishart(4.0),
    lambda lib: lib.distributions.Wishart(4.0, lib.tensor([[1.0, 2.0], [2.0, 1.0]])),
    lambda lib: lib.distributions.LowRankMultivariateNormal(lib.zeros(3), lib.ones(2, 1), lib.ones(3)),
    lambda lib: lib.distributions.LowRankMultivariateNormal(lib.zeros(3), lib.ones(3, 1), lib.ones(2)),
    lambda lib: lib.distributions.LowRankMultivariateNormal(lib.zeros(3), lib.ones(3, 1), -lib.ones(3)),
    lambda lib: lib.distributions.MixtureSameFamily(lib.distributions.Categorical(lib.ones(2)),
                                                    lib.distributions.Normal(lib.zeros(3), 1.0)),
    lambda lib: lib.distributions.MixtureSameFamily(lib.distributions.Normal(0.0, 1.0),
                                                    lib.distributions.Normal(lib.zeros(3), 1.0)),
    lambda lib: lib.distributions.VonMises(0.0, 0.0),
    lambda lib: lib.distributions.GeneralizedPareto(0.0, 1.0, -0.5).log_prob(lib.tensor(2.5)),
    lambda lib: lib.distributions.RelaxedOneHotCategorical(lib.tensor(0.5), lib.tensor([0.5, 0.5])).log_prob(
        lib.tensor([0.5, 0.6])),
    lambda lib: lib.distributions.Kumaraswamy(1.0, 1.0).log_prob(lib.tensor(1.5)),
    lambda lib: lib.distributions.kl_divergence(
        lib.distributions.LowRankMultivariateNormal(lib.zeros(2), lib.ones(2, 1), lib.ones(2)),
        lib.distributions.LowRankMultivariateNormal(lib.zeros(3), lib.ones(3, 1), lib.ones(3))),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_validation_errors_match_torch(i):
    ref, got = _error(torch, ERRORS[i]), _error(ptjax, ERRORS[i])
    assert got == ref


def test_enumerate_support_and_misc_match_torch():
    def run(lib):
        D = lib.distributions
        b = D.Bernoulli(lib.tensor(UNIT))
        c = D.Categorical(lib.tensor(PROBS))
        bi = D.Binomial(3, lib.tensor(UNIT))
        return [b.enumerate_support(), c.enumerate_support(expand=False), bi.enumerate_support(),
                D.OneHotCategorical(lib.tensor(PROBS)).enumerate_support(), c.perplexity(),
                D.Normal(lib.tensor(LOC), 1.0).expand((2, 3)).log_prob(lib.zeros(2, 3)),
                D.Normal(0.0, 1.0).sample().shape, D.Categorical(lib.tensor(PROBS)).sample((5,)).dtype]
    for r, g in zip(run(torch), run(ptjax), strict=False):
        if isinstance(r, torch.Tensor):
            assert str(g.dtype) == str(r.dtype) and tuple(g.shape) == tuple(r.shape)
            np.testing.assert_allclose(_np(g), _np(r), rtol=1e-5, atol=1e-6)
        else:
            assert str(g) == str(r)


def test_exponential_family_entropy_and_kl_from_the_log_normalizer():
    """The Bregman forms (ExponentialFamily.entropy through autograd of the log-normalizer) give torch's values,
    and so does the KL divergence torch computes that way (Wishart has no closed-form pair)."""
    def run(lib):
        D, t = lib.distributions, lib.tensor
        family = [D.Normal(t(LOC), t(SCALE)), D.Exponential(t(POS)), D.Gamma(t(POS), t(POS2)), D.Bernoulli(t(UNIT)),
                  D.ContinuousBernoulli(t(np.array([0.2, 0.5, 0.8], np.float32))), D.Wishart(t(5.0), t(COV))]
        return [D.ExponentialFamily.entropy(d) for d in family] + \
            [D.kl_divergence(D.Wishart(t(np.array([5.0, 7.0], np.float32)), t(COV)), D.Wishart(t(4.0), t(2 * COV)))]
    for r, g in zip(run(torch), run(ptjax), strict=True):
        np.testing.assert_allclose(_np(g), _np(r), rtol=1e-4, atol=1e-5)


def test_kumaraswamy_mode_is_the_textbook_one():
    """torch 2.13's Kumaraswamy.mode is NaN wherever concentration0 > 1 (its formula takes log1p(-b)); ptjax gives
    ((a - 1) / (ab - 1))^(1/a), checked here against NumPy and against torch's density (a maximum)."""
    a, b = np.array([2.0, 0.5, 3.0], np.float32), np.array([3.0, 2.0, 1.5], np.float32)
    mode = _np(ptjax.distributions.Kumaraswamy(ptjax.tensor(a), ptjax.tensor(b)).mode)
    expected = np.where((a < 1) | (b < 1), np.nan, ((a - 1) / (a * b - 1)) ** (1 / a))
    np.testing.assert_allclose(mode, expected, rtol=1e-6)
    density = torch.distributions.Kumaraswamy(torch.tensor(a[[0, 2]]), torch.tensor(b[[0, 2]]))
    at = torch.tensor(mode[[0, 2]].astype(np.float32))
    assert bool((density.log_prob(at) >= density.log_prob((at + 0.01).clamp(max=0.999))).all())
    assert bool((density.log_prob(at) >= density.log_prob(at - 0.01)).all())
