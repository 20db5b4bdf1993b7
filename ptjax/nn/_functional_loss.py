"""The losses (the functionals of ``nn/modules/loss.py``), with torch's legacy ``size_average`` / ``reduce``."""
from __future__ import annotations

import math
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._ops.reduction import exact_mean
from .._ops.registry import BINARY, op
from .._size import broadcast_shapes
from .._tensor import Tensor
from ._functional_distance import _safe_norm
from ._functional_utils import _index_range, _shape_list, _traced

__all__ = [
    "nll_loss", "cross_entropy", "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "poisson_nll_loss", "gaussian_nll_loss", "soft_margin_loss",
    "margin_ranking_loss", "hinge_embedding_loss", "cosine_embedding_loss", "triplet_margin_loss",
    "multilabel_soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss", "triplet_margin_with_distance_loss",
    "ctc_loss", "linear_cross_entropy"
]


_REDUCTIONS = ("none", "mean", "sum")


def _legacy_reduction(size_average, reduce, emit_warning=True):
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    if emit_warning:
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
                      stacklevel=3)
    return ret


def _reduction(size_average, reduce, reduction):
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss, reduction):
    if reduction == "mean":
        return exact_mean(loss)
    if reduction == "sum":
        return jnp.sum(loss)
    return loss


def _warn_target_size(input, target, stacklevel=4):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=stacklevel)


def _check_broadcast(a, b):
    try:
        return broadcast_shapes(a.shape, b.shape)
    except RuntimeError:
        for i in range(1, max(a.ndim, b.ndim) + 1):
            x = a.shape[-i] if i <= a.ndim else 1
            y = b.shape[-i] if i <= b.ndim else 1
            if x != y and x != 1 and y != 1:
                raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                                   f"non-singleton dimension {max(a.ndim, b.ndim) - i}") from None
        raise


def _class_axis(input):
    return 1 if input.ndim >= 2 else 0


def _floating_kernel(kernel, input):
    """torch's error where its CPU kernel ``kernel`` has no version for the (integer, bool, complex) input."""
    if not input.dtype.is_floating_point:
        raise D.kernel_not_implemented(kernel, input.dtype)


def _nll_check(input, target, weight, ignore_index, reduction):
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    _floating_kernel("nll_loss_out_frame" if input.ndim <= 2 else "nll_loss2d_forward_out_frame", input)
    if input.ndim != 1 and target.ndim >= 1 and input.shape[0] != target.shape[0]:
        raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                         f"({target.shape[0]}).")
    if input.ndim <= 2:
        if target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if input.ndim == 1 and target.ndim != 0:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported") if target.ndim > 1 \
                else ValueError(f"Expected input batch_size (1) to match target batch_size ({target.shape[0]}).") \
                if target.shape[0] != 1 else None
    elif input.ndim == 4 and target.ndim != 3:
        raise RuntimeError(f"only batches of spatial targets supported (3D tensors) but got targets of dimension: "
                           f"{target.ndim}")
    else:
        expected = (input.shape[0],) + tuple(input.shape[2:])
        if tuple(target.shape) != expected:
            raise RuntimeError(f"Expected target size {_shape_list(expected)}, got {_shape_list(target.shape)}")
    if target.dtype not in (D.int64, D.uint8):
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {D.SCALAR_TYPE_NAME[target.dtype.name]}")
    c = input.shape[_class_axis(input)]
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != c):
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no classes but got weight "
                           f"tensor of shape: {_shape_list(weight.shape)}")
    _check_targets(target._value, c, ignore_index)


def _check_targets(t, c, ignore_index):
    if t.size == 0 or _traced(t):
        return
    h = np.asarray(t).reshape(-1)  # on the host, as torch's CPU check: no compile per shape
    if 0 <= h.min() and h.max() < c:
        return
    bad = ((h < 0) | (h >= c)) & (h != ignore_index)
    if bad.any():
        raise IndexError(f"Target {int(h[np.argmax(bad)])} is out of bounds.")


def _nll(logp, target, weight, ignore_index, reduction):
    """Negative log-likelihood of class indices; returns (loss reduced as asked, per-element weights)."""
    ax = _class_axis(logp)
    valid = target != ignore_index
    t = jnp.where(valid, target, 0).astype(jnp.int32)
    picked = jnp.squeeze(jnp.take_along_axis(logp, jnp.expand_dims(t, ax), axis=ax), ax)
    w = jnp.take(weight, t) if weight is not None else jnp.ones_like(picked)
    w = jnp.where(valid, w, 0).astype(logp.dtype)
    loss = -picked * w
    if reduction == "none":
        return loss, w
    if reduction == "sum":
        return jnp.sum(loss), w
    return jnp.sum(loss) / jnp.sum(w), w


@op(tensors=("input", "target", "weight"), jit=True, method=False, function=False, check=_nll_check,
    grad_name="NllLossBackward0")
def _nll_loss(input, target, weight, ignore_index, reduction):
    return _nll(input, target, weight, ignore_index, reduction)[0]


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    return _nll_loss(input, target, weight, int(ignore_index), reduction)


def _ce_check(input, target, weight, ignore_index, reduction, label_smoothing):
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    _floating_kernel("log_softmax_lastdim_kernel_impl" if input.ndim <= 2 else "log_softmax_kernel_impl", input)
    if _is_prob_target(input, target):
        c = input.shape[_class_axis(input)]
        if weight is not None and (weight.ndim != 1 or weight.shape[0] != c):
            raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no classes but got "
                               f"weight tensor of shape: {_shape_list(weight.shape)}")
        return
    _nll_check(input, target, weight, ignore_index, reduction)


def _is_prob_target(input, target):
    return tuple(input.shape) == tuple(target.shape) and (target.dtype.is_floating_point
                                                          if isinstance(target, Tensor)
                                                          else jnp.issubdtype(target.dtype, jnp.floating))


@op(tensors=("input", "target", "weight"), jit=True, method=False, function=False, check=_ce_check,
    grad_name="NllLossBackward0")
def _cross_entropy(input, target, weight, ignore_index, reduction, label_smoothing):
    ax = _class_axis(input)
    c = input.shape[ax]
    logp = jax.nn.log_softmax(input, axis=ax)
    wshape = [1] * input.ndim
    wshape[ax] = c
    wb = weight.reshape(wshape) if weight is not None else None
    if _is_prob_target(input, target):
        t = target.astype(logp.dtype)
        if label_smoothing > 0:
            t = t * (1 - label_smoothing) + label_smoothing / c
        prod = logp * t if wb is None else logp * t * wb
        loss = -jnp.sum(prod, axis=ax)
        if reduction == "mean":
            return jnp.sum(loss) / (input.size // c) if input.size else jnp.sum(loss) / 0
        return _reduce(loss, reduction)
    nll, w = _nll(logp, target, weight, ignore_index, reduction)
    if label_smoothing <= 0:
        return nll
    valid = target != ignore_index
    smooth = -jnp.sum(logp if wb is None else logp * wb, axis=ax)
    smooth = jnp.where(valid, smooth, 0)
    if reduction == "mean":
        denom = jnp.sum(w) if weight is not None else jnp.sum(valid).astype(logp.dtype)
        smooth = jnp.sum(smooth) / denom
    elif reduction == "sum":
        smooth = jnp.sum(smooth)
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / c)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    reduction = _reduction(size_average, reduce, reduction)
    return _cross_entropy(input, target, weight, int(ignore_index), reduction, float(label_smoothing))


def _weight_size_check(input, weight):
    if weight is not None and tuple(weight.shape) != tuple(input.shape):
        raise ValueError("Weights and input must have the same size.")


def _pointwise_loss_check(input, target, reduction, weight=None, *_):
    _warn_target_size(input, target, stacklevel=6)
    _check_broadcast(input, target)
    _weight_size_check(input, weight)


def _pointwise_loss(name, elementwise, weighted_mean="sum", grad_name=None):
    """A loss ``reduce(weight * elementwise(input - target))``; with a weight, 'mean' divides by
    ``weight.sum()`` (mse, l1) or by the element count (huber), as torch does."""

    def check(input, target, reduction, weight, param):
        _pointwise_loss_check(input, target, reduction, weight)

    def fn(input, target, reduction, weight, param):
        x, y = jnp.broadcast_arrays(input, target)
        loss = elementwise(x - y, param)
        if weight is None:
            return _reduce(loss, reduction)
        loss = loss * weight
        if reduction == "mean":
            return jnp.sum(loss) / (jnp.sum(weight) if weighted_mean == "sum" else loss.size)
        return _reduce(loss, reduction)

    fn.__name__ = name
    return op(name, tensors=("input", "target", "weight"), promote=BINARY, jit=True, method=False, function=False,
              check=check, grad_name=grad_name)(fn)


def _l1(d, _):
    return d * jax.lax.stop_gradient(jnp.sign(d))  # |d| with torch's zero gradient at d == 0


def _smooth_l1(d, beta):
    if beta == 0:
        return _l1(d, None)
    a = _l1(d, None)
    return jnp.where(a < beta, 0.5 * d * d / beta, a - 0.5 * beta)


def _huber(d, delta):
    a = _l1(d, None)
    return jnp.where(a < delta, 0.5 * d * d, delta * (a - 0.5 * delta))


_mse_loss = _pointwise_loss("_mse_loss", lambda d, _: d * d, grad_name="MseLossBackward0")
_l1_loss = _pointwise_loss("_l1_loss", _l1, grad_name="MeanBackward0")
_smooth_l1_loss = _pointwise_loss("_smooth_l1_loss", _smooth_l1, grad_name="SmoothL1LossBackward0")
_huber_loss = _pointwise_loss("_huber_loss", _huber, weighted_mean="count", grad_name="HuberLossBackward0")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    return _mse_loss(input, target, _reduction(size_average, reduce, reduction), weight, None)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    return _l1_loss(input, target, _reduction(size_average, reduce, reduction), weight, None)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    return _smooth_l1_loss(input, target, _reduction(size_average, reduce, reduction), None, float(beta))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    return _huber_loss(input, target, _reduction(None, None, reduction), weight, float(delta))


@jax.custom_vjp
def _bce_elem(x, t):
    return -(t * jnp.maximum(jnp.log(x), -100) + (1 - t) * jnp.maximum(jnp.log1p(-x), -100))


def _bce_fwd(x, t):
    return _bce_elem(x, t), (x, t)


def _bce_bwd(res, g):
    x, t = res
    eps = jnp.asarray(1e-12, x.dtype)
    gx = g * (x - t) / jnp.maximum((1 - x) * x, eps)
    gt = g * (jnp.log1p(-x) - jnp.log(x))  # unclamped, as torch: infinite at x in {0, 1}
    return gx, gt


_bce_elem.defvjp(_bce_fwd, _bce_bwd)


def _outside_01(h):
    return bool(((h < 0) | (h > 1)).any())


def _bce_check(input, target, weight, reduction):
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}) "
                         "is deprecated. Please ensure they have the same size.")
    if input.numel() and not _traced(input._value) and _outside_01(np.asarray(input._value)):
        raise RuntimeError("all elements of input should be between 0 and 1")
    if weight is not None:
        _check_broadcast(weight, target)


@op(tensors=("input", "target", "weight"), promote=BINARY, jit=True, method=False, function=False, check=_bce_check,
    grad_name="BinaryCrossEntropyBackward0")
def _binary_cross_entropy(input, target, weight, reduction):
    loss = _bce_elem(input, target)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    return _binary_cross_entropy(input, target, weight, _reduction(size_average, reduce, reduction))


def _bce_logits_check(input, target, weight, reduction, pos_weight):
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")


@op(tensors=("input", "target", "weight", "pos_weight"), promote=BINARY, jit=True, method=False, function=False,
    check=_bce_logits_check, grad_name="BinaryCrossEntropyWithLogitsBackward0")
def _bce_with_logits(input, target, weight, reduction, pos_weight):
    sp = jax.nn.softplus(-input)  # -log(sigmoid(x)), smooth everywhere
    if pos_weight is not None:
        loss = (1 - target) * input + (1 + (pos_weight - 1) * target) * sp
    else:
        loss = (1 - target) * input + sp
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    return _bce_with_logits(input, target, weight, _reduction(size_average, reduce, reduction), pos_weight)


@op(tensors=("input", "target"), promote=BINARY, jit=True, method=False, function=False, grad_name="DivBackward0")
def _kl_div(input, target, reduction, log_target):
    if log_target:
        loss = jnp.exp(target) * (target - input)
    else:
        loss = jax.scipy.special.xlogy(target, target) - target * input
    if reduction == "batchmean":
        s = jnp.sum(loss)
        return s / input.shape[0] if input.ndim else s
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _kl_div(input, target, reduction, bool(log_target))


@op(tensors=("input", "target"), promote=BINARY, jit=True, method=False, function=False)
def _poisson_nll_loss(input, target, log_input, full, eps, reduction):
    if log_input:
        loss = jnp.exp(input) - target * input
    else:
        loss = input - target * jnp.log(input + eps)
    if full:
        t = jnp.where(target > 1, target, 1)
        approx = t * jnp.log(t) - t + 0.5 * jnp.log(2 * math.pi * t)
        loss = loss + jnp.where(target > 1, approx, 0)
    return _reduce(loss, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    return _poisson_nll_loss(input, target, bool(log_input), bool(full), float(eps), reduction)


@op(tensors=("input", "target", "var"), promote=BINARY, jit=True, method=False, function=False)
def _gaussian_nll_loss(input, target, var, full, eps, reduction):
    if var.ndim < input.ndim or (var.ndim == input.ndim and var.shape != input.shape and var.shape[-1] == 1):
        var = var.reshape(var.shape + (1,)) if var.ndim < input.ndim else var
    v = jnp.maximum(var, eps)
    v = v + (jax.lax.stop_gradient(jnp.maximum(var, eps)) - jax.lax.stop_gradient(v))
    loss = 0.5 * (jnp.log(v) + (input - target) ** 2 / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    if isinstance(var, (int, float)):
        var = Tensor._make(jnp.full(tuple(input.shape), var, input._value.dtype))
    if reduction not in _REDUCTIONS:
        raise ValueError(reduction + " is not valid")
    if var.ndim < input.ndim and tuple(var.shape) != tuple(input.shape[:-1]) and var.ndim != input.ndim:
        raise ValueError("var is of incorrect size")
    if bool((var < 0).any()):
        raise ValueError("var has negative entry/entries")
    return _gaussian_nll_loss(input, target, var, bool(full), float(eps), reduction)


@op(tensors=("input", "target"), promote=BINARY, jit=True, method=False, function=False)
def _soft_margin_loss(input, target, reduction):
    return _reduce(jax.nn.softplus(-target * input), reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    return _soft_margin_loss(input, target, _reduction(size_average, reduce, reduction))


@op(tensors=("input1", "input2", "target"), promote=BINARY, jit=True, method=False, function=False)
def _margin_ranking_loss(input1, input2, target, margin, reduction):
    return _reduce(jnp.maximum(-target * (input1 - input2) + margin, 0), reduction)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    if input1.ndim != input2.ndim or input1.ndim != target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.size()}, input2: {input2.size()}, target: {target.size()} ")
    return _margin_ranking_loss(input1, input2, target, float(margin), _reduction(size_average, reduce, reduction))


@op(tensors=("input", "target"), promote=BINARY, jit=True, method=False, function=False)
def _hinge_embedding_loss(input, target, margin, reduction):
    z = jnp.zeros((), input.dtype)
    loss = jnp.where(target == 1, input, z) + jnp.where(target == -1, jnp.maximum(margin - input, 0), z)
    return _reduce(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    return _hinge_embedding_loss(input, target, float(margin), _reduction(size_average, reduce, reduction))


@op(tensors=("input1", "input2", "target"), promote=BINARY, jit=True, method=False, function=False)
def _cosine_embedding_loss(input1, input2, target, margin, reduction):
    eps = 1e-12
    prod = jnp.sum(input1 * input2, -1)
    m1 = jnp.sum(input1 * input1, -1) + eps
    m2 = jnp.sum(input2 * input2, -1) + eps
    cos = prod / jnp.sqrt(m1 * m2)
    z = jnp.zeros((), cos.dtype)
    loss = jnp.where(target == 1, 1 - cos, z) + jnp.where(target == -1, jnp.maximum(cos - margin, 0), z)
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None, reduction="mean"):
    return _cosine_embedding_loss(input1, input2, target, float(margin), _reduction(size_average, reduce, reduction))


@op(tensors=("anchor", "positive", "negative"), promote=BINARY, jit=True, method=False, function=False)
def _triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction):
    def dist(a, b):
        d = a - b + eps
        return _safe_norm(d, p, -1)
    dp = dist(anchor, positive)
    dn = dist(anchor, negative)
    if swap:
        dn = jnp.minimum(dn, dist(positive, negative))
    return _reduce(jnp.maximum(margin + dp - dn, 0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    if margin <= 0:
        raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
    return _triplet_margin_loss(anchor, positive, negative, float(margin), float(p), float(eps), bool(swap),
                                _reduction(size_average, reduce, reduction))


@op(tensors=("input", "target", "weight"), promote=BINARY, jit=True, method=False, function=False)
def _multilabel_soft_margin_loss(input, target, weight, reduction):
    loss = -(target * jax.nn.log_sigmoid(input) + (1 - target) * jax.nn.log_sigmoid(-input))
    if weight is not None:
        loss = loss * weight
    loss = jnp.sum(loss, axis=-1) / input.shape[-1]
    return _reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    return _multilabel_soft_margin_loss(input, target, weight, _reduction(size_average, reduce, reduction))


@op(tensors=("input", "target", "weight"), jit=True, method=False, function=False)
def _multi_margin_loss(input, target, weight, p, margin, reduction):
    x = input if input.ndim == 2 else input.reshape(1, -1)
    t = target.reshape(-1)
    c = x.shape[1]
    xy = jnp.take_along_axis(x, t[:, None], axis=1)
    m = jnp.maximum(margin - xy + x, 0)
    if p == 2:
        m = m * m
    if weight is not None:
        m = m * jnp.take(weight, t)[:, None]
    m = jnp.where(jnp.arange(c)[None, :] == t[:, None], 0, m)
    loss = jnp.sum(m, axis=1) / c
    if input.ndim < 2:
        loss = loss.reshape(())
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    return _multi_margin_loss(input, target, weight, int(p), float(margin), _reduction(size_average, reduce, reduction))


def _multilabel_margin_check(input, target, reduction):
    c = input.shape[-1] if input.ndim else 1
    if input.ndim > 2 or tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"inconsistent target size: {_shape_list(target.shape)} for input of size: "
                           f"{_shape_list(input.shape)}")
    lo, hi = _index_range(target._value)
    if lo < -1 or hi >= c:
        raise RuntimeError("argument #2 'target' is out of range")


@op(tensors=("input", "target"), jit=True, method=False, function=False, check=_multilabel_margin_check)
def _multilabel_margin_loss(input, target, reduction):
    x = input.reshape((-1, input.shape[-1])) if input.ndim else input.reshape(1, 1)
    y = target.reshape(x.shape)
    c = x.shape[1]
    # the targets of a row are its entries before the first -1
    valid = jnp.cumprod(y >= 0, axis=1).astype(bool)
    yc = jnp.where(valid, y, 0)
    is_target = jnp.any(valid[:, :, None] & (yc[:, :, None] == jnp.arange(c)), axis=1)      # (N, C)
    picked = jnp.take_along_axis(x, yc, axis=1)                                               # (N, S)
    margins = jax.nn.relu(1 - picked[:, :, None] + x[:, None, :])                             # (N, S, C)
    keep = valid[:, :, None] & ~is_target[:, None, :]
    loss = jnp.sum(jnp.where(keep, margins, 0), axis=(1, 2)) / c
    loss = loss.reshape(input.shape[:-1]) if input.ndim else loss.reshape(())
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-class multi-label hinge loss: for each target class ``j`` (a row's entries before the first ``-1``) and
    each non-target class ``i``, ``max(0, 1 - (x[j] - x[i])) / C``."""
    return _multilabel_margin_loss(input, target, _reduction(size_average, reduce, reduction))


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    """``max(d(a, p) - d(a, n) + margin, 0)`` for any distance function ``d`` (default :func:`pairwise_distance`),
    composed from differentiable ops as in torch."""
    from .._ops.pointwise import clamp_min, minimum
    from ._functional_distance import pairwise_distance
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} instead")
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{reduction} is not a valid value for reduction")
    a, p, n = anchor.ndim, positive.ndim, negative.ndim
    if not a == p == n:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a}D, positive {p}D, and negative {n}D inputs")
    dist = distance_function if distance_function is not None else pairwise_distance
    dist_pos, dist_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        dist_neg = minimum(dist_neg, dist(positive, negative))
    loss = clamp_min(margin + dist_pos - dist_neg, 0)
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _log_add(*terms):
    """log(sum(exp(terms))) with zero (not nan) gradients where every term is -inf."""
    m = terms[0]
    for t in terms[1:]:
        m = jnp.maximum(m, t)
    m = jax.lax.stop_gradient(jnp.where(jnp.isfinite(m), m, 0))
    total = sum(jnp.exp(t - m) for t in terms)
    pos = total > 0
    return jnp.where(pos, m + jnp.log(jnp.where(pos, total, 1)), -jnp.inf)


@op(tensors=("log_probs", "targets", "input_lengths", "target_lengths"), jit=True, method=False, function=False,
    grad_name="CtcLossBackward0")
def _ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity):
    """The CTC negative log-likelihood by the forward (alpha) recursion over the blank-extended targets, one
    ``lax.scan`` over time; sequences stop at their ``input_lengths``."""
    lp = log_probs
    t_max, n = lp.shape[:2]
    s = targets.shape[1]
    ext = jnp.full((n, 2 * s + 1), blank, targets.dtype).at[:, 1::2].set(targets)            # (N, 2S+1)
    prev2 = jnp.pad(ext[:, :-2], ((0, 0), (2, 0)), constant_values=blank)
    skip = (ext != blank) & (ext != prev2)                       # may come from two positions back
    emit = jnp.take_along_axis(lp, jnp.broadcast_to(ext[None], (t_max,) + ext.shape), axis=2)   # (T, N, 2S+1)
    neg = jnp.asarray(-jnp.inf, lp.dtype)
    first = jnp.full(ext.shape, neg).at[:, 0].set(emit[0, :, 0])
    first = first.at[:, 1].set(jnp.where(target_lengths > 0, emit[0, :, 1], neg)) if s else first

    def step(alpha, inputs):
        e, t = inputs
        a1 = jnp.pad(alpha[:, :-1], ((0, 0), (1, 0)), constant_values=-jnp.inf)
        a2 = jnp.where(skip, jnp.pad(alpha[:, :-2], ((0, 0), (2, 0)), constant_values=-jnp.inf), neg)
        new = _log_add(alpha, a1, a2) + e
        return jnp.where((t < input_lengths)[:, None], new, alpha), None

    alpha, _ = jax.lax.scan(step, first, (emit[1:], jnp.arange(1, t_max)))
    end = 2 * target_lengths
    last = jnp.take_along_axis(alpha, end[:, None], axis=1)[:, 0]
    before = jnp.take_along_axis(alpha, jnp.maximum(end - 1, 0)[:, None], axis=1)[:, 0]
    loss = -_log_add(last, jnp.where(target_lengths > 0, before, neg))
    # torch's gradient with respect to log_probs carries an extra exp(log_probs) at every step of a sequence (its
    # formula is the gradient for logits under log_softmax, which that term cancels); the same here, value zero
    steps = (jnp.arange(t_max)[:, None] < input_lengths[None, :])[..., None]
    fixed = jax.lax.stop_gradient(lp)
    loss = loss + jnp.sum(jnp.where(steps, jnp.exp(fixed) * (lp - fixed), 0), axis=(0, 2))
    if zero_infinity:
        loss = jnp.where(jnp.isinf(jax.lax.stop_gradient(loss)), jnp.zeros((), loss.dtype), loss)
    if reduction == "mean":
        return exact_mean(loss / jnp.maximum(target_lengths, 1).astype(loss.dtype))
    return _reduce(loss, reduction)


def _lengths(v):
    return np.asarray(v.numpy() if isinstance(v, Tensor) else v, np.int64).reshape(-1)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    """Connectionist Temporal Classification loss of ``log_probs`` ``(T, N, C)`` (or ``(T, C)``) against targets
    padded ``(N, S)`` or concatenated ``(sum(target_lengths),)``.

    Differs from torch in one point: infinite losses (impossible alignments) with ``zero_infinity=False`` have zero
    gradients here, where torch's contain NaN."""
    reduction = _reduction(None, None, reduction)
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.unsqueeze(0) if targets.ndim == 1 else targets
    t_max, n = log_probs.shape[:2]
    il, tl = _lengths(input_lengths), _lengths(target_lengths)
    if il.size != n:
        raise RuntimeError("input_lengths must be of size batch_size")
    if tl.size != n:
        raise RuntimeError("target_lengths must be of size batch_size")
    if il.size and il.max() > t_max:
        raise RuntimeError(f"Expected input_lengths to have value at most {t_max}, but got value {int(il.max())} "
                           "(while checking arguments for ctc_loss_allocate_outputs)")
    tgt = np.asarray(targets.numpy(), np.int64)
    if tgt.ndim == 1:   # concatenated: cut into rows, padded with the blank
        starts = np.concatenate([[0], np.cumsum(tl)[:-1]]) if n else np.zeros(0, np.int64)
        padded = np.full((n, int(tl.max()) if n else 0), blank, np.int64)
        for i, (a, k) in enumerate(zip(starts, tl)):
            padded[i, :k] = tgt[a:a + k]
        tgt = padded
    elif tl.size and tl.max() > tgt.shape[1]:
        raise RuntimeError(f"Expected tensor to have size at least {int(tl.max())} at dimension 1, but got size "
                           f"{tgt.shape[1]} for argument #2 'targets' (while checking arguments for "
                           "ctc_loss_allocate_outputs)")
    res = _ctc_loss(log_probs, Tensor._make(jnp.asarray(tgt)), Tensor._make(jnp.asarray(il)),
                    Tensor._make(jnp.asarray(tl)), int(blank), reduction, bool(zero_infinity))
    return res.squeeze(0) if unbatched and reduction == "none" else res


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=None, label_smoothing=0.0, options=None):
    """``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``; ``linear_weight`` is
    ``(C, *out_features, in_features)`` for a K-dimensional loss.

    ``options`` (torch's batch-chunked path, which avoids materializing the logits) is accepted and computed by
    this reference path: the same values; XLA decides the memory layout."""
    from ._functional_linear import linear
    if input.dim() not in (1, 2):
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.dim()}")
    if linear_weight.dim() < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got {linear_weight.dim()}")
    batch, in_features = tuple(input.shape[:-1]), input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(f"expected equal input and linear_weight last dimensions (in_features), got "
                           f"{input.shape[-1]} and {linear_weight.shape[-1]}, respectively")
    num_classes, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(num_classes, *out_features)}, got "
                           f"{tuple(linear_bias.shape)}")
    if out_features and not batch:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape {tuple(linear_weight.shape)} requires "
                           f"batched input, (N, {in_features}), got unbatched input with shape {tuple(input.shape)}")
    logits_shape = (*batch, num_classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    logits = linear(input, linear_weight.reshape(-1, in_features),
                    None if linear_bias is None else linear_bias.reshape(-1)).reshape(logits_shape)
    return cross_entropy(logits, target, weight, ignore_index=-100 if ignore_index is None else ignore_index,
                         reduction=reduction, label_smoothing=label_smoothing)
