"""Fixtures shared by the test modules (helpers to import live in ``_ops_harness.py`` / ``_nn_helpers.py``)."""
import jax
import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(scope="module")
def fast_compiles():
    """XLA's backend optimizations off while a module's tests compile their many tiny kernels (about a third less
    compile time; the values are unchanged at the tolerances used), then restored, so other modules compile as
    usual. A module opts in with ``pytestmark = pytest.mark.usefixtures("fast_compiles")``."""
    old = jax.config.read("jax_disable_most_optimizations")
    jax.config.update("jax_disable_most_optimizations", True)
    yield
    jax.config.update("jax_disable_most_optimizations", old)


def _global_settings():
    """The process-wide settings a test may change (ptjax's and, where installed, torch's): (read, write) pairs."""
    import ptjax
    settings = [
        (ptjax.get_default_dtype, ptjax.set_default_dtype),
        (ptjax.get_default_device, ptjax.set_default_device),
        (ptjax.get_float32_matmul_precision, ptjax.set_float32_matmul_precision),
        (lambda: ptjax.backends.cudnn.allow_tf32, lambda v: setattr(ptjax.backends.cudnn, "allow_tf32", v)),
        (lambda: jax.config.jax_default_matmul_precision,
         lambda v: jax.config.update("jax_default_matmul_precision", v)),
    ]
    try:
        import torch
    except ImportError:
        return settings
    return settings + [
        (torch.get_default_dtype, torch.set_default_dtype),
        (torch.get_float32_matmul_precision, torch.set_float32_matmul_precision),
        (torch.get_num_threads, torch.set_num_threads),
    ]


@pytest.fixture(scope="module", autouse=True)
def isolated_settings():
    """Each test module starts from the settings the previous one found: whatever a module changes (default dtype
    or device, precision flags, thread count) is put back when it ends, so modules sharing a test process (xdist
    runs several in one) cannot change each other's numbers."""
    settings = _global_settings()
    saved = [read() for read, _ in settings]
    yield
    for (read, write), value in zip(settings, saved):
        if read() != value:
            write(value)
