"""ptjax.compile benchmarks (issue #12): a compiled whole training step against a hand-written jax.jit + optax step.

Models are written once in torch's API; the hand-written JAX steps compute the same thing. Timed in one process,
medians of interleaved rounds (``_util.median_times``):

1. MLP 784-128-10, batch 64, SGD(momentum=0.9);
2. the MNIST CNN of the PyTorch examples (the ``Net`` of ``examples/mnist.py``), batch 64, Adadelta, its step
   exactly as the example's ``--compile`` path builds it (the example with --compile against eager, per step and
   per 938-step epoch; MNIST itself is not needed);
3. a small Transformer LM (vocab 1000, d 128, 4 heads, 2 layers, ffn 512, seq 64, batch 16), AdamW.

Per model: steady ms/step of ptjax compiled, hand-written, ptjax eager; and the first call of each (ptjax's traces
the step twice — the first trace finds the state — makes the first-step optimizer state and compiles; the
hand-written step's traces and compiles). Targets: steady <= 1.05x and first call <= 1.5x the hand-written step.

Run: ``python benchmarks/bench_compile.py [mlp cnn lm] [--quick]``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "examples"))
from _util import fmt, median_times  # noqa: E402

import ptjax  # noqa: E402
import ptjax.nn as nn  # noqa: E402
import ptjax.nn.functional as F  # noqa: E402

V, D, H, L, S, B_LM = 1000, 128, 4, 2, 64, 16


# ---- the models, in torch's API --------------------------------------------------------------------------------

def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))


class LM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, D)
        self.enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, 4 * D, dropout=0.0, batch_first=True), L)
        self.head = nn.Linear(D, V)

    def forward(self, x):
        return self.head(self.enc(self.emb(x)))


def ptjax_case(name, rng):
    """(model, step function, batch) for ptjax; the step is the tutorial's (the MNIST example's for the CNN)."""
    if name == "mlp":
        model = mlp()
        opt = ptjax.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        x = ptjax.tensor(rng.standard_normal((64, 1, 28, 28)).astype(np.float32))
        y = ptjax.tensor(rng.integers(0, 10, 64))

        def step(x, y):
            opt.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss
        return model, step, (x, y)
    if name == "cnn":
        import mnist
        model = mnist.Net()
        opt = ptjax.optim.Adadelta(model.parameters(), lr=1.0)
        x = ptjax.tensor(rng.standard_normal((64, 1, 28, 28)).astype(np.float32))
        y = ptjax.tensor(rng.integers(0, 10, 64))
        return model, mnist.make_step(model, opt, False), (x, y)
    model = LM()
    opt = ptjax.optim.AdamW(model.parameters(), lr=1e-4)
    x = ptjax.tensor(rng.integers(0, V, (B_LM, S)))
    y = ptjax.tensor(rng.integers(0, V, (B_LM, S)))

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x).reshape(-1, V), y.reshape(-1))
        loss.backward()
        opt.step()
        return loss
    return model, step, (x, y)


# ---- the hand-written JAX steps --------------------------------------------------------------------------------

def _uniform(key, shape, fan):
    b = 1 / np.sqrt(fan)
    return jax.random.uniform(key, shape, jnp.float32, -b, b)


def _layer_norm(x, g, b):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / jnp.sqrt(v + 1e-5) * g + b


def jax_case(name, rng):
    """A jitted step ``(params, opt_state, key) -> (params, opt_state, key, loss)`` and its initial state."""
    ks = iter(jax.random.split(jax.random.PRNGKey(0), 64))
    dn = ("NCHW", "OIHW", "NCHW")
    if name in ("mlp", "cnn"):
        x = jnp.asarray(rng.standard_normal((64, 1, 28, 28)).astype(np.float32))
        y = jnp.asarray(rng.integers(0, 10, 64))
    if name == "mlp":
        p = {"w1": _uniform(next(ks), (128, 784), 784), "b1": _uniform(next(ks), (128,), 784),
             "w2": _uniform(next(ks), (10, 128), 128), "b2": _uniform(next(ks), (10,), 128)}

        def loss_fn(p, key):
            h = jax.nn.relu(x.reshape(64, -1) @ p["w1"].T + p["b1"])
            out = jax.nn.log_softmax(h @ p["w2"].T + p["b2"])
            return -jnp.take_along_axis(out, y[:, None], 1).mean()
        tx = optax.sgd(0.01, momentum=0.9)
    elif name == "cnn":
        p = {"c1": _uniform(next(ks), (32, 1, 3, 3), 9), "cb1": _uniform(next(ks), (32,), 9),
             "c2": _uniform(next(ks), (64, 32, 3, 3), 288), "cb2": _uniform(next(ks), (64,), 288),
             "w1": _uniform(next(ks), (128, 9216), 9216), "b1": _uniform(next(ks), (128,), 9216),
             "w2": _uniform(next(ks), (10, 128), 128), "b2": _uniform(next(ks), (10,), 128)}

        def loss_fn(p, key):
            h = jax.nn.relu(jax.lax.conv_general_dilated(x, p["c1"], (1, 1), "VALID", dimension_numbers=dn)
                            + p["cb1"][:, None, None])
            h = jax.nn.relu(jax.lax.conv_general_dilated(h, p["c2"], (1, 1), "VALID", dimension_numbers=dn)
                            + p["cb2"][:, None, None])
            h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
            k1, k2 = jax.random.split(key)
            h = jnp.where(jax.random.bernoulli(k1, 0.75, h.shape), h / 0.75, 0)
            h = jax.nn.relu(h.reshape(64, -1) @ p["w1"].T + p["b1"])
            h = jnp.where(jax.random.bernoulli(k2, 0.5, h.shape), h / 0.5, 0)
            out = jax.nn.log_softmax(h @ p["w2"].T + p["b2"])
            return -jnp.take_along_axis(out, y[:, None], 1).mean()
        tx = optax.adadelta(1.0, rho=0.9, eps=1e-6)
    else:
        x = jnp.asarray(rng.integers(0, V, (B_LM, S)))
        y = jnp.asarray(rng.integers(0, V, (B_LM, S)))
        p = {"emb": jax.random.normal(next(ks), (V, D), jnp.float32), "hw": _uniform(next(ks), (V, D), D),
             "hb": _uniform(next(ks), (V,), D), "layers": []}
        for _ in range(L):
            p["layers"].append({
                "qkv_w": _uniform(next(ks), (3 * D, D), D), "qkv_b": jnp.zeros(3 * D, jnp.float32),
                "o_w": _uniform(next(ks), (D, D), D), "o_b": jnp.zeros(D, jnp.float32),
                "f1_w": _uniform(next(ks), (4 * D, D), D), "f1_b": _uniform(next(ks), (4 * D,), D),
                "f2_w": _uniform(next(ks), (D, 4 * D), 4 * D), "f2_b": _uniform(next(ks), (D,), 4 * D),
                "g1": jnp.ones(D, jnp.float32), "b1": jnp.zeros(D, jnp.float32),
                "g2": jnp.ones(D, jnp.float32), "b2": jnp.zeros(D, jnp.float32)})

        def loss_fn(p, key):
            h = p["emb"][x]
            for q in p["layers"]:
                qkv = h @ q["qkv_w"].T + q["qkv_b"]
                qh, kh, vh = (t.reshape(B_LM, S, H, D // H).transpose(0, 2, 1, 3) for t in jnp.split(qkv, 3, -1))
                a = jax.nn.softmax(qh @ kh.transpose(0, 1, 3, 2) / np.sqrt(D // H), -1) @ vh
                a = a.transpose(0, 2, 1, 3).reshape(B_LM, S, D) @ q["o_w"].T + q["o_b"]
                h = _layer_norm(h + a, q["g1"], q["b1"])
                f = jax.nn.relu(h @ q["f1_w"].T + q["f1_b"]) @ q["f2_w"].T + q["f2_b"]
                h = _layer_norm(h + f, q["g2"], q["b2"])
            out = jax.nn.log_softmax(h @ p["hw"].T + p["hb"])
            return -jnp.take_along_axis(out.reshape(-1, V), y.reshape(-1, 1), 1).mean()
        tx = optax.adamw(1e-4, weight_decay=0.01)

    @jax.jit
    def step(p, st, key):
        key, sub = jax.random.split(key)
        loss, g = jax.value_and_grad(loss_fn)(p, sub)
        upd, st = tx.update(g, st, p)
        return optax.apply_updates(p, upd), st, key, loss

    state = [p, tx.init(p), jax.random.PRNGKey(1)]

    def run():
        state[0], state[1], state[2], loss = step(*state)
        return loss
    return run, lambda: jax.block_until_ready(state[0])


# ---- measuring -------------------------------------------------------------------------------------------------

def first_calls(name):
    """Seconds of the first call: (ptjax, ptjax's second call, hand-written)."""
    rng = np.random.default_rng(0)
    ptjax.manual_seed(0)
    model, step, batch = ptjax_case(name, rng)
    compiled = ptjax.compile(step)
    t0 = time.perf_counter()
    compiled(*batch).item()
    t1 = time.perf_counter()
    compiled(*batch).item()
    t2 = time.perf_counter()
    run, sync = jax_case(name, np.random.default_rng(0))
    t3 = time.perf_counter()
    float(run())
    t4 = time.perf_counter()
    return (t1 - t0, t2 - t1, t4 - t3), (model, compiled, step, batch), (run, sync)


def bench(name, quick):
    (ours, ours_compile, theirs), (model, compiled, eager, batch), (run, sync) = first_calls(name)

    def psync():
        next(model.parameters())._value.block_until_ready()
    contenders = {"ptjax compiled": (lambda: compiled(*batch), psync), "jax.jit + optax": (run, sync),
                  "ptjax eager": (lambda: eager(*batch), psync)}
    min_time = {"mlp": 1.0, "cnn": 4.0, "lm": 4.0}[name] / (3 if quick else 1)
    r = median_times(contenders, repeats=5 if quick else 9, min_time=min_time)
    print(f"\n{name}: steady time per step (medians of interleaved rounds)")
    for k, v in r.items():
        print(f"   {k:18s} {fmt(v)}")
    print(f"   ptjax compiled / jax.jit + optax = {r['ptjax compiled'] / r['jax.jit + optax']:.2f}x  (target <= 1.05x)")
    print(f"   ptjax eager / ptjax compiled     = {r['ptjax eager'] / r['ptjax compiled']:.2f}x")
    print(f"{name}: first call (trace + compile + run)")
    print(f"   ptjax compiled     {fmt(ours)}   (second call {fmt(ours_compile)})")
    print(f"   jax.jit + optax    {fmt(theirs)}")
    print(f"   ratio {ours / theirs:.2f}x  (target <= 1.5x)")
    if name == "cnn":
        epoch = 60000 / 64
        print(f"examples/mnist.py step, projected to one 938-step epoch: --compile "
              f"{r['ptjax compiled'] * epoch:.0f} s, eager {r['ptjax eager'] * epoch:.0f} s "
              f"({r['ptjax eager'] / r['ptjax compiled']:.2f}x)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="*", default=["mlp", "cnn", "lm"])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}")
    for name in args.models:
        bench(name, args.quick)


if __name__ == "__main__":
    main()
