"""torch's top-level names of nn functionals: ``torch.conv2d``, ``torch.dropout``, ``torch.layer_norm`` ...

``ptjax.<name>`` finds them here on first use (``ptjax.__getattr__``; ``ptjax.nn`` is imported lazily, as its op
entries are). A name whose torch signature is the functional's is the functional's op-table entry itself
(``function=True``: one entry, both names); the faces below adapt the others, whose top-level signatures differ in
torch: positional ``train`` flags, the ATen argument order of ``batch_norm`` / ``embedding``, integer reduction
codes, ``cudnn_enabled`` switches, tuples where the functional returns one tensor.
"""
from __future__ import annotations

from .._ops.registry import TABLE
from . import _functional_dropout as _dropout
from . import functional as F
from ._functional_sparse import _run_embedding_bag

__all__ = ["lookup"]

_REDUCTIONS = ("none", "mean", "sum")   # ATen's integer codes
_BAG_MODES = ("sum", "mean", "max")


def _reduction(code):
    return code if isinstance(code, str) else _REDUCTIONS[code]


# ---- dropout: ``(input, p, train)``, all positional, and in-place forms ----------------------------------------

def dropout(input, p, train):
    return F.dropout(input, p, train)


def dropout_(input, p, train):
    return F.dropout(input, p, train, inplace=True)


def feature_dropout(input, p, train):
    """One mask entry per (sample, channel) of ``(N, C, *)``."""
    return _dropout._feature_dropout(input, p, train, False, True)


def feature_dropout_(input, p, train):
    return _dropout._feature_dropout(input, p, train, True, True)


def alpha_dropout(input, p, train):
    return F.alpha_dropout(input, p, train)


def alpha_dropout_(input, p, train):
    return F.alpha_dropout(input, p, train, inplace=True)


def feature_alpha_dropout(input, p, train):
    return F.feature_alpha_dropout(input, p, train)


def feature_alpha_dropout_(input, p, train):
    return F.feature_alpha_dropout(input, p, train, inplace=True)


# ---- normalization: ATen's argument order and ``cudnn_enabled`` ---------------------------------------------------

def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    return F.group_norm(input, num_groups, weight, bias, eps)


# ---- lookups, pooling, padding, convolution -----------------------------------------------------------------------

def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    """ATen's order: ``weight`` first; ``padding_idx=-1`` means none."""
    return F.embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                       scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """``(output, offset2bag, bag_size, max_indices)``; ``mode`` 0, 1, 2 for sum, mean, max. The three last outputs
    are torch's bookkeeping: ptjax's ``offset2bag`` is each index's bag, ``max_indices`` the bag sizes outside
    'max' mode (torch's hold the same information, laid out differently)."""
    return _run_embedding_bag(weight, indices, offsets, scale_grad_by_freq, _BAG_MODES[mode], per_sample_weights,
                              include_last_offset, padding_idx)


def adaptive_max_pool1d(input, output_size):
    """``(values, indices)``, as torch's top-level function returns."""
    return F.adaptive_max_pool1d_with_indices(input, output_size)


def constant_pad_nd(input, pad, value=0):
    return F.pad(input, pad, "constant", value)


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups):
    """The general convolution: the ``conv{d}d`` / ``conv_transpose{d}d`` functional for ``weight``'s rank."""
    nd = weight.dim() - 2
    if transposed:
        fn = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[nd - 1]
        return fn(input, weight, bias, stride, padding, output_padding, groups, dilation)
    return (F.conv1d, F.conv2d, F.conv3d)[nd - 1](input, weight, bias, stride, padding, dilation, groups)


# ---- losses: integer reduction codes (torch's top-level default is 0, no reduction), positional arguments --------

def kl_div(input, target, reduction=0, *, log_target=False):
    from ._functional_loss import _kl_div
    return _kl_div(input, target, _reduction(reduction), bool(log_target))


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    return F.binary_cross_entropy_with_logits(input, target, weight, reduction=_reduction(reduction),
                                              pos_weight=pos_weight)


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    return F.cosine_embedding_loss(input1, input2, target, margin, reduction=_reduction(reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    return F.hinge_embedding_loss(input, target, margin, reduction=_reduction(reduction))


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    return F.margin_ranking_loss(input1, input2, target, margin, reduction=_reduction(reduction))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps, reduction=_reduction(reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2.0, eps=1e-6, swap=False, reduction=0):
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap, reduction=_reduction(reduction))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=0, zero_infinity=False):
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank, _reduction(reduction), zero_infinity)


# the functionals whose top-level signature is F's (F has no entry for them, or F's adds ``inplace``)
_SAME = {name: getattr(F, name) for name in (
    "celu", "celu_", "selu", "selu_", "threshold", "threshold_", "rrelu", "rrelu_", "max_pool1d_with_indices",
    "conv_tbc", "relu_")}

_FACES = {f.__name__: f for f in (
    dropout, dropout_, feature_dropout, feature_dropout_, alpha_dropout, alpha_dropout_, feature_alpha_dropout,
    feature_alpha_dropout_, batch_norm, instance_norm, layer_norm, group_norm, embedding, embedding_bag,
    adaptive_max_pool1d, constant_pad_nd, convolution, kl_div, binary_cross_entropy_with_logits,
    cosine_embedding_loss, hinge_embedding_loss, margin_ranking_loss, poisson_nll_loss, triplet_margin_loss,
    ctc_loss)}
_FACES.update(_SAME)


def lookup(name):
    """The callable torch has at ``torch.<name>`` among the nn functionals, or None."""
    face = _FACES.get(name)
    if face is not None:
        return face
    entry = TABLE.get(name)
    if entry is not None and entry.function:
        return entry.functions[name]
    return None
