"""ptjax: PyTorch's API on JAX. ``import ptjax as torch``.

JAX's 64-bit types are switched on here, so ``float64`` and ``int64`` are real as in torch; ptjax passes dtypes
explicitly everywhere, so nothing widens silently.
"""
import builtins
import jax as _jax

_jax.config.update("jax_enable_x64", True)

from . import _dtype
from ._dtype import (bfloat16, bool, complex64, complex128, dtype, float16, float32, float64, get_default_dtype,
                     int8, int16, int32, int64, set_default_dtype, uint8)
from ._dtype import ALIASES as _ALIASES
from ._device import device, get_default_device, set_default_device
from ._precision import get_float32_matmul_precision, set_float32_matmul_precision
from ._size import Size, broadcast_shapes
from ._tensor import Tensor
from . import _ops
from ._ops.creation import (arange, as_tensor, asarray, empty, empty_like, eye, from_numpy, full, full_like,
                            linspace, logspace, meshgrid, ones, ones_like, tensor, zeros, zeros_like, complex)
from ._ops.random import (Generator, bernoulli, default_generator, get_rng_state, initial_seed, manual_seed,
                          multinomial, normal, rand, rand_like, randint, randint_like, randn, randn_like, randperm,
                          seed, set_rng_state)
from ._ops.indexing import argwhere, index_put, masked_select, nonzero, unique
from ._ops.linalg import einsum
from ._ops.shape import as_strided
from . import autograd
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from ._tensor_str import get_printoptions, printoptions, set_printoptions
from . import serialization
from .serialization import load, save
from ._compile import compile

from . import _methods

_methods.install()
globals().update(_ops.public_functions())
globals().update(_ALIASES)
del _ALIASES

from . import cuda

__version__ = "0.1.0"


def is_tensor(obj):
    return isinstance(obj, Tensor)


def equal(input, other):
    """True when both tensors have the same shape and elements."""
    return tuple(input.shape) == tuple(other.shape) and builtins.bool((input == other).all())


def numel(input):
    return input.numel()


def is_floating_point(input):
    return input.is_floating_point()


def is_complex(input):
    return input.is_complex()


def result_type(tensor1, tensor2):
    from ._ops.registry import scalar_kind
    ts = [t for t in (tensor1, tensor2) if isinstance(t, Tensor)]
    sc = [scalar_kind(t) for t in (tensor1, tensor2) if not isinstance(t, Tensor)]
    return _dtype.result_type([t.dtype for t in ts if t.ndim], [t.dtype for t in ts if not t.ndim], sc)


def promote_types(type1, type2):
    return _dtype.promote_types(type1, type2)


def can_cast(from_, to):
    return from_._kind <= to._kind


def set_num_threads(n):
    """Accepted for compatibility: XLA manages its own thread pool."""


def get_num_threads():
    import os
    return os.cpu_count()


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Accepted: XLA's CPU/GPU kernels used here are deterministic for a given program."""


# subpackages imported on first use, as ``torch.nn`` is there after ``import torch``; a name whose package is not
# (yet) part of ptjax reads as a missing attribute, so ``hasattr(ptjax, "jit")`` is False rather than an error
_SUBMODULES = {"nn", "optim", "utils", "vision", "jit", "func", "distributed", "backends", "fft", "special",
               "distributions", "testing", "compiler", "amp", "_dynamo", "functional", "onnx", "hub", "random",
               "types", "overrides", "accelerator", "cpu"}
# torch.autocast, torch.GradScaler and the autocast state functions, resolved from ptjax.amp on first use
_FROM_AMP = {"autocast", "GradScaler", "is_autocast_enabled", "set_autocast_enabled", "get_autocast_dtype",
             "set_autocast_dtype", "is_autocast_cpu_enabled", "set_autocast_cpu_enabled", "get_autocast_cpu_dtype",
             "set_autocast_cpu_dtype", "get_autocast_gpu_dtype", "set_autocast_gpu_dtype", "is_autocast_cache_enabled",
             "set_autocast_cache_enabled", "clear_autocast_cache", "autocast_increment_nesting",
             "autocast_decrement_nesting"}


def __getattr__(name):
    if name in _SUBMODULES:
        import importlib
        try:
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
    if name in _FROM_AMP:
        from .amp import autocast_mode, grad_scaler
        return getattr(grad_scaler if name == "GradScaler" else autocast_mode, name)
    raise AttributeError(f"module 'ptjax' has no attribute '{name}'")
