"""``nn.parallel.DistributedDataParallel``: one model replica per process, gradients averaged after backward.

At construction rank 0's parameters and buffers are broadcast to every rank (one program, bit-exact). The
parameters are grouped into buckets as torch does (reverse registration order, one dtype and device per bucket,
the first bucket capped at 1 MiB, the others at ``bucket_cap_mb``). A post-accumulate-grad hook on each
parameter marks it ready once ``backward()`` has accumulated its ``.grad``; when every parameter of a bucket is
ready, the bucket's gradients are averaged over the ranks by one compiled program
(``ptjax.distributed.collectives.reduce_arrays``) whose all-reduces XLA combines into a single collective.
Buckets are launched in bucket order on every rank, so all ranks issue the same collectives in the same order.

Under ``ptjax.compile`` of a whole training step (forward, ``backward()``, optimizer step), the hooks run while
the step is traced and their bucket all-reduces become part of the compiled program, which then runs as one SPMD
program over the process group's mesh (``ptjax/_compile/program.py``): one program per step, the all-reduces
inside it. The flags that decide the program (``no_sync()``, buffer broadcasts) are guarded: changing them
compiles another program. Compiling only the forward of a DDP model is a graph break (that call runs eagerly):
the reducer it arms is Python state that a later, separate backward needs; so is ``find_unused_parameters=True``
(which parameters some rank used is read on the host).

Differences from torch: gradients are not views into a flat bucket (``gradient_as_bucket_view`` is accepted and
has no effect: JAX arrays are immutable, each ``.grad`` is written in place with its averaged value); communication
does not overlap the backward computation (ptjax's backward produces all gradients in one compiled call before
any hook runs); ``register_comm_hook`` and ``join`` are not provided.
"""
from __future__ import annotations

import contextlib

import jax
import jax.numpy as jnp

from ..._tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled
from ...autograd.graph import Node
from ...distributed import process_group as _pg
from ...distributed.collectives import broadcast_arrays, reduce_arrays
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

FIRST_BUCKET_BYTES = 1024 * 1024
DEFAULT_BUCKET_MB = 25
UNFINISHED = ("Expected to have finished reduction in the prior iteration before starting a new one. This error "
              "indicates that your module has parameters that were not used in producing loss. You can enable "
              "unused parameter detection by passing the keyword argument `find_unused_parameters=True` to "
              "`torch.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function outputs "
              "participate in calculating loss.")


def assign_buckets(params, cap_bytes, first_cap_bytes=FIRST_BUCKET_BYTES):
    """Lists of parameters, one per bucket: reverse order, grouped by (dtype, device), closed at the cap."""
    closed, open_, seen_keys = [], {}, set()
    for p in reversed(params):
        key = (p.dtype, p.device)
        bucket = open_.setdefault(key, [[], 0])
        bucket[0].append(p)
        bucket[1] += p.numel() * p._data.dtype.itemsize
        if bucket[1] >= (cap_bytes if key in seen_keys else first_cap_bytes):
            closed.append(open_.pop(key)[0])
            seen_keys.add(key)
    return closed + [b for b, _ in open_.values()]


def _tensors_in(obj):
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors_in(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors_in(o)


def _leaves_reached(outputs):
    """ids of the leaf tensors the autograd graph of ``outputs`` leads to (what backward can give a grad)."""
    leaves, seen = set(), set()
    stack = []
    for t in _tensors_in(outputs):
        if t._grad_fn is None:
            leaves.add(id(t))
        else:
            stack.append(t._grad_fn)
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for e in node.edges:
            if e is None:
                continue
            if isinstance(e[0], Node):
                stack.append(e[0])
            else:
                leaves.add(id(e[0]))
    return leaves


class _Reducer:
    """Watches the parameters' gradients during one backward and all-reduces each bucket once it is complete."""

    def __init__(self, params, world, cap_bytes, find_unused):
        self.world = world
        self.find_unused = find_unused
        self.buckets = assign_buckets(params, cap_bytes)
        self.bucket_of = {id(p): i for i, b in enumerate(self.buckets) for p in b}
        self.index_of = {id(p): i for i, p in enumerate(params)}
        self.handles = [p.register_post_accumulate_grad_hook(self._on_grad) for p in params]
        self.waiting = None     # per bucket, ids of parameters whose gradient is not ready; None: nothing expected
        self.next = 0           # the next bucket to launch
        self.started = False    # a gradient arrived since the last prepare_for_backward
        self.used = None        # find_unused: ids of the parameters this rank's forward used

    def prepare_for_backward(self, outputs):
        if self.waiting is not None and self.started:
            unready = sorted(self.index_of[i] for b in self.waiting[self.next:] for i in b)
            raise RuntimeError(f"{UNFINISHED}\nParameter indices which did not receive grad for rank "
                               f"{self.world.rank()}: {' '.join(map(str, unready))}")
        self.waiting = [{id(p) for p in b} for b in self.buckets]
        self.next, self.started, self.used = 0, False, None
        if self.find_unused:
            self.used = _leaves_reached(outputs)
            for b in self.buckets:
                for p in b:
                    if id(p) not in self.used:
                        self._mark_ready(p)

    def _on_grad(self, p):
        if self.waiting is not None:
            self.started = True
            self._mark_ready(p)

    def _mark_ready(self, p):
        self.waiting[self.bucket_of[id(p)]].discard(id(p))
        while self.next < len(self.buckets) and not self.waiting[self.next]:
            self._launch(self.buckets[self.next])
            self.next += 1
        if self.next == len(self.buckets):
            self.waiting = None

    def _launch(self, bucket):
        grads = [p._grad._value if p._grad is not None else jnp.zeros(p._data.shape, p._data.dtype)
                 for p in bucket]
        if self.used is None:
            for p, g in zip(bucket, reduce_arrays(self.world, grads, "AVG")):
                p._grad._write(g)
            return
        # with find_unused_parameters, a flag per parameter rides along: nonzero where some rank used it
        flags = jnp.asarray([id(p) in self.used for p in bucket], grads[0].dtype)
        *averaged, used_anywhere = reduce_arrays(self.world, grads + [flags], "AVG")
        for p, g, used in zip(bucket, averaged, jax.device_get(used_anywhere)):
            if used:
                if p._grad is None:
                    p._grad = Tensor._make(g)
                else:
                    p._grad._write(g)


class DistributedDataParallel(Module):
    """torch's DistributedDataParallel over ``ptjax.distributed`` (see the module docstring)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True, init_sync=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False):
        super().__init__()
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        devices = {p.device for p in module.parameters()}
        if device_ids is not None and all(d.type == "cpu" for d in devices):
            raise ValueError("DistributedDataParallel device_ids and output_device arguments only work with "
                             "single-device/multiple-device GPU modules or CPU modules, but got device_ids "
                             f"{device_ids}, output_device {output_device}, and module parameters "
                             f"{devices}.")
        self.module = module
        self.process_group = _pg._world(process_group)
        self.device_ids = device_ids
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.bucket_bytes_cap = int((DEFAULT_BUCKET_MB if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        if init_sync:
            self._broadcast_from_rank0(list(module.parameters()) + list(module.buffers()))
        self.reducer = _Reducer(params, self.process_group, self.bucket_bytes_cap, find_unused_parameters)

    def _broadcast_from_rank0(self, tensors):
        if tensors:
            for t, a in zip(tensors, broadcast_arrays(self.process_group, [t._value for t in tensors], 0)):
                t._write(a)

    def forward(self, *inputs, **kwargs):
        from ..._compile import patches
        if self.find_unused_parameters:   # which parameters some rank used is read on the host after the all-reduce
            patches.unsupported("DistributedDataParallel(find_unused_parameters=True) under ptjax.compile")
        patches.guard_attribute(self, "require_forward_param_sync")    # compiled: Python flags fix the program
        patches.guard_attribute(self, "require_backward_grad_sync")    # (no_sync() is another program)
        buffers = list(self.module.buffers())
        if self.require_forward_param_sync and self.broadcast_buffers and buffers:
            self._broadcast_from_rank0(buffers)
        output = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync:
            self.require_forward_param_sync = True
            self.reducer.prepare_for_backward(output)
            patches.backward_inside("DistributedDataParallel's forward arms the gradient all-reduce of the backward "
                                    "that follows it; compile the whole training step (forward, backward, "
                                    "optimizer step) so that the all-reduce is part of the program")
        else:
            self.require_forward_param_sync = False
        return output

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes inside accumulate gradients locally; the first one after it averages the sum."""
        from ..._compile import patches
        patches.guard_attribute(self, "require_backward_grad_sync")   # compiled: the value before this block
        previous, self.require_backward_grad_sync = self.require_backward_grad_sync, False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous
