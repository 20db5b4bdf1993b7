"""Differential helpers for the ``ptjax.nn`` tests: run the same call on torch and on ptjax from the same NumPy
inputs, compare values and gradients (of every floating input that takes part)."""
from __future__ import annotations

import numpy as np

import ptjax
from _ops_harness import assert_same_value, to_numpy

try:
    import torch
except ImportError:  # pragma: no cover - test modules skip themselves
    torch = None


class NoGrad:
    """Wraps an array that should become a tensor without ``requires_grad``."""

    def __init__(self, a):
        self.a = a


def _convert(v, lib, grads, tag):
    if isinstance(v, NoGrad):
        return _convert(v.a, lib, None, tag)
    if isinstance(v, np.ndarray):
        rg = grads is not None and v.dtype.kind == "f"
        if lib == "torch":
            t = torch.tensor(v, requires_grad=rg)
        else:
            t = ptjax.tensor(v, requires_grad=rg)
        if rg:
            grads.append((tag, t))
        return t
    if isinstance(v, (list, tuple)) and v and all(isinstance(x, np.ndarray) for x in v):
        return type(v)(_convert(x, lib, grads, f"{tag}[{i}]") for i, x in enumerate(v))
    return v


def run_both(pfn, tfn, *args, grad=True, **kwargs):
    """(ptjax result, torch result, ptjax grads, torch grads)."""
    out = {}
    for lib, fn in (("ptjax", pfn), ("torch", tfn)):
        grads = [] if grad else None
        a = [_convert(v, lib, grads, f"arg{i}") for i, v in enumerate(args)]
        kw = {k: _convert(v, lib, grads, k) for k, v in kwargs.items()}
        res = fn(*a, **kw)
        out[lib] = (res, grads or [])
    return out["ptjax"][0], out["torch"][0], out["ptjax"][1], out["torch"][1]


def assert_close(p, t, rtol=1e-5, atol=1e-6, what=""):
    """ptjax's ``p`` against torch's ``t``: same dtype and shape, close values (the nn tests' tolerances)."""
    assert_same_value(t, p, rtol, atol, what)


def compare(pfn, tfn, *args, grad=True, rtol=1e-5, atol=1e-6, seed=0, **kwargs):
    """Values equal; then backward of ``sum(out * g)`` for a fixed random ``g`` gives equal input gradients."""
    p, t, pg, tg = run_both(pfn, tfn, *args, grad=grad, **kwargs)
    assert_close(p, t, rtol, atol, "value")
    if grad and tg and t.requires_grad:
        g = np.random.default_rng(seed).standard_normal(tuple(t.shape)).astype(to_numpy(t).dtype)
        t.backward(torch.tensor(g))
        p.backward(ptjax.tensor(g))
        for (name, pt), (_, tt) in zip(pg, tg):
            if tt.grad is None:
                assert pt.grad is None or np.allclose(to_numpy(pt.grad), 0), f"grad of {name}"
                continue
            assert pt.grad is not None, f"no grad for {name}"
            assert_close(pt.grad, tt.grad, rtol, atol, f"grad of {name}")
    return p, t


def same_error(pfn, tfn, *args, **kwargs):
    """Both raise; same exception type and message. Returns the message."""
    errs = []
    for lib, fn in (("ptjax", pfn), ("torch", tfn)):
        a = [_convert(v, lib, None, "") for v in args]
        kw = {k: _convert(v, lib, None, k) for k, v in kwargs.items()}
        try:
            fn(*a, **kw)
        except Exception as e:  # noqa: BLE001
            errs.append(e)
        else:
            raise AssertionError(f"{lib} did not raise")
    pe, te = errs
    assert type(pe).__name__ == type(te).__name__, (pe, te)
    assert str(pe) == str(te), f"\nptjax: {pe}\ntorch: {te}"
    return str(te)


def load_from_torch(p, t):
    res = p.load_state_dict({k: ptjax.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    assert not res.missing_keys and not res.unexpected_keys


def check_layer(expr, inputs, grad_inputs=True, rtol=1e-5, atol=1e-5, eval_too=True):
    """``expr`` is evaluated with ``nn`` bound to each library (or called as ``expr(nn, lib)``); torch's initial state
    is loaded into ptjax's module; ``inputs`` are NumPy arrays (floats get grads). Outputs, input gradients and
    parameter gradients are compared in train mode, then again in eval mode."""
    tnn, pnn = torch.nn, ptjax.nn
    if callable(expr):
        t, p = expr(tnn, torch), expr(pnn, ptjax)
    else:
        t = eval(expr, {"nn": tnn, "torch": torch})
        p = eval(expr, {"nn": pnn, "torch": ptjax})
    assert repr(p) == repr(t)
    load_from_torch(p, t)
    for mode in ("train", "eval") if eval_too else ("train",):
        getattr(t, mode)(), getattr(p, mode)()
        t.zero_grad(), p.zero_grad()
        assert p.training == t.training
        tin = [torch.tensor(a, requires_grad=grad_inputs and a.dtype.kind == "f") for a in inputs]
        pin = [ptjax.tensor(a, requires_grad=grad_inputs and a.dtype.kind == "f") for a in inputs]
        to, po = t(*tin), p(*pin)
        assert_close(po, to, rtol, atol, f"{mode} output")
        if to.requires_grad:
            g = np.random.default_rng(1).standard_normal(tuple(to.shape)).astype(to_numpy(to).dtype)
            to.backward(torch.tensor(g))
            po.backward(ptjax.tensor(g))
            for i, (a, b) in enumerate(zip(pin, tin)):
                if b.grad is not None:
                    assert_close(a.grad, b.grad, rtol, atol, f"{mode} grad of input {i}")
            tp = dict(t.named_parameters())
            for name, prm in p.named_parameters():
                if tp[name].grad is None:
                    assert prm.grad is None or not to_numpy(prm.grad).any(), name
                else:
                    assert_close(prm.grad, tp[name].grad, rtol, atol, f"{mode} grad of {name}")
        tb = dict(t.named_buffers())
        for name, buf in p.named_buffers():
            assert_close(buf, tb[name], rtol, atol, f"{mode} buffer {name}")
    return p, t
