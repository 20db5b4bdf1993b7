"""ptjax: PyTorch's API on JAX. ``import ptjax as torch``.

JAX's 64-bit types are switched on here, so ``float64`` and ``int64`` are real as in torch; ptjax passes dtypes
explicitly everywhere, so nothing widens silently.
"""
import builtins
import math as _math

import jax as _jax

_jax.config.update("jax_enable_x64", True)

from . import _dtype
from ._dtype import (bfloat16, bool, complex64, complex128, dtype, finfo, float16, float32, float64,
                     get_default_dtype, iinfo, int8, int16, int32, int64, set_default_dtype, uint8)
from ._layout import (channels_last, channels_last_3d, contiguous_format, jagged, layout, legacy_contiguous_format,
                      memory_format, preserve_format, sparse_bsc, sparse_bsr, sparse_coo, sparse_csc, sparse_csr,
                      strided)
from ._legacy_types import legacy_types as _legacy_types
from ._dtype import ALIASES as _ALIASES
from ._device import device, get_default_device, get_device_module, set_default_device
from ._precision import get_float32_matmul_precision, set_float32_matmul_precision
from ._size import Size, broadcast_shapes
from ._tensor import Tensor
from . import _ops
from ._ops.creation import (arange, as_tensor, asarray, empty, empty_like, eye, from_numpy, full, full_like,
                            linspace, logspace, meshgrid, ones, ones_like, tensor, zeros, zeros_like, complex)
from ._ops.creation import (bartlett_window, blackman_window, empty_permuted, empty_strided, from_dlpack, from_file,
                            frombuffer, hamming_window, hann_window, kaiser_window, scalar_tensor, to_dlpack,
                            tril_indices, triu_indices)
from ._ops.random import (Generator, bernoulli, default_generator, get_rng_state, initial_seed, manual_seed,
                          multinomial, normal, rand, rand_like, randint, randint_like, randn, randn_like, randperm,
                          seed, set_rng_state)
from ._ops.random import binomial, poisson, thread_safe_generator
from ._ops.indexing import argwhere, index_put, index_put_, masked_select, nonzero, unique, unique_consecutive
from ._ops.linalg import einsum
from ._ops.pointwise import (allclose, conj, float_power, imag, is_conj, is_neg, positive, real, resolve_conj,
                             resolve_neg)
from ._ops.reduction import histogram, histogramdd
from ._ops.shape import as_strided, broadcast_tensors
from . import autograd
from .autograd import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .autograd.grad_mode import is_inference_mode_enabled
from .autograd.anomaly_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled
from ._higher_order import cond, while_loop
from ._deprecated import (chain_matmul, cholesky, lu, lu_solve, qr, set_default_tensor_type,  # torch warns
                          triangular_solve)
from ._deprecated import range  # torch.range (shadows the builtin in this module only)
from ._settings import (are_deterministic_algorithms_enabled, get_deterministic_debug_mode, get_num_interop_threads,
                        get_num_threads, init_num_threads, is_deterministic_algorithms_warn_only_enabled,
                        is_warn_always_enabled, set_deterministic_debug_mode, set_flush_denormal,
                        set_num_interop_threads, set_num_threads, set_warn_always, use_deterministic_algorithms)
from ._tensor_str import get_printoptions, printoptions, set_printoptions
from . import serialization
from .serialization import load, save
from ._compile import compile

from . import _methods
from ._methods import equal, is_nonzero, is_same_size, is_signed

_methods.install()
globals().update(_ops.public_functions())
globals().update(_ALIASES)
globals().update(_legacy_types("torch", is_cuda=False))  # torch.FloatTensor …
del _ALIASES
pi, e, inf, nan = _math.pi, _math.e, _math.inf, _math.nan

# torch's top-level in-place forms (``torch.relu_(x)`` is ``x.relu_()``); torch has them for these names only
_INPLACE_FUNCTIONS = (
    "abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_", "arcsinh_", "arctan_", "arctanh_",
    "as_strided_", "asin_", "asinh_", "atan_", "atanh_", "ceil_", "clamp_", "clamp_max_", "clamp_min_", "clip_",
    "conj_physical_", "cos_", "cosh_", "deg2rad_", "detach_", "erf_", "erfc_", "exp2_", "exp_", "expm1_", "fill_",
    "fix_", "floor_", "frac_", "gcd_", "i0_", "index_put_", "lcm_", "ldexp_", "log10_", "log1p_", "log2_", "log_",
    "logit_", "nan_to_num_", "neg_", "negative_", "rad2deg_", "reciprocal_", "relu_", "resize_as_", "round_",
    "rsqrt_", "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_", "xlogy_", "zero_")
globals().update({_name: getattr(Tensor, _name) for _name in _INPLACE_FUNCTIONS})
detach = Tensor.detach
get_device = Tensor.get_device

from . import cuda

__version__ = "0.1.0"


def is_tensor(obj):
    return isinstance(obj, Tensor)


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


def fill(input, value):
    """A new tensor like ``input`` filled with ``value`` (``input.clone().fill_(value)``)."""
    return input.clone().fill_(value)


def is_inference(input):
    """False: ptjax's inference_mode makes no special tensors."""
    return False


def is_distributed(input):
    return False


class OutOfMemoryError(RuntimeError):
    """Raised (as torch's) where a device runs out of memory."""


class AcceleratorError(RuntimeError):
    """Raised (as torch's) for an error reported by an accelerator's runtime."""


has_lapack = has_spectral = True   # linalg and fft are there (XLA's)
has_mkl = has_openmp = False       # torch's CPU libraries, which XLA does not use


def typename(obj):
    """torch's type name of ``obj``: ``"torch.FloatTensor"`` for a tensor, else ``module.qualname``."""
    if isinstance(obj, Tensor):
        return obj.type()
    named = obj if hasattr(obj, "__qualname__") or hasattr(obj, "__name__") else type(obj)
    module = getattr(named, "__module__", "") or ""
    qualname = getattr(named, "__qualname__", None) or named.__name__
    return qualname if module in ("", "builtins") else f"{module}.{qualname}"


# subpackages imported on first use, as ``torch.nn`` is there after ``import torch``; a name whose package is not
# (yet) part of ptjax reads as a missing attribute, so ``hasattr(ptjax, "jit")`` is False rather than an error
_SUBMODULES = {"nn", "optim", "utils", "vision", "jit", "func", "distributed", "backends", "fft", "special",
               "distributions", "testing", "compiler", "amp", "_dynamo", "functional", "onnx", "hub", "random",
               "types", "overrides", "linalg", "accelerator", "cpu", "multiprocessing", "signal",
               "__future__"}
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
    if name == "vmap":
        from .func import vmap
        return vmap
    if name in _FROM_AMP:
        from .amp import autocast_mode, grad_scaler
        return getattr(grad_scaler if name == "GradScaler" else autocast_mode, name)
    nn_function = _nn_function(name)
    if nn_function is not None:
        return nn_function
    raise AttributeError(f"module 'ptjax' has no attribute '{name}'")


def _nn_function(name):
    """torch's top-level names of nn functionals (``torch.conv2d``, ``torch.dropout`` ...), from ``ptjax.nn``."""
    if name.startswith("_"):
        return None
    try:
        from .nn._torch_functions import lookup
    except ImportError:   # ptjax.nn itself is being imported and asks for a missing name
        return None
    return lookup(name)
