"""torch.distributed's tensor collectives: in place, as torch, on XLA's collectives (``_programs.py``).

Every call runs one compiled SPMD program over the group's mesh and writes its results into the given tensors
(``Tensor._write``, no autograd record). Differences from torch, and why:

* JAX dispatches asynchronously, so ``async_op=False`` does not block the host either: the tensors hold the
  results as soon as the call returns and reading them waits (as with NCCL's stream semantics).
  ``async_op=True`` returns a :class:`Work` whose ``wait()`` blocks until the results are ready.
* ``ReduceOp.AVG`` works on every backend (torch: NCCL only); integer averages truncate toward zero.
  ``PREMUL_SUM`` is not supported.
* ``reduce`` and ``gather`` compute the result on every rank and write it only on ``dst`` (XLA has no rooted
  reductions); ``broadcast`` and ``scatter`` send ``src``'s data as one integer all-reduce of its bits, so the
  result is bit-exact for every dtype.
* ``all_gather_into_tensor`` and ``reduce_scatter_tensor`` accept the concatenated ``(world * n, ...)`` and the
  stacked ``(world, n, ...)`` layouts on every backend (gloo in torch only the concatenated one).
"""
from __future__ import annotations

import enum

import jax
import jax.numpy as jnp

from .._tensor import Tensor
from . import _programs
from .process_group import _world

__all__ = [
    "ReduceOp",
    "Work",
    "all_gather",
    "all_gather_into_tensor",
    "all_reduce",
    "all_reduce_coalesced",
    "barrier",
    "broadcast",
    "gather",
    "reduce",
    "reduce_scatter",
    "reduce_scatter_tensor",
    "scatter",
]


class ReduceOp:
    """torch's reduction operators: ``ReduceOp.SUM`` … (members of ``ReduceOp.RedOpType``)."""

    class RedOpType(enum.Enum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7
        PREMUL_SUM = 8

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM


class Work:
    """The handle of a collective started with ``async_op=True``."""

    def __init__(self, tensors, arrays):
        self._tensors = list(tensors)
        self._arrays = list(arrays)

    def wait(self, timeout=None) -> bool:
        jax.block_until_ready(self._arrays)
        return True

    def synchronize(self):
        self.wait()

    def is_completed(self) -> bool:
        return all(a.is_ready() for a in self._arrays)

    def is_success(self) -> bool:
        return self.is_completed()

    def exception(self):
        return None

    def result(self):
        return list(self._tensors)


# ---- argument checks, in torch's words ---------------------------------------------------------------------------

def _impl(world):
    return "ProcessGroupNCCL" if world.name() == "nccl" else "ProcessGroupGloo"


def _check_tensor(t, name):
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type torch.Tensor\n"
                        f"             but got {type(t)} instead.")


def _check_list(ts, name):
    if not isinstance(ts, (list, tuple)) or not all(isinstance(t, Tensor) for t in ts):
        raise TypeError(f"Invalid function argument. Expected parameter `{name}` of type List[torch.Tensor]\n"
                        f"             but got {type(ts)} instead.")


def _check_dtypes(*ts):
    """All of ``ts`` (in torch's order of arguments) share the first one's dtype."""
    for t in ts[1:]:
        if t.dtype != ts[0].dtype:
            raise ValueError(f"Invalid usage of tensors with different dtypesFound {ts[0].dtype} and  {t.dtype}")


def _check_root(world, what, rank, group_rank):
    if group_rank is not None:
        if rank is not None:
            raise ValueError("Can't specify both group_rank and global_rank")
        rank = group_rank
    if rank is None:
        raise ValueError("Must specify global_rank or group_rank")
    if not 0 <= rank < world.size():
        raise RuntimeError(f"{_impl(world)}::{what}: invalid root rank: {rank}")
    return rank


def _check_sizes(world, what, expected, tensors):
    for i, t in enumerate(tensors):
        if tuple(t.shape) != tuple(expected):
            raise RuntimeError(f"{_impl(world)}::{what}: invalid tensor size at index {i} (expected "
                               f"({', '.join(map(str, expected))}), got ({', '.join(map(str, t.shape))}))")


def _op(op, tensor):
    if not isinstance(op, ReduceOp.RedOpType):
        raise TypeError(f"op must be a torch.distributed.ReduceOp, got {op!r}")
    if op is ReduceOp.PREMUL_SUM:
        raise RuntimeError("Cannot use ReduceOp.PREMUL_SUM with ptjax.distributed")
    if op.name in ("BAND", "BOR", "BXOR") and (tensor.is_floating_point() or tensor.is_complex()):
        raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype")
    return op.name


def _local(world, t):
    """``t``'s array, checked to live on the kind of device the group's backend serves."""
    kind = "cuda" if world.device.platform == "gpu" else "cpu"
    if t.device.type != kind:
        raise RuntimeError(f"No backend type associated with device type {t.device.type}")
    return t._value


def _deliver(pairs, async_op, produced=None):
    """Write each result array into its tensor (in place); when ``async_op``, a :class:`Work` that waits for
    ``produced`` (default: the written arrays; ranks that receive nothing still wait for their part)."""
    for t, a in pairs:
        t._write(a if a.shape == t._data.shape else a.reshape(t._data.shape))
    return Work([t for t, _ in pairs], produced or [a for _, a in pairs]) if async_op else None


# ---- the collectives ---------------------------------------------------------------------------------------------

def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """``tensor`` becomes the reduction of every rank's ``tensor``."""
    world = _world(group)
    _check_tensor(tensor, "tensor")
    (out,) = _programs.run(world, _programs.program(world, _programs.all_reduce, op=_op(op, tensor)),
                           [_local(world, tensor)])
    return _deliver([(tensor, out)], async_op)


def all_reduce_coalesced(tensors, op=ReduceOp.SUM, group=None, async_op=False):
    """``all_reduce`` of several tensors of one dtype in one program (XLA combines them into one collective)."""
    world = _world(group)
    _check_list(tensors, "tensors")
    _check_dtypes(*tensors)
    if not tensors:
        return Work([], []) if async_op else None
    outs = reduce_arrays(world, [_local(world, t) for t in tensors], _op(op, tensors[0]))
    return _deliver(list(zip(tensors, outs)), async_op)


def reduce_arrays(world, arrays, op="SUM"):
    """This rank's ``arrays`` (one dtype) reduced over all ranks with one collective: what DDP's buckets use."""
    return _programs.run(world, _programs.program(world, _programs.all_reduce, n_in=len(arrays), op=op), arrays)


def broadcast_arrays(world, arrays, src=0):
    """Rank ``src``'s ``arrays`` on every rank, bit-exact, in one program: what DDP's state sync uses."""
    return _programs.run(world, _programs.program(world, _programs.broadcast, n_in=len(arrays), src=src), arrays)


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """``tensor_list[r]`` becomes rank r's ``tensor``."""
    world = _world(group)
    _check_list(tensor_list, "tensor_list")
    _check_tensor(tensor, "tensor")
    if len(tensor_list) != world.size():
        raise RuntimeError(f"{_impl(world)}::allgather: invalid output tensor list at index 0 (expected length "
                           f"{world.size()}, got {len(tensor_list)})")
    _check_dtypes(*tensor_list, tensor)
    _check_sizes(world, "allgather", tensor.shape, tensor_list)
    outs = _programs.run(world, _programs.program(world, _programs.all_gather), [_local(world, tensor)])
    return _deliver(list(zip(tensor_list, outs)), async_op)


def _stacked_layout(world, big, small, message):
    """``big``'s shape is ``world`` times ``small``'s, concatenated along dim 0 or stacked on a new dim 0."""
    n, s, b = world.size(), tuple(small.shape), tuple(big.shape)
    if not (b == (n,) + s or (s and b == (n * s[0],) + s[1:]) or (not s and b == (n,))):
        raise RuntimeError(message)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """``output_tensor`` becomes every rank's ``input_tensor``, concatenated (or stacked) in rank order."""
    world = _world(group)
    _check_tensor(output_tensor, "output_tensor")
    _check_tensor(input_tensor, "input_tensor")
    _check_dtypes(output_tensor, input_tensor)
    _stacked_layout(world, output_tensor, input_tensor,
                    "output tensor size must be equal to world_size times input tensor size")
    prog = _programs.program(world, _programs.all_gather, stacked_shape=(-1,) + tuple(output_tensor.shape[1:]))
    (out,) = _programs.run(world, prog, [_local(world, input_tensor)])
    return _deliver([(output_tensor, out)], async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """``output`` on rank r becomes chunk r of the reduction of every rank's ``input``."""
    world = _world(group)
    _check_tensor(output, "output")
    _check_tensor(input, "input")
    _check_dtypes(output, input)
    _stacked_layout(world, input, output, "input tensor must be the same size as output size times world size")
    prog = _programs.program(world, _programs.reduce_scatter, op=_op(op, input), out_shape=tuple(output.shape))
    (out,) = _programs.run(world, prog, [_local(world, input)])
    return _deliver([(output, out)], async_op)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """``output`` on rank r becomes the reduction of every rank's ``input_list[r]``."""
    world = _world(group)
    _check_tensor(output, "output")
    _check_list(input_list, "input_list")
    if len(input_list) != world.size():
        raise RuntimeError(f"{_impl(world)}::reduce_scatter: invalid input tensor list at index 0 (expected "
                           f"length {world.size()}, got {len(input_list)})")
    _check_dtypes(output, *input_list)
    _check_sizes(world, "reduce_scatter", output.shape, input_list)
    stacked = Tensor._make(jnp.stack([_local(world, t) for t in input_list]))
    return reduce_scatter_tensor(output, stacked, op, group, async_op)


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """``tensor`` becomes rank ``src``'s ``tensor``."""
    world = _world(group)
    _check_tensor(tensor, "tensor")
    src = _check_root(world, "broadcast", src, group_src)
    (out,) = broadcast_arrays(world, [_local(world, tensor)], src)
    return _deliver([(tensor, out)], async_op)


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """On rank ``dst``, ``tensor`` becomes the reduction of every rank's ``tensor``; other ranks keep theirs."""
    world = _world(group)
    _check_tensor(tensor, "tensor")
    dst = _check_root(world, "reduce", dst, group_dst)
    (out,) = _programs.run(world, _programs.program(world, _programs.all_reduce, op=_op(op, tensor)),
                           [_local(world, tensor)])
    return _deliver([(tensor, out)] if world.rank() == dst else [], async_op, [out])


def _check_root_list(world, name, tensor, tensors, list_name, side):
    """The root's list of a gather (``side="output"``) or scatter (``"input"``): one tensor a rank, as ``tensor``."""
    _check_list(tensors, list_name)
    if len(tensors) != world.size():
        raise RuntimeError(f"{_impl(world)}::{name}: Incorrect {side} list size {len(tensors)}. {side.capitalize()} "
                           f"list size should be {world.size()}, same as size of the process group.")
    _check_dtypes(tensor, *tensors)
    _check_sizes(world, name, tensor.shape, tensors)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """On rank ``dst``, ``gather_list[r]`` becomes rank r's ``tensor``."""
    world = _world(group)
    _check_tensor(tensor, "tensor")
    dst = _check_root(world, "gather", dst, group_dst)
    if world.rank() == dst:
        _check_root_list(world, "gather", tensor, gather_list, "gather_list", "output")
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    outs = _programs.run(world, _programs.program(world, _programs.all_gather), [_local(world, tensor)])
    return _deliver(list(zip(gather_list, outs)) if world.rank() == dst else [], async_op, outs)


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """``tensor`` on rank r becomes ``scatter_list[r]`` of rank ``src``."""
    world = _world(group)
    _check_tensor(tensor, "tensor")
    src = _check_root(world, "scatter", src, group_src)
    if world.rank() == src:
        _check_root_list(world, "scatter", tensor, scatter_list, "scatter_list", "input")
        chunks = jnp.stack([_local(world, t) for t in scatter_list])
    elif scatter_list:
        raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
    else:
        chunks = jnp.zeros((world.size(),) + tuple(tensor.shape), _local(world, tensor).dtype)
    (out,) = _programs.run(world, _programs.program(world, _programs.scatter, src=src), [chunks])
    return _deliver([(tensor, out)], async_op)


def barrier(group=None, async_op=False, device_ids=None, timeout=None):
    """Wait until every rank has reached the barrier (a one-element all-reduce, waited on)."""
    world = _world(group)
    token = jax.device_put(jnp.zeros((1,), jnp.int32), world.device)
    (out,) = reduce_arrays(world, [token])
    work = Work([], [out])
    if async_op:
        return work
    work.wait()
    return None
