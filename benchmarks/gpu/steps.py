"""Training steps on one device, side by side in one process: ptjax eager, torch eager (CUDA), and a hand-written
``jax.jit`` + optax step (MLP and CNN). ``--dry-run``: on the CPU, batch 4 and a small LM, to check the script itself.

The models are written once in torch's API (``lib`` is ptjax or torch; MLP and CNN from ``bench_train.py``):
MLP 784-128-10 (batch 64, SGD momentum), the MNIST CNN (batch 64, Adadelta), a Transformer LM (4 layers, d 512,
8 heads, ffn 2048, seq 128, batch 32, AdamW). Steady milliseconds per step are medians of interleaved rounds; each
contender's first step (its compilation) is timed on its own. All float32 products run at full precision (torch's
default, which ptjax sets for JAX: the hand-written step follows it too).

    python benchmarks/gpu/steps.py [mlp cnn lm] [--device cuda] [--budget 1.0] [--dry-run]

Prints a table and one ``RESULT {json}`` line per model (read by ``report.py``).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE), os.path.dirname(os.path.dirname(HERE))]
from _util import median_times  # noqa: E402
from bench_train import cnn, jax_step, mlp, tutorial_step  # noqa: E402

import ptjax  # noqa: E402


def lm(lib, d=512, heads=8, layers=4, vocab=1000):
    nn = lib.nn

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, d)
            layer = nn.TransformerEncoderLayer(d, heads, 4 * d, dropout=0.0, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, layers)
            self.head = nn.Linear(d, vocab)

        def forward(self, tokens):
            return self.head(self.encoder(self.embed(tokens)))
    return LM()


def case(lib, name, device, small):
    """(step, sync) for model ``name`` built with ``lib`` on ``device``; same data for every library."""
    rng = np.random.default_rng(0)
    F = lib.nn.functional
    if name == "lm":
        vocab, seq, batch = (100, 16, 4) if small else (1000, 128, 32)
        model = lm(lib, *((64, 4, 1, vocab) if small else (512, 8, 4, vocab))).to(device)
        opt = lib.optim.AdamW(model.parameters(), lr=1e-4)
        x = lib.tensor(rng.integers(0, vocab, (batch, seq)), device=device)
        y = lib.tensor(rng.integers(0, vocab, (batch * seq,)), device=device)

        def loss_fn(out, target):
            return F.cross_entropy(out.reshape(-1, vocab), target)
    else:
        model = (mlp(lib) if name == "mlp" else cnn(lib)).to(device)
        opt = (lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9) if name == "mlp"
               else lib.optim.Adadelta(model.parameters(), lr=1.0))
        batch = 4 if small else 64
        shape = (batch, 784) if name == "mlp" else (batch, 1, 28, 28)
        x = lib.tensor(rng.standard_normal(shape).astype(np.float32), device=device)
        y = lib.tensor(rng.integers(0, 10, batch), device=device)
        loss_fn = F.cross_entropy if name == "mlp" else F.nll_loss
    step = tutorial_step(lib, model, opt, x, y, loss_fn)
    last = {}

    def run():
        last["loss"] = step()

    return run, lambda: last["loss"].item()


def first_step(run, sync):
    t0 = time.perf_counter()
    run()
    sync()
    return time.perf_counter() - t0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("models", nargs="*", default=["mlp", "cnn", "lm"])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--budget", type=float, default=1.0, help="seconds of timed steps per contender and round set")
    ap.add_argument("--dry-run", action="store_true", help="CPU, small LM, tiny budget: checks the script runs")
    args = ap.parse_args(argv)
    device = "cpu" if args.dry_run else args.device
    budget = 0.05 if args.dry_run else args.budget
    try:
        import torch
        torch_ok = device == "cpu" or torch.cuda.is_available()
    except ImportError:
        torch, torch_ok = None, False
    if torch_ok and device == "cpu":
        torch.set_num_threads(1)  # as the other CPU benchmarks run torch
    import jax
    print(f"jax {jax.__version__} {jax.devices()} | torch {getattr(torch, '__version__', 'absent')} "
          f"(device {device}: {'yes' if torch_ok else 'no'}) | ptjax sees cuda: {ptjax.cuda.is_available()}",
          flush=True)
    for name in args.models:
        contenders, firsts = {}, {}
        libs = [("ptjax", ptjax)] + ([("torch", torch)] if torch_ok else [])
        for label, lib in libs:
            try:
                lib.manual_seed(0)
                run, sync = case(lib, name, device, args.dry_run)
                firsts[label] = first_step(run, sync)
                contenders[label] = (run, sync)
            except Exception as e:  # report and go on: one failing contender must not hide the others
                print(f"{name} {label}: FAILED {type(e).__name__}: {str(e)[:300]}", flush=True)
        if name in ("mlp", "cnn"):
            rng, batch = np.random.default_rng(0), 4 if args.dry_run else 64
            shape = (batch, 784) if name == "mlp" else (batch, 1, 28, 28)
            run, _, sync = jax_step(name, "sgd" if name == "mlp" else "adadelta",
                                    rng.standard_normal(shape).astype(np.float32), rng.integers(0, 10, batch))
            firsts["jax.jit"] = first_step(run, sync)
            contenders["jax.jit"] = (run, sync)
        times = median_times(contenders, repeats=5, min_time=budget)
        ms = {k: v * 1e3 for k, v in times.items()}
        for label, v in ms.items():
            rel = f"  {v / ms['torch']:.2f}x torch" if "torch" in ms else ""
            print(f"{name:4s} {label:8s} first step {firsts[label]:7.2f} s   steady {v:8.3f} ms/step{rel}", flush=True)
        print("RESULT " + json.dumps({"kind": "step", "model": name, "device": device, "ms": ms,
                                      "first_s": firsts}), flush=True)


if __name__ == "__main__":
    main()
