"""Process-wide switches torch exposes at top level: deterministic algorithms, ``warn_always``, thread counts,
flush-denormal. ptjax records them and reports them back as torch does; what they control in torch is XLA's
business here, as each function's docstring says."""
from __future__ import annotations

import os

_state = {"deterministic": False, "deterministic_warn_only": False, "warn_always": False}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Recorded (see ``are_deterministic_algorithms_enabled``). XLA's CPU/GPU kernels used by ptjax are
    deterministic for a given program, so nothing else changes."""
    _state["deterministic"], _state["deterministic_warn_only"] = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _state["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    return _state["deterministic_warn_only"]


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode):
    """0 / "default": off; 1 / "warn": deterministic with warnings only; 2 / "error": deterministic."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode != 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode():
    if not _state["deterministic"]:
        return 0
    return 1 if _state["deterministic_warn_only"] else 2


def set_warn_always(b):
    """Recorded: torch then repeats its once-per-process warnings; ptjax's warnings use Python's filters."""
    _state["warn_always"] = bool(b)


def is_warn_always_enabled():
    return _state["warn_always"]


def set_num_threads(n):
    """Accepted for compatibility: XLA manages its own thread pool."""


def get_num_threads():
    return os.cpu_count()


def set_num_interop_threads(n):
    """Accepted for compatibility: XLA manages its own thread pool."""


def get_num_interop_threads():
    return os.cpu_count()


def init_num_threads():
    """Nothing to initialise: XLA manages its own thread pool."""


def set_flush_denormal(mode):
    """False: ptjax cannot switch the CPU's denormal flushing (XLA sets it per computation), as torch answers
    where the CPU lacks the feature."""
    return False
