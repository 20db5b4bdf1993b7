"""Core benchmarks (issue: Tensor, op table, autograd).

1. Eager overhead of one small op (``add`` on shape (4,)): ptjax vs raw ``jax.numpy`` vs torch.
2. Eager training step of an MLP 784-128-10, batch 64: forward, ``backward()``, hand-written SGD under
   ``no_grad``: ptjax vs torch eager (1 thread) vs the same step hand-written in JAX under ``jax.jit``.
3. Backward compilations: 200 steady steps after warm-up; and a graph whose depth varies at random among 4.
4. Memory: live JAX arrays and RSS over 2,000 steps (ptjax), RSS for the same loop in torch.

Run: ``python benchmarks/bench_core.py`` (``--quick`` for fewer repeats).
"""
from __future__ import annotations

import argparse
import gc
import os
import random
import sys

import jax
import jax.numpy as jnp
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from _util import fmt, median_times, try_import_torch  # noqa: E402

import ptjax  # noqa: E402
from ptjax._stats import STATS  # noqa: E402


def rss_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    return float("nan")


def bench_small_op(torch):
    a = jnp.ones(4, jnp.float32)
    b = jnp.ones(4, jnp.float32)
    pa, pb = ptjax.ones(4), ptjax.ones(4)
    fns = {"jnp.add": lambda: jnp.add(a, b), "ptjax add": lambda: pa + pb}
    if torch:
        ta, tb = torch.ones(4), torch.ones(4)
        fns["torch add"] = lambda: ta + tb
    return median_times(fns)


def mlp_data(seed=0):
    rng = np.random.default_rng(seed)
    w1 = (rng.standard_normal((784, 128)) * 0.05).astype(np.float32)
    b1 = np.zeros(128, np.float32)
    w2 = (rng.standard_normal((128, 10)) * 0.05).astype(np.float32)
    b2 = np.zeros(10, np.float32)
    x = rng.standard_normal((64, 784)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    return (w1, b1, w2, b2), x, y


def mlp_step(lib):
    """The MLP step written once in torch's API; ``lib`` is ptjax or torch. Returns (step, sync)."""
    params, x, y = mlp_data()
    ps = [lib.tensor(p, requires_grad=True) for p in params]
    X = lib.tensor(x)
    onehot = lib.tensor(np.eye(10, dtype=np.float32)[y])
    lr = 0.01

    def step():
        w1, b1, w2, b2 = ps
        h = (X @ w1 + b1).relu()
        logits = h @ w2 + b2
        logp = logits - logits.logsumexp(1, keepdim=True)
        loss = -(logp * onehot).sum() / 64
        loss.backward()
        with lib.no_grad():
            for p in ps:
                p -= lr * p.grad
                p.grad = None
        return loss
    return step, lambda: ps[0].detach().numpy()


def jax_mlp_step():
    params, x, y = mlp_data()
    params = [jnp.asarray(p) for p in params]
    X, onehot = jnp.asarray(x), jnp.asarray(np.eye(10, dtype=np.float32)[y])

    def loss_fn(ps):
        w1, b1, w2, b2 = ps
        h = jax.nn.relu(X @ w1 + b1)
        logits = h @ w2 + b2
        logp = logits - jax.nn.logsumexp(logits, 1, keepdims=True)
        return -(logp * onehot).sum() / 64

    @jax.jit
    def update(ps):
        loss, g = jax.value_and_grad(loss_fn)(ps)
        return [p - 0.01 * gp for p, gp in zip(ps, g)], loss

    state = [params]

    def step():
        state[0], loss = update(state[0])
        return loss
    return step, lambda: state[0][0].block_until_ready()


def bench_mlp(torch):
    fns = {"ptjax eager": mlp_step(ptjax), "jax.jit": jax_mlp_step()}
    if torch:
        fns["torch eager"] = mlp_step(torch)
    return median_times(fns, repeats=15, min_time=1.5)


def bench_recompiles(torch):
    step, _ = mlp_step(ptjax)
    for _ in range(5):
        step()
    before = dict(STATS)
    for _ in range(200):
        step()
    steady = {k: STATS[k] - before[k] for k in STATS}

    rng = random.Random(0)
    w = ptjax.randn(32, 32, requires_grad=True)
    x = ptjax.randn(16, 32)

    def varying():
        h = x
        for _ in range(rng.choice([1, 2, 3, 4])):
            h = (h @ w).tanh()
        h.sum().backward()
        w.grad = None

    before = dict(STATS)
    for _ in range(200):
        varying()
    varied = {k: STATS[k] - before[k] for k in STATS}
    res = {"steady": steady, "varying": varied}
    fns = {"varying step": varying}
    if torch:
        tw = torch.randn(32, 32, requires_grad=True)
        tx = torch.randn(16, 32)

        def tvarying():
            h = tx
            for _ in range(rng.choice([1, 2, 3, 4])):
                h = (h @ tw).tanh()
            h.sum().backward()
            tw.grad = None
        fns["torch varying step"] = tvarying
    res.update(median_times(fns, repeats=15, min_time=1.5))
    return res


def live_arrays():
    return len(jax.live_arrays())


def bench_memory(torch, steps=2000):
    step, _ = mlp_step(ptjax)
    for _ in range(20):
        step()
    gc.collect()
    a0, r0 = live_arrays(), rss_mb()
    for _ in range(steps):
        step()
    gc.collect()
    a1, r1 = live_arrays(), rss_mb()
    res = {"live arrays before": a0, "live arrays after": a1, "ptjax RSS MB before": r0, "ptjax RSS MB after": r1}
    if torch:
        tstep, _ = mlp_step(torch)
        for _ in range(20):
            tstep()
        t0 = rss_mb()
        for _ in range(steps):
            tstep()
        res["torch RSS growth MB"] = rss_mb() - t0
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    torch = try_import_torch()
    torch_version = "absent" if torch is None else torch.__version__
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}; torch {torch_version}")

    r = bench_small_op(torch)
    print("\n1. one small op, add on shape (4,) (median per call)")
    for k, v in r.items():
        print(f"   {k:12s} {fmt(v)}")
    print(f"   ptjax / jnp = {r['ptjax add'] / r['jnp.add']:.2f}x   (target <= 1.3x)")

    r = bench_mlp(torch)
    print("\n2. MLP 784-128-10, batch 64: forward + backward + SGD (median per step)")
    for k, v in r.items():
        print(f"   {k:12s} {fmt(v)}")
    if "torch eager" in r:
        print(f"   ptjax / torch eager = {r['ptjax eager'] / r['torch eager']:.2f}x   (target <= 1.5x)")
    print(f"   ptjax / jax.jit     = {r['ptjax eager'] / r['jax.jit']:.2f}x")

    r = bench_recompiles(torch)
    print("\n3. compilations")
    print(f"   200 steady MLP steps after warm-up: {r['steady']}")
    print(f"   200 steps, depth random in 1..4:    {r['varying']}")
    line = f"   varying-depth step: ptjax {fmt(r['varying step'])}"
    if "torch varying step" in r:
        ratio = r["varying step"] / r["torch varying step"]
        line += f", torch {fmt(r['torch varying step'])}, ratio {ratio:.2f}x (target <= 3x)"
    print(line)

    r = bench_memory(torch, steps=500 if args.quick else 2000)
    print("\n4. memory over the MLP loop")
    for k, v in r.items():
        print(f"   {k:22s} {v:.1f}" if isinstance(v, float) else f"   {k:22s} {v}")


if __name__ == "__main__":
    main()
