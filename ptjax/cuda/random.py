"""torch.cuda's seeding functions. ptjax has one generator for every device (``_ops/random.py``): with a GPU they
seed or read it; without one they do what a CPU-only torch does (seeding is a silent no-op, reading state fails)."""
from __future__ import annotations

from .._device import check_cuda, cuda_is_available


def _generator():
    from .._ops.random import default_generator
    return default_generator


def manual_seed(seed):
    if cuda_is_available():
        _generator().manual_seed(seed)


manual_seed_all = manual_seed


def seed():
    if cuda_is_available():
        _generator().seed()


seed_all = seed


def initial_seed() -> int:
    check_cuda()
    return _generator().initial_seed()


def get_rng_state(device="cuda"):
    check_cuda()
    return _generator().get_state()


def get_rng_state_all() -> list:
    from . import device_count
    return [get_rng_state(i) for i in range(device_count())]


def set_rng_state(new_state, device="cuda"):
    if cuda_is_available():
        _generator().set_state(new_state)


def set_rng_state_all(new_states):
    for state in new_states:
        set_rng_state(state)
