"""``nn.DataParallel``: one process, the batch split over this process's devices by XLA.

torch copies the module to every GPU at each forward, runs the replicas in threads and gathers their outputs.
On JAX the same plan is a sharding: the parameters and buffers are replicated over a ``jax.sharding.Mesh`` of the
chosen devices once (in place, at construction), each input is placed split along ``dim`` over that mesh, and
every op then runs on all devices at once (XLA partitions it and inserts the reductions the gradients of
replicated parameters need). The placement is a recorded op, so gradients flow back to inputs that need them.
The outputs are global arrays over the mesh that hold the whole batch (what torch's gather gives); reading them
(``.item()``, ``.numpy()``, a loss) gathers.

Differences from torch: the module's own parameters stay replicated after construction (there are no per-forward
replicas, and an optimizer built before or after works on them alike); outputs are not moved to
``output_device`` (a move inside the recorded graph would place the backward's cotangents on one device while
the forward ran on all); a batch whose size along ``dim`` does not divide evenly over the devices is replicated
instead of split (each device computes all of it: correct, no speed-up). With one device the module is simply
called (as torch does without GPUs); several CPU devices (``--xla_force_host_platform_device_count``) are used
like GPUs.
"""
from __future__ import annotations

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding, PartitionSpec

from ..._device import device as torch_device
from ..._ops.dispatch import move_to_device
from ..._tensor import Tensor
from ..modules.module import Module

__all__ = ["DataParallel"]

AXIS = "batch"


def _index(d):
    if isinstance(d, int):
        return d
    return torch_device(d).index or 0


def _map_tensors(obj, fn):
    if isinstance(obj, Tensor):
        return fn(obj)
    if isinstance(obj, (list, tuple)):
        mapped = [_map_tensors(o, fn) for o in obj]
        return type(obj)(*mapped) if hasattr(obj, "_fields") else type(obj)(mapped)
    if isinstance(obj, dict):
        return type(obj)((k, _map_tensors(v, fn)) for k, v in obj.items())
    return obj


class DataParallel(Module):
    """torch's DataParallel on one process's devices (see the module docstring)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        first = next(iter(module.parameters()), None)
        platform = "gpu" if first is not None and first.device.type == "cuda" else "cpu"
        local = jax.local_devices(backend=platform)
        self.module = module
        self.dim = dim
        self.device_ids = list(range(len(local))) if device_ids is None else [_index(d) for d in device_ids]
        self.output_device = self.device_ids[0] if output_device is None else _index(output_device)
        devices = [local[i] for i in self.device_ids]
        self._mesh = Mesh(np.array(devices), (AXIS,)) if len(devices) > 1 else None
        if self._mesh is not None:
            replicated = NamedSharding(self._mesh, PartitionSpec())
            for t in list(module.parameters()) + list(module.buffers()):
                t._write(jax.device_put(t._value, replicated))

    def _split(self, t):
        size = t.shape[self.dim] if t.dim() > self.dim else 0
        n = self._mesh.size
        spec = [None] * t.dim()
        if size and size % n == 0:
            spec[self.dim] = AXIS
        return move_to_device(t, NamedSharding(self._mesh, PartitionSpec(*spec)))

    def forward(self, *inputs, **kwargs):
        if self._mesh is None:
            return self.module(*inputs, **kwargs)
        inputs, kwargs = _map_tensors(inputs, self._split), _map_tensors(kwargs, self._split)
        return self.module(*inputs, **kwargs)
