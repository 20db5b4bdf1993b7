"""Cauchy, Gumbel, HalfNormal, HalfCauchy, Chi2 against torch.distributions: log_prob, cdf, icdf, entropy, mean,
mode, variance (values and gradients of log_prob), and samples within statistical bounds."""
import numpy as np
import pytest

T = pytest.importorskip("torch")

import ptjax as P  # noqa: E402
import ptjax.distributions as PD  # noqa: E402
from _ops_harness import to_numpy  # noqa: E402

pytestmark = pytest.mark.usefixtures("fast_compiles")

LOC = np.array([0.5, -1.0, 2.0])
SCALE = np.array([1.0, 0.3, 2.5])
VALUE = np.array([0.7, 0.1, 3.0])

CASES = [("Cauchy", (LOC, SCALE)), ("Gumbel", (LOC, SCALE)), ("HalfNormal", (SCALE,)), ("HalfCauchy", (SCALE,)),
         ("Chi2", (SCALE * 2,))]


@pytest.mark.parametrize("name,params", CASES, ids=[c[0] for c in CASES])
def test_matches_torch(name, params):
    tparams = [T.tensor(p, requires_grad=True) for p in params]
    pparams = [P.tensor(p, requires_grad=True) for p in params]
    td, pd = getattr(T.distributions, name)(*tparams), getattr(PD, name)(*pparams)
    assert repr(pd) == repr(td)
    for stat in ("mean", "mode", "variance"):
        np.testing.assert_allclose(to_numpy(getattr(pd, stat).detach()), to_numpy(getattr(td, stat).detach()),
                                   rtol=1e-10, err_msg=stat)
    for method, arg in (("log_prob", VALUE), ("cdf", VALUE), ("icdf", np.array([0.1, 0.5, 0.9])), ("entropy", None)):
        try:
            expected = getattr(td, method)(*(() if arg is None else (T.tensor(arg),)))
        except NotImplementedError:
            continue
        got = getattr(pd, method)(*(() if arg is None else (P.tensor(arg),)))
        np.testing.assert_allclose(to_numpy(got.detach()), to_numpy(expected.detach()), rtol=1e-10, err_msg=method)
    td.log_prob(T.tensor(VALUE)).sum().backward()
    pd.log_prob(P.tensor(VALUE)).sum().backward()
    for t, p in zip(tparams, pparams):
        np.testing.assert_allclose(to_numpy(p.grad), to_numpy(t.grad), rtol=1e-10)
    assert pd.expand((2, 3)).batch_shape == td.expand((2, 3)).batch_shape


@pytest.mark.parametrize("name,params", CASES, ids=[c[0] for c in CASES])
def test_samples_within_bounds(name, params):
    """The empirical median of 4000 draws is within 5 standard errors of torch's icdf(0.5) (medians exist for all
    five, unlike Cauchy's mean)."""
    P.manual_seed(0)
    pd = getattr(PD, name)(*[P.tensor(p) for p in params])
    td = getattr(T.distributions, name)(*[T.tensor(p) for p in params])
    x = to_numpy(pd.rsample((4000,)) if pd.has_rsample else pd.sample((4000,)))
    assert x.shape == (4000, len(params[0]))
    if name in ("HalfNormal", "HalfCauchy", "Chi2"):
        assert (x >= 0).all()
    median = to_numpy(td.icdf(T.tensor(0.5)) if name != "Chi2" else td.sample((200000,)).median(0).values)
    density = np.exp(to_numpy(td.log_prob(T.tensor(median))))
    stderr = 1 / (2 * density * np.sqrt(4000))
    assert np.all(np.abs(np.median(x, 0) - median) < 5 * stderr), (np.median(x, 0), median)
