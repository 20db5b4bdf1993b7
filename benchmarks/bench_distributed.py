"""Distributed benchmarks (issue #13): all-reduce time and DDP step time on 1, 2 and 4 processes of this machine.

For each world size the same worker code runs three ways, each started by its own launcher:

* **ptjax**: ``dist.all_reduce`` and a DistributedDataParallel training step, written in torch's API;
* **torch** (gloo, 1 thread per process, when installed): the very same code on real torch, under torchrun;
* **jax**: in the ptjax workers, the hand-written JAX equivalent: a jitted ``shard_map`` ``psum`` over the same
  mesh, and one jitted SPMD step (forward, backward, ``psum`` of the gradients, SGD) over the same MLP.

The MLP is 784-512-512-10 (0.67 M parameters, 2.7 MB of gradients), batch 64 per rank, SGD(momentum=0.9).
Every rank runs a fixed number of calls per round (collectives must match across ranks), rounds separated by a
barrier; the figure is the median over rounds of (round time / calls). Launch overhead is not timed.

Run: ``python benchmarks/bench_distributed.py`` (``--worlds 1 2``, ``--quick``).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SIZES = {"all_reduce 4 KB": 1024, "all_reduce 4 MB": 1 << 20}


def timed(fn, sync, calls, rounds, barrier):
    """Median seconds per call of ``fn`` over ``rounds`` rounds of ``calls`` calls (after a warm-up round)."""
    per_call = []
    for r in range(rounds + 1):
        barrier()
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        sync()
        if r:
            per_call.append((time.perf_counter() - t0) / calls)
    return statistics.median(per_call)


def mlp(lib):
    nn = lib.nn
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))


def measure(lib, calls, rounds):
    """The torch-API contenders, on ``lib`` (ptjax or torch). Returns {name: seconds per call}."""
    import numpy as np
    dist = lib.distributed
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    sync = (lambda t: t._value.block_until_ready()) if lib.__name__ == "ptjax" else (lambda t: None)
    results = {}
    for name, n in SIZES.items():
        x = lib.ones(n)
        results[name] = timed(lambda x=x: dist.all_reduce(x), lambda x=x: sync(x), calls, rounds, dist.barrier)
    lib.manual_seed(0)
    model = lib.nn.parallel.DistributedDataParallel(mlp(lib))
    optimizer = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    g = np.random.default_rng(rank)
    x = lib.tensor(g.standard_normal((64, 784)).astype(np.float32))
    y = lib.tensor(g.integers(0, 10, 64))

    def step():
        optimizer.zero_grad()
        lib.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    last = list(model.parameters())[-1]
    results["DDP step"] = timed(step, lambda: sync(last), calls, rounds, dist.barrier)
    return rank, results


def measure_jax(calls, rounds):
    """Hand-written JAX on the ptjax workers' runtime: the same collectives and step as one jitted program each."""
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax
    from jax.sharding import Mesh, NamedSharding
    from jax.sharding import PartitionSpec as P

    import ptjax.distributed as dist
    world = dist.group.WORLD
    mesh = Mesh(np.array(world.devices), ("rank",))
    shard = NamedSharding(mesh, P("rank"))
    n = world.size()

    def global_of(local):
        return jax.make_array_from_single_device_arrays((n * local.shape[0],) + local.shape[1:], shard,
                                                        [jax.device_put(local, world.device)])

    results = {}
    psum = jax.jit(jax.shard_map(lambda v: jax.lax.psum(v, "rank"), mesh=mesh, in_specs=P("rank"),
                                 out_specs=P("rank")))
    for name, size in SIZES.items():
        state = [global_of(jnp.ones(size))]

        def reduce_once(state=state):
            state[0] = psum(state[0])

        results[name] = timed(reduce_once, lambda state=state: state[0].block_until_ready(), calls, rounds,
                              dist.barrier)

    keys = jax.random.split(jax.random.key(0), 3)
    sizes = [(784, 512), (512, 512), (512, 10)]
    params = [(jax.random.normal(k, s, jnp.float32) * 0.03, jnp.zeros(s[1], jnp.float32))
              for k, s in zip(keys, sizes)]
    replicated = NamedSharding(mesh, P())
    tx = optax.sgd(0.01, momentum=0.9)

    def loss_fn(p, x, y):
        h = x
        for i, (w, b) in enumerate(p):
            h = h @ w + b
            h = jax.nn.relu(h) if i < len(p) - 1 else h
        return optax.softmax_cross_entropy_with_integer_labels(h, y).mean()

    def local_step(p, opt_state, x, y):
        grads = jax.tree.map(lambda gr: jax.lax.psum(gr, "rank") / n, jax.grad(loss_fn)(p, x, y))
        updates, opt_state = tx.update(grads, opt_state, p)
        return optax.apply_updates(p, updates), opt_state

    step = jax.jit(jax.shard_map(local_step, mesh=mesh, in_specs=(P(), P(), P("rank"), P("rank")),
                                 out_specs=(P(), P()), check_vma=False))
    g = np.random.default_rng(world.rank())
    x = global_of(jnp.asarray(g.standard_normal((64, 784)), jnp.float32))
    y = global_of(jnp.asarray(g.integers(0, 10, 64), jnp.int32))
    rep = jax.make_array_from_process_local_data
    state = [jax.tree.map(lambda a: rep(replicated, np.asarray(a)), params)]
    state.append(jax.tree.map(lambda a: rep(replicated, np.asarray(a)), tx.init(params)))

    def jax_step():
        state[0], state[1] = step(state[0], state[1], x, y)

    results["DDP step"] = timed(jax_step, lambda: jax.block_until_ready(state[0]), calls, rounds, dist.barrier)
    return results


def worker(lib_name, calls, rounds):
    if lib_name == "torch":
        import torch
        torch.set_num_threads(1)
        rank, results = measure(torch, calls, rounds)
        out = {"torch": results}
    else:
        import ptjax
        rank, results = measure(ptjax, calls, rounds)
        out = {"ptjax": results, "jax": measure_jax(calls, rounds)}
    if rank == 0:
        print("RESULT " + json.dumps(out), flush=True)


def launch(launcher, world, calls, rounds, lib_name):
    cmd = [sys.executable, "-m", launcher, "--standalone", f"--nproc-per-node={world}", __file__, "--worker",
           lib_name, "--calls", str(calls), "--rounds", str(rounds)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (REPO, os.environ.get("PYTHONPATH")) if p),
               JAX_PLATFORMS="cpu")
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1800, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT "):])


def fmt(seconds):
    return "—" if seconds is None else f"{seconds * 1e3:8.3f} ms"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--worlds", type=int, nargs="+", default=[1, 2, 4])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--worker", choices=["ptjax", "torch"])
    p.add_argument("--calls", type=int, default=10)
    p.add_argument("--rounds", type=int, default=7)
    args = p.parse_args()
    if args.worker:
        return worker(args.worker, args.calls, args.rounds)
    calls, rounds = (4, 3) if args.quick else (args.calls, args.rounds)
    try:
        import torch  # noqa: F401
        have_torch = True
    except ImportError:
        have_torch = False
    print(f"{os.cpu_count()} CPU cores; medians of {rounds} rounds x {calls} calls per rank\n")
    print(f"{'world':>5}  {'what':<16} {'ptjax':>11} {'torch':>11} {'jax':>11}  {'ptjax/torch':>11} {'ptjax/jax':>9}")
    for world in args.worlds:
        got = launch("ptjax.distributed.run", world, calls, rounds, "ptjax")
        if have_torch:
            got.update(launch("torch.distributed.run", world, calls, rounds, "torch"))
        for what in list(SIZES) + ["DDP step"]:
            pt, th, jx = (got.get(k, {}).get(what) for k in ("ptjax", "torch", "jax"))
            ratio_t = f"{pt / th:11.2f}" if th else f"{'—':>11}"
            print(f"{world:>5}  {what:<16} {fmt(pt)} {fmt(th)} {fmt(jx)}  {ratio_t} {pt / jx:9.2f}", flush=True)


if __name__ == "__main__":
    main()
