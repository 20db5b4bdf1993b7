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
