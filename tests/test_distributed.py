"""ptjax.distributed, DistributedDataParallel and the launcher, on CPU over loopback.

The multi-process runs start ``tests/_distributed_worker.py`` with the launcher (2 ranks through
``python -m ptjax.distributed.run``, 4 ranks through ``python -m ptjax -m torch.distributed.run``); each rank runs
every collective, trains the seeds' MLP and the MNIST CNN with DDP (the MLP also with its whole step compiled),
and the results are compared here with the same computations done in this one process. Argument checks and DDP's
bookkeeping are tested in-process on a world of one rank (no runtime to join). Every subprocess has a timeout.
"""
import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import _distributed_worker as worker
import numpy as np
import pytest

import ptjax as torch
import ptjax.distributed as dist
from ptjax import nn
from ptjax.nn.parallel import DistributedDataParallel as DDP
from ptjax.nn.parallel.distributed import assign_buckets
from ptjax.utils.data import DistributedSampler

REPO = Path(__file__).resolve().parents[1]
RUN_TIMEOUT = 300       # a launch that trains (4 ranks share 2 CI cores)
FAIL_TIMEOUT = 120


def _env(**extra):
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    return dict(os.environ, PYTHONPATH=path, JAX_PLATFORMS="cpu", **extra)


def launch(launcher, args, timeout, **env):
    """Run a launcher: ``("-m", module, flags...)``, or the launcher's file and flags (no ptjax import, faster)."""
    return subprocess.run([sys.executable, *launcher, *args], env=_env(**env), cwd=REPO, capture_output=True,
                          text=True, timeout=timeout, check=False)


RUN_PY = str(REPO / "ptjax" / "distributed" / "run.py")


# ---- the multi-process runs ------------------------------------------------------------------------------------

LAUNCHERS = {2: ("-m", "ptjax.distributed.run", "--standalone", "--nproc-per-node=2"),
             4: ("-m", "ptjax", "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "4")}


@pytest.fixture(scope="module", params=[2, 4], ids=["2ranks", "4ranks"])
def run(request, tmp_path_factory):
    world = request.param
    out = tmp_path_factory.mktemp(f"dist{world}")
    done = launch(LAUNCHERS[world], [str(REPO / "tests" / "_distributed_worker.py"), str(out)], RUN_TIMEOUT)
    assert done.returncode == 0, done.stderr[-4000:]
    ranks = []
    for r in range(world):
        with np.load(out / f"rank{r}.npz") as f:
            ranks.append(dict(f))
    return world, ranks


def expected_collectives(world, rank):
    """What rank ``rank`` must hold after ``worker.collectives``, computed in this process with numpy."""
    xs = [worker.rank_inputs(r) for r in range(world)]
    stack = {k: np.stack([x[k] for x in xs]) for k in xs[0]}
    folds = {"SUM": np.sum, "MAX": np.max, "MIN": np.min, "PRODUCT": np.prod,
             "BAND": np.bitwise_and.reduce, "BOR": np.bitwise_or.reduce, "BXOR": np.bitwise_xor.reduce}
    f, i, b = stack["f"], stack["i"], stack["b"]
    e = {f"all_reduce_{op}_f": folds[op](f, axis=0) for op in ("SUM", "MAX", "MIN", "PRODUCT")}
    e["all_reduce_AVG_f"] = f.mean(0)
    e.update({f"all_reduce_{op}_i": folds[op](i, axis=0) for op in ("BAND", "BOR", "BXOR", "SUM", "MAX", "MIN")})
    e["all_reduce_AVG_i"] = i.sum(0) // world
    e.update(all_reduce_SUM_b=b.any(0), all_reduce_MIN_b=b.all(0), all_reduce_PRODUCT_b=b.all(0),
             all_reduce_BXOR_b=np.bitwise_xor.reduce(b, axis=0), all_reduce_SUM_c=stack["c"].sum(0))
    e["all_reduce_coalesced_MAX"] = np.concatenate([f.max(0).ravel(), [world - 1]]).astype(np.float32)
    e["all_reduce_scalar"] = np.float32(np.prod(np.arange(1, world + 1)))
    base = np.zeros((3, 4), np.float32)
    base[1] = f[:, 0].sum(0)
    e.update(all_reduce_view_base=base, async_wait=np.array([True, True]), async_result=f.sum(0))
    e.update(all_gather=f, all_gather_into_tensor=f.reshape(world * 3, 4), all_gather_into_tensor_stacked=f)
    chunks = np.stack([np.arange(world * 6, dtype=np.float32).reshape(world * 2, 3) * (r + 1) for r in range(world)])
    mine = slice(2 * rank, 2 * rank + 2)
    for op in ("SUM", "MAX", "MIN", "PRODUCT"):
        e[f"reduce_scatter_tensor_{op}"] = folds[op](chunks, axis=0)[mine]
    e["reduce_scatter_tensor_AVG"] = chunks.mean(0)[mine]
    e["reduce_scatter"] = chunks.sum(0)[mine]
    src = world - 1
    e.update({f"broadcast_{k}": xs[src][k] for k in ("f", "i", "b", "c", "special")})
    e["reduce_SUM"] = f.sum(0) if rank == src else xs[rank]["f"]
    e["reduce_MAX"] = f.max(0) if rank == src else xs[rank]["f"]
    e["gather"] = f if rank == 0 else np.zeros(0)
    e["scatter"] = np.full(2, 10 * rank + 1, np.float32)
    return e


EXPECTED_OBJECTS = {
    "all_gather_object": lambda world, rank: [{"rank": r, "payload": "x" * (300 * r)} for r in range(world)],
    "broadcast_object_list": lambda world, rank: [world - 1, {"nested": [world - 1] * 3}, None],
    "gather_object": lambda world, rank: [("obj", r) for r in range(world)] if rank == 0 else None,
    "errors": lambda world, rank: ["Argument ``gather_list`` must NOT be specified on non-destination ranks.",
                                   "Argument ``scatter_list`` must NOT be specified on non-source ranks."],
}


def test_every_collective_and_reduce_op_matches_one_process(run):
    world, ranks = run
    for rank, got in enumerate(ranks):
        for name, want in expected_collectives(world, rank).items():
            have = got[f"c/{name}"]
            assert have.dtype == np.asarray(want).dtype and have.shape == np.shape(want), (rank, name)
            if name == "broadcast_special":   # bit for bit: -0.0, nan, inf
                assert have.tobytes() == want.tobytes(), (rank, name)
            else:
                np.testing.assert_allclose(have, want, rtol=1e-5, atol=1e-6, err_msg=f"rank {rank}: {name}")
        for name, want in EXPECTED_OBJECTS.items():
            assert pickle.loads(got[f"c/{name}"].tobytes()) == want(world, rank), (rank, name)


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_ddp_training_equals_one_process_on_the_global_batches(run, kind):
    world, ranks = run
    names = [k.split("/", 2)[2] for k in ranks[0] if k.startswith(f"ref/{kind}/")]
    assert names
    for name in names:
        for rank in range(1, world):   # every rank holds the same parameters, bit for bit
            np.testing.assert_array_equal(ranks[rank][f"{kind}/{name}"], ranks[0][f"{kind}/{name}"])
        np.testing.assert_allclose(ranks[0][f"{kind}/{name}"], ranks[0][f"ref/{kind}/{name}"], rtol=2e-4, atol=2e-5,
                                   err_msg=name)


def test_ddp_under_compile_equals_eager_ddp(run):
    """The MLP's whole step (two micro-batches, the first under no_sync) compiled: one program per rank, with the
    bucket's all-reduce inside it; the parameters equal eager DDP's."""
    world, ranks = run
    for rank in range(world):
        compiles, spmd, psums = ranks[rank]["compiled/mlp/program"].tolist()
        assert (compiles, spmd) == (1, 1) and psums >= 1
        for name in ("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"):
            np.testing.assert_array_equal(ranks[rank][f"compiled/mlp/{name}"], ranks[0][f"compiled/mlp/{name}"])
            np.testing.assert_allclose(ranks[rank][f"compiled/mlp/{name}"], ranks[rank][f"mlp/{name}"], rtol=1e-5,
                                       atol=1e-6, err_msg=name)


def test_ddp_averages_each_bucket_with_one_all_reduce(run):
    _, ranks = run
    for kind, n_params in (("mlp", 4), ("cnn", 8)):
        assert ranks[0][f"buckets/{kind}"].sum() == n_params
        assert ranks[0][f"all_reduces_per_bucket/{kind}"].tolist() == [1] * len(ranks[0][f"buckets/{kind}"])
    assert ranks[0]["buckets/cnn"].tolist() == [4, 4]   # reverse order: fc1.weight (4.7 MB) closes the 1 MiB bucket


def test_the_single_process_reference_is_reproduced_here(run):
    """The reference rank 0 computed (a plain module, no process group) is what this process computes (MLP)."""
    world, ranks = run
    torch.manual_seed(0)
    for name, value in worker.train("mlp", worker.MODELS["mlp"](), world).items():
        np.testing.assert_allclose(ranks[0][f"ref/mlp/{name}"], value, rtol=1e-4, atol=1e-5, err_msg=name)


# ---- the launcher when a worker fails ----------------------------------------------------------------------------

def test_a_raising_worker_ends_the_others_and_the_launcher_names_it(tmp_path):
    script = tmp_path / "fails.py"
    script.write_text("import torch, torch.distributed as dist\n"      # torch's spelling: mapped onto ptjax
                      "from torch.distributed.elastic.multiprocessing.errors import record\n"
                      "@record\n"
                      "def main():\n"
                      "    dist.init_process_group('gloo')\n"
                      "    if dist.get_rank() == 1:\n"
                      "        raise ValueError('boom from rank 1')\n"
                      "    dist.all_reduce(torch.ones(1))   # rank 0 waits for a peer that is gone\n"
                      "main()\n")
    start = time.monotonic()
    done = launch((RUN_PY, "--standalone", "--nproc-per-node=2", "--kill-timeout=2"),
                  [str(script)], FAIL_TIMEOUT)
    assert done.returncode == 1
    report = done.stderr[done.stderr.index("[ptjax.distributed.run] worker"):]
    assert report.startswith("[ptjax.distributed.run] worker rank 1 (local_rank 1"), report
    assert "Traceback (most recent call last)" in report and "ValueError: boom from rank 1" in report
    assert time.monotonic() - start < FAIL_TIMEOUT / 2


def test_a_killed_worker_ends_the_others_and_the_launcher_names_it(tmp_path):
    script = tmp_path / "killed.sh"
    script.write_text('#!/bin/sh\nif [ "$RANK" = 1 ]; then kill -9 $$; fi\nsleep 60\n')
    script.chmod(0o755)
    start = time.monotonic()
    done = launch((RUN_PY, "--nproc-per-node=3", "--no-python", "--kill-timeout=1"),
                  [str(script)], FAIL_TIMEOUT)
    assert done.returncode == 1
    assert "worker rank 1 (local_rank 1" in done.stderr and "signal 9 (SIGKILL)" in done.stderr, done.stderr
    assert "stopped the other workers: ranks 0, 2" in done.stderr
    assert time.monotonic() - start < 30


def test_launcher_exports_torchruns_environment(tmp_path):
    script = tmp_path / "env.sh"
    names = ["RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "GROUP_RANK", "GROUP_WORLD_SIZE",
             "MASTER_ADDR", "MASTER_PORT", "TORCHELASTIC_RUN_ID"]
    script.write_text("#!/bin/sh\necho " + " ".join(f"{n}=${n}" for n in names) + f" > {tmp_path}/$RANK.txt\n")
    script.chmod(0o755)
    done = launch((RUN_PY, "--nnodes=2", "--node_rank=1", "--nproc_per_node=2",
                   "--master_addr=10.1.2.3", "--master_port=1234", "--rdzv-id=job7", "--run-id=job7",
                   "--no-python"), [str(script)], FAIL_TIMEOUT)
    assert done.returncode == 0, done.stderr
    for rank, local in ((2, 0), (3, 1)):
        env = dict(kv.split("=") for kv in (tmp_path / f"{rank}.txt").read_text().split())
        assert env == {"RANK": str(rank), "LOCAL_RANK": str(local), "WORLD_SIZE": "4", "LOCAL_WORLD_SIZE": "2",
                       "GROUP_RANK": "1", "GROUP_WORLD_SIZE": "2", "MASTER_ADDR": "10.1.2.3",
                       "MASTER_PORT": "1234", "TORCHELASTIC_RUN_ID": "job7"}


# ---- in process: a world of one rank ------------------------------------------------------------------------------

@pytest.fixture
def world1():
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:29400", rank=0, world_size=1)
    yield
    dist.destroy_process_group()


def test_init_errors_in_torchs_words(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ValueError, match="env:// rendezvous: environment variable RANK expected, but not set"):
        dist.init_process_group("gloo")
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "1")
    with pytest.raises(ValueError, match="environment variable MASTER_ADDR expected, but not set"):
        dist.init_process_group("gloo")
    with pytest.raises(ValueError, match="tcp:// rendezvous: rank parameter missing"):
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:1")
    with pytest.raises(ValueError, match="tcp:// rendezvous: world size parameter missing"):
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:1", rank=0)
    with pytest.raises(AssertionError, match="Unknown backend type mpi2"):
        dist.init_process_group("mpi2", init_method="tcp://127.0.0.1:1", rank=0, world_size=1)
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.get_rank()
    assert not dist.is_initialized() and dist.is_available() and dist.group.WORLD is None


def test_world_of_one(world1):
    with pytest.raises(ValueError, match="trying to initialize the default process group twice!"):
        dist.init_process_group("gloo", init_method="tcp://127.0.0.1:1", rank=0, world_size=1)
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "gloo")
    assert dist.group.WORLD is dist.GroupMember.WORLD is dist.new_group()
    assert [op.name for op in dist.ReduceOp.RedOpType] == ["SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR",
                                                            "BXOR", "PREMUL_SUM"]
    assert repr(dist.ReduceOp.SUM) == "<RedOpType.SUM: 0>"
    x = torch.tensor([1.0, 2.0])
    assert dist.all_reduce(x) is None and x.tolist() == [1.0, 2.0]
    assert DistributedSampler(list(range(5))).num_replicas == 1


def test_collective_argument_errors_in_torchs_words(world1):
    x = torch.ones(2)
    with pytest.raises(RuntimeError, match=r"allgather: invalid output tensor list at index 0 \(expected length 1, "
                                           r"got 2\)"):
        dist.all_gather([torch.zeros(2), torch.zeros(2)], x)
    with pytest.raises(RuntimeError, match=r"allgather: invalid tensor size at index 0 \(expected \(2\), got \(3\)\)"):
        dist.all_gather([torch.zeros(3)], x)
    with pytest.raises(ValueError, match="Invalid usage of tensors with different dtypesFound"):
        dist.all_gather([torch.zeros(2, dtype=torch.int64)], x)
    with pytest.raises(RuntimeError, match="invalid root rank: 5"):
        dist.broadcast(x, src=5)
    with pytest.raises(RuntimeError, match="Cannot use ReduceOp.PREMUL_SUM"):
        dist.all_reduce(x, op=dist.ReduceOp.PREMUL_SUM)
    with pytest.raises(RuntimeError, match="Cannot use ReduceOp.BAND with non-integral dtype"):
        dist.all_reduce(x, op=dist.ReduceOp.BAND)
    with pytest.raises(RuntimeError, match="output tensor size must be equal to world_size times input tensor size"):
        dist.all_gather_into_tensor(torch.zeros(3), x)
    with pytest.raises(TypeError, match="Expected parameter `tensor` of type torch.Tensor"):
        dist.all_reduce([x])


class _TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.used = nn.Linear(3, 2)
        self.unused = nn.Linear(3, 2)

    def forward(self, x):
        return self.used(x)


def test_ddp_module_state_dict_and_construction_errors(world1):
    model = _TwoHeads()
    ddp = DDP(model)
    assert ddp.module is model
    assert list(ddp.state_dict()) == ["module.used.weight", "module.used.bias", "module.unused.weight",
                                      "module.unused.bias"]
    assert repr(ddp).startswith("DistributedDataParallel(\n  (module): _TwoHeads(")
    with pytest.raises(ValueError, match="device_ids and output_device arguments only work with"):
        DDP(nn.Linear(2, 2), device_ids=[0])
    with pytest.raises(RuntimeError, match="DistributedDataParallel is not needed when a module doesn't have any "
                                           "parameter that requires a gradient."):
        DDP(nn.Linear(2, 2).requires_grad_(False))


def test_ddp_buckets_gradients_into_few_collectives(world1, monkeypatch):
    model = nn.Sequential(*[nn.Linear(64, 64) for _ in range(6)])     # 12 parameters, ~100 KB
    params = list(model.parameters())
    buckets = assign_buckets(params, cap_bytes=40_000, first_cap_bytes=20_000)
    assert [p for b in buckets for p in b] == params[::-1]           # reverse order, every parameter once
    assert [sum(p.numel() * 4 for p in b) >= 20_000 for b in buckets[:-1]] == [True] * (len(buckets) - 1)
    import ptjax.nn.parallel.distributed as ddp_module
    calls = []
    real = ddp_module.reduce_arrays
    monkeypatch.setattr(ddp_module, "reduce_arrays",
                        lambda w, arrays, op: calls.append(len(arrays)) or real(w, arrays, op))
    ddp = DDP(model)                                                  # default 25 MB cap: one bucket
    ddp(torch.randn(4, 64)).sum().backward()
    assert calls == [12]


def test_ddp_unused_parameters(world1):
    ddp = DDP(_TwoHeads())
    ddp(torch.randn(4, 3)).sum().backward()
    with pytest.raises(RuntimeError, match="Expected to have finished reduction in the prior iteration"):
        ddp(torch.randn(4, 3))
    found = DDP(_TwoHeads(), find_unused_parameters=True)
    found(torch.randn(4, 3)).sum().backward()
    assert found.module.used.weight.grad is not None and found.module.unused.weight.grad is None
    found(torch.randn(4, 3)).sum().backward()                         # a second iteration is fine


def test_ddp_no_sync_accumulates(world1):
    ddp = DDP(nn.Linear(3, 1))
    x = torch.randn(4, 3)
    with ddp.no_sync():
        ddp(x).sum().backward()
    ddp(x).sum().backward()
    np.testing.assert_allclose(ddp.module.weight.grad.numpy(), 2 * x.sum(0, keepdim=True).numpy(), rtol=1e-6)


def test_ddp_under_compile_in_one_process(world1):
    """The whole step compiled: all-reduces in the program, equal to eager DDP; no_sync() around it is another
    program, and so is the step after it (DDP's flags, guarded, are left as the Python leaves them); a compiled
    forward alone and find_unused_parameters run eagerly, with a graph-break warning."""
    def make(**kwargs):
        torch.manual_seed(0)
        ddp = DDP(nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3)), **kwargs)
        opt = torch.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)

        def step(x, y):
            opt.zero_grad()
            nn.functional.cross_entropy(ddp(x), y).backward()
            opt.step()
        return ddp, step

    g = np.random.default_rng(0)
    batches = [(torch.tensor(g.standard_normal((4, 6)).astype(np.float32)), torch.tensor(g.integers(0, 3, 4)))
               for _ in range(3)]
    results = []
    for compiled in (False, True):
        ddp, step = make()
        step = torch.compile(step) if compiled else step
        for x, y in batches:
            step(x, y)
        with ddp.no_sync():
            step(*batches[0])
        flags = [ddp.require_forward_param_sync]
        step(*batches[1])
        results.append([p.detach().numpy() for p in ddp.parameters()] + flags + [ddp.require_forward_param_sync])
    assert results[0][-2:] == results[1][-2:] == [False, True]
    programs = [e.program for e in step._cache[next(iter(step._cache))]]
    assert step.compiles == len(programs) == 3
    assert [p.world is not None for p in programs] == [True, False, True]   # no_sync(): no all-reduce
    assert any(e.primitive.name == "psum" for e in programs[0].closed.jaxpr.eqns)
    for a, b in zip(results[0][:-2], results[1][:-2]):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)

    for kwargs, what in (({}, "DistributedDataParallel's forward arms the gradient all-reduce"),
                         ({"find_unused_parameters": True}, "find_unused_parameters=True")):
        ddp, _ = make(**kwargs)
        with pytest.warns(UserWarning, match=f"graph break in .*{what}"):
            out = torch.compile(ddp)(batches[0][0])
        out.sum().backward()
        assert ddp.module[0].weight.grad is not None


def test_post_accumulate_grad_hook_matches_torch():
    calls = {}
    for lib in (torch, pytest.importorskip("torch")):
        w = lib.ones(2, requires_grad=True)
        seen = calls[lib.__name__] = []
        handle = w.register_post_accumulate_grad_hook(
            lambda p, w=w, seen=seen, lib=lib: seen.append((p is w, p.grad.tolist(), lib.is_grad_enabled())))
        (w * 3).sum().backward()
        (w * 2).sum().backward()
        handle.remove()
        (w * 2).sum().backward()
        with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on non-leaf tensors"):
            (w * 2).register_post_accumulate_grad_hook(lambda p: None)
    assert calls["ptjax"] == calls["torch"] == [(True, [3.0, 3.0], False), (True, [5.0, 5.0], False)]


# ---- DataParallel over 8 simulated CPU devices -------------------------------------------------------------------

def test_data_parallel_over_8_devices_equals_one_device():
    done = subprocess.run([sys.executable, str(REPO / "tests" / "_data_parallel_worker.py")], cwd=REPO,
                          env=_env(XLA_FLAGS="--xla_force_host_platform_device_count=8"), capture_output=True,
                          text=True, timeout=RUN_TIMEOUT, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["devices"] == 8
    assert report["output_spec"] == "P('batch', None)"       # the batch was split over the devices
    assert report["grad_devices"] == 8                                   # gradients of replicated parameters
    assert report["max_parameter_difference"] < 1e-6
    assert report["uneven_batch_max_difference"] < 1e-6
