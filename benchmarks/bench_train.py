"""Training-loop benchmarks (issue: nn, optim, utils.data).

The same tutorial code — ``optimizer.zero_grad(); loss.backward(); optimizer.step()`` — runs on ptjax and on
torch (1 thread) through the ``lib`` argument, and a hand-written ``jax.jit`` + optax step is timed in the same
process:

1. MLP 784-128-10, batch 64, SGD(momentum=0.9) and Adam: whole step, and ``optimizer.step()`` alone vs the
   hand-written optax update.
2. The MNIST CNN of the PyTorch examples (conv 1→32, conv 32→64, max-pool, dropout, fc 9216→128, dropout,
   fc 128→10, log_softmax, nll_loss), batch 64, Adadelta.

Run: ``python benchmarks/bench_train.py`` (``--quick`` for fewer repeats, ``--skip-cnn``).
"""
from __future__ import annotations

import argparse
import os
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax

sys.path.insert(0, os.path.dirname(__file__))
from _util import fmt, median_times, try_import_torch  # noqa: E402

import ptjax  # noqa: E402


def mlp(lib):
    nn = lib.nn

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            return self.fc2(lib.relu(self.fc1(x)))
    return MLP()


def cnn(lib):
    nn, F = lib.nn, lib.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 32, 3, 1)
            self.conv2 = nn.Conv2d(32, 64, 3, 1)
            self.dropout1 = nn.Dropout(0.25)
            self.dropout2 = nn.Dropout(0.5)
            self.fc1 = nn.Linear(9216, 128)
            self.fc2 = nn.Linear(128, 10)

        def forward(self, x):
            x = F.relu(self.conv2(F.relu(self.conv1(x))))
            x = self.dropout1(F.max_pool2d(x, 2))
            x = self.dropout2(F.relu(self.fc1(lib.flatten(x, 1))))
            return F.log_softmax(self.fc2(x), dim=1)
    return Net()


def tutorial_step(lib, model, optimizer, x, y, loss_fn):
    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss
    return step


def make(lib, kind, opt, x_np, y_np):
    model = mlp(lib) if kind == "mlp" else cnn(lib)
    if opt == "sgd":
        optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    elif opt == "adam":
        optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    else:
        optimizer = lib.optim.Adadelta(model.parameters(), lr=1.0)
    x, y = lib.tensor(x_np), lib.tensor(y_np)
    F = lib.nn.functional
    loss_fn = F.cross_entropy if kind == "mlp" else F.nll_loss
    return model, optimizer, tutorial_step(lib, model, optimizer, x, y, loss_fn)


# ---- hand-written JAX ------------------------------------------------------------------------------------------

def jax_params(kind, rng):
    def lin(i, o):
        b = 1 / np.sqrt(i)
        return [jnp.asarray(rng.uniform(-b, b, (o, i)).astype(np.float32)),
                jnp.asarray(rng.uniform(-b, b, o).astype(np.float32))]
    if kind == "mlp":
        return lin(784, 128) + lin(128, 10)

    def conv(i, o):
        b = 1 / np.sqrt(i * 9)
        return [jnp.asarray(rng.uniform(-b, b, (o, i, 3, 3)).astype(np.float32)),
                jnp.asarray(rng.uniform(-b, b, o).astype(np.float32))]
    return conv(1, 32) + conv(32, 64) + lin(9216, 128) + lin(128, 10)


def jax_forward(kind, ps, x, key):
    if kind == "mlp":
        w1, b1, w2, b2 = ps
        return jax.nn.relu(x @ w1.T + b1) @ w2.T + b2
    c1, cb1, c2, cb2, w1, b1, w2, b2 = ps
    dn = ("NCHW", "OIHW", "NCHW")
    h = jax.nn.relu(jax.lax.conv_general_dilated(x, c1, (1, 1), "VALID", dimension_numbers=dn)
                    + cb1[None, :, None, None])
    h = jax.nn.relu(jax.lax.conv_general_dilated(h, c2, (1, 1), "VALID", dimension_numbers=dn)
                    + cb2[None, :, None, None])
    h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    k1, k2 = jax.random.split(key)
    h = jnp.where(jax.random.bernoulli(k1, 0.75, h.shape), h / 0.75, 0)
    h = jax.nn.relu(h.reshape(h.shape[0], -1) @ w1.T + b1)
    h = jnp.where(jax.random.bernoulli(k2, 0.5, h.shape), h / 0.5, 0)
    return jax.nn.log_softmax(h @ w2.T + b2)


def jax_step(kind, opt, x_np, y_np):
    rng = np.random.default_rng(0)
    ps = jax_params(kind, rng)
    tx = {"sgd": optax.sgd(0.01, momentum=0.9), "adam": optax.adam(1e-3), "adadelta": optax.adadelta(1.0)}[opt]
    state = [ps, tx.init(ps), jax.random.key(0)]
    x, y = jnp.asarray(x_np), jnp.asarray(y_np)

    def loss_fn(ps, key):
        out = jax_forward(kind, ps, x, key)
        logp = jax.nn.log_softmax(out) if kind == "mlp" else out
        return -jnp.mean(jnp.take_along_axis(logp, y[:, None], 1))

    @jax.jit
    def step(ps, s, key):
        key, sub = jax.random.split(key)
        loss, g = jax.value_and_grad(loss_fn)(ps, sub)
        upd, s = tx.update(g, s, ps)
        return optax.apply_updates(ps, upd), s, key, loss

    @jax.jit
    def update_only(ps, s, g):
        upd, s = tx.update(g, s, ps)
        return optax.apply_updates(ps, upd), s

    def run():
        state[0], state[1], state[2], loss = step(*state)
        return loss

    grads = jax.tree_util.tree_map(jnp.ones_like, ps)

    def run_update():
        state[0], state[1] = update_only(state[0], state[1], grads)

    return run, run_update, lambda: state[0][0].block_until_ready()


def bench(kind, opt, torch, batch=64):
    rng = np.random.default_rng(0)
    shape = (batch, 784) if kind == "mlp" else (batch, 1, 28, 28)
    x_np = rng.standard_normal(shape).astype(np.float32)
    y_np = rng.integers(0, 10, batch)
    model, optimizer, step = make(ptjax, kind, opt, x_np, y_np)
    sync = lambda: model.parameters().__next__()._value.block_until_ready()  # noqa: E731
    run, run_update, jsync = jax_step(kind, opt, x_np, y_np)
    steps = {"ptjax eager": (step, sync), "jax.jit": (run, jsync)}
    if torch:
        _, toptimizer, tstep = make(torch, kind, opt, x_np, y_np)
        steps["torch eager"] = tstep
    if kind != "mlp":
        return median_times(steps, repeats=5, min_time=5.0)
    # tutorials that log ``running_loss += loss.item()`` wait for every step's result before the next
    synced = {"ptjax eager + loss.item()": lambda: step().item()}
    updates = {"ptjax optimizer.step()": (optimizer.step, sync), "optax update": (run_update, jsync)}
    if torch:
        synced["torch eager + loss.item()"] = lambda: tstep().item()
        updates["torch optimizer.step()"] = toptimizer.step
    return {**median_times(steps, repeats=15, min_time=1.5), **median_times(synced, repeats=15, min_time=1.5),
            **median_times(updates, repeats=15, min_time=1.0)}


def report(title, r, targets):
    print(f"\n{title}")
    for k, v in r.items():
        print(f"   {k:28s} {fmt(v)}")
    for num, den, target in targets:
        if num in r and den in r:
            goal = f"target <= {target}x" if target else "no target"
            print(f"   {num} / {den} = {r[num] / r[den]:.2f}x   ({goal})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-cnn", action="store_true")
    args = ap.parse_args()
    torch = try_import_torch()
    torch_version = "absent" if torch is None else torch.__version__
    print(f"jax {jax.__version__} on {jax.devices()[0].platform}; torch {torch_version}")
    for opt in ("sgd", "adam"):
        r = bench("mlp", opt, torch)
        report(f"MLP 784-128-10, batch 64, {'SGD(momentum=0.9)' if opt == 'sgd' else 'Adam'} (median per step)", r,
               [("ptjax eager", "torch eager", 1.5), ("ptjax optimizer.step()", "optax update", 1.2),
                ("ptjax eager + loss.item()", "torch eager + loss.item()", None)])
    if not args.skip_cnn:
        r = bench("cnn", "adadelta", torch)
        report("MNIST CNN, batch 64, Adadelta (median per step)", r,
               [("ptjax eager", "jax.jit", 1.3), ("ptjax eager", "torch eager", None)])


if __name__ == "__main__":
    main()
