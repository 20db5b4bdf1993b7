"""``DataLoader``: torch's loader over ptjax, with real worker processes for ``num_workers > 0``.

Worker processes and JAX
------------------------
JAX is multithreaded; a child forked from a process whose JAX backend is running inherits that backend
without its threads, and its first JAX operation deadlocks (measured: indexing a ptjax tensor in a forked
child hangs; reading an existing array with NumPy works).  Datasets almost always touch JAX (TensorDataset
indexes tensors, ``__getitem__`` calls ``ptjax.tensor``), so workers are **not forked from the main process**
by default:

* default context ``forkserver``: a clean server process (started once, importing only NumPy and JAX, with
  no JAX backend) forks the workers; each worker starts its own JAX *CPU* backend.  Measured on this
  2-core machine: two workers ready in ~0.9 s (first use ~1.8 s, starting the server), against ~3 s with
  ``spawn`` (every worker imports JAX from scratch).  When ptjax starts the server it sets its preload to
  ``["numpy", "jax"]`` (the default ``["__main__"]`` would import a script that imports ptjax, starting a
  JAX backend in the server, which every worker would then inherit) and ``JAX_PLATFORMS=cpu`` (so later
  users of Python's forkserver in this process see that variable too).  If a forkserver that ptjax did not
  start is already running, the default falls back to ``spawn``.
* ``multiprocessing_context="spawn"`` works the same way, slower.
* ``multiprocessing_context="fork"`` is accepted for datasets that only use Python/NumPy (fastest start,
  nothing pickled); any JAX use in such a worker (ptjax ops, ``ptjax.tensor``) deadlocks there.

Workers always run JAX on the CPU (``JAX_PLATFORMS=cpu``) so they never claim accelerator memory, and with
host-side transforms (``ptjax.vision.transforms``) they never start a JAX backend at all.  They do not build
batches with JAX either: with the default ``collate_fn`` a worker collates with NumPy and sends arrays; the
main process wraps them as host tensors (see ``_collate.py``): one transfer per batch, at its first op or its
``.to(device)``.  A custom ``collate_fn`` runs in the worker as given; tensors it returns travel by value.

Scripts without a main guard (as on Linux with torch)
-----------------------------------------------------
The dataset, ``collate_fn`` and ``worker_init_fn`` travel to the workers by value with ``cloudpickle``
(classes and functions defined in the script included, lambdas too), and while workers start, the main
module is hidden from ``multiprocessing`` (which would otherwise re-run the script in each worker, as spawn and
forkserver do).  So a worker never imports the script, and a script that creates a multi-process DataLoader at
module level runs as under torch's fork.  Under ``python -m ptjax`` the workers install the same
``torch`` -> ``ptjax`` import hook before they load the dataset.

Batches come back in sampler order (``in_order=True``): each worker gets ``prefetch_factor`` tasks ahead,
round-robin, and out-of-order arrivals wait in a buffer.  A worker's exception is re-raised in the main
process with its type and the worker's traceback text ("Caught ValueError in DataLoader worker process 0.
Original Traceback ..."); a worker that dies raises torch's "DataLoader worker (pid(s) ...) exited
unexpectedly" (the exit code or signal is its cause).  Workers are shut down at the end of an epoch (unless
``persistent_workers``), on ``break`` (when the iterator is garbage-collected) and at interpreter exit.

``pin_memory=True``: as torch, a warning and nothing else without an accelerator; with one, every tensor of a
batch is ``pin_memory()``-ed (a host tensor flagged pinned; see ``Tensor.pin_memory``).
"""
from __future__ import annotations

import contextlib
import itertools
import math
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import threading
import time
import warnings

import cloudpickle

from ... import _torch_alias
from ...multiprocessing import main_module_hidden
from . import _worker
from ._collate import _materialize, _pin_memory, default_collate, default_convert
from ._worker import _make_fetcher
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

__all__ = ["DataLoader", "get_worker_info", "default_collate", "default_convert"]

get_worker_info = _worker.get_worker_info


class _DatasetKind:
    Map = 0
    Iterable = 1


class _InfiniteConstantSampler(Sampler):
    """The sampler of an IterableDataset: yields None forever (the dataset decides when to stop)."""

    def __iter__(self):
        while True:
            yield None


# ---- worker process start ----------------------------------------------------------------------------------

_WORKER_ENV = {"JAX_PLATFORMS": "cpu"}
_env_lock = threading.Lock()
_forkserver_configured = False


@contextlib.contextmanager
def _worker_environment():
    """Environment seen by processes started inside (workers, and the forkserver if it starts now)."""
    with _env_lock:
        saved = {k: os.environ.get(k) for k in _WORKER_ENV}
        os.environ.update(_WORKER_ENV)
        try:
            yield
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def _forkserver():
    from multiprocessing import forkserver
    return getattr(forkserver, "_forkserver", None)


_our_forkserver_address = None


def _forkserver_is_clean():
    """True when the forkserver is not running yet (ptjax will start it) or ptjax started it: a server that
    someone else started may have imported a script that started JAX, or may not have JAX_PLATFORMS=cpu."""
    address = getattr(_forkserver(), "_forkserver_address", None)
    return address is None or address == _our_forkserver_address


def _note_forkserver():
    global _our_forkserver_address
    if _our_forkserver_address is None:
        _our_forkserver_address = getattr(_forkserver(), "_forkserver_address", None)


def _prepare_context(ctx):
    """The context to start workers with; a forkserver is kept free of JAX (see the module docstring)."""
    global _forkserver_configured
    if ctx is None:
        if "forkserver" not in multiprocessing.get_all_start_methods() or not _forkserver_is_clean():
            return multiprocessing.get_context("spawn")
        ctx = multiprocessing.get_context("forkserver")
    if ctx.get_start_method() == "forkserver" and not _forkserver_configured:
        _forkserver_configured = True
        # replace only the stock preload (["__main__"], which would import a script that imports ptjax and so
        # start JAX in the server); a preload the user chose stays
        if getattr(_forkserver(), "_preload_modules", None) == ["__main__"]:
            ctx.set_forkserver_preload(["numpy", "jax"])
    return ctx


def _is_forked(ctx):
    return ctx.get_start_method() == "fork"


def _accelerator_available():
    from ..._device import cuda_is_available
    return cuda_is_available()


# ---- the loader ---------------------------------------------------------------------------------------------

class DataLoader:
    """torch.utils.data.DataLoader: batches of a map-style or iterable dataset, in the main process or in
    ``num_workers`` worker processes (see the module docstring for how workers run).

    ``pin_memory``: see the module docstring (``pin_memory_device`` is accepted and unused).
    Shuffling (``shuffle=True``) uses ptjax's random numbers: reproducible with ``ptjax.manual_seed`` or
    ``generator``, not the order torch gives for the same seed.
    """

    __initialized = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             "multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None.")
        elif num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")

        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order

        if isinstance(dataset, IterableDataset):
            self._dataset_kind = _DatasetKind.Iterable
            if shuffle not in {False, None}:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got "
                                 f"shuffle={shuffle}")
            elif sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got "
                                 f"sampler={sampler}")
            elif batch_sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                                 f"but got batch_sampler={batch_sampler}")
        else:
            shuffle = bool(shuffle)
            self._dataset_kind = _DatasetKind.Map

        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")

        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, "
                                 "and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None:
            if drop_last:
                raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                                 "drop_last")

        if sampler is None:
            if self._dataset_kind == _DatasetKind.Iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)

        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator

        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers

        self.__initialized = True
        self._IterableDataset_len_called = None
        self._iterator = None
        self.check_worker_number_rationality()

    def __class_getitem__(cls, item):
        return cls

    # ---- attributes -----------------------------------------------------------------------------------------
    @property
    def multiprocessing_context(self):
        return self.__multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, multiprocessing_context):
        if multiprocessing_context is not None:
            if self.num_workers > 0:
                if isinstance(multiprocessing_context, str):
                    valid = multiprocessing.get_all_start_methods()
                    if multiprocessing_context not in valid:
                        raise ValueError("multiprocessing_context option should specify a valid start method in "
                                         f"{valid!r}, but got multiprocessing_context={multiprocessing_context!r}")
                    multiprocessing_context = multiprocessing.get_context(multiprocessing_context)
                if not isinstance(multiprocessing_context, multiprocessing.context.BaseContext):
                    raise TypeError("multiprocessing_context option should be a valid context object or a string "
                                    f"specifying the start method, but got "
                                    f"multiprocessing_context={multiprocessing_context}")
            else:
                raise ValueError("multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
        self.__multiprocessing_context = multiprocessing_context

    def __setattr__(self, attr, val):
        if self.__initialized and attr in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                           "persistent_workers"):
            raise ValueError(f"{attr} attribute should not be set after {self.__class__.__name__} is initialized")
        super().__setattr__(attr, val)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    # ---- iteration ------------------------------------------------------------------------------------------
    def _get_iterator(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        self.check_worker_number_rationality()
        return _MultiProcessingDataLoaderIter(self)

    def __iter__(self):
        if self.persistent_workers and self.num_workers > 0:
            if self._iterator is None or self._iterator._shutdown:
                self._iterator = self._get_iterator()
            else:
                self._iterator._reset(self)
            return self._iterator
        return self._get_iterator()

    def __len__(self):
        if self._dataset_kind == _DatasetKind.Iterable:
            length = self._IterableDataset_len_called = len(self.dataset)
            if self.batch_size is not None:
                if self.drop_last:
                    length = length // self.batch_size
                else:
                    length = math.ceil(length / self.batch_size)
            return length
        return len(self._index_sampler)

    def check_worker_number_rationality(self):
        if self.num_workers <= 0:
            return
        try:
            cpus = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            cpus = os.cpu_count()
        if cpus is not None and self.num_workers > cpus:
            warnings.warn(f"This DataLoader will create {self.num_workers} worker processes in total. Our suggested "
                          f"max number of worker in current system is {cpus}, which is smaller than what this "
                          "DataLoader is going to create. Please be aware that excessive worker creation might "
                          "get DataLoader running slow or even freeze, lower the worker number to avoid potential "
                          "slowness/freeze if necessary.")


# ---- iterators ---------------------------------------------------------------------------------------------

class _BaseDataLoaderIter:
    def __init__(self, loader):
        from ... import empty, int64
        self._dataset = loader.dataset
        self._dataset_kind = loader._dataset_kind
        self._IterableDataset_len_called = loader._IterableDataset_len_called
        self._auto_collation = loader._auto_collation
        self._drop_last = loader.drop_last
        self._index_sampler = loader._index_sampler
        self._num_workers = loader.num_workers
        self._prefetch_factor = loader.prefetch_factor
        self._timeout = loader.timeout
        self._collate_fn = loader.collate_fn
        self._pin_memory = loader.pin_memory
        if self._pin_memory and not _accelerator_available():
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.")
            self._pin_memory = False
        self._persistent_workers = loader.persistent_workers
        self._in_order = loader.in_order
        self._sampler_iter = iter(self._index_sampler)
        self._base_seed = int(empty((), dtype=int64).random_(generator=loader.generator).item())
        self._num_yielded = 0
        self._shutdown = False

    def __iter__(self):
        return self

    def _reset(self, loader, first_iter=False):
        self._sampler_iter = iter(self._index_sampler)
        self._num_yielded = 0
        self._IterableDataset_len_called = loader._IterableDataset_len_called

    def _next_index(self):
        return next(self._sampler_iter)

    def _next_data(self):
        raise NotImplementedError

    def __next__(self):
        data = self._next_data()
        self._num_yielded += 1
        return _pin_memory(data) if self._pin_memory else data

    def __len__(self):
        return len(self._index_sampler)

    def __getstate__(self):
        raise NotImplementedError(f"{self.__class__.__name__} cannot be pickled")


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        assert self._timeout == 0
        assert self._num_workers == 0
        fast = False if self._collate_fn is default_collate else None
        self._fetcher = _make_fetcher(self._dataset_kind == _DatasetKind.Iterable, self._dataset,
                                      self._auto_collation, self._collate_fn, self._drop_last, fast)

    def _next_data(self):
        index = self._next_index()  # StopIteration ends the epoch
        return self._fetcher.fetch(index)


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Workers fetch and collate; results come back over per-worker pipes and are yielded in order."""

    def __init__(self, loader):
        super().__init__(loader)
        assert self._num_workers > 0
        assert self._prefetch_factor is not None
        default_ctx = loader.multiprocessing_context is None
        ctx = _prepare_context(loader.multiprocessing_context)
        forked = _is_forked(ctx)
        iterable = self._dataset_kind == _DatasetKind.Iterable
        if self._collate_fn is default_collate:
            collate = _worker.COLLATE
        elif self._collate_fn is default_convert:
            collate = _worker.CONVERT
        else:
            collate = self._collate_fn
        # what workers run, pickled once (not once per worker) and by value: see the module docstring
        payload = (self._dataset, collate, loader.worker_init_fn)
        if not forked:
            payload = cloudpickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        torch_aliases = _torch_alias.installed()

        self._workers, self._index_queues, self._readers = [], [], []
        self._worker_pids = []
        self._epoch = 0
        self._shutdown = False
        try:
            for i in range(self._num_workers):
                index_queue = ctx.Queue()
                index_queue.cancel_join_thread()  # never block exit on undelivered indices
                reader, writer = ctx.Pipe(duplex=True)  # a socket pair: it can carry file descriptors
                w = ctx.Process(target=_worker._worker_loop,
                                args=(iterable, payload, index_queue, writer, self._auto_collation,
                                      self._drop_last, self._base_seed, i, self._num_workers, forked,
                                      torch_aliases))
                w.daemon = True
                # append first: a failed start still gets cleaned up by _shutdown_workers
                self._index_queues.append(index_queue)
                self._readers.append(reader)
                with _worker_environment(), main_module_hidden():
                    w.start()
                if default_ctx and ctx.get_start_method() == "forkserver":
                    _note_forkserver()
                writer.close()
                self._workers.append(w)
                self._worker_pids.append(w.pid)
        except BaseException:
            self._shutdown_workers()
            raise
        self._reader_open = [True] * self._num_workers
        self._sockets = [_worker._socket_of(r) for r in self._readers]
        self._reset(loader, first_iter=True)

    # ---- bookkeeping -----------------------------------------------------------------------------------------
    def _reset(self, loader, first_iter=False):
        super()._reset(loader, first_iter)
        self._send_idx = 0        # next task id to send
        self._rcvd_idx = 0        # next task id to yield
        self._task_info = {}      # task -> (worker,) while pending, (worker, message) once received
        self._tasks_outstanding = 0
        self._workers_status = [True] * self._num_workers
        self._worker_queue_idx_cycle = itertools.cycle(range(self._num_workers))
        if not first_iter:
            self._epoch += 1
            for q in self._index_queues:
                q.put(("resume", self._epoch))
        for _ in range(max(1, self._prefetch_factor * self._num_workers)):
            self._try_put_index()

    def _try_put_index(self):
        if self._tasks_outstanding >= max(1, self._prefetch_factor * self._num_workers):
            return
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_queue_idx_cycle)
            if self._workers_status[worker_id]:
                break
        else:
            return  # every worker has finished its part of an iterable dataset
        self._index_queues[worker_id].put((self._epoch, self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._tasks_outstanding += 1
        self._send_idx += 1

    def _next_data(self):
        while True:
            if self._shutdown:
                raise StopIteration
            # skip tasks already yielded (in_order=False) or sent to workers that have run dry
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None:
                    if len(info) == 2 or self._workers_status[info[0]]:
                        break
                    del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent_workers:
                    self._shutdown_workers()
                raise StopIteration

            if len(self._task_info[self._rcvd_idx]) == 2:
                msg = self._task_info.pop(self._rcvd_idx)[1]
                self._rcvd_idx += 1
                return self._process_data(msg)

            worker_id, task, kind, payload = self._get_data()
            self._tasks_outstanding -= 1
            if kind == "stop":
                self._workers_status[worker_id] = False
                self._try_put_index()
                continue
            if task == self._rcvd_idx:
                del self._task_info[task]
                self._rcvd_idx += 1
                return self._process_data((kind, payload))
            if not self._in_order:
                del self._task_info[task]
                return self._process_data((kind, payload))
            self._task_info[task] += ((kind, payload),)

    def _process_data(self, msg):
        kind, payload = msg
        self._try_put_index()
        if kind == "error":
            payload.reraise()
        return _materialize(payload)

    def _get_data(self):
        """The next message of the current epoch from any worker; raises if a worker died or on timeout."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            readers = {self._readers[i]: i for i in range(self._num_workers) if self._reader_open[i]}
            sentinels = {self._workers[i].sentinel: i for i in range(self._num_workers) if self._workers_status[i]}
            if not readers:
                pids = ", ".join(str(w.pid) for w in self._workers)
                raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly")
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = multiprocessing.connection.wait(list(readers) + list(sentinels), timeout=wait)
            if not ready:
                if deadline is not None and time.monotonic() >= deadline:
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")
                continue
            dead = []
            for r in ready:
                if r in readers:
                    i = readers[r]
                    try:
                        data, buffers = _worker._recv_message(r, self._sockets[i])
                    except (EOFError, OSError, RuntimeError):
                        # end of stream: everything it sent has been read. Raise now, even if another
                        # worker's batch is ready in this same round (returning that would forget the death)
                        self._reader_open[i] = False
                        if self._workers_status[i]:
                            self._raise_worker_death([i])
                        continue
                    try:
                        epoch, task, kind, payload = pickle.loads(data, buffers=buffers)
                    except Exception as e:
                        raise RuntimeError(f"DataLoader worker {i} sent a message that cannot be unpickled in the "
                                           f"main process: {e!r}") from e
                    if epoch != self._epoch:
                        continue  # left over from an epoch that was not read to the end
                    return i, task, kind, payload
                else:
                    i = sentinels[r]
                    # read what it sent before dying first (its reader is in this round or the next)
                    if not self._reader_open[i] or not self._readers[i].poll():
                        dead.append(i)
            if dead:
                self._raise_worker_death(sorted(set(dead)))

    def _raise_worker_death(self, dead):
        """torch's error for workers that died; how each ended (signal or exit code) is its cause."""
        causes = []
        for i in dead:
            w = self._workers[i]
            w.join(timeout=1.0)
            code = w.exitcode
            if code is not None and code < 0:
                try:
                    name = signal.strsignal(-code) or f"signal {-code}"
                except (ValueError, AttributeError):
                    name = f"signal {-code}"
                causes.append(f"DataLoader worker (pid {w.pid}) is killed by signal: {name}. ")
            else:
                causes.append(f"DataLoader worker (pid {w.pid}) exited unexpectedly with exit code {code}.")
        self._shutdown_workers()
        pids = ", ".join(str(self._workers[i].pid) for i in dead)
        raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly") \
            from RuntimeError("\n".join(causes))

    # ---- shutdown --------------------------------------------------------------------------------------------
    def _shutdown_workers(self):
        if getattr(self, "_workers_shut", False):
            return
        self._shutdown = True
        self._workers_shut = True
        for q in getattr(self, "_index_queues", ()):
            try:
                q.put(None)
            except Exception:
                pass
        # a worker blocked sending a batch gets BrokenPipeError and exits
        for r in list(getattr(self, "_readers", ())) + list(getattr(self, "_sockets", ())):
            try:
                r.close()
            except Exception:
                pass
        deadline = time.monotonic() + 1.0
        workers = getattr(self, "_workers", ())
        for w in workers:
            w.join(timeout=max(0.0, deadline - time.monotonic()))
        for w in workers:
            if w.is_alive():
                w.terminate()
                w.join(timeout=1.0)
                if w.is_alive():
                    w.kill()
                    w.join(timeout=1.0)
        for q in getattr(self, "_index_queues", ()):
            try:
                q.cancel_join_thread()
                q.close()
            except Exception:
                pass

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:
            pass
