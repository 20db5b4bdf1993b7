"""What runs inside a DataLoader worker process, plus the fetchers shared with the main process.

Protocol (see ``dataloader.py`` for the main side):

* main -> worker, on a ``multiprocessing.Queue`` per worker: ``(epoch, task, index)`` to fetch a batch,
  ``("resume", epoch)`` to start a new epoch (persistent workers), ``None`` to exit.
* worker -> main, on a Unix socket pair per worker: a pickled ``(epoch, task, kind, payload)`` where kind
  is ``"data"`` (the collated batch), ``"error"`` (an :class:`ExceptionWrapper`) or ``"stop"`` (an
  iterable dataset is exhausted in this worker).  The worker pickles the message itself, so a batch that
  cannot be pickled becomes an error message instead of a lost batch.

Large buffers (NumPy arrays of 128 KiB and more, found with pickle protocol 5) travel out of band: the worker
copies each into an anonymous ``memfd`` and passes the file descriptor over the socket (SCM_RIGHTS); the
main process maps it (copy-on-write) and unpickles with it.  Measured for 38 MB batches: a pipe moved
~140 MB/s on this (loaded) 2-core machine where a memory copy ran at ~1 GB/s.  Nothing has a name, so nothing
leaks: descriptors still in flight are closed with the socket.
"""
from __future__ import annotations

import mmap
import os
import pickle
import socket
import queue
import random
import sys
import traceback

import numpy as np

__all__ = ["WorkerInfo", "get_worker_info"]

# how often an idle worker checks that the main process is still there (seconds)
_PARENT_CHECK_INTERVAL = 2.0


class WorkerInfo:
    """Read-only description of the current worker: ``id``, ``num_workers``, ``seed``, ``dataset``."""

    __initialized = False

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs.keys())
        self.__initialized = True

    def __setattr__(self, key, val):
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")
        return super().__setattr__(key, val)

    def __repr__(self):
        items = [f"{k}={getattr(self, k)}" for k in self.__keys]
        return f"{self.__class__.__name__}({', '.join(items)})"


_worker_info = None


def get_worker_info():
    """The :class:`WorkerInfo` in a DataLoader worker process, ``None`` in the main process."""
    return _worker_info


class _KeyErrorMessage(str):
    """KeyError's str() is the repr of its argument; keep the traceback text readable."""

    def __repr__(self):
        return self


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process with its formatted traceback."""

    def __init__(self, exc_info=None, where="in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where
        try:  # the type travels by reference; one the main process cannot import degrades to RuntimeError
            pickle.loads(pickle.dumps(self.exc_type))
        except Exception:
            self.exc_msg = f"{self.exc_type.__module__}.{self.exc_type.__qualname__}: " + self.exc_msg
            self.exc_type = RuntimeError

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)
        elif getattr(self.exc_type, "message", None):
            raise self.exc_type(message=msg)
        try:
            exception = self.exc_type(msg)
        except Exception:
            raise RuntimeError(msg) from None
        raise exception


# ---- transport ---------------------------------------------------------------------------------------------

_OOB_MIN_BYTES = 1 << 17
_HAS_MEMFD = hasattr(os, "memfd_create")


def _dumps(obj):
    """``(pickle bytes, out-of-band buffers)``; raises what pickling raises."""
    buffers = []

    def out_of_band(pb):
        if pb.raw().nbytes < _OOB_MIN_BYTES:
            return True  # small: keep it in the pickle
        buffers.append(pb)
        return False

    data = pickle.dumps(obj, protocol=5, buffer_callback=out_of_band if _HAS_MEMFD else None)
    return data, buffers


def _send_message(conn, sock, data, buffers):
    from multiprocessing.reduction import sendfds
    fds = []
    try:
        sizes = []
        for pb in buffers:
            raw = pb.raw()
            fd = os.memfd_create("ptjax-dataloader", os.MFD_CLOEXEC)
            fds.append(fd)
            os.ftruncate(fd, raw.nbytes)
            with mmap.mmap(fd, raw.nbytes) as m:
                m[:] = raw
            sizes.append(raw.nbytes)
        conn.send_bytes(pickle.dumps((data, sizes), protocol=5))
        if fds:
            sendfds(sock, fds)
    finally:
        for fd in fds:
            os.close(fd)


def _recv_message(conn, sock):
    """The next message; raises EOFError/OSError when the worker is gone."""
    from multiprocessing.reduction import recvfds
    data, sizes = pickle.loads(conn.recv_bytes())
    if not sizes:
        return data, None
    fds = recvfds(sock, len(sizes))
    try:
        bufs = [mmap.mmap(fd, n, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
                for fd, n in zip(fds, sizes)]
    finally:
        for fd in fds:
            os.close(fd)
    return data, bufs


def _socket_of(conn):
    return socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=os.dup(conn.fileno()))


# ---- fetchers ----------------------------------------------------------------------------------------------

class _MapDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last, fast_batch):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        # fast_batch: None, or True/False (numpy output) when the default collate is in use and the dataset
        # can gather a whole batch at once (TensorDataset, Subset of one)
        self.fast_batch = fast_batch if hasattr(dataset, "_collated_batch") else None

    def fetch(self, index):
        ds = self.dataset
        if self.auto_collation:
            if self.fast_batch is not None:
                out = ds._collated_batch(index, self.fast_batch)
                if out is not None:
                    return out
            getitems = getattr(ds, "__getitems__", None)
            if getitems:
                data = getitems(index)
            else:
                data = [ds[i] for i in index]
        else:
            data = ds[index]
        return self.collate_fn(data)


class _IterableDatasetFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset = dataset
        self.auto_collation = auto_collation
        self.collate_fn = collate_fn
        self.drop_last = drop_last
        self.dataset_iter = iter(dataset)
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if len(data) == 0 or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


def _make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last, fast_batch=None):
    if iterable:
        return _IterableDatasetFetcher(dataset, auto_collation, collate_fn, drop_last)
    return _MapDatasetFetcher(dataset, auto_collation, collate_fn, drop_last, fast_batch)


# ---- the worker --------------------------------------------------------------------------------------------

COLLATE = "default_collate"   # stand-ins sent instead of the default functions: the worker uses the
CONVERT = "default_convert"   # NumPy versions and the main process makes the tensors


def _seed_worker(seed, worker_id, base_seed, forked):
    random.seed(seed)
    np.random.seed(np.random.SeedSequence([worker_id, base_seed & 0xFFFFFFFFFFFFFFFF]).generate_state(4))
    if not forked:  # a forked child cannot run JAX (its thread pools did not survive the fork)
        from ... import manual_seed
        manual_seed(seed)


def _worker_loop(iterable, payload, index_queue, conn, auto_collation, drop_last, base_seed, worker_id,
                 num_workers, forked, torch_aliases):
    """``payload``: ``(dataset, collate, worker_init_fn)``, as cloudpickle bytes unless the worker was forked;
    ``torch_aliases``: install ``python -m ptjax``'s import hook first (the main process runs under it)."""
    import multiprocessing
    from ._collate import _numpy_collate, _numpy_convert

    global _worker_info
    where = f"in DataLoader worker process {worker_id}"

    sock = _socket_of(conn)

    def send(epoch, task, kind, body):
        try:
            data, buffers = _dumps((epoch, task, kind, body))
        except Exception:
            data, buffers = _dumps((epoch, task, "error", ExceptionWrapper(where=where)))
        _send_message(conn, sock, data, buffers)

    parent = multiprocessing.parent_process()
    try:
        init_exception = None
        fetcher = None
        dataset = None
        seed = base_seed + worker_id
        try:
            if torch_aliases:
                from ..._torch_alias import install
                install()
            dataset, collate, init_fn = pickle.loads(payload) if isinstance(payload, bytes) else payload
            _seed_worker(seed, worker_id, base_seed, forked)
            _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
            if collate == COLLATE:
                collate_fn, fast = _numpy_collate, True
            elif collate == CONVERT:
                collate_fn, fast = _numpy_convert, None
            else:
                collate_fn, fast = collate, None
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = _make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last, fast)
        except Exception:
            init_exception = ExceptionWrapper(where=where)

        epoch = 0
        iteration_end = False
        while True:
            try:
                r = index_queue.get(timeout=_PARENT_CHECK_INTERVAL)
            except queue.Empty:
                if parent is not None and not parent.is_alive():
                    break
                continue
            if r is None:
                break
            if r[0] == "resume":
                epoch = r[1]
                iteration_end = False
                if init_exception is None and iterable:
                    try:
                        fetcher = _make_fetcher(iterable, dataset, auto_collation, collate_fn, drop_last)
                    except Exception:
                        init_exception = ExceptionWrapper(where=where)
                continue
            task_epoch, task, index = r
            if task_epoch != epoch or iteration_end:
                continue  # stale work from an abandoned epoch, or nothing left to read
            if init_exception is not None:
                send(task_epoch, task, "error", init_exception)
                continue
            try:
                data = fetcher.fetch(index)
            except StopIteration:
                if iterable:
                    iteration_end = True
                    send(task_epoch, task, "stop", worker_id)
                else:
                    send(task_epoch, task, "error", ExceptionWrapper(where=where))
                continue
            except Exception:
                send(task_epoch, task, "error", ExceptionWrapper(where=where))
                continue
            send(task_epoch, task, "data", data)
            del data
    except (KeyboardInterrupt, BrokenPipeError, EOFError, ConnectionError):
        code = 0  # main process interrupted or went away: exit quietly
    except BaseException:
        traceback.print_exc()
        code = 1
    else:
        code = 0
    try:
        sock.close()
        conn.close()
    except Exception:
        pass
    index_queue.cancel_join_thread()
    sys.stdout.flush()
    sys.stderr.flush()
    # skip interpreter teardown (user atexit handlers, JAX backend shutdown): nothing is left to flush
    os._exit(code)
