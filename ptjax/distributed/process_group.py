"""The default process group: joining JAX's distributed runtime and the mesh the collectives run on.

``init_process_group`` maps torch's rendezvous onto ``jax.distributed.initialize``: ``MASTER_ADDR:MASTER_PORT``
becomes JAX's coordinator address (a gRPC service hosted by rank 0), ``RANK`` the JAX process id and
``WORLD_SIZE`` the number of processes. Each rank contributes one device (its first local device of the
backend's platform) to a one-axis ``jax.sharding.Mesh``, ordered by rank; every collective is an SPMD program
over that mesh (``_programs.py``), so XLA moves the data (gloo between CPUs, NCCL between GPUs).

Differences from torch, and why:

* JAX's runtime must be joined before JAX runs its first computation in the process, and cannot be left and
  joined again. The launcher (``python -m ptjax.distributed.run``) therefore joins it before the script starts,
  and ``init_process_group`` then only checks the script's arguments against it; without the launcher,
  call ``init_process_group`` before any tensor work. ``destroy_process_group`` forgets the group but the
  process stays in JAX's runtime, so a later ``init_process_group`` must name the same rank and world size.
* A world of one process needs no runtime: ``init_process_group(world_size=1, ...)`` never connects anywhere.
* Only the default group exists: ``new_group`` over all ranks returns it, over a subset raises.
* ``init_method`` may be ``env://`` or ``tcp://host:port``; ``file://`` and ``store=`` are not supported (JAX's
  coordinator is a TCP service).
"""
from __future__ import annotations

import datetime
import importlib.util
import os
import urllib.parse

import numpy as np

__all__ = [
    "Backend",
    "GroupMember",
    "ProcessGroup",
    "default_pg_timeout",
    "destroy_process_group",
    "get_backend",
    "get_rank",
    "get_world_size",
    "group",
    "init_process_group",
    "is_available",
    "is_gloo_available",
    "is_initialized",
    "is_nccl_available",
    "is_torchelastic_launched",
    "new_group",
]

AXIS = "rank"                                   # the mesh axis the collectives reduce over
default_pg_timeout = datetime.timedelta(minutes=30)
NOT_INITIALIZED = "Default process group has not been initialized, please make sure to call init_process_group."


class Backend(str):
    """torch's backend names: ``Backend("GLOO") == "gloo"``. gloo = CPUs, nccl = GPUs (both through XLA)."""

    UNDEFINED = "undefined"
    GLOO = "gloo"
    NCCL = "nccl"

    def __new__(cls, name: str):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, but got: {type(name)}")  # noqa: TRY004 (torch)
        value = name.lower()
        if value not in (cls.GLOO, cls.NCCL, cls.UNDEFINED):
            raise ValueError(f"Invalid backend: '{name}'")
        return super().__new__(cls, value)


class ProcessGroup:
    """All ranks of the job: ``rank()``, ``size()``, the backend and the device mesh (one device per rank)."""

    def __init__(self, backend: str, rank: int, world_size: int, devices):
        from jax.sharding import (
            Mesh,
            NamedSharding,
            PartitionSpec,
            SingleDeviceSharding,
        )
        self._backend = backend
        self._rank = rank
        self._size = world_size
        self.devices = tuple(devices)
        self.device = self.devices[rank]              # this rank's device: collectives read and write it
        self.local_sharding = SingleDeviceSharding(self.device)
        self.mesh = Mesh(np.array(self.devices), (AXIS,))
        self.sharding = NamedSharding(self.mesh, PartitionSpec(AXIS))

    def rank(self) -> int:
        return self._rank

    def size(self) -> int:
        return self._size

    def name(self) -> str:
        return self._backend

    def __repr__(self):
        return f"<ptjax.distributed.ProcessGroup backend={self._backend} rank={self._rank} size={self._size}>"


class GroupMember:
    """``GroupMember.WORLD``: the default group once initialized (None before)."""

    WORLD: ProcessGroup | None = None
    NON_GROUP_MEMBER = -100


class _GroupNamespace:
    """``dist.group.WORLD``, as torch spells it: the same object as ``GroupMember.WORLD``."""

    @property
    def WORLD(self):
        return GroupMember.WORLD


group = _GroupNamespace()


def is_available() -> bool:
    return True


def is_gloo_available() -> bool:
    return True


def is_nccl_available() -> bool:
    """Whether JAX has a CUDA plugin installed (answered without starting a JAX backend)."""
    return any(importlib.util.find_spec(m) is not None for m in ("jax_cuda12_plugin", "jax_cuda13_plugin"))


def is_initialized() -> bool:
    return GroupMember.WORLD is not None


def is_torchelastic_launched() -> bool:
    """True in a process started by a launcher (``TORCHELASTIC_RUN_ID`` is set), as torch."""
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


def _world(group=None) -> ProcessGroup:
    if GroupMember.WORLD is None:
        raise ValueError(NOT_INITIALIZED)
    if group is not None and group is not GroupMember.WORLD:
        raise ValueError("ptjax.distributed supports only the default process group (group=None or group.WORLD)")
    return GroupMember.WORLD


def get_rank(group=None) -> int:
    return _world(group).rank()


def get_world_size(group=None) -> int:
    return _world(group).size()


def get_backend(group=None) -> str:
    return _world(group).name()


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """Only the group of all ranks exists in ptjax: ``new_group()`` / ``new_group(range(world))`` return it."""
    world = _world()
    if ranks is not None and sorted(ranks) != list(range(world.size())):
        raise NotImplementedError("ptjax.distributed supports only the group of all ranks; "
                                  f"new_group({list(ranks)}) in a world of {world.size()} is not available")
    return world


def _rendezvous(init_method, rank, world_size):
    """(address, port, rank, world_size) from ``env://`` (torchrun's variables) or ``tcp://host:port``."""
    url = urllib.parse.urlparse(init_method)
    if url.scheme == "env":
        def env(name, given=None):
            if given is not None and given >= 0:
                return given
            if name not in os.environ:
                raise ValueError(f"Error initializing torch.distributed using env:// rendezvous: environment "
                                 f"variable {name} expected, but not set")
            return os.environ[name]
        rank, world_size = int(env("RANK", rank)), int(env("WORLD_SIZE", world_size))
        return env("MASTER_ADDR"), int(env("MASTER_PORT")), rank, world_size
    if url.scheme == "tcp":
        if rank < 0:
            raise ValueError("Error initializing torch.distributed using tcp:// rendezvous: rank parameter missing")
        if world_size < 0:
            raise ValueError("Error initializing torch.distributed using tcp:// rendezvous: world size parameter "
                             "missing")
        return url.hostname, url.port, rank, world_size
    raise NotImplementedError(f"ptjax.distributed supports init_method 'env://' and 'tcp://host:port' (JAX's "
                              f"coordinator is a TCP service), not '{init_method}'")


def join_runtime(address, port, rank, world_size, timeout_s, local_device=None):
    """Join JAX's distributed runtime as process ``rank`` of ``world_size`` (coordinator at ``address:port``).

    CPU collectives go through gloo (XLA's default CPU backend has none across processes); ``local_device``
    (a GPU index) limits this process to its own GPU, as one-process-per-GPU jobs want."""
    import jax
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    try:
        jax.distributed.initialize(coordinator_address=f"{address}:{port}", num_processes=world_size,
                                   process_id=rank, initialization_timeout=max(1, int(timeout_s)),
                                   local_device_ids=None if local_device is None else [local_device])
    except RuntimeError as e:
        if "before any JAX computations" not in str(e):
            raise
        raise RuntimeError("init_process_group must run before the first tensor operation in this process (JAX "
                           "joins its distributed runtime before it starts a backend); move it up, or start the "
                           "script with `python -m ptjax.distributed.run`, which joins first") from None


def _backend_platform(backend):
    """(backend name, JAX platform) for torch's backend argument (``None``: nccl when JAX sees GPUs)."""
    from .._device import cuda_is_available
    if backend is None or str(backend).lower() == "undefined":
        backend = Backend.NCCL if cuda_is_available() else Backend.GLOO
    elif "," in str(backend) or ":" in str(backend):  # "cpu:gloo,cuda:nccl"
        choices = dict(part.split(":") for part in str(backend).lower().split(","))
        backend = choices.get("cuda") if cuda_is_available() and "cuda" in choices else choices.get("cpu", "gloo")
    backend = Backend(backend)
    if backend == Backend.NCCL and not cuda_is_available():
        raise RuntimeError("ProcessGroupNCCL is only supported with GPUs, no GPUs found!")
    return backend, "gpu" if backend == Backend.NCCL else "cpu"


def _rank_devices(platform, world_size):
    """One device per rank, in rank order: each process's first device of ``platform``."""
    import jax
    if world_size == 1:
        return [jax.local_devices(backend=platform)[0]]
    firsts = {}
    for d in jax.devices(platform):
        firsts.setdefault(d.process_index, d)
    missing = [r for r in range(world_size) if r not in firsts]
    if missing:
        raise RuntimeError(f"ranks {missing} have no {platform} device in JAX's runtime")
    return [firsts[r] for r in range(world_size)]


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """torch's ``init_process_group`` on JAX's distributed runtime (see the module docstring)."""
    import jax
    if GroupMember.WORLD is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if store is not None:
        raise NotImplementedError("ptjax.distributed does not take a store; use init_method='env://' or "
                                  "'tcp://host:port'")
    if backend is not None and str(backend).lower() not in ("gloo", "nccl", "undefined") and ":" not in str(backend):
        raise AssertionError(f"Unknown backend type {backend}")
    address, port, rank, world_size = _rendezvous(init_method or "env://", rank, world_size)
    if not 0 <= rank < world_size:
        raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {world_size - 1}]")
    if jax.distributed.is_initialized():
        if (jax.process_index(), jax.process_count()) != (rank, world_size):
            raise RuntimeError(f"this process already joined JAX's runtime as rank {jax.process_index()} of "
                               f"{jax.process_count()}; init_process_group asked for rank {rank} of {world_size}")
    elif world_size > 1:
        local_gpu = None
        if str(backend).lower() == Backend.NCCL:   # one GPU per process: device_id, else LOCAL_RANK
            local_gpu = int(os.environ.get("LOCAL_RANK", rank)) if device_id is None else \
                device_id if isinstance(device_id, int) else device_id.index or 0
        join_runtime(address, port, rank, world_size, (timeout or default_pg_timeout).total_seconds(), local_gpu)
    backend, platform = _backend_platform(backend)
    world = ProcessGroup(backend, rank, world_size, _rank_devices(platform, world_size))
    GroupMember.WORLD = world


def destroy_process_group(group=None):
    """Forget the default group (the process stays in JAX's runtime; see the module docstring)."""
    from . import _programs
    _world(group)
    GroupMember.WORLD = None
    _programs.clear()
