"""``python -m ptjax.distributed.run``: torchrun for ptjax.

    python -m ptjax.distributed.run --nproc-per-node=4 train.py --epochs 3
    python -m ptjax.distributed.run --nnodes=2 --node-rank=0 --master-addr=10.0.0.1 --master-port=29500 \\
        --nproc-per-node=8 train.py

Starts ``--nproc-per-node`` workers on this node with torchrun's environment (``RANK``, ``LOCAL_RANK``,
``WORLD_SIZE``, ``LOCAL_WORLD_SIZE``, ``GROUP_RANK``, ``MASTER_ADDR``, ``MASTER_PORT`` …). Each worker joins
JAX's distributed runtime (rank 0 hosts its coordinator at ``MASTER_ADDR:MASTER_PORT``) and runs the script with
``torch`` mapped onto ptjax (``_bootstrap.py``).

When a worker fails, the others are ended (SIGTERM, then SIGKILL after ``--kill-timeout`` seconds) and the
launcher exits with status 1 after naming the failing rank and showing its traceback; workers die with the
launcher too. Differences from torchrun: the rendezvous is static (``--nnodes`` is a number and every node is
given its ``--node-rank``; ``--rdzv-endpoint`` stands for master address and port, the other ``--rdzv-*`` flags
are accepted and ignored); ``--max-restarts`` is accepted but workers are never restarted; no log redirection.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

PR_SET_PDEATHSIG = 1


def _flag(parser, name, **kwargs):
    """A torchrun flag under both its spellings (``--nproc-per-node`` and ``--nproc_per_node``)."""
    names = [f"--{name}"] + ([f"--{name.replace('-', '_')}"] if "-" in name else [])
    parser.add_argument(*names, **kwargs)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m ptjax.distributed.run",
                                description="Start a ptjax training script on several processes (torchrun's flags).")
    _flag(p, "nnodes", default="1", help="number of nodes (a number: the rendezvous is static)")
    _flag(p, "nproc-per-node", default="1", help="workers on this node: a number, or 'cpu' (one per CPU core)")
    _flag(p, "node-rank", type=int, default=0, help="rank of this node in [0, nnodes)")
    _flag(p, "master-addr", default="127.0.0.1", help="address of node 0 (rank 0 hosts JAX's coordinator there)")
    _flag(p, "master-port", type=int, default=29500, help="a free port on node 0")
    _flag(p, "standalone", action="store_true", help="single node: loopback address and a free port")
    _flag(p, "rdzv-endpoint", default="", help="host:port, used as master address and port")
    for ignored in ("rdzv-backend", "rdzv-id", "rdzv-conf"):
        _flag(p, ignored, default=None, help="accepted for torchrun compatibility; ignored (static rendezvous)")
    _flag(p, "max-restarts", type=int, default=0, help="accepted; ptjax never restarts workers")
    _flag(p, "monitor-interval", type=float, default=0.1, help="seconds between checks of the workers")
    _flag(p, "kill-timeout", type=float, default=5.0, help="seconds between SIGTERM and SIGKILL of the others")
    _flag(p, "run-id", default=None, help="job id exported as TORCHELASTIC_RUN_ID")
    p.add_argument("-m", "--module", action="store_true", help="run the script as a module (python -m)")
    _flag(p, "no-python", action="store_true", help="execute the script directly, not through Python")
    p.add_argument("training_script")
    p.add_argument("training_script_args", nargs=argparse.REMAINDER)
    return p.parse_args(argv)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(args):
    """(nnodes, nproc_per_node, master address, master port) from the flags, with torchrun's errors."""
    if not args.nnodes.isdigit():
        raise SystemExit(f"--nnodes={args.nnodes}: elastic node ranges are not supported; give a number")
    nnodes = int(args.nnodes)
    if args.nproc_per_node == "cpu":
        nproc = os.cpu_count()
    elif args.nproc_per_node.isdigit():
        nproc = int(args.nproc_per_node)
    else:
        raise SystemExit(f"--nproc-per-node={args.nproc_per_node}: give a number or 'cpu'")
    if not 0 <= args.node_rank < nnodes:
        raise SystemExit(f"--node-rank={args.node_rank} is not in [0, {nnodes})")
    if args.max_restarts:
        print("[ptjax.distributed.run] --max-restarts is ignored: ptjax never restarts workers", file=sys.stderr)
    addr, port = args.master_addr, args.master_port
    if args.standalone:
        addr, port = "127.0.0.1", _free_port()
    elif args.rdzv_endpoint:
        addr, _, p = args.rdzv_endpoint.rpartition(":")
        addr, port = (addr, int(p)) if addr else (p, port)
    return nnodes, nproc, addr, port


def _worker_setup():
    """Runs in each worker before exec: its own process group (ended as a whole, with anything it started),
    and SIGKILL from the kernel if the launcher dies."""
    os.setpgid(0, 0)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class Worker:
    def __init__(self, local_rank, rank, cmd, env, error_file):
        self.local_rank, self.rank, self.error_file = local_rank, rank, error_file
        self.proc = subprocess.Popen(cmd, env=env, preexec_fn=_worker_setup)  # noqa: PLW1509 (no threads here)

    def describe(self):
        code = self.proc.returncode
        how = f"exit code {code}" if code >= 0 else f"signal {-code} ({signal.Signals(-code).name})"
        return f"rank {self.rank} (local_rank {self.local_rank}, pid {self.proc.pid}) failed with {how}"

    def signal_group(self, signum):
        try:
            os.killpg(self.proc.pid, signum)
        except ProcessLookupError:
            pass

    def error(self):
        try:
            with open(self.error_file) as f:
                return f.read()
        except OSError:
            return None

    def error_time(self):
        try:
            return os.path.getmtime(self.error_file)
        except OSError:
            return float("inf")


def _start(args, nnodes, nproc, addr, port, error_dir):
    world = nnodes * nproc
    run_id = args.run_id or uuid.uuid4().hex[:12]
    if args.no_python:
        target = [args.training_script]
    else:
        target = [sys.executable, "-m", "ptjax.distributed._bootstrap"] + (["-m"] if args.module else []) \
            + [args.training_script]
    workers = []
    for local_rank in range(nproc):
        rank = args.node_rank * nproc + local_rank
        env = dict(os.environ, RANK=str(rank), LOCAL_RANK=str(local_rank), WORLD_SIZE=str(world),
                   LOCAL_WORLD_SIZE=str(nproc), GROUP_RANK=str(args.node_rank), GROUP_WORLD_SIZE=str(nnodes),
                   ROLE_RANK=str(rank), ROLE_WORLD_SIZE=str(world), ROLE_NAME="default", MASTER_ADDR=addr,
                   MASTER_PORT=str(port), TORCHELASTIC_RUN_ID=run_id, TORCHELASTIC_RESTART_COUNT="0",
                   TORCHELASTIC_MAX_RESTARTS=str(args.max_restarts), TORCHELASTIC_USE_AGENT_STORE="False",
                   PTJAX_ERROR_FILE=os.path.join(error_dir, f"rank{rank}.err"))
        workers.append(Worker(local_rank, rank, target + list(args.training_script_args), env,
                              env["PTJAX_ERROR_FILE"]))
    return workers


def _stop(workers, kill_timeout):
    """End every worker's process group: SIGTERM, then SIGKILL after ``kill_timeout``. Returns the workers that
    were still running."""
    alive = [w for w in workers if w.proc.poll() is None]
    for w in workers:
        w.signal_group(signal.SIGTERM)
    deadline = time.monotonic() + kill_timeout
    for w in alive:
        try:
            w.proc.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for w in workers:
        w.signal_group(signal.SIGKILL)
        w.proc.wait()
    return alive


def _report(failed, stopped):
    root = min(failed, key=lambda w: (w.error_time(), w.rank))
    lines = [f"[ptjax.distributed.run] worker {root.describe()}"]
    error = root.error()
    lines.append(error.rstrip("\n") if error else "(no Python traceback: the worker exited without raising)")
    for w in failed:
        if w is not root:
            lines.append(f"[ptjax.distributed.run] also: worker {w.describe()}")
    if stopped:
        lines.append("[ptjax.distributed.run] stopped the other workers: ranks "
                     + ", ".join(str(w.rank) for w in stopped))
    print("\n".join(lines), file=sys.stderr, flush=True)


def _watch(workers, interval, kill_timeout):
    """Wait for the workers; on the first failure end the others. Returns the launcher's exit status."""
    while True:
        codes = [w.proc.poll() for w in workers]
        failed = [w for w, c in zip(workers, codes) if c not in (None, 0)]
        if failed:
            stopped = _stop(workers, kill_timeout)
            _report(failed, stopped)
            return 1
        if all(c == 0 for c in codes):
            return 0
        time.sleep(interval)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    nnodes, nproc, addr, port = _config(args)
    with tempfile.TemporaryDirectory(prefix="ptjax-run-") as error_dir:
        workers = _start(args, nnodes, nproc, addr, port, error_dir)

        def on_signal(signum, frame):
            _stop(workers, args.kill_timeout)
            sys.exit(128 + signum)

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        try:
            return _watch(workers, args.monitor_interval, args.kill_timeout)
        finally:
            _stop(workers, args.kill_timeout)


if __name__ == "__main__":
    sys.exit(main())
