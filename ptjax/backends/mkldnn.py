"""torch.backends.mkldnn (oneDNN): not used by ptjax (XLA has its own CPU kernels); flags kept with torch's
defaults."""
import contextlib
import sys

from . import _flags

VERBOSE_OFF = 0
VERBOSE_ON = 1
VERBOSE_ON_CREATION = 2
enabled = True
deterministic = False
allow_tf32 = False


def is_available() -> bool:
    return False


def is_acl_available() -> bool:
    return False


@contextlib.contextmanager
def verbose(level):
    """oneDNN's verbose mode within the block: not used, nothing to log."""
    yield


def set_flags(_enabled=None, _deterministic=None, _allow_tf32=None, _fp32_precision="none"):
    return tuple(_flags.set_flags(sys.modules[__name__], enabled=_enabled, deterministic=_deterministic,
                                  allow_tf32=_allow_tf32).values())


def flags(enabled=False, deterministic=False, allow_tf32=True, fp32_precision="none"):
    return _flags.flags(sys.modules[__name__], enabled=enabled, deterministic=deterministic, allow_tf32=allow_tf32)
