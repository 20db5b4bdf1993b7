"""torch.autograd beyond backward/grad, against torch: autograd.functional (vjp, jvp, jacobian, hessian, vhp, hvp),
gradcheck/gradgradcheck, Variable, anomaly mode, forward_ad, the saved-tensor hook managers, the profiler."""
import warnings

import numpy as np
import pytest

T = pytest.importorskip("torch")

import ptjax as P  # noqa: E402
from _ops_harness import to_numpy  # noqa: E402

RNG = np.random.default_rng(0)
X0 = RNG.standard_normal((2, 3))
Y0 = RNG.standard_normal(3)
V3 = RNG.standard_normal(3)


def two_in_two_out(x, y):
    return (x * y.sin()).sum(0), x.exp() @ y


def scalar_fn(x):
    return (x ** 3).sum() * x.sum()


def vector_fn(x):
    return x.exp() * x.sum()


def _same(a, b):
    """Same structure (tuples) and values; b from ptjax, a from torch."""
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
        return
    assert isinstance(b, P.Tensor)
    assert tuple(b.shape) == tuple(a.shape)
    np.testing.assert_allclose(to_numpy(b), to_numpy(a.detach()), rtol=1e-10, atol=1e-12)


def _both(fn_name, func, inputs, *args, **kw):
    def conv(lib, v):
        return tuple(lib.tensor(a) for a in v) if isinstance(v, tuple) else lib.tensor(v)
    t = getattr(T.autograd.functional, fn_name)(func, conv(T, inputs), *[conv(T, a) for a in args], **kw)
    p = getattr(P.autograd.functional, fn_name)(func, conv(P, inputs), *[conv(P, a) for a in args], **kw)
    _same(t, p)
    return t, p


@pytest.mark.parametrize("case", [
    ("jacobian", two_in_two_out, (X0, Y0)), ("jacobian", vector_fn, Y0), ("jacobian", vector_fn, (Y0,)),
    ("hessian", scalar_fn, Y0), ("hessian", lambda x, y: (x * y).sum() * y.sum(), (Y0, Y0 * 2)),
    ("vjp", vector_fn, Y0, V3), ("jvp", vector_fn, Y0, V3), ("vhp", scalar_fn, Y0, V3), ("hvp", scalar_fn, Y0, V3),
    ("vjp", two_in_two_out, (X0, Y0), (Y0, np.ones(2))), ("jvp", two_in_two_out, (X0, Y0), (X0, Y0)),
], ids=lambda c: c[0])
def test_functional_matches_torch(case):
    _both(*case)


def test_functional_options_match_torch():
    # create_graph: the results stay differentiable, and their gradients agree
    res = []
    for lib in (T, P):
        x = lib.tensor(Y0, requires_grad=True)
        jac = lib.autograd.functional.jacobian(vector_fn, x, create_graph=True)
        (g,) = lib.autograd.grad(jac.sum(), x)
        res.append(to_numpy(g))
    np.testing.assert_allclose(res[1], res[0], rtol=1e-10)
    _both("jacobian", vector_fn, Y0, vectorize=True)
    _both("jacobian", vector_fn, Y0, vectorize=True, strategy="forward-mode")
    _both("hessian", scalar_fn, Y0, create_graph=True)
    # strict mode and argument errors: torch's exceptions and messages
    cases = [
        ("jacobian", lambda x, y: x * 2, (Y0, Y0), dict(strict=True)),
        ("vjp", lambda x: x.detach() * 2, Y0, dict(strict=True)),
        ("vjp", vector_fn, Y0, {}),
        ("jvp", vector_fn, Y0, dict(v=np.ones(2))),
        ("hvp", vector_fn, Y0, dict(v=V3)),
        ("jacobian", vector_fn, Y0, dict(strategy="forward-mode")),
        ("jacobian", vector_fn, Y0, dict(strategy="sideways")),
        ("hessian", lambda x: x * x, Y0, {}),
    ]
    for fn_name, func, inputs, kw in cases:
        errors = []
        for lib in (T, P):
            kw2 = {k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
            ins = tuple(lib.tensor(a) for a in inputs) if isinstance(inputs, tuple) else lib.tensor(inputs)
            with pytest.raises(Exception) as info:
                getattr(lib.autograd.functional, fn_name)(func, ins, **kw2)
            errors.append((type(info.value), str(info.value)))
        assert errors[1] == errors[0], fn_name
    with pytest.raises(TypeError, match="The inputs given to vjp must be either a Tensor or a tuple of Tensors"):
        P.autograd.functional.vjp(vector_fn, [P.tensor(Y0)])


def test_gradcheck_and_gradgradcheck_match_torch():
    for lib in (T, P):
        ins = (lib.tensor(X0[:, :2], requires_grad=True), lib.tensor(Y0[:2], requires_grad=True))
        assert lib.autograd.gradcheck(two_in_two_out, ins)
        assert lib.autograd.gradgradcheck(lambda x: (x * x.sin()).sum(), ins[1:])
    messages = []
    for lib in (T, P):
        y = lib.tensor(Y0, requires_grad=True)
        with pytest.raises(RuntimeError) as info:
            lib.autograd.gradcheck(lambda x: x.detach() * 2 + x, (y,))
        messages.append((type(info.value).__name__, str(info.value)))
        assert lib.autograd.gradcheck(lambda x: x.detach() * 2 + x, (y,), raise_exception=False) is False
        with pytest.raises(ValueError) as info:
            lib.autograd.gradcheck(lambda x: x * 2, (lib.tensor(Y0),))
        messages.append(str(info.value))
        with pytest.warns(UserWarning) as record:
            lib.autograd.gradcheck(lambda x: x * 2, (lib.tensor(Y0.astype(np.float32), requires_grad=True),),
                                   atol=1e-2, rtol=1e-2, eps=1e-3)
        messages.append(str(record[0].message))
    assert messages[3:] == messages[:3]


def test_variable_is_a_tensor():
    for lib in (T, P):
        V = lib.autograd.Variable
        t = lib.ones(2)
        v = V(t, requires_grad=True)
        assert type(v) is lib.Tensor and v.requires_grad and v.is_leaf and isinstance(t, V)
        assert not isinstance([1.0], V)
        with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
            V([1.0])
        with pytest.warns(UserWarning, match="volatile was removed and now has no effect"):
            V(t, volatile=True)
    from ptjax.autograd.variable import Variable
    assert Variable is P.autograd.Variable


def test_anomaly_and_engine_switches():
    for lib in (T, P):
        ag = lib.autograd
        with pytest.warns(UserWarning, match="Anomaly Detection has been enabled"):
            with ag.detect_anomaly(check_nan=False):
                assert lib.is_anomaly_enabled() if hasattr(lib, "is_anomaly_enabled") else True
                x = lib.ones(2, requires_grad=True)
                (x * 2).sum().backward()
        ag.set_detect_anomaly(True)
        ag.set_detect_anomaly(False)
        with ag.set_multithreading_enabled(False):
            pass
        with ag.enforce_grad_layout_policy(False):
            pass
    from ptjax.autograd import anomaly_mode
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with P.autograd.detect_anomaly():
            assert anomaly_mode.is_anomaly_enabled() and anomaly_mode.is_anomaly_check_nan_enabled()
    assert not anomaly_mode.is_anomaly_enabled()


def test_forward_ad_matches_torch():
    out = []
    for lib in (T, P):
        fw = lib.autograd.forward_ad
        with fw.dual_level():
            x = fw.make_dual(lib.tensor(Y0), lib.tensor(V3))
            w = fw.make_dual(lib.tensor(X0), lib.tensor(np.ones_like(X0)))
            y = (w @ x.sin()).exp()
            primal, tangent = fw.unpack_dual(y)
            assert fw.unpack_dual(lib.tensor(Y0)).tangent is None
            out.append((to_numpy(primal.detach()), to_numpy(tangent), to_numpy(fw.unpack_dual(x).tangent)))
            with pytest.raises(RuntimeError, match="different size than that of the original Tensor"):
                fw.make_dual(lib.ones(2), lib.ones(3))
        with pytest.raises(RuntimeError, match="no level exists"):
            fw.make_dual(lib.ones(2), lib.ones(2))
    for a, b in zip(*out):
        np.testing.assert_allclose(b, a, rtol=1e-10)


def test_saved_tensors_hooks_and_profiler(tmp_path):
    for lib in (T, P):
        graph = lib.autograd.graph
        x = lib.tensor(Y0, requires_grad=True)
        with graph.saved_tensors_hooks(lambda t: t, lambda t: t), graph.save_on_cpu():
            (x * x).sum().backward()
        np.testing.assert_allclose(to_numpy(x.grad), 2 * Y0)
        with graph.disable_saved_tensors_hooks("no hooks here"):
            with pytest.raises(RuntimeError, match="no hooks here"):
                with graph.saved_tensors_hooks(lambda t: t, lambda t: t):
                    pass
        with graph.saved_tensors_hooks(lambda t: t, lambda t: t):   # re-enabled after the block
            pass
    prof_mod = P.autograd.profiler
    with prof_mod.profile() as prof:
        for _ in range(2):
            with prof_mod.record_function("matmul"):
                (P.ones(3, 3) @ P.ones(3, 3)).sum().item()
    averages = prof.key_averages()
    assert [(a.key, a.count) for a in averages] == [("matmul", 2)]
    assert "matmul" in prof.table(sort_by="cpu_time_total")
    prof.export_chrome_trace(str(tmp_path / "trace.json"))
    assert (tmp_path / "trace.json").read_text().count('"matmul"') == 2
