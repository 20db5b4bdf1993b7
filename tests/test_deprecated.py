"""torch's deprecated functions that still work (torch.qr, torch.cholesky, torch.lu, torch.lu_solve,
torch.triangular_solve, torch.chain_matmul, torch.range, torch.set_default_tensor_type) against torch: values,
return types, gradients, and the deprecation warning."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ptjax  # noqa: E402
from _ops_harness import assert_same_value  # noqa: E402

R = np.random.default_rng(0)
SPD = (lambda a: a @ a.T + 4 * np.eye(4))(R.standard_normal((4, 4))).astype(np.float64)
TRI = np.triu(R.standard_normal((4, 4))) + 3 * np.eye(4)
B = R.standard_normal((4, 2))

CALLS = {
    "qr": lambda m, a, b: m.qr(a),
    "qr_complete": lambda m, a, b: m.qr(a[:, :3], some=False),
    "qr_method": lambda m, a, b: a.qr(),
    "cholesky": lambda m, a, b: m.cholesky(a),
    "cholesky_upper": lambda m, a, b: a.cholesky(upper=True),
    "lu": lambda m, a, b: m.lu(a),
    "lu_infos": lambda m, a, b: m.lu(a, get_infos=True),
    "lu_solve": lambda m, a, b: m.lu_solve(b, *m.lu(a)),
    "triangular_solve": lambda m, a, b: m.triangular_solve(b, m.triu(a)),
    "triangular_solve_lower_t": lambda m, a, b: m.triangular_solve(b, m.tril(a), upper=False, transpose=True),
    "triangular_solve_unit": lambda m, a, b: b.triangular_solve(m.triu(a), unitriangular=True),
    "chain_matmul": lambda m, a, b: m.chain_matmul(a, a, b),
    "chain_matmul_one": lambda m, a, b: m.chain_matmul(a),
}


def _run(lib, name, grad=False):
    a = lib.tensor(TRI if "triangular" in name else SPD, requires_grad=grad)
    b = lib.tensor(B, requires_grad=grad)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = CALLS[name](lib, a, b)
    return out, [str(w.message) for w in caught if issubclass(w.category, UserWarning)], a


@pytest.mark.parametrize("name", sorted(CALLS))
def test_matches_torch(name):
    ref, ref_warnings, _ = _run(torch, name)
    got, got_warnings, _ = _run(ptjax, name)
    assert type(got).__name__ == type(ref).__name__
    if isinstance(ref, tuple) and hasattr(ref, "_fields"):
        assert repr(got).split("(")[0] == repr(ref).split("(")[0]
    assert_same_value(ref, got, rtol=1e-10, atol=1e-10)
    # ptjax warns at every call (Python's filters show it once per call site); torch warns once per process
    assert got_warnings, "no deprecation warning"
    for message in ref_warnings:
        assert message.split(" (Triggered internally at")[0] in got_warnings


@pytest.mark.parametrize("name", ["qr", "cholesky", "lu_solve", "triangular_solve", "chain_matmul"])
def test_gradients_match_torch(name):
    grads = []
    for lib in (torch, ptjax):
        out, _, a = _run(lib, name, grad=True)
        first = out[0] if isinstance(out, tuple) else out
        (first * lib.arange(first.numel(), dtype=first.dtype).reshape(first.shape)).sum().backward()
        grads.append(a.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("args,kwargs", [((0, 1, 0.3), {}), ((1, 4), {"dtype": "int64"}), ((5, 1, -2), {}),
                                         ((0.5, 2.0, 0.25), {"dtype": "float64"})])
def test_range(args, kwargs):
    def run(m):
        kw = {k: getattr(m, v) if k == "dtype" else v for k, v in kwargs.items()}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return m.range(*args, **kw)
    assert_same_value(run(torch), run(ptjax), rtol=0, atol=0)


def test_range_zero_step():
    for m in (torch, ptjax):
        with warnings.catch_warnings(), pytest.raises(RuntimeError, match="step must be nonzero"):
            warnings.simplefilter("ignore")
            m.range(0, 3, 0)


def test_set_default_tensor_type():
    try:
        for t in ("torch.DoubleTensor", ptjax.FloatTensor):
            with pytest.warns(UserWarning, match="set_default_tensor_type"):
                ptjax.set_default_tensor_type(t)
            assert ptjax.randn(1).dtype is ptjax.get_default_dtype()
        assert ptjax.get_default_dtype() is ptjax.float32
        for bad in ("torch.LongTensor", "torch.cuda.FloatTensor", "torch.Foo"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with pytest.raises(Exception) as ref:
                    torch.set_default_tensor_type(bad)
                with pytest.raises(Exception) as got:
                    ptjax.set_default_tensor_type(bad)
            assert type(got.value) is type(ref.value) and str(got.value) == str(ref.value)
    finally:
        ptjax.set_default_dtype(ptjax.float32)
        ptjax.set_default_device("cpu")
