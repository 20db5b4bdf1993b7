"""torch.multiprocessing: spawn (the launcher of torch's DDP tutorials) and the sharing-strategy switches."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

import ptjax.multiprocessing as mp

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# no main guard: the children get the function by value and never re-run the script
SCRIPT = textwrap.dedent("""
    import os, sys
    import torch
    import torch.multiprocessing as mp

    def work(rank, n, out):
        x = torch.arange(3.0) * (rank + 1)
        with open(os.path.join(out, f"r{rank}.txt"), "w") as f:
            f.write(f"{torch.__name__} {x.sum().item()} {n}")

    out = sys.argv[1]
    mp.spawn(work, args=(2, out), nprocs=2)
    print(sorted(open(os.path.join(out, f)).read() for f in os.listdir(out)))

    def raises(rank):
        if rank == 1:
            raise ValueError("boom")
    try:
        mp.spawn(raises, nprocs=2)
    except mp.ProcessRaisedException as e:
        print("raised", e.error_index, "-- Process 1 terminated with the following error:" in str(e),
              "ValueError: boom" in str(e))

    def exits(rank):
        os._exit(3)
    try:
        mp.spawn(exits, nprocs=1)
    except mp.ProcessExitedException as e:
        print("exited", e.exit_code, str(e))
""")


def test_spawn_under_python_m_ptjax_without_main_guard(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    out = tmp_path / "out"
    out.mkdir()
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-m", "ptjax", str(script), str(out)], capture_output=True, text=True,
                       timeout=240, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.splitlines() == ["['ptjax 3.0 2', 'ptjax 6.0 2']", "raised 1 True True",
                                     "exited 3 process 0 terminated with exit code 3"]


def test_sharing_strategies_as_torch():
    torch = pytest.importorskip("torch")
    assert mp.get_all_sharing_strategies() == torch.multiprocessing.get_all_sharing_strategies()
    assert mp.get_sharing_strategy() == torch.multiprocessing.get_sharing_strategy()
    mp.set_sharing_strategy("file_system")
    assert mp.get_sharing_strategy() == "file_system"
    mp.set_sharing_strategy("file_descriptor")
    with pytest.raises(AssertionError):
        mp.set_sharing_strategy("shared_nothing")
    assert set(torch.multiprocessing.__all__) <= set(mp.__all__)
    for name in ("Queue", "Process", "get_context", "cpu_count"):
        assert getattr(mp, name) is getattr(__import__("multiprocessing"), name)


# torch's DDP tutorial pattern: mp.spawn, init_process_group("gloo") from MASTER_ADDR/PORT, DDP, one SGD step
DDP_SCRIPT = textwrap.dedent("""
    import os, sys
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp
    import torch.nn as nn
    from torch.nn.parallel import DistributedDataParallel as DDP

    def demo(rank, world_size, port):
        os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = "127.0.0.1", port
        dist.init_process_group("gloo", rank=rank, world_size=world_size)
        torch.manual_seed(rank)          # different initial weights: DDP broadcasts rank 0's
        model = nn.Sequential(nn.Linear(10, 10), nn.ReLU(), nn.Linear(10, 5))
        ddp = DDP(model)
        opt = torch.optim.SGD(ddp.parameters(), lr=0.1)
        nn.MSELoss()(ddp(torch.randn(20, 10)), torch.randn(20, 5)).backward()
        opt.step()
        sums = [torch.zeros(1) for _ in range(world_size)]
        dist.all_gather(sums, model[0].weight.sum().reshape(1))
        print(f"rank {rank} agree {all(bool(s == sums[0]) for s in sums)}", flush=True)
        dist.destroy_process_group()

    if __name__ == "__main__":
        mp.spawn(demo, args=(2, sys.argv[1]), nprocs=2, join=True)
""")


def test_ddp_tutorial_with_spawn(tmp_path):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    script = tmp_path / "ddp.py"
    script.write_text(DDP_SCRIPT)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-m", "ptjax", str(script), port], capture_output=True, text=True,
                       timeout=240, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert sorted(line for line in r.stdout.splitlines() if line.startswith("rank")) == ["rank 0 agree True",
                                                                                         "rank 1 agree True"]


PROCESS_SCRIPT = textwrap.dedent("""
    import torch
    import torch.multiprocessing as mp

    def work(q, n):
        q.put((torch.__name__, float(torch.arange(n).sum())))

    if __name__ == "__main__":
        mp.set_start_method("spawn")
        q = mp.Queue()
        ps = [mp.Process(target=work, args=(q, n)) for n in (3, 4)]
        for p in ps:
            p.start()
        out = sorted(q.get(timeout=120) for _ in ps)
        for p in ps:
            p.join()
        print(out, [p.exitcode for p in ps])
""")


def test_spawned_processes_import_ptjax_as_torch(tmp_path):
    """``mp.Process`` children started with ``spawn`` re-import the script: under ``python -m ptjax`` they install
    the torch → ptjax hook first, so ``import torch`` there is ptjax, as in the parent."""
    script = tmp_path / "procs.py"
    script.write_text(PROCESS_SCRIPT)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-m", "ptjax", str(script)], capture_output=True, text=True, timeout=240,
                       env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stderr[-3000:]
    assert r.stdout.strip().splitlines()[-1] == "[('ptjax', 3.0), ('ptjax', 6.0)] [0, 0]"
