"""The program tests/test_distributed.py starts under ``python -m ptjax.distributed.run``.

Each rank runs every collective on inputs that depend on its rank (``rank_inputs``), then trains the seeds' MLP
and the MNIST CNN with DistributedDataParallel + DistributedSampler, and saves what it saw to
``OUT/rank<r>.npz``. Each rank also trains the MLP again with its whole
training step compiled by ``torch.compile`` (DDP's all-reduces inside the program). Rank 0 then also trains both
models as a single process would (plain modules, the same
global batches, no process group): its compiled programs are reused, so the CNN is not compiled again in the
test. The test recomputes the collectives' results and the MLP reference itself, and compares.
"""
import importlib.util
import pickle
import sys
from pathlib import Path

import jax
import numpy as np

import ptjax as torch
import ptjax.distributed as dist
import ptjax.nn.functional as F
from ptjax import nn
from ptjax.nn.parallel import DistributedDataParallel as DDP
from ptjax.utils.data import DataLoader, DistributedSampler, TensorDataset

REDUCE_OPS = ("SUM", "AVG", "MAX", "MIN", "PRODUCT")
BITWISE_OPS = ("BAND", "BOR", "BXOR")
MICRO_BATCH = 8           # rows per forward on every rank and in the single process: the same compiled programs
SAMPLES = 128             # synthetic 28x28 images
EPOCHS = 2


def rank_inputs(rank):
    """This rank's inputs to the collectives (numpy), a function of the rank only."""
    g = np.random.default_rng(100 + rank)
    return {"f": g.standard_normal((3, 4)).astype(np.float32),
            "i": g.integers(0, 1 << 12, (5,)).astype(np.int64),
            "b": g.random(6) < 0.5,
            "c": (g.standard_normal(2) + 1j * g.standard_normal(2)).astype(np.complex64),
            "special": np.array([-0.0, np.nan, np.inf, rank], np.float32)}


def dataset():
    """FashionMNIST-shaped synthetic data: 28x28 images, 10 classes (the same on every rank)."""
    g = np.random.default_rng(0)
    return g.standard_normal((SAMPLES, 1, 28, 28)).astype(np.float32), g.integers(0, 10, SAMPLES)


class SimpleNet(nn.Module):
    """The seeds' two-layer MLP (../shared/seeds/004), on flattened 28x28 images."""

    def __init__(self, input_size=28 * 28, hidden_size=32, output_size=10):
        super().__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.fc2 = nn.Linear(hidden_size, output_size)

    def forward(self, x):
        x = nn.functional.relu(self.fc1(torch.flatten(x, 1)))
        return self.fc2(x)


def mnist_cnn():
    """examples/mnist.py's Net, dropout off: the equality check needs the same numbers in every process."""
    path = Path(__file__).resolve().parents[1] / "examples" / "mnist.py"
    spec = importlib.util.spec_from_file_location("_mnist_example", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    model = example.Net()
    model.dropout1.p = model.dropout2.p = 0.0
    return model


MODELS = {"mlp": SimpleNet, "cnn": mnist_cnn}
ACCUMULATE = {"mlp": 2, "cnn": 1}   # micro-batches per rank and step: the MLP exercises no_sync


def train(kind, model, world, rank=0, compiled=False):
    """Train ``model`` for ``EPOCHS`` on rank ``rank``'s shard; returns its final parameters (numpy).

    ``model`` is a DDP module in a worker. In the single process (a plain module, ``rank`` 0) each optimizer
    step consumes the micro-batches all ``world`` ranks would, each loss scaled by 1/(micro-batches per step):
    the same global batches and the same average gradient. ``compiled``: the whole step (zero_grad, the
    micro-batches' forwards and backwards, the optimizer step) is one ``torch.compile``d program."""
    ddp = isinstance(model, DDP)
    images, labels = dataset()
    data = TensorDataset(torch.tensor(images), torch.tensor(labels))
    sampler = DistributedSampler(data, num_replicas=world if ddp else 1, rank=rank, shuffle=True, seed=0)
    loader = DataLoader(data, batch_size=MICRO_BATCH, sampler=sampler)
    micro_per_step = ACCUMULATE[kind] * (1 if ddp else world)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    def step(micro_batches):
        optimizer.zero_grad()
        for k, (x, y) in enumerate(micro_batches):
            with (model.no_sync() if ddp and k < micro_per_step - 1 else _nothing()):
                (F.cross_entropy(model(x), y) / micro_per_step).backward()
        optimizer.step()

    if compiled:
        step = torch.compile(step)
    for epoch in range(EPOCHS):
        sampler.set_epoch(epoch)
        batches = iter(loader)
        for _ in range(len(loader) // micro_per_step):
            step([next(batches) for _ in range(micro_per_step)])
    inner = model.module if ddp else model
    params = {name: p.detach().numpy() for name, p in inner.named_parameters()}
    if compiled:
        program = step._last.program
        params["program"] = np.array([step.compiles, program.world is not None,
                                      sum(e.primitive.name == "psum" for e in program.closed.jaxpr.eqns)])
    return params


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def collectives(rank, world):
    """Every collective and ReduceOp on this rank's inputs: {name: result array}."""
    R = dist.ReduceOp
    x = rank_inputs(rank)
    t = {k: torch.tensor(v) for k, v in x.items()}
    out = {}

    def reduced(name, tensor, op):
        tensor = tensor.clone()
        dist.all_reduce(tensor, op=getattr(R, op))
        out[name] = tensor.numpy()

    for op in REDUCE_OPS:
        reduced(f"all_reduce_{op}_f", t["f"], op)
    for op in BITWISE_OPS + ("SUM", "AVG", "MAX", "MIN"):
        reduced(f"all_reduce_{op}_i", t["i"], op)
    for op in ("SUM", "MIN", "PRODUCT", "BXOR"):
        reduced(f"all_reduce_{op}_b", t["b"], op)
    reduced("all_reduce_SUM_c", t["c"], "SUM")
    pair = [t["f"].clone(), t["special"][3:].clone()]
    dist.all_reduce_coalesced(pair, op=R.MAX)
    out["all_reduce_coalesced_MAX"] = np.concatenate([pair[0].numpy().ravel(), pair[1].numpy()])
    scalar = torch.tensor(float(rank + 1))
    dist.all_reduce(scalar, op=R.PRODUCT)
    out["all_reduce_scalar"] = scalar.numpy()
    base = torch.zeros(3, 4)
    view = base[1]                                        # in place through a view: the base sees it
    view.copy_(t["f"][0])
    dist.all_reduce(view)
    out["all_reduce_view_base"] = base.numpy()
    work = dist.all_reduce(t["f"].clone(), async_op=True)
    out["async_wait"] = np.array([work.wait(), work.is_completed()])
    out["async_result"] = work.result()[0].numpy()

    gathered = [torch.zeros(3, 4) for _ in range(world)]
    dist.all_gather(gathered, t["f"])
    out["all_gather"] = np.stack([g.numpy() for g in gathered])
    flat = torch.zeros(world * 3, 4)
    dist.all_gather_into_tensor(flat, t["f"])
    out["all_gather_into_tensor"] = flat.numpy()
    stacked = torch.zeros(world, 3, 4)
    dist.all_gather_into_tensor(stacked, t["f"])
    out["all_gather_into_tensor_stacked"] = stacked.numpy()

    chunks = torch.tensor(np.arange(world * 2 * 3, dtype=np.float32).reshape(world * 2, 3) * (rank + 1))
    for op in ("SUM", "AVG", "MAX", "MIN", "PRODUCT"):
        mine = torch.zeros(2, 3)
        dist.reduce_scatter_tensor(mine, chunks, op=getattr(R, op))
        out[f"reduce_scatter_tensor_{op}"] = mine.numpy()
    mine = torch.zeros(2, 3)
    dist.reduce_scatter(mine, list(chunks.reshape(world, 2, 3).unbind(0)))
    out["reduce_scatter"] = mine.numpy()

    src = world - 1
    for k in ("f", "i", "b", "c", "special"):
        tensor = t[k].clone()
        dist.broadcast(tensor, src=src)
        out[f"broadcast_{k}"] = tensor.numpy()
    for op in ("SUM", "MAX"):
        tensor = t["f"].clone()
        dist.reduce(tensor, dst=src, op=getattr(R, op))
        out[f"reduce_{op}"] = tensor.numpy()
    gather_list = [torch.zeros(3, 4) for _ in range(world)] if rank == 0 else None
    dist.gather(t["f"], gather_list, dst=0)
    out["gather"] = np.stack([g.numpy() for g in gather_list]) if rank == 0 else np.zeros(0)
    scatter_list = [torch.full((2,), float(10 * r + 1)) for r in range(world)] if rank == src else None
    received = torch.zeros(2)
    dist.scatter(received, scatter_list, src=src)
    out["scatter"] = received.numpy()
    dist.barrier()

    objects = [None] * world
    dist.all_gather_object(objects, {"rank": rank, "payload": "x" * (300 * rank)})
    out["all_gather_object"] = np.frombuffer(pickle.dumps(objects), np.uint8)
    sent = [rank, {"nested": [rank] * 3}, None] if rank == src else [None, None, None]
    dist.broadcast_object_list(sent, src=src)
    out["broadcast_object_list"] = np.frombuffer(pickle.dumps(sent), np.uint8)
    received_objects = [None] * world if rank == 0 else None
    dist.gather_object(("obj", rank), received_objects, dst=0)
    out["gather_object"] = np.frombuffer(pickle.dumps(received_objects), np.uint8)

    errors = []
    for call in (lambda: dist.gather(t["f"], [t["f"]] * world, dst=(rank + 1) % world),
                 lambda: dist.scatter(t["f"], [t["f"]] * world, src=(rank + 1) % world)):
        try:
            call()
        except ValueError as e:
            errors.append(str(e))
    out["errors"] = np.frombuffer(pickle.dumps(errors), np.uint8)
    return out


def collectives_per_bucket(ddp):
    """How many all-reduces XLA compiled into each of ``ddp``'s bucket programs (after a backward)."""
    from ptjax.distributed import _programs
    world = ddp.process_group
    counts = []
    for bucket in ddp.reducer.buckets:
        grads = [_programs._global(world, p.grad._value) for p in bucket]
        program = _programs.program(world, _programs.all_reduce, n_in=len(grads), op="AVG")
        counts.append(program.jitted.lower(*grads).compile().as_text().count(" all-reduce("))
    return counts


def main(out_dir):
    # compile time over run time (as the nn tests do): each of 2-4 ranks compiles the CNN on 2 CI cores
    jax.config.update("jax_disable_most_optimizations", True)
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    results = {f"c/{k}": v for k, v in collectives(rank, world).items()}
    for kind, make in MODELS.items():
        torch.manual_seed(rank)   # different initial weights per rank: DDP broadcasts rank 0's
        model = DDP(make())
        results.update({f"{kind}/{k}": v for k, v in train(kind, model, world, rank).items()})
        results[f"buckets/{kind}"] = np.array([len(b) for b in model.reducer.buckets])
        results[f"all_reduces_per_bucket/{kind}"] = np.array(collectives_per_bucket(model))
    torch.manual_seed(rank)   # DDP under torch.compile: the MLP's whole step as one program, all-reduces inside
    results.update({f"compiled/mlp/{k}": v for k, v in train("mlp", DDP(SimpleNet()), world, rank, True).items()})
    if rank == 0:   # the single-process reference: a plain module, rank 0's initial weights, no process group
        for kind, make in MODELS.items():
            torch.manual_seed(0)
            results.update({f"ref/{kind}/{k}": v for k, v in train(kind, make(), world).items()})
    np.savez(Path(out_dir) / f"rank{rank}.npz", **results)
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
