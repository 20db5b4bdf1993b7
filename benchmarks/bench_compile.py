"""ptjax.compile benchmarks (issue #12): a compiled whole training step against a hand-written jax.jit + optax step.

Models are written once in torch's API; the hand-written JAX steps compute the same thing. Steady steps are timed
in one process, in interleaved rounds (medians and ranges of wall and CPU time); first calls each in a fresh
process, alternating which goes first:

1. MLP 784-128-10, batch 64, SGD(momentum=0.9);
2. the MNIST CNN of the PyTorch examples (the ``Net`` of ``examples/mnist.py``), batch 64, Adadelta, its step
   exactly as the example's ``--compile`` path builds it (the example with --compile against eager, per step and
   per 938-step epoch; MNIST itself is not needed);
3. a small Transformer LM (vocab 1000, d 128, 4 heads, 2 layers, ffn 512, seq 64, batch 16), AdamW.

Per model: steady ms/step of ptjax compiled, hand-written, ptjax eager; and the first call of each (ptjax's traces
the step — finding its state —, makes the first-step optimizer state and compiles; the hand-written step's traces
and compiles). Targets: steady <= 1.05x and first call <= 1.5x the hand-written step.

Run: ``python benchmarks/bench_compile.py [mlp cnn lm] [--quick]``.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

import jax
import jax.numpy as jnp
import numpy as np
import optax

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "examples"))

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

def rounds(contenders, *, repeats, min_time, warmup=3):
    """Per-round seconds per call, wall and process CPU time, for each contender; rounds interleaved.

    Like ``_util.median_times`` but returning every round (for medians and ranges) and the CPU time too: on a
    machine shared with other jobs the wall time mostly measures the share of the cores a process got, while
    its CPU time (all its threads) measures the work done."""
    runs = {}
    for name, (fn, sync) in contenders.items():
        for _ in range(warmup):
            fn()
        sync()
        number = 1
        while True:
            t0 = time.perf_counter()
            for _ in range(number):
                fn()
            sync()
            if time.perf_counter() - t0 >= min_time / repeats or number >= 1 << 16:
                break
            number *= 2
        runs[name] = (fn, sync, number, [], [])
    for _ in range(repeats):
        for fn, sync, number, wall, cpu in runs.values():
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(number):
                fn()
            sync()
            wall.append((time.perf_counter() - t0) / number)
            cpu.append((time.process_time() - c0) / number)
    return {name: (wall, cpu) for name, (_, _, _, wall, cpu) in runs.items()}


def first_call(name, which):
    """Wall and process CPU seconds of the first call of one step (trace + compile + run), in this fresh process:
    ``which`` is ``"ptjax"`` (``ptjax.compile`` of the tutorial's step) or ``"jax"`` (the hand-written step)."""
    if which == "ptjax":
        model, step, batch = ptjax_case(name, np.random.default_rng(0))
        compiled = ptjax.compile(step)

        def call():
            compiled(*batch).item()
    else:
        run, _ = jax_case(name, np.random.default_rng(0))

        def call():
            float(run())
    t0, c0 = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - t0, time.process_time() - c0


def first_calls(name, repeats):
    """First-call (wall, cpu) seconds of ptjax and the hand-written step, each in its own fresh process (so
    neither inherits the other's warm caches), alternating which goes first; ``repeats`` runs each."""
    out = {"ptjax": [], "jax": []}
    for r in range(repeats):
        for which in (("ptjax", "jax") if r % 2 == 0 else ("jax", "ptjax")):
            res = subprocess.run([sys.executable, __file__, "--first-call", name, which], check=True,
                                 capture_output=True, text=True)
            out[which].append(tuple(float(v) for v in res.stdout.split()[-2:]))
    return out


def _stats(values, unit=1.0):
    return statistics.median(values) / unit, min(values) / unit, max(values) / unit


def bench(name, quick):
    rng = np.random.default_rng(0)
    ptjax.manual_seed(0)
    model, eager, batch = ptjax_case(name, rng)
    compiled = ptjax.compile(eager)
    model2, eager2, batch2 = ptjax_case(name, np.random.default_rng(0))
    run, sync = jax_case(name, np.random.default_rng(0))

    def psync(m):
        return lambda: next(m.parameters())._value.block_until_ready()
    contenders = {"ptjax compiled": (lambda: compiled(*batch), psync(model)), "jax.jit + optax": (run, sync),
                  "ptjax eager": (lambda: eager2(*batch2), psync(model2))}
    min_time = {"mlp": 3.0, "cnn": 8.0, "lm": 8.0}[name] / (3 if quick else 1)
    r = rounds(contenders, repeats=5 if quick else 15, min_time=min_time)
    ms = 1e-3
    print(f"\n{name}: steady time per step, ms: median [min-max] of {len(r['ptjax compiled'][0])} interleaved rounds")
    for k, (wall, cpu) in r.items():
        print(f"   {k:18s} wall {fmt_range(_stats(wall, ms))}   cpu {fmt_range(_stats(cpu, ms))}")
    ours, theirs, eag = (r[k] for k in ("ptjax compiled", "jax.jit + optax", "ptjax eager"))
    for label, i in (("wall", 0), ("cpu", 1)):
        ratios = [a / b for a, b in zip(ours[i], theirs[i])]
        print(f"   {label:4s} ptjax compiled / jax.jit + optax = {fmt_range(_stats(ratios))}x per round "
              f"(target <= 1.05x);  eager / compiled = {statistics.median(eag[i]) / statistics.median(ours[i]):.2f}x")
    if name == "cnn":
        epoch = 60000 / 64
        print(f"   examples/mnist.py step, projected to one 938-step epoch: --compile "
              f"{statistics.median(ours[0]) * epoch:.0f} s, eager {statistics.median(eag[0]) * epoch:.0f} s (wall)")
    f = first_calls(name, 1 if quick else 5)
    print(f"{name}: first call (trace + compile + run), s: median [min-max], each in a fresh process")
    for i, label in ((0, "wall"), (1, "cpu")):
        ours, theirs = [v[i] for v in f["ptjax"]], [v[i] for v in f["jax"]]
        print(f"   {label:4s} ptjax compiled {fmt_range(_stats(ours))}   jax.jit + optax {fmt_range(_stats(theirs))}"
              f"   ratio of medians {statistics.median(ours) / statistics.median(theirs):.2f}x  (target <= 1.5x)")


def fmt_range(stats):
    med, lo, hi = stats
    return f"{med:7.3f} [{lo:.3f}-{hi:.3f}]"


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--first-call":
        print(*first_call(sys.argv[2], sys.argv[3]))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("models", nargs="*", default=["mlp", "cnn", "lm"])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}")
    for name in args.models:
        bench(name, args.quick)


if __name__ == "__main__":
    main()
