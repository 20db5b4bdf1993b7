"""torch.backends.mkl: ptjax does not use Intel MKL (XLA has its own CPU kernels)."""
import contextlib

VERBOSE_OFF = 0
VERBOSE_ON = 1


def is_available() -> bool:
    return False


@contextlib.contextmanager
def verbose(enable):
    """MKL's verbose mode within the block: no MKL, nothing to log."""
    yield
