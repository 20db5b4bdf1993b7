"""torch.autograd's anomaly detection switches: ``detect_anomaly`` (context manager and decorator) and
``set_detect_anomaly``, with ``is_anomaly_enabled`` / ``is_anomaly_check_nan_enabled``.

The flags are kept and reported as torch's are, and entering ``detect_anomaly`` warns as torch does. Differences
from torch: ptjax's backward does not check each node's gradients for NaN nor print the forward traceback of the
failing op (a backward is replayed as fused JAX programs, without per-op Python frames); use
``jax.config.update("jax_debug_nans", True)`` to stop at the first NaN an XLA computation produces.
"""
from __future__ import annotations

import functools
import warnings

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
           "set_anomaly_enabled"]


class _State:
    enabled = False
    check_nan = True


def is_anomaly_enabled() -> bool:
    return _State.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return _State.check_nan


def set_anomaly_enabled(mode, check_nan=True):
    """torch.set_anomaly_enabled: set both flags."""
    _State.enabled, _State.check_nan = bool(mode), bool(check_nan)


class detect_anomaly:
    def __init__(self, check_nan=True):
        self.prev, self.prev_check_nan = _State.enabled, _State.check_nan
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and should only be "
                      "enabled for debugging.", stacklevel=2)

    def __enter__(self):
        set_anomaly_enabled(True, self.check_nan)

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Sets the flags at construction (usable as a plain call) and restores them on ``__exit__``."""

    def __init__(self, mode, check_nan=True):
        self.prev, self.prev_check_nan = _State.enabled, _State.check_nan
        set_anomaly_enabled(mode, check_nan)

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        set_anomaly_enabled(self.prev, self.prev_check_nan)
