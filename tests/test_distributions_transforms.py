"""torch.distributions.transforms, constraints and the constraint registry (biject_to / transform_to) against
torch: values of the forward and inverse maps, log-Jacobians and their gradients, shapes, reprs, domains and
codomains, caching and equality, constraint checks, and the errors torch raises."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ptjax  # noqa: E402

pytestmark = pytest.mark.usefixtures("fast_compiles")

rng = np.random.default_rng(1)
X3 = rng.standard_normal((2, 3)).astype(np.float32)
POS = rng.uniform(0.5, 2.0, (2, 3)).astype(np.float32)
SQUARE = rng.standard_normal((2, 3, 3)).astype(np.float32)
SIMPLEX = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], np.float32)


def _np(t):
    return np.asarray(t.detach() if hasattr(t, "detach") else t, dtype=np.float64)


def _outcome(fn):
    """What ``fn()`` gives: its value, or the type and message of what it raised (compared across libraries)."""
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - compared with torch's
        return type(e).__name__, str(e)


def _same(got, ref, what):
    if isinstance(ref, torch.Tensor):
        assert isinstance(got, ptjax.Tensor), (what, got)
        assert tuple(got.shape) == tuple(ref.shape) and str(got.dtype) == str(ref.dtype), what
        np.testing.assert_allclose(_np(got), _np(ref), rtol=1e-4, atol=1e-5, err_msg=what)
    elif isinstance(ref, (tuple, list)) and ref and isinstance(ref[0], torch.Tensor):
        for i, (g, r) in enumerate(zip(got, ref, strict=True)):
            _same(g, r, f"{what}[{i}]")
    else:
        assert (tuple(got) if isinstance(ref, torch.Size) else got) == \
            (tuple(ref) if isinstance(ref, torch.Size) else ref), what


# (transform built from a library, an input in its domain)
TRANSFORMS = [
    (lambda lib, T: T.ExpTransform(), X3),
    (lambda lib, T: T.AffineTransform(lib.tensor(X3[0]), lib.tensor(-POS[0]), event_dim=1), X3),
    (lambda lib, T: T.AffineTransform(1.0, -2.0), X3),
    (lambda lib, T: T.PowerTransform(lib.tensor(1.5)), POS),
    (lambda lib, T: T.SigmoidTransform(), X3),
    (lambda lib, T: T.TanhTransform(), X3),
    (lambda lib, T: T.SoftplusTransform(), X3),
    (lambda lib, T: T.AbsTransform(), X3),
    (lambda lib, T: T.SoftmaxTransform(), X3),
    (lambda lib, T: T.StickBreakingTransform(), X3),
    (lambda lib, T: T.LowerCholeskyTransform(), SQUARE),
    (lambda lib, T: T.PositiveDefiniteTransform(), SQUARE),
    (lambda lib, T: T.CorrCholeskyTransform(), X3),
    (lambda lib, T: T.ComposeTransform([T.ExpTransform(), T.AffineTransform(0.5, 2.0)]), X3),
    (lambda lib, T: T.ComposeTransform([T.StickBreakingTransform(), T.AffineTransform(0.0, 3.0, event_dim=1)]), X3),
    (lambda lib, T: T.ExpTransform().inv, POS),
    (lambda lib, T: T.ComposeTransform([T.SigmoidTransform(), T.ExpTransform()]).inv, POS),
    (lambda lib, T: T.IndependentTransform(T.SigmoidTransform(), 1), X3),
    (lambda lib, T: T.ReshapeTransform((3,), (3, 1)), X3),
    (lambda lib, T: T.CatTransform([T.ExpTransform(), T.identity_transform, T.SigmoidTransform()], -1, [1, 1, 1]),
     X3),
    (lambda lib, T: T.StackTransform([T.ExpTransform(), T.TanhTransform()], dim=0), X3),
    (lambda lib, T: T.CumulativeDistributionTransform(lib.distributions.Normal(0.5, 2.0)), X3),
    (lambda lib, T: T.identity_transform, X3),
]


def _transform_outcomes(lib, i):
    make, x_np = TRANSFORMS[i]
    t = make(lib, lib.distributions.transforms)
    x = lib.tensor(x_np, requires_grad=True)
    y = t(x)
    out = {"y": y, "x_back": _outcome(lambda: t.inv(y)), "ladj": _outcome(lambda: t.log_abs_det_jacobian(x, y)),
           "repr": repr(t), "domain": _outcome(lambda: repr(t.domain)),
           "codomain": _outcome(lambda: repr(t.codomain)), "event_dims": (t.domain.event_dim, t.codomain.event_dim),
           "event_dim": _outcome(lambda: t.event_dim), "bijective": t.bijective,
           "sign": _outcome(lambda: t.sign), "forward_shape": _outcome(lambda: t.forward_shape(x.shape)),
           "inverse_shape": _outcome(lambda: t.inverse_shape(y.shape)), "in_codomain": t.codomain.check(y)}
    differentiable = [v for v in (y, out["ladj"]) if isinstance(v, lib.Tensor) and v.requires_grad]
    cts = [lib.tensor(np.random.default_rng(k).standard_normal(tuple(v.shape)).astype(np.float32))
           for k, v in enumerate(differentiable)]
    out["grad"] = lib.autograd.grad(differentiable, [x], cts)[0]
    return out


@pytest.mark.parametrize("i", range(len(TRANSFORMS)))
def test_transform_matches_torch(i):
    ref, got = _transform_outcomes(torch, i), _transform_outcomes(ptjax, i)
    for key, r in ref.items():
        _same(got[key], r, key)


def test_transform_caching_equality_and_errors():
    def run(lib):
        T = lib.distributions.transforms
        x = lib.tensor(X3)
        cached = T.ExpTransform(cache_size=1)
        y = cached(x)
        affine = T.AffineTransform(lib.tensor([1.0, 2.0]), 3.0)
        chain = T.ComposeTransform([T.ExpTransform(), T.SigmoidTransform()], cache_size=1)
        return [cached.inv(y) is x, cached(x) is y, T.ExpTransform().inv(y) is x, cached.inv.inv is cached,
                T.ExpTransform() == T.ExpTransform(), T.ExpTransform() != T.SigmoidTransform(),
                affine == T.AffineTransform(lib.tensor([1.0, 2.0]), 3.0), affine == T.AffineTransform(1.0, 3.0),
                T.PowerTransform(2.0) == T.PowerTransform(2.0), T.ExpTransform().inv == T.ExpTransform().inv,
                T.ComposeTransform([T.ExpTransform()]) == T.ComposeTransform([T.ExpTransform()]),
                chain.parts[0]._cache_size, T.ExpTransform().with_cache(1)._cache_size,
                T.AffineTransform(0.0, 1.0).with_cache(1).with_cache(1)._cache_size,
                repr(T.ExpTransform().inv), repr(T.ExpTransform().inv.domain),
                _outcome(lambda: T.ExpTransform(cache_size=2)),
                _outcome(lambda: T.ReshapeTransform((2, 3), (4,))),
                _outcome(lambda: T.StickBreakingTransform().forward_shape(())),
                _outcome(lambda: T.CorrCholeskyTransform().forward_shape((4,))),
                _outcome(lambda: T.ReshapeTransform((3,), (3, 1)).forward_shape((2, 4))),
                _outcome(lambda: T.CatTransform([T.ExpTransform()], 0, [2])(lib.zeros(3))),
                _outcome(lambda: T.ComposeTransform([T.ExpTransform(), T.StickBreakingTransform()]).event_dim)]
    for k, (r, g) in enumerate(zip(run(torch), run(ptjax), strict=True)):
        _same(g, r, f"item {k}")


CONSTRAINTS = [
    (lambda C, lib: C.real, np.array([0.0, np.nan, np.inf], np.float32)),
    (lambda C, lib: C.boolean, np.array([0.0, 1.0, 0.5], np.float32)),
    (lambda C, lib: C.greater_than(1.0), X3),
    (lambda C, lib: C.greater_than_eq(lib.tensor(X3[0])), X3),
    (lambda C, lib: C.less_than(0.5), X3),
    (lambda C, lib: C.interval(-0.5, 1.0), X3),
    (lambda C, lib: C.half_open_interval(0.0, 1.0), np.array([0.0, 1.0, 0.5], np.float32)),
    (lambda C, lib: C.integer_interval(0, 3), np.array([0.0, 3.0, 1.5, 4.0], np.float32)),
    (lambda C, lib: C.nonnegative_integer, np.array([0.0, 3.0, 1.5, -1.0], np.float32)),
    (lambda C, lib: C.simplex, np.concatenate([SIMPLEX, X3])),
    (lambda C, lib: C.one_hot, np.array([[0.0, 1.0, 0.0], [1.0, 1.0, 0.0]], np.float32)),
    (lambda C, lib: C.multinomial(5), np.array([[1.0, 2.0, 2.0], [3.0, 3.0, 0.0], [-1.0, 0.0, 1.0]], np.float32)),
    (lambda C, lib: C.independent(C.positive, 1), POS * np.sign(X3)),
    (lambda C, lib: C.lower_triangular, np.tril(SQUARE)),
    (lambda C, lib: C.lower_cholesky, np.concatenate([np.tril(SQUARE), np.linalg.cholesky(SQUARE @
                                                                                            SQUARE.transpose(0, 2, 1)
                                                                                            + np.eye(3))])),
    (lambda C, lib: C.corr_cholesky, np.concatenate([np.eye(3, dtype=np.float32)[None], np.tril(SQUARE)])),
    (lambda C, lib: C.square, SQUARE[:, :2]),
    (lambda C, lib: C.symmetric, np.concatenate([SQUARE, SQUARE + SQUARE.transpose(0, 2, 1)])),
    (lambda C, lib: C.positive_definite, np.concatenate([SQUARE + SQUARE.transpose(0, 2, 1),
                                                         SQUARE @ SQUARE.transpose(0, 2, 1) + np.eye(3)])),
    (lambda C, lib: C.positive_semidefinite, np.concatenate([SQUARE + SQUARE.transpose(0, 2, 1),
                                                             SQUARE @ SQUARE.transpose(0, 2, 1)])),
    (lambda C, lib: C.cat([C.positive, C.real, C.unit_interval], dim=-1, lengths=[1, 1, 1]), POS * np.sign(X3)),
    (lambda C, lib: C.stack([C.positive, C.real], dim=0), X3),
    (lambda C, lib: C.MixtureSameFamilyConstraint(C.positive), X3),
    (lambda C, lib: C.dependent, X3),
]


def _constraint_outcomes(lib, i):
    make, value = CONSTRAINTS[i]
    c = make(lib.distributions.constraints, lib)
    return [repr(c), _outcome(lambda: c.check(lib.tensor(value))), _outcome(lambda: c.event_dim),
            _outcome(lambda: c.is_discrete), lib.distributions.constraints.is_dependent(c)]


@pytest.mark.parametrize("i", range(len(CONSTRAINTS)))
def test_constraint_matches_torch(i):
    for k, (r, g) in enumerate(zip(_constraint_outcomes(torch, i), _constraint_outcomes(ptjax, i), strict=True)):
        _same(g, r, f"item {k}")


REGISTERED = [
    (lambda C, lib: C.real, X3), (lambda C, lib: C.positive, X3), (lambda C, lib: C.nonnegative, X3),
    (lambda C, lib: C.greater_than(1.5), X3), (lambda C, lib: C.greater_than_eq(lib.tensor(X3[0])), X3),
    (lambda C, lib: C.less_than(2.0), X3), (lambda C, lib: C.interval(-1.0, 3.0), X3),
    (lambda C, lib: C.unit_interval, X3), (lambda C, lib: C.half_open_interval(0.0, 1.0), X3),
    (lambda C, lib: C.simplex, X3), (lambda C, lib: C.lower_cholesky, SQUARE),
    (lambda C, lib: C.positive_definite, SQUARE), (lambda C, lib: C.positive_semidefinite, SQUARE),
    (lambda C, lib: C.corr_cholesky, X3), (lambda C, lib: C.independent(C.positive, 1), X3),
    (lambda C, lib: C.cat([C.positive, C.real, C.unit_interval], dim=-1), X3),
    (lambda C, lib: C.stack([C.positive, C.interval(0.0, 2.0)], dim=0), X3),
    (lambda C, lib: C.integer_interval(0, 3), X3),
]


def _registry_outcomes(lib, i):
    make, x_np = REGISTERED[i]
    D = lib.distributions
    c, x = make(D.constraints, lib), lib.tensor(x_np)
    out = []
    for registry in (D.biject_to, D.transform_to):
        t = _outcome(lambda registry=registry: registry(c))
        if isinstance(t, tuple):  # the error of an unregistered constraint
            out.append(t)
            continue
        y = t(x)
        out += [repr(t), y, c.check(y), t.inv(y), t.log_abs_det_jacobian(x, y) if t.bijective else None]
    return out


@pytest.mark.parametrize("i", range(len(REGISTERED)))
def test_constraint_registry_matches_torch(i):
    for k, (r, g) in enumerate(zip(_registry_outcomes(torch, i), _registry_outcomes(ptjax, i), strict=True)):
        _same(g, r, f"item {k}")


def test_registering_a_new_constraint():
    C, D = ptjax.distributions.constraints, ptjax.distributions
    registry = D.constraint_registry.ConstraintRegistry()

    class _Odd(C.Constraint):
        def check(self, value):
            return value % 2 == 1

    registry.register(_Odd, lambda constraint: D.transforms.AffineTransform(1.0, 2.0))
    assert isinstance(registry(_Odd()), D.transforms.AffineTransform)
    for lib in (torch, ptjax):
        with pytest.raises(TypeError, match="Expected constraint to be either a Constraint subclass or instance"):
            lib.distributions.constraint_registry.ConstraintRegistry().register(int, lambda c: None)
