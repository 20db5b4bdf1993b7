"""Autocast: inside ``with torch.autocast(device_type, dtype)``, the ops on torch's lists run in the lower
precision (matmul, linear, conv …) or in float32 (losses …), whatever the dtype of their inputs.

The state is per thread and per device type (``"cpu"``: JAX's CPU backend, ``"cuda"``: JAX's GPUs), as in torch.
While any region is active, ``ptjax._ops.dispatch.AUTOCAST`` holds :func:`_cast_inputs`, which every op call
consults; outside regions it is None and costs nothing. Casts are recorded by autograd, so gradients flow back to
float32 parameters in float32. Differences from torch: casts of weights are not cached within a region (a cast
is one cheap XLA convert), and ``cache_enabled`` is accepted for that reason.
"""
from __future__ import annotations

import functools
import threading
import warnings

from .. import _dtype as D
from .._device import cuda_is_available
from .._device import device as _device
from .._ops import dispatch
from .._tensor import Tensor

# torch's autocast op lists (the ops ptjax has). Lower precision: the autocast dtype; fp32: float32.
LOWER_PRECISION = frozenset({
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "matmul", "mm", "bmm",
    "addmm", "baddbmm", "addbmm", "addmv", "linear", "prelu", "_einsum", "tensordot", "mv", "dot"})
_LOSSES = frozenset({  # (ptjax's loss entries carry a leading underscore; nn.functional's wrappers call them)
    "_mse_loss", "_l1_loss", "_smooth_l1_loss", "_huber_loss", "_nll_loss", "_cross_entropy", "_kl_div",
    "_binary_cross_entropy", "_bce_with_logits", "_poisson_nll_loss", "_cosine_embedding_loss",
    "_hinge_embedding_loss", "_margin_ranking_loss", "_soft_margin_loss", "_triplet_margin_loss",
    "_multi_margin_loss", "_multilabel_soft_margin_loss", "_gaussian_nll_loss"})
FLOAT32 = {
    "cpu": _LOSSES | {"prod", "cumprod", "fft_fft", "fft_ifft", "fft_rfft", "fft_irfft", "fft_fftn", "fft_ifftn",
                      "fft_rfftn", "fft_irfftn", "fft_hfft", "fft_ihfft", "fft_hfftn", "fft_ihfftn"},
    "cuda": _LOSSES | {"acos", "asin", "cosh", "erfinv", "exp", "expm1", "log", "log10", "log2", "log1p", "reciprocal",
                       "rsqrt", "sinh", "tan", "pow", "softplus", "layer_norm", "group_norm", "norm", "softmax",
                       "log_softmax", "logsumexp", "sum", "prod", "cumsum", "cumprod", "cosine_similarity", "pdist",
                       "dist", "renorm"},
}
_DEFAULT_DTYPE = {"cpu": D.bfloat16, "cuda": D.float16}
_CASTABLE = (D.float16, D.bfloat16, D.float32)  # float64 inputs are left alone, as in torch


class _State(threading.local):
    def __init__(self):
        self.enabled = {"cpu": False, "cuda": False}
        self.dtype = dict(_DEFAULT_DTYPE)
        self.cache_enabled = True
        self.nesting = 0


_state = _State()
_active_lock = threading.Lock()
_active = [0]  # enabled regions over all threads: the dispatch hook is installed while this is > 0


_FLOAT32_ANY = frozenset().union(*FLOAT32.values())


def _cast_inputs(op, vals):
    """The bound values of ``op`` with floating tensor inputs cast as autocast prescribes (or unchanged)."""
    name = op.name
    lower = name in LOWER_PRECISION
    if not lower and name not in _FLOAT32_ANY:
        return vals
    target = None if lower else D.float32
    for i in op.tensor_pos:
        v = vals[i]
        if isinstance(v, (list, tuple)):
            vals[i] = [_cast_one(t, name, target) for t in v]
        elif isinstance(v, Tensor):
            vals[i] = _cast_one(v, name, target)
    return vals


def _cast_one(t, name, target):
    if not isinstance(t, Tensor) or t.dtype not in _CASTABLE:
        return t
    kind = t.device.type
    if not _state.enabled.get(kind, False):
        return t
    if target is None:
        target = _state.dtype[kind]
    elif name not in FLOAT32.get(kind, ()):
        return t
    return t if t.dtype is target else dispatch.cast(t, target)


def _set_hook():
    dispatch.AUTOCAST = _cast_inputs if _active[0] > 0 else None


def _change_active(delta):
    with _active_lock:
        _active[0] += delta
        _set_hook()


def _check_device_type(device_type):
    if not isinstance(device_type, str):
        raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")  # noqa: TRY004 - torch's
    return _device(device_type).type


# ---- torch's state functions --------------------------------------------------------------------------------

def is_autocast_available(device_type):
    return _check_device_type(device_type) in ("cpu", "cuda")


def is_autocast_enabled(device_type=None):
    """With no argument, the CUDA state (torch's default)."""
    return _state.enabled.get(_check_device_type(device_type or "cuda"), False)


def set_autocast_enabled(device_type, enabled=None):
    """``set_autocast_enabled(enabled)`` (the CUDA state) or ``set_autocast_enabled(device_type, enabled)``."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    kind = _check_device_type(device_type)
    before = _state.enabled[kind]
    _state.enabled[kind] = bool(enabled)
    if before != bool(enabled):
        _change_active(1 if enabled else -1)


def get_autocast_dtype(device_type):
    return _state.dtype[_check_device_type(device_type)]


def set_autocast_dtype(device_type, dtype):
    _state.dtype[_check_device_type(device_type)] = D.to_dtype(dtype)


def is_autocast_cpu_enabled():
    return _state.enabled["cpu"]


def set_autocast_cpu_enabled(enabled):
    set_autocast_enabled("cpu", enabled)


def get_autocast_cpu_dtype():
    return _state.dtype["cpu"]


def set_autocast_cpu_dtype(dtype):
    set_autocast_dtype("cpu", dtype)


def get_autocast_gpu_dtype():
    return _state.dtype["cuda"]


def set_autocast_gpu_dtype(dtype):
    set_autocast_dtype("cuda", dtype)


def is_autocast_cache_enabled():
    return _state.cache_enabled


def set_autocast_cache_enabled(enabled):
    _state.cache_enabled = bool(enabled)


def clear_autocast_cache():
    """Nothing is cached (see the module docstring)."""


def autocast_increment_nesting():
    _state.nesting += 1
    return _state.nesting


def autocast_decrement_nesting():
    _state.nesting -= 1
    return _state.nesting


# ---- the context manager -----------------------------------------------------------------------------------------

class autocast:
    """``torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None)``: a context manager and a
    function decorator. CPU regions take bfloat16 or float16 (others: torch's warning, and autocast is off);
    CUDA regions need a GPU visible to JAX (otherwise torch's warning, and autocast is off)."""

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        self.device = _check_device_type(device_type)
        self.fast_dtype = D.to_dtype(dtype) if dtype is not None else _state.dtype.get(self.device)
        self._enabled = bool(enabled)
        self._cache_enabled = cache_enabled
        if self.device not in ("cpu", "cuda"):
            warnings.warn(f"User specified an unsupported autocast device_type '{self.device}'", stacklevel=2)
            self._enabled = False
        elif self.device == "cuda" and self._enabled and not cuda_is_available():
            warnings.warn("User provided device_type of 'cuda', but CUDA is not available. Disabling", stacklevel=2)
            self._enabled = False
        elif self._enabled and self.fast_dtype not in (D.bfloat16, D.float16):
            if self.device == "cpu":
                warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling autocast.\nCPU "
                              "Autocast only supports dtypes of torch.bfloat16, torch.float16 currently.",
                              stacklevel=2)
                self._enabled = False
            else:
                raise RuntimeError("Current CUDA Device does not support bfloat16. Please switch dtype to float16.")

    def __enter__(self):
        self._prev = (_state.enabled[self.device], _state.dtype[self.device], _state.cache_enabled)
        _state.dtype[self.device] = self.fast_dtype
        if self._cache_enabled is not None:
            _state.cache_enabled = self._cache_enabled
        set_autocast_enabled(self.device, self._enabled)
        autocast_increment_nesting()
        return self

    def __exit__(self, *exc):
        autocast_decrement_nesting()
        enabled, dtype, cache = self._prev
        set_autocast_enabled(self.device, enabled)
        _state.dtype[self.device], _state.cache_enabled = dtype, cache
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return fn(*args, **kwargs)
        return wrapped


def custom_fwd(fwd=None, *, device_type, cast_inputs=None):
    """Decorate ``autograd.Function.forward(ctx, …)``: it remembers the autocast state for ``custom_bwd``; with
    ``cast_inputs`` it runs with autocast off and floating tensor inputs cast to ``cast_inputs``."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def forward(ctx, *args, **kwargs):
        ctx._autocast_state = (is_autocast_enabled(device_type), get_autocast_dtype(device_type))
        if cast_inputs is None or not ctx._autocast_state[0]:
            return fwd(ctx, *args, **kwargs)
        ctx._autocast_state = (False, ctx._autocast_state[1])
        with autocast(device_type, enabled=False):
            return fwd(ctx, *[_to_float(a, cast_inputs) for a in args],
                       **{k: _to_float(v, cast_inputs) for k, v in kwargs.items()})
    return forward


def custom_bwd(bwd=None, *, device_type):
    """Decorate ``autograd.Function.backward(ctx, …)``: it runs with the autocast state its forward ran with."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def backward(ctx, *grads):
        enabled, dtype = ctx._autocast_state
        with autocast(device_type, dtype=dtype, enabled=enabled):
            return bwd(ctx, *grads)
    return backward


def _to_float(v, dtype):
    if isinstance(v, Tensor) and v.is_floating_point() and v.dtype is not D.float64:
        return v.to(dtype)
    return v
