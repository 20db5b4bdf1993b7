"""torch.multiprocessing: Python's ``multiprocessing`` with torch's additions — ``spawn`` / ``start_processes``
(the launcher of torch's DDP tutorials: ``mp.spawn(train, args=(world_size,), nprocs=world_size)``) and the
sharing-strategy switches.

How ``spawn`` differs from torch's, and why: the function and its arguments travel to the children by value
(cloudpickle), and the main module is hidden from ``multiprocessing`` while they start, so a child never re-runs
the script (a script without an ``if __name__ == "__main__":`` guard works, where torch's children would re-run
it); under ``python -m ptjax`` the children install the same torch → ptjax import hook first. Tensors cross
process boundaries by pickling (JAX arrays are not shared memory), so the sharing strategy changes nothing.
"""
from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import pickle
import signal
import sys
import traceback
import types

import cloudpickle

from .. import _torch_alias

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies", "spawn", "start_processes",
           "ProcessContext", "ProcessException", "ProcessRaisedException", "ProcessExitedException",
           *multiprocessing.__all__]
globals().update({name: getattr(multiprocessing, name) for name in multiprocessing.__all__})  # as torch's

_STRATEGIES = {"file_descriptor", "file_system"}
_strategy = "file_descriptor"


def get_all_sharing_strategies():
    return set(_STRATEGIES)


def get_sharing_strategy():
    return _strategy


def set_sharing_strategy(new_strategy):
    global _strategy
    if new_strategy not in _STRATEGIES:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}")
    _strategy = new_strategy


@contextlib.contextmanager
def main_module_hidden():
    """``multiprocessing`` re-runs the main script in a spawned or forkserver child when ``__main__`` has a file;
    a stand-in module without one makes it skip that (the children get what they run by value instead)."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


# ---- spawn ------------------------------------------------------------------------------------------------------

class ProcessException(Exception):
    def __init__(self, msg: str, error_index: int, error_pid: int):
        super().__init__(msg)
        self.msg, self.error_index, self.pid = msg, error_index, error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid)


class ProcessRaisedException(ProcessException):
    """A child raised: the message carries its traceback."""


class ProcessExitedException(ProcessException):
    """A child exited with a non-zero code or was killed by a signal."""

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int, signal_name: str | None = None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.pid, self.exit_code, self.signal_name)


def _child(payload, index, error_queue, torch_aliases):
    if torch_aliases:
        _torch_alias.install()
    try:
        fn, args = pickle.loads(payload)
        fn(index, *args)
    except KeyboardInterrupt:
        pass
    except Exception:
        error_queue.put(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    """The started children (``processes``) and their error queues; ``join`` raises the first failure."""

    def __init__(self, processes, error_queues):
        self.processes, self.error_queues = processes, error_queues
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self):
        return [p.pid for p in self.processes]

    def join(self, timeout=None):
        """Wait for the children; True once all ended well. A child that failed ends the others, then raises."""
        if not self.sentinels:
            return True
        ready = multiprocessing.connection.wait(list(self.sentinels), timeout=timeout)
        failed = None
        for sentinel in ready:
            index = self.sentinels.pop(sentinel)
            self.processes[index].join()
            if self.processes[index].exitcode != 0:
                failed = index
                break
        if failed is None:
            return not self.sentinels
        for p in self.processes:
            if p.is_alive():
                p.terminate()
            p.join()
        self.sentinels.clear()
        self._raise(failed)

    def _raise(self, index):
        p, errors = self.processes[index], self.error_queues[index]
        if not errors.empty():
            raise ProcessRaisedException(f"\n\n-- Process {index} terminated with the following error:\n"
                                         f"{errors.get()}", index, p.pid)
        if p.exitcode < 0:
            name = signal.Signals(-p.exitcode).name
            raise ProcessExitedException(f"process {index} terminated with signal {name}", index, p.pid, p.exitcode,
                                         name)
        raise ProcessExitedException(f"process {index} terminated with exit code {p.exitcode}", index, p.pid,
                                     p.exitcode)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Start ``nprocs`` processes running ``fn(i, *args)``; wait for them (``join=True``) or return their
    ``ProcessContext``. A child that raises ends the others and raises ``ProcessRaisedException`` here."""
    ctx = multiprocessing.get_context(start_method)
    payload = cloudpickle.dumps((fn, tuple(args)), protocol=pickle.HIGHEST_PROTOCOL)
    processes, queues = [], []
    with main_module_hidden():
        for i in range(nprocs):
            errors = ctx.SimpleQueue()
            p = ctx.Process(target=_child, args=(payload, i, errors, _torch_alias.installed()), daemon=daemon)
            p.start()
            processes.append(p)
            queues.append(errors)
    context = ProcessContext(processes, queues)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """torch.multiprocessing.spawn: ``start_processes`` with the ``spawn`` start method by default."""
    return start_processes(fn, args, nprocs, join, daemon, start_method)
