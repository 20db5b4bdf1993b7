"""Collectives of picklable Python objects: pickled into ``uint8`` arrays that go through the same XLA
collectives as tensors (so they work alike over gloo and NCCL).

Each call first exchanges the pickles' lengths, then the bytes padded to a power of two (at least 256): a
program is compiled once per padded length, so varying objects cost few compilations. As in torch, unpickling
runs arbitrary code: only exchange objects with ranks you trust.
"""
from __future__ import annotations

import pickle

import jax
import numpy as np

from . import _programs
from .collectives import _check_root, broadcast_arrays
from .process_group import _world

__all__ = ["all_gather_object", "broadcast_object_list", "gather_object"]


def _capacity(nbytes):
    return 1 << max(8, (int(nbytes) - 1).bit_length())


def _padded(blobs, capacity):
    buf = np.zeros(capacity, np.uint8)
    joined = b"".join(blobs)
    buf[:len(joined)] = np.frombuffer(joined, np.uint8)
    return buf


def _all_gather_numpy(world, array):
    prog = _programs.program(world, _programs.all_gather)
    return [np.asarray(a) for a in _programs.run(world, prog, [jax.device_put(array, world.device)])]


def all_gather_object(object_list, obj, group=None):
    """``object_list[r]`` becomes rank r's ``obj``."""
    world = _world(group)
    blob = pickle.dumps(obj)
    sizes = [int(s[0]) for s in _all_gather_numpy(world, np.array([len(blob)], np.int64))]
    gathered = _all_gather_numpy(world, _padded([blob], _capacity(max(sizes))))
    for r, (data, size) in enumerate(zip(gathered, sizes)):
        object_list[r] = pickle.loads(data[:size].tobytes())


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """On rank ``dst``, ``object_gather_list[r]`` becomes rank r's ``obj`` (computed on every rank)."""
    world = _world(group)
    dst = _check_root(world, "gather", dst, group_dst)
    if world.rank() == dst and object_gather_list is None:
        raise ValueError("Argument ``gather_list`` must be specified on destination rank.")
    if world.rank() != dst and object_gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    gathered = [None] * world.size()
    all_gather_object(gathered, obj, group)
    if world.rank() == dst:
        object_gather_list[:world.size()] = gathered


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """``object_list`` (same length on every rank) becomes rank ``src``'s ``object_list``."""
    world = _world(group)
    src = _check_root(world, "broadcast", src, group_src)
    if not object_list:
        return
    is_src = world.rank() == src
    blobs = [pickle.dumps(o) for o in object_list] if is_src else []
    sizes = np.array([len(b) for b in blobs] if is_src else [0] * len(object_list), np.int64)
    (sizes,) = broadcast_arrays(world, [jax.device_put(sizes, world.device)], src)
    sizes = np.asarray(sizes)
    buf = _padded(blobs, _capacity(sizes.sum()))
    (buf,) = broadcast_arrays(world, [jax.device_put(buf, world.device)], src)
    if not is_src:
        data, start = np.asarray(buf), 0
        for i, size in enumerate(sizes):
            object_list[i] = pickle.loads(data[start:start + size].tobytes())
            start += size
