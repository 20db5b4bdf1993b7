"""torch.backends.opt_einsum: JAX's ``einsum`` orders its contractions with the opt_einsum package (a JAX
dependency), always; ``enabled`` and ``strategy`` keep torch's defaults for scripts that set them."""
import sys

from . import _flags

enabled = True
strategy = "auto"


def get_opt_einsum():
    """The opt_einsum package, or None."""
    try:
        import opt_einsum
    except ImportError:
        return None
    return opt_einsum


def is_available() -> bool:
    return get_opt_einsum() is not None


def set_flags(_enabled=None, _strategy=None):
    return tuple(_flags.set_flags(sys.modules[__name__], enabled=_enabled, strategy=_strategy).values())


def flags(enabled=None, strategy=None):
    return _flags.flags(sys.modules[__name__], enabled=enabled, strategy=strategy)
