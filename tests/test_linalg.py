"""torch.linalg and the linalg-like top-level functions against real torch: values, dtypes, shapes, gradients, the
named tuples, the ``_ex`` variants' ``info`` and torch's error messages.

Eigenvectors and singular vectors are compared through quantities that do not depend on their signs (``U * U``,
``U @ Vh``, reconstructions), as torch's own tests do; gradients through those same quantities.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _ops_harness import Gen, Sample, compare_call, compare_grad  # noqa: E402

import ptjax  # noqa: E402

pytestmark = pytest.mark.usefixtures("fast_compiles")

g = Gen(7)
INF = math.inf


def la(name):
    return lambda lib, *a, **k: getattr(lib.linalg, name)(*a, **k)


def top(name):
    return lambda lib, *a, **k: getattr(lib, name)(*a, **k)


def method(name):
    return lambda lib, x, *a, **k: getattr(x, name)(*a, **k)


def _matrices(shape):
    """``(n,)`` means one n×n matrix; a longer shape is a stack of matrices."""
    return shape * 2 if len(shape) == 1 else shape


def well(*shape, dtype=np.float64):
    """Well-conditioned square matrices."""
    shape = _matrices(shape)
    return (g.f(*shape, dtype=dtype) + 4 * np.eye(shape[-1])).astype(dtype)


def spd(*shape, dtype=np.float64):
    """Symmetric positive-definite matrices."""
    shape = _matrices(shape)
    a = g.f(*shape, dtype=dtype)
    return (a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])).astype(dtype)


def sym(n, dtype=np.float64):
    a = g.f(n, n, dtype=dtype)
    return (a + a.T).astype(dtype)


def lower(n):
    return np.tril(well(n))


# ---- values and gradients ---------------------------------------------------------------------------------------

def eigh_invariants(lib, A, **kw):
    w, V = lib.linalg.eigh(A, **kw)
    return w, V * V


def svd_invariants(lib, A, **kw):
    U, S, Vh = lib.linalg.svd(A, **kw)
    return S, U * U, Vh * Vh, U[..., :, :S.shape[-1]] @ Vh[..., :S.shape[-1], :]


def torch_svd_invariants(lib, A, **kw):
    U, S, V = lib.svd(A, **kw)
    k = S.shape[-1]
    return S, U * U, V * V, U[..., :, :k] @ V[..., :, :k].transpose(-2, -1)


def qr_product(lib, A, **kw):
    Q, R = lib.linalg.qr(A, **kw)
    return Q, R, Q @ R


def lowrank_input():
    return (g.f(6, 2) @ g.f(2, 5)).astype(np.float64)


# float32 inputs get float32 tolerances; most cases use float64 for tight comparisons
GRAD = {
    "inv": (la("inv"), [Sample(well(3)), Sample(well(2, 3, 3, dtype=np.float32))]),
    "Tensor.inverse": (method("inverse"), [Sample(well(3))]),
    "inv_ex": (la("inv_ex"), [Sample(well(3))]),
    "det": (la("det"), [Sample(well(3)), Sample(well(2, 3, 3, dtype=np.float32)),
]),
    "Tensor.det": (method("det"), [Sample(well(2))]),
    "slogdet": (la("slogdet"), [Sample(-well(3))]),
    "torch.slogdet": (top("slogdet"), [Sample(well(2, 2, 2))]),
    "logdet": (top("logdet"), [Sample(spd(3)), Sample(np.array([[0.0, 1.0], [1.0, 0.0]]), name="negative-det")]),
    "solve": (la("solve"), [Sample(well(3), g.f(3, 2, dtype=np.float64)), Sample(well(3), g.f(3, dtype=np.float64)),
                            Sample(well(2, 3, 3), g.f(3, 1, dtype=np.float64)),
                            Sample(well(3), g.f(2, 3, dtype=np.float64), left=False)]),
    "solve_triangular": (la("solve_triangular"), [
        Sample(well(3), g.f(3, 2, dtype=np.float64), upper=True),
        Sample(well(2, 3, 3), g.f(2, 3, dtype=np.float64), upper=False, left=False),
        Sample(well(3), g.f(3, 1, dtype=np.float64), upper=False, unitriangular=True)]),
    "cholesky": (la("cholesky"), [Sample(spd(3)), Sample(spd(2, 3, 3, dtype=np.float32)),
                                  Sample(spd(3), upper=True)]),
    "cholesky_ex": (la("cholesky_ex"), [Sample(spd(3))]),
    "cholesky_solve": (top("cholesky_solve"), [Sample(g.f(3, 2, dtype=np.float64), lower(3)),
                                               Sample(g.f(3, 2, dtype=np.float64), lower(3).T.copy(), True)]),
    "cholesky_inverse": (top("cholesky_inverse"), [Sample(lower(3)), Sample(lower(3).T.copy(), upper=True)]),
    "lu_factor": (la("lu_factor"), [Sample(g.f(3, 3, dtype=np.float64)), Sample(g.f(2, 3, 3, dtype=np.float64))]),
    "lu_factor_ex": (la("lu_factor_ex"), [Sample(g.f(3, 3, dtype=np.float64))]),
    "lu": (la("lu"), [Sample(g.f(3, 3, dtype=np.float64)), Sample(g.f(4, 3, dtype=np.float64))]),
    "lu_solve": (lambda lib, A, B, **k: lib.linalg.lu_solve(*lib.linalg.lu_factor(A), B, **k), [
        Sample(well(3), g.f(3, 2, dtype=np.float64), adjoint=True),
        Sample(well(3), g.f(2, 3, dtype=np.float64), left=False)]),
    "lu_unpack": (lambda lib, A, **k: lib.lu_unpack(*lib.linalg.lu_factor(A), **k), [
        Sample(g.f(3, 3, dtype=np.float64)), Sample(g.f(3, 3, dtype=np.float64), unpack_pivots=False)]),
    "qr": (qr_product, [Sample(g.f(4, 3, dtype=np.float64)), Sample(g.f(2, 3, 3, dtype=np.float64))]),
    "eigh": (eigh_invariants, [Sample(sym(3)), Sample(sym(3), UPLO="U")]),
    "eigvalsh": (la("eigvalsh"), [Sample(g.f(3, 3, dtype=np.float64)), Sample(g.f(3, 3, dtype=np.float64),
                                                                                 UPLO="U")]),
    "eigvals": (lambda lib, A: lib.linalg.eigvals(A).abs(), [Sample(np.triu(g.f(3, 3, dtype=np.float64)) +
                                                                    np.diag([1.0, 2.0, 3.0]))]),
    "svd": (svd_invariants, [Sample(g.f(2, 3, 4, dtype=np.float64), full_matrices=False)]),
    "svdvals": (la("svdvals"), [Sample(g.f(4, 3, dtype=np.float64))]),
    "torch.svd": (torch_svd_invariants, [Sample(g.f(4, 3, dtype=np.float64))]),
    "torch.svd(compute_uv=False)": (top("svd"), [Sample(g.f(3, 4, dtype=np.float64), compute_uv=False)]),
    "pinv": (la("pinv"), [Sample(g.f(4, 3, dtype=np.float64)), Sample(sym(3), hermitian=True),
                          Sample(g.f(3, 4, dtype=np.float64), atol=0.5), Sample(g.f(3, 3, dtype=np.float64), 0.3)]),
    "pinverse": (top("pinverse"), [Sample(g.f(3, 4, dtype=np.float64))]),
    "lstsq": (la("lstsq"), [Sample(g.f(5, 3, dtype=np.float64), g.f(5, 2, dtype=np.float64)),
                            Sample(g.f(5, 3, dtype=np.float64), g.f(5, dtype=np.float64), driver="gelsd"),
                            Sample(g.f(2, 5, 3, dtype=np.float64), g.f(2, 5, 2, dtype=np.float64), driver="gels"),
                            Sample(g.f(3, 4, dtype=np.float64), g.f(3, 2, dtype=np.float64), driver="gelss")]),
    "matrix_exp": (la("matrix_exp"), [Sample(g.f(2, 3, 3, dtype=np.float64))]),
    "matrix_power": (la("matrix_power"), [Sample(well(3), 3), Sample(well(3), 0), Sample(well(3), -2)]),
    "Tensor.matrix_power": (method("matrix_power"), [Sample(well(2), 2)]),
    "householder_product": (la("householder_product"), [Sample(g.f(4, 3, dtype=np.float64),
                                                                g.f(2, dtype=np.float64))]),
    "orgqr": (top("orgqr"), [Sample(g.f(2, 3, 2, dtype=np.float64), g.f(2, 2, dtype=np.float64))]),
    "ormqr": (top("ormqr"), [Sample(g.f(4, 3, dtype=np.float64), g.f(3, dtype=np.float64), g.f(4, 2, dtype=np.float64)),
                             Sample(g.f(4, 3, dtype=np.float64), g.f(3, dtype=np.float64), g.f(2, 4, dtype=np.float64),
                                    False, True)]),
    "tensorinv": (la("tensorinv"), [Sample(well(6).reshape(2, 3, 6), ind=2)]),
    "tensorsolve": (la("tensorsolve"), [Sample(well(6).reshape(2, 3, 6), g.f(2, 3, dtype=np.float64)),
                                        Sample(well(6).reshape(6, 2, 3), g.f(6, dtype=np.float64), dims=(0,))]),
    "cond": (la("cond"), [Sample(well(3), "nuc"), Sample(g.f(3, 4, dtype=np.float64), -2)]),
    "cross": (la("cross"), [Sample(g.f(2, 3), g.f(1, 3)), Sample(g.f(3, 2), g.f(3, 2), dim=0)]),
    "torch.cross": (top("cross"), [Sample(g.f(2, 3, 3), g.f(2, 3, 3)), Sample(g.f(4, 3), g.f(4, 3), dim=1)]),
    "vecdot": (la("vecdot"), [Sample(g.f(2, 3), g.f(3)), Sample(g.f(3, 2), g.f(3, 2), dim=0)]),
    "multi_dot": (lambda lib, *ts: lib.linalg.multi_dot(list(ts)), [
        Sample(g.f(3), g.f(3, 4), g.f(4, 2), g.f(2, 5), g.f(5)), Sample(g.f(2, 3), g.f(3, 2))]),
    "linalg.vander": (la("vander"), [Sample(g.f(2, 3)), Sample(np.array([0.0, 2.0]), N=4)]),
    "diagonal": (la("diagonal"), [Sample(g.f(2, 3, 4)), Sample(g.f(3, 4, 2), offset=1, dim1=0, dim2=1)]),
    "matmul": (la("matmul"), [Sample(g.f(2, 3, 4), g.f(4, 2))]),
    "svd_lowrank": (lambda lib, A, **k: lib.svd_lowrank(A, **k)[1][:2], [Sample(lowrank_input(), q=3)]),
    "pca_lowrank": (lambda lib, A, **k: lib.pca_lowrank(A, **k)[1][:2], [Sample(lowrank_input(), q=3,
                                                                                 center=False)]),
}

GRAD_CASES = [(name, i) for name, (_, samples) in GRAD.items() for i in range(len(samples))]


@pytest.mark.parametrize("name,i", GRAD_CASES, ids=[f"{n}-{i}" for n, i in GRAD_CASES])
def test_values_and_gradients(name, i):
    fn, samples = GRAD[name]
    sample = samples[i]
    single = any(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in sample.args)
    rtol, atol = (1e-3, 1e-4) if single else (1e-6, 1e-8)
    compare_grad(fn, sample, rtol=rtol, atol=atol)


# ---- norms (torch's subgradients at zero, ties, dims, dtype) ------------------------------------------------------

VECTOR_ORDS = [2, 1, INF, -INF, 0, 3, 0.5, -1]
WITH_ZERO_AND_TIES = np.array([[0.0, 2.0, -2.0], [1.0, -0.5, 3.0]], np.float64)


def vector_norms(lib, x, at_zero, ord):
    norm = lib.linalg.vector_norm
    return norm(x, ord), norm(at_zero, ord), norm(x, ord, dim=1, keepdim=True)


@pytest.mark.parametrize("ord", VECTOR_ORDS)
def test_vector_norm_gradients(ord):
    """Entries at zero, tied maxima, the zero vector, one dim with keepdim."""
    compare_grad(vector_norms, Sample(WITH_ZERO_AND_TIES, np.zeros(3), ord), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("ord", ["fro", "nuc", INF, -INF, 1, -1, 2, -2])
def test_matrix_norm(ord):
    compare_grad(la("matrix_norm"), Sample(g.f(3, 2, 4, dtype=np.float64), ord, dim=(2, 0), keepdim=ord in (1, "nuc")),
                 rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("sample", [
    Sample(g.f(2, 3, 4)), Sample(g.f(4), 3), Sample(g.f(3, 4), "nuc"), Sample(g.f(3, 4), INF),
    Sample(g.f(2, 3, 4), dim=1), Sample(g.f(2, 3, 4), 2, dim=(0, 2), keepdim=True), Sample(g.f(3), dtype=None),
], ids=repr)
def test_norm_routes(sample):
    compare_grad(la("norm"), sample, rtol=1e-4, atol=1e-5)


def test_norm_dtypes_and_legacy_forms():
    compare_call(la("vector_norm"), Sample(g.f(3), dtype=ptjax_dtype("float64")))
    compare_call(la("norm"), Sample(g.f(3), dtype=ptjax_dtype("float64")))
    compare_call(la("vector_norm"), Sample(g.f(3).astype(np.float16)), rtol=1e-3, atol=1e-3)
    compare_grad(top("nuclear_norm"), Sample(g.f(3, 4, dtype=np.float64)), rtol=1e-6, atol=1e-8)
    compare_grad(top("nuclear_norm"), Sample(g.f(3, 4, dtype=np.float64), True), rtol=1e-6, atol=1e-8)
    compare_grad(top("nuclear_norm"), Sample(g.f(2, 3, 4, dtype=np.float64), (0, 2)), rtol=1e-6, atol=1e-8)
    compare_grad(top("frobenius_norm"), Sample(g.f(2, 3, dtype=np.float64), (0, 1)), rtol=1e-6, atol=1e-8)
    compare_grad(top("frobenius_norm"), Sample(g.f(2, 3, dtype=np.float64), (1,), True), rtol=1e-6, atol=1e-8)


def ptjax_dtype(name):
    from _ops_harness import DT
    return DT(name)


# ---- values without gradients -----------------------------------------------------------------------------------

def eig_invariants(lib, A):
    w, V = lib.linalg.eig(A)
    return w, V.abs()


VALUES = {
    "eig": (eig_invariants, [Sample(np.triu(g.f(3, 3, dtype=np.float64)) + np.diag([1.0, 2.0, 3.0])),
                             Sample(np.array([[0.0, 1.0], [-1.0, 0.0]], np.float32))]),
    "eigvals": (la("eigvals"), [Sample(np.array([[0.0, 1.0], [-1.0, 0.0]], np.float64))]),
    "svd full": (svd_invariants, [Sample(g.f(4, 3, dtype=np.float64)), Sample(g.f(2, 4, dtype=np.float64))]),
    "torch.svd some=False": (torch_svd_invariants, [Sample(g.f(4, 3, dtype=np.float64), some=False)]),
    "qr": (qr_product, [Sample(g.f(4, 3, dtype=np.float64), mode="complete"),
                        Sample(g.f(3, 4, dtype=np.float64), mode="complete")]),
    "qr r": (la("qr"), [Sample(g.f(4, 3, dtype=np.float64), mode="r")]),
    "geqrf": (top("geqrf"), [Sample(g.f(4, 3, dtype=np.float64)), Sample(g.f(2, 3, 4, dtype=np.float64)),
                             Sample(np.array([[0.0, 1.0], [0.0, 2.0]]), name="zero-column")]),
    "matrix_rank": (la("matrix_rank"), [Sample(lowrank_input()), Sample(g.f(2, 3, 4, dtype=np.float64), atol=0.5),
                                        Sample(g.f(3, 3, dtype=np.float64), 0.8), Sample(sym(3), hermitian=True),
                                        Sample(g.f(3, 3, dtype=np.float64), atol=np.array(0.4), rtol=0.2)]),
    "lstsq rank-deficient": (la("lstsq"), [Sample(lowrank_input(), g.f(6, 2, dtype=np.float64), driver=d)
                                           for d in ("gelsy", "gelsd")]),
    "matrix_power int": (la("matrix_power"), [Sample(g.i(3, 3), 3), Sample(g.b(2, 2), 0)]),
    "multi_dot int": (lambda lib, *ts: lib.linalg.multi_dot(list(ts)), [Sample(g.i(3), g.i(3))]),
    "vander int": (top("vander"), [Sample(np.array([1, 2, 3])), Sample(np.array([True, False])),
                                   Sample(np.array([1, 2]), N=0)]),
    "linalg.vander int": (la("vander"), [Sample(np.array([1, 2, 3]))]),
    "cross int": (top("cross"), [Sample(g.i(2, 3), g.i(2, 3), dim=1)]),
    "inv_ex singular": (lambda lib, A: lib.linalg.inv_ex(A).info, [Sample(np.array([[[1.0, 0], [0, 1]],
                                                                                    [[1.0, 2], [2, 4]]]))]),
    "solve_ex singular": (lambda lib, A, B: lib.linalg.solve_ex(A, B).info, [Sample(np.zeros((2, 2)), np.ones(2))]),
    "cholesky_ex not positive-definite": (lambda lib, A: lib.linalg.cholesky_ex(A).info, [
        Sample(np.array([[[1.0, 2, 0], [2, 1, 0], [0, 0, 1]], [[4.0, 2, 0], [2, 3, 0], [0, 0, 1]],
                         [[1.0, 0, 0], [0, 1, 0], [0, 0, -1]]]))]),
    "lu_factor_ex singular": (lambda lib, A: lib.linalg.lu_factor_ex(A)[1:], [Sample(np.array([[1.0, 2], [2, 4]]))]),
    "ldl_factor": (la("ldl_factor"), [Sample(np.array([[4.0, 1, 2], [1, -3, 0], [2, 0, 1]])),
                                      Sample(np.array([[0.0, 1.0], [1.0, 0.0]], np.float32))]),
    "ldl_factor_ex": (la("ldl_factor_ex"), [Sample(np.zeros((2, 2)))]),
    "ldl_solve": (lambda lib, A, B: lib.linalg.ldl_solve(*lib.linalg.ldl_factor(A), B), [
        Sample(np.array([[4.0, 1, 2], [1, -3, 0], [2, 0, 1]]), g.f(3, 2, dtype=np.float64)),
        Sample(np.stack([sym(3), sym(3)]), g.f(3, 1, dtype=np.float64))]),
    # torch's backward of these fails in torch itself (an in-place write it then detects): values only
    "cond": (la("cond"), [Sample(well(3), p) for p in ("fro", INF, -1)] + [Sample(np.ones((2, 2)), INF)]),
    "vander": (top("vander"), [Sample(g.f(3)), Sample(g.f(4), N=2, increasing=True),
                               Sample(np.array([0.0, 1.5, -2.0]), N=4)]),
    "empty": (lambda lib, A: (lib.linalg.det(A), lib.linalg.inv(A), lib.linalg.cholesky_ex(A).info),
              [Sample(np.zeros((2, 0, 0)))]),
}

VALUE_CASES = [(name, i) for name, (_, samples) in VALUES.items() for i in range(len(samples))]


@pytest.mark.parametrize("name,i", VALUE_CASES, ids=[f"{n}-{i}" for n, i in VALUE_CASES])
def test_values(name, i):
    fn, samples = VALUES[name]
    compare_call(fn, samples[i], rtol=1e-5, atol=1e-6)


def test_lowrank_reconstruction():
    """The randomized methods are exact for a matrix of rank ≤ q (ptjax's random draw is not torch's)."""
    rng = np.random.default_rng(1)
    data = rng.standard_normal((6, 2)) @ rng.standard_normal((2, 5))
    ptjax.manual_seed(0)
    A = ptjax.tensor(data)
    U, S, V = ptjax.svd_lowrank(A, q=3)
    np.testing.assert_allclose(np.asarray(U @ ptjax.diag(S) @ V.T), data, atol=1e-9)
    U, S, V = ptjax.pca_lowrank(A, q=3)
    np.testing.assert_allclose(np.asarray(U @ ptjax.diag(S) @ V.T), data - data.mean(0), atol=1e-9)
    ref = torch.pca_lowrank(torch.tensor(data), q=3)[1]
    np.testing.assert_allclose(np.asarray(S)[:2], ref.numpy()[:2], rtol=1e-8)


# ---- named tuples, aliases, methods -------------------------------------------------------------------------------

NAMED = [
    ("slogdet", ("sign", "logabsdet"), lambda lib, A: lib.linalg.slogdet(A)),
    ("torch.slogdet", ("sign", "logabsdet"), lambda lib, A: lib.slogdet(A)),
    ("svd", ("U", "S", "Vh"), lambda lib, A: lib.linalg.svd(A)),
    ("torch.svd", ("U", "S", "V"), lambda lib, A: lib.svd(A)),
    ("eigh", ("eigenvalues", "eigenvectors"), lambda lib, A: lib.linalg.eigh(A)),
    ("eig", ("eigenvalues", "eigenvectors"), lambda lib, A: lib.linalg.eig(A)),
    ("qr", ("Q", "R"), lambda lib, A: lib.linalg.qr(A)),
    ("inv_ex", ("inverse", "info"), lambda lib, A: lib.linalg.inv_ex(A)),
    ("solve_ex", ("result", "info"), lambda lib, A: lib.linalg.solve_ex(A, A)),
    ("cholesky_ex", ("L", "info"), lambda lib, A: lib.linalg.cholesky_ex(A)),
    ("lu", ("P", "L", "U"), lambda lib, A: lib.linalg.lu(A)),
    ("lu_factor", ("LU", "pivots"), lambda lib, A: lib.linalg.lu_factor(A)),
    ("lu_factor_ex", ("LU", "pivots", "info"), lambda lib, A: lib.linalg.lu_factor_ex(A)),
    ("lu_unpack", ("P", "L", "U"), lambda lib, A: lib.lu_unpack(*lib.linalg.lu_factor(A))),
    ("ldl_factor_ex", ("LD", "pivots", "info"), lambda lib, A: lib.linalg.ldl_factor_ex(A)),
    ("lstsq", ("solution", "residuals", "rank", "singular_values"), lambda lib, A: lib.linalg.lstsq(A, A)),
    ("geqrf", ("a", "tau"), lambda lib, A: lib.geqrf(A)),
]


@pytest.mark.parametrize("name,fields,fn", NAMED, ids=[n for n, _, _ in NAMED])
def test_named_tuples(name, fields, fn):
    A = spd(3)
    ref, got = fn(torch, torch.tensor(A)), fn(ptjax, ptjax.tensor(A))
    if name != "torch.slogdet":  # (one entry with linalg.slogdet: its tuple is linalg_slogdet)
        assert type(got).__name__ == type(ref).__name__
        assert repr(got).split("(")[0] == repr(ref).split("(")[0]
    for f in fields:
        r, p = getattr(ref, f), getattr(got, f)
        assert tuple(p.shape) == tuple(r.shape) and str(p.dtype) == str(r.dtype), f


def test_aliases_share_one_entry():
    L = ptjax.linalg
    assert L.det.op is ptjax.det.op and L.slogdet.op is ptjax.slogdet.op
    assert L.inv.op is ptjax.inverse.op and L.householder_product.op is ptjax.orgqr.op
    assert L.matrix_exp.op is ptjax.matrix_exp.op and L.matrix_power.op is ptjax.matrix_power.op
    assert L.matmul is ptjax.matmul
    for name in ("det", "slogdet", "logdet", "inverse", "pinverse", "matrix_exp", "matrix_power", "svd",
                 "cholesky_solve", "cholesky_inverse", "geqrf", "orgqr", "ormqr", "cross"):
        assert hasattr(ptjax.Tensor, name) == hasattr(torch.Tensor, name), name
    A = ptjax.tensor(well(3), requires_grad=True)
    assert ptjax.linalg.det(A).grad_fn.name() == torch.linalg.det(torch.tensor(well(3), requires_grad=True)
                                                                     ).grad_fn.name()


def test_multivariate_normal_uses_public_entries():
    """MultivariateNormal factors its covariance with linalg.cholesky and solves with linalg.solve_triangular."""
    cov, x = spd(3), g.f(2, 3, dtype=np.float64)
    p = ptjax.tensor(cov, requires_grad=True)
    got = ptjax.distributions.MultivariateNormal(ptjax.zeros(3, dtype=ptjax.float64), covariance_matrix=p)
    ref = torch.distributions.MultivariateNormal(torch.zeros(3, dtype=torch.float64),
                                                 covariance_matrix=torch.tensor(cov))
    assert got._unbroadcasted_scale_tril.grad_fn.name() == "LinalgCholeskyExBackward0"
    np.testing.assert_allclose(np.asarray(got.log_prob(ptjax.tensor(x)).detach()),
                               ref.log_prob(torch.tensor(x)).numpy(), rtol=1e-12)


# ---- errors (torch's messages) ------------------------------------------------------------------------------------

SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])
NOT_PD = np.array([[[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.0], [0.0, -1.0]]])
I64, F16 = np.ones((2, 2), np.int64), np.eye(2, dtype=np.float16)

ERRORS = [
    (la("inv"), Sample(SINGULAR)), (la("inv"), Sample(np.stack([np.eye(2), SINGULAR]))), (la("inv"), Sample(I64)),
    (la("inv"), Sample(F16)), (la("inv"), Sample(np.ones((2, 3)))), (la("inv"), Sample(np.ones(3))),
    (top("inverse"), Sample(SINGULAR)),
    (lambda lib, A: lib.linalg.inv_ex(A, check_errors=True), Sample(np.zeros((2, 2)))),
    (la("det"), Sample(I64)), (la("det"), Sample(F16)), (la("det"), Sample(np.ones((2, 3)))),
    (la("slogdet"), Sample(F16)), (top("logdet"), Sample(I64)),
    (la("cholesky"), Sample(NOT_PD)), (la("cholesky"), Sample(I64)), (la("cholesky"), Sample(F16)),
    (lambda lib, A: lib.linalg.cholesky_ex(A, check_errors=True), Sample(np.zeros((2, 2)))),
    (la("solve"), Sample(SINGULAR, np.ones(2))), (la("solve"), Sample(np.zeros((2, 2, 2)), np.ones((2, 2)))),
    (la("solve"), Sample(np.eye(2), np.ones(3))), (la("solve"), Sample(np.eye(2, dtype=np.float32), np.ones(2))),
    (la("solve"), Sample(I64, I64)), (la("solve"), Sample(np.ones(2), np.ones(2))),
    (lambda lib, A, B: lib.linalg.solve_ex(A, B, check_errors=True), Sample(np.zeros((2, 2)), np.ones(2))),
    (la("solve_triangular"), Sample(np.eye(2), np.ones(2), upper=False)),
    (la("solve_triangular"), Sample(np.eye(2), np.ones((3, 1)), upper=True)),
    (la("solve_triangular"), Sample(I64, I64, upper=True)),
    (top("cholesky_solve"), Sample(np.ones((3, 1)), np.eye(2))),
    (top("cholesky_solve"), Sample(np.ones((2, 1), np.float32), np.eye(2))),
    (top("cholesky_solve"), Sample(np.ones(2), np.eye(2))), (top("cholesky_inverse"), Sample(np.ones((2, 3)))),
    (la("lu_factor"), Sample(SINGULAR)), (la("lu_factor"), Sample(np.zeros((2, 2, 2)))),
    (la("lu_factor"), Sample(np.eye(2), pivot=False)), (la("lu_factor"), Sample(I64)),
    (la("lu_factor"), Sample(np.ones(2))), (la("lu"), Sample(np.eye(2), pivot=False)),
    (lambda lib, A: lib.linalg.lu_factor_ex(A, check_errors=True), Sample(np.zeros((2, 2)))),
    (lambda lib, A, p: lib.lu_unpack(A, p), Sample(np.eye(2), np.ones(2))),
    (lambda lib, A, B: lib.linalg.lu_solve(*lib.linalg.lu_factor(A), B), Sample(np.eye(3), np.ones((2, 1)))),
    (la("eigh"), Sample(np.eye(2), UPLO="X")), (la("eigh"), Sample(I64)), (la("eigh"), Sample(np.ones((2, 3)))),
    (la("eig"), Sample(I64)), (la("eig"), Sample(F16)),
    (la("svd"), Sample(np.eye(2), driver="gesvd")), (la("svd"), Sample(I64)), (la("svd"), Sample(np.ones(3))),
    (la("svdvals"), Sample(F16)), (la("qr"), Sample(np.eye(2), mode="bad")), (la("qr"), Sample(I64)),
    (la("pinv"), Sample(I64)), (la("pinv"), Sample(np.ones(3))), (top("pinverse"), Sample(F16)),
    (la("matrix_rank"), Sample(I64)), (la("matrix_rank"), Sample(np.ones(3))),
    (la("lstsq"), Sample(np.ones((3, 2)), np.ones((4, 1)))),
    (la("lstsq"), Sample(np.ones((3, 2)), np.ones((3, 1), np.float32))),
    (la("lstsq"), Sample(np.ones((3, 2)), np.ones((3, 1)), driver="bad")),
    (la("lstsq"), Sample(np.ones((3, 2)), np.ones((2, 3, 1)))), (la("lstsq"), Sample(I64, I64)),
    (la("vector_norm"), Sample(I64)), (la("vector_norm"), Sample(np.ones(0), INF)),
    (la("vector_norm"), Sample(np.ones((0, 3)), -INF, dim=0)),
    (la("vector_norm"), Sample(np.ones(2), dtype=ptjax_dtype("float32"))),
    (la("matrix_norm"), Sample(I64)), (la("matrix_norm"), Sample(np.ones(2))),
    (la("matrix_norm"), Sample(np.ones((2, 2)), 3)), (la("matrix_norm"), Sample(np.ones((2, 2)), dim=(0, 0))),
    (la("matrix_norm"), Sample(np.ones((2, 2)), dim=(0,))), (la("matrix_norm"), Sample(F16, 2)),
    (la("norm"), Sample(np.ones((2, 2, 2)), 2)), (la("norm"), Sample(np.ones((2, 2, 2)), dim=(0, 1, 2))),
    (la("norm"), Sample(np.ones(3), "fro")), (la("norm"), Sample(np.ones((2, 2)), 3)),
    (top("frobenius_norm"), Sample(np.ones(2, np.int64), (0,))), (top("nuclear_norm"), Sample(np.ones((1, 3),
                                                                                                      np.int64))),
    (la("cond"), Sample(np.ones((2, 3)), "fro")), (la("cond"), Sample(np.eye(2), 3)),
    (la("cond"), Sample(np.ones(3))), (la("cond"), Sample(I64)),
    (la("cross"), Sample(np.ones((2, 2)), np.ones((2, 2)))), (la("cross"), Sample(np.ones((2, 3)), np.ones(3))),
    (la("cross"), Sample(np.ones(3, np.float32), np.ones(3))), (top("cross"), Sample(np.ones((2, 2)),
                                                                                     np.ones((2, 2)))),
    (la("vecdot"), Sample(I64, I64)), (la("vecdot"), Sample(np.ones(2, np.float32), np.ones(2))),
    (lambda lib, *ts: lib.linalg.multi_dot(list(ts)), Sample(np.ones(2))),
    (lambda lib, *ts: lib.linalg.multi_dot(list(ts)), Sample(np.ones((2, 2, 2)), np.ones((2, 2)))),
    (lambda lib, *ts: lib.linalg.multi_dot(list(ts)), Sample(np.ones((2, 2)), np.ones(2), np.ones((2, 2)))),
    (lambda lib, *ts: lib.linalg.multi_dot(list(ts)), Sample(np.ones((2, 2), np.float32), np.ones((2, 2)))),
    (lambda lib, *ts: lib.linalg.multi_dot(list(ts)), Sample(np.ones((2, 2)), np.ones((3, 2)))),
    (top("vander"), Sample(np.ones((2, 2)))), (top("vander"), Sample(np.ones(3), N=-1)),
    (la("vander"), Sample(np.ones(3), N=1)), (la("vander"), Sample(np.array([True, False]))),
    (la("matrix_power"), Sample(np.ones((2, 3)), 2)), (la("matrix_power"), Sample(I64, -1)),
    (la("matrix_power"), Sample(SINGULAR, -1)), (la("matrix_exp"), Sample(I64)),
    (la("tensorinv"), Sample(np.ones((2, 3, 6)), ind=1)), (la("tensorinv"), Sample(np.ones((4, 2, 2)), ind=0)),
    (la("tensorsolve"), Sample(np.ones((2, 3, 4)), np.ones((2, 3)))),
    (la("householder_product"), Sample(np.ones((3, 2)), np.ones(3))),
    (la("householder_product"), Sample(np.ones((2, 3)), np.ones(2))),
    (la("householder_product"), Sample(np.ones(3), np.ones(2))),
    (la("householder_product"), Sample(np.ones((2, 3, 2)), np.ones((3, 2)))),
    (la("householder_product"), Sample(np.ones((3, 2), np.float32), np.ones(2))),
    (top("geqrf"), Sample(np.ones(2))), (top("geqrf"), Sample(I64)),
    (top("ormqr"), Sample(np.ones((3, 2)), np.ones(2), np.ones((2, 3)))),
    (la("ldl_factor"), Sample(np.ones((2, 3)))), (la("ldl_factor"), Sample(I64)),
    (lambda lib, A, B: lib.linalg.ldl_solve(*lib.linalg.ldl_factor(A), B), Sample(np.eye(2), np.ones((2, 1),
                                                                                                     np.float32))),
]


@pytest.mark.parametrize("fn,sample", ERRORS, ids=[f"{i}-{s!r}" for i, (_, s) in enumerate(ERRORS)])
def test_errors(fn, sample):
    compare_call(fn, sample, message=True)
