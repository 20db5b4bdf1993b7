"""torch.random: the global generator's seeding and state (``manual_seed``, ``seed``, ``initial_seed``,
``get_rng_state``, ``set_rng_state``) and ``fork_rng``. The generator itself is ``ptjax._ops.random``; this is the
namespace torch scripts import (``torch.random.manual_seed``, ``with torch.random.fork_rng():``).

ptjax has one generator for every device, so ``fork_rng`` saves and restores that one whatever ``devices`` and
``device_type`` say (torch forks the CPU generator and those of the listed accelerator devices).
"""
from __future__ import annotations

import contextlib

from ._ops.random import default_generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state

__all__ = ["set_rng_state", "get_rng_state", "manual_seed", "seed", "initial_seed", "fork_rng",
           "thread_safe_generator"]


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices", device_type=None):
    """Draws inside the block do not advance the generator seen after it."""
    if not enabled:
        yield
        return
    saved = default_generator.get_state(), default_generator.initial_seed()
    try:
        yield
    finally:
        default_generator.set_state(saved[0])
        default_generator._seed = saved[1]


def thread_safe_generator():
    """torch's per-thread generator of a DataLoader thread worker; ptjax has none (None, as torch off workers)."""
    return None
