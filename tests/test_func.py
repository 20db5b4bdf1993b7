"""ptjax.func against torch.func: the same numpy inputs and weights into both, values compared."""
import numpy as np
import pytest

import ptjax
import ptjax.nn as nn
import ptjax.nn.functional as F
from ptjax import func

torch = pytest.importorskip("torch")
tfunc = torch.func
RNG = np.random.default_rng(0)


def arr(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def both(a):
    return ptjax.tensor(a), torch.tensor(a)


def close(ours, theirs, tol=1e-5):
    if isinstance(theirs, (tuple, list)):
        assert len(ours) == len(theirs)
        for o, t in zip(ours, theirs):
            close(o, t, tol)
    elif isinstance(theirs, dict):
        assert list(ours) == list(theirs)  # same keys in the same order
        for k in theirs:
            close(ours[k], theirs[k], tol)
    else:
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=tol, atol=tol)


def twin_mlp():
    """The same small MLP in both libraries (ptjax's weights copied from torch's)."""
    tm = torch.nn.Sequential(torch.nn.Linear(5, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    m = nn.Sequential(nn.Linear(5, 8), nn.Tanh(), nn.Linear(8, 3))
    m.load_state_dict({k: ptjax.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    return m, tm


def test_grad_vjp_jvp_jacobians_hessian():
    x, tx = both(arr(4))
    y, ty = both(arr(4))

    def f(lib):
        return lambda a, b: (lib.sin(a) * b).sum() + (a * a).sum()
    close(func.grad(f(ptjax))(x, y), tfunc.grad(f(torch))(tx, ty))
    close(func.grad(f(ptjax), argnums=(0, 1))(x, y), tfunc.grad(f(torch), argnums=(0, 1))(tx, ty))
    g, (v, aux) = func.grad_and_value(lambda a: (f(ptjax)(a, y), a.cos()), has_aux=True)(x)
    tg, (tv, taux) = tfunc.grad_and_value(lambda a: (f(torch)(a, ty), a.cos()), has_aux=True)(tx)
    close([g, v, aux], [tg, tv, taux])

    def h(lib):
        return lambda a: lib.tanh(a) * a.sum()
    out, fn = func.vjp(h(ptjax), x)
    tout, tfn = tfunc.vjp(h(torch), tx)
    close([out, fn(y)[0]], [tout, tfn(ty)[0]])
    close(func.jvp(h(ptjax), (x,), (y,)), tfunc.jvp(h(torch), (tx,), (ty,)))
    close(func.jacrev(h(ptjax))(x), tfunc.jacrev(h(torch))(tx))
    close(func.jacfwd(h(ptjax))(x), tfunc.jacfwd(h(torch))(tx))
    close(func.hessian(lambda a: (a.sin() * a).sum())(x), tfunc.hessian(lambda a: (a.sin() * a).sum())(tx))


def test_vmap_in_dims_out_dims():
    x, tx = both(arr(3, 4))
    w, tw = both(arr(4, 3))
    close(func.vmap(lambda a, b: a @ b, in_dims=(0, None))(x, w),
          tfunc.vmap(lambda a, b: a @ b, in_dims=(0, None))(tx, tw))
    close(func.vmap(lambda a: a * 2, in_dims=1, out_dims=1)(x), tfunc.vmap(lambda a: a * 2, in_dims=1, out_dims=1)(tx))
    close(func.vmap(func.vmap(lambda a: a.sum()))(x), tfunc.vmap(tfunc.vmap(lambda a: a.sum()))(tx))


def test_vmap_randomness():
    x = ptjax.ones(4, 6)
    with pytest.raises(RuntimeError) as ours:
        func.vmap(lambda a: F.dropout(a, 0.5))(x)
    with pytest.raises(RuntimeError) as theirs:
        tfunc.vmap(lambda a: torch.nn.functional.dropout(a, 0.5))(torch.ones(4, 6))
    assert str(ours.value) == str(theirs.value)
    same = func.vmap(lambda a: F.dropout(a, 0.5), randomness="same")(x).numpy()
    assert (same == same[0]).all()
    diff = func.vmap(lambda a: F.dropout(a, 0.5), randomness="different")(x).numpy()
    assert not (diff == diff[0]).all() and set(np.unique(diff)) <= {0.0, 2.0}


def test_per_sample_gradients_tutorial():
    """torch.func's per-sample-gradient recipe: vmap(grad(loss of functional_call)) over the batch."""
    m, tm = twin_mlp()
    xb, txb = both(arr(6, 5))
    yb = RNG.integers(0, 3, 6)

    def per_sample(lib, fn, model, x, y):
        params = {k: v.detach() for k, v in model.named_parameters()}

        def loss(p, xi, yi):
            out = fn.functional_call(model, p, (xi.unsqueeze(0),))
            return lib.nn.functional.cross_entropy(out, yi.unsqueeze(0))
        return fn.vmap(fn.grad(loss), in_dims=(None, 0, 0))(params, x, y)
    close(per_sample(ptjax, func, m, xb, ptjax.tensor(yb)), per_sample(torch, tfunc, tm, txb, torch.tensor(yb)))


def test_model_ensembling_tutorial():
    pairs = [twin_mlp() for _ in range(3)]
    params, buffers = func.stack_module_state([p[0] for p in pairs])
    tparams, tbuffers = tfunc.stack_module_state([p[1] for p in pairs])
    close(params, tparams)
    assert all(v.requires_grad and v.is_leaf for v in params.values())
    x, tx = both(arr(2, 5))
    base = pairs[0][0]
    tbase = pairs[0][1]
    ours = func.vmap(lambda p, b, a: func.functional_call(base, (p, b), (a,)), in_dims=(0, 0, None))(params, buffers, x)
    theirs = tfunc.vmap(lambda p, b, a: tfunc.functional_call(tbase, (p, b), (a,)), in_dims=(0, 0, None))(
        tparams, tbuffers, tx)
    close(ours, theirs)


def test_functional_call_restores_and_checks_keys():
    m, tm = twin_mlp()
    zeros = {k: ptjax.zeros_like(v) for k, v in m.named_parameters()}
    x = ptjax.ones(1, 5)
    assert func.functional_call(m, zeros, x).abs().sum().item() == 0.0
    assert m(x).abs().sum().item() != 0.0   # the module's own parameters are back
    with pytest.raises(RuntimeError) as ours:
        func.functional_call(m, {"0.weight": zeros["0.weight"]}, x, strict=True)
    with pytest.raises(RuntimeError) as theirs:
        tfunc.functional_call(tm, {"0.weight": torch.zeros(8, 5)}, torch.ones(1, 5), strict=True)
    assert str(ours.value) == str(theirs.value)
