"""Attention functionals: ``scaled_dot_product_attention`` and ``multi_head_attention_forward``.

Each is one op-table kernel (one autograd node). Dropout inside attention needs randomness: the public wrapper
draws a key from ptjax's global generator and passes it to the kernel as a (non-differentiable) uint32 tensor.
"""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from .._ops.reduction import exact_mean
from .._ops.registry import op
from .._tensor import Tensor

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def _rng_tensor():
    from .._ops.random import default_generator
    return Tensor._make(jax.random.key_data(default_generator.next_key()))


def _dropout(x, p, rng):
    if p <= 0.0:
        return x
    if p >= 1.0:
        return jnp.zeros_like(x)
    keep = jax.random.bernoulli(jax.random.wrap_key_data(rng), 1.0 - p, x.shape)
    return jnp.where(keep, x / (1.0 - p), jnp.zeros((), x.dtype))


def _safe_softmax(s):
    """softmax over the last axis; rows whose scores are all -inf give zeros (torch's math SDPA)."""
    out = jax.nn.softmax(s, axis=-1)
    dead = jnp.all(s == -jnp.inf, axis=-1, keepdims=True)
    return jnp.where(dead, jnp.zeros((), out.dtype), out)


@op(tensors=("query", "key", "value", "attn_mask", "rng"), jit=True, method=False, function=False,
    grad_name="ScaledDotProductAttentionBackward0")
def _sdpa(query, key, value, attn_mask, rng, dropout_p, is_causal, scale, enable_gqa):
    q, k, v = query, key, value
    L, S, E = q.shape[-2], k.shape[-2], q.shape[-1]
    sc = 1.0 / math.sqrt(E) if scale is None else scale
    if enable_gqa and q.ndim >= 3 and k.shape[-3] != q.shape[-3]:
        rep = q.shape[-3] // k.shape[-3]
        k = jnp.repeat(k, rep, axis=-3)
        v = jnp.repeat(v, rep, axis=-3)
    s = jnp.matmul(q, jnp.swapaxes(k, -1, -2)) * jnp.asarray(sc, q.dtype)
    if is_causal:
        s = jnp.where(jnp.tril(jnp.ones((L, S), bool)), s, -jnp.inf)
    if attn_mask is not None:
        if attn_mask.dtype == jnp.bool_:
            s = jnp.where(attn_mask, s, -jnp.inf)
        else:
            s = s + attn_mask.astype(s.dtype)
    w = _safe_softmax(s)
    if rng is not None:
        w = _dropout(w, dropout_p, rng)
    return jnp.matmul(w, v)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """``softmax(q @ k^T * scale + mask) @ v`` over the last two dims; a bool ``attn_mask`` marks the positions that
    *take part*; ``is_causal`` masks the upper triangle; ``enable_gqa`` repeats key/value heads (dim -3)."""
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True")
    if not enable_gqa and query.ndim >= 3 and key.ndim >= 3 and query.shape[-3] != key.shape[-3] \
            and key.shape[-3] != 1 and query.shape[-3] != 1:
        raise RuntimeError("The size of tensor a must match the size of tensor b at non-singleton dimension")
    rng = _rng_tensor() if dropout_p > 0.0 else None
    return _sdpa(query, key, value, attn_mask, rng, float(dropout_p), bool(is_causal),
                 None if scale is None else float(scale), bool(enable_gqa))


def _canonical(mask, dtype):
    """torch's _canonical_mask: a bool mask (True = masked out) becomes an additive float mask."""
    if mask is None:
        return None
    if mask.dtype == jnp.bool_:
        return jnp.where(mask, jnp.asarray(-jnp.inf, dtype), jnp.zeros((), dtype))
    return mask.astype(dtype)


@op(tensors=("query", "key", "value", "in_proj_weight", "in_proj_bias", "bias_k", "bias_v", "out_proj_weight",
             "out_proj_bias", "key_padding_mask", "attn_mask", "q_proj_weight", "k_proj_weight", "v_proj_weight",
             "static_k", "static_v", "rng"),
    jit=True, method=False, function=False, grad_name="MultiHeadAttentionBackward0")
def _mha(query, key, value, in_proj_weight, in_proj_bias, bias_k, bias_v, out_proj_weight, out_proj_bias,
         key_padding_mask, attn_mask, q_proj_weight, k_proj_weight, v_proj_weight, static_k, static_v, rng,
         num_heads, add_zero_attn, dropout_p, need_weights, average_attn_weights, use_separate_proj_weight):
    batched = query.ndim == 3
    if not batched:
        query, key, value = query[:, None], key[:, None], value[:, None]
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask[None]
    tgt_len, bsz, embed_dim = query.shape
    head_dim = embed_dim // num_heads
    dt = query.dtype
    kpm = _canonical(key_padding_mask, dt)
    am = _canonical(attn_mask, dt)

    # input projections
    if not use_separate_proj_weight:
        wq, wk, wv = jnp.split(in_proj_weight, 3, axis=0)
    else:
        wq, wk, wv = q_proj_weight, k_proj_weight, v_proj_weight
    if in_proj_bias is not None:
        bq, bk, bv = jnp.split(in_proj_bias, 3)
    else:
        bq = bk = bv = None

    def lin(x, w, b):
        y = jnp.matmul(x, w.T)
        return y + b if b is not None else y

    q = lin(query, wq, bq)
    k = lin(key, wk, bk)
    v = lin(value, wv, bv)

    if am is not None and am.ndim == 2:
        am = am[None]
    if bias_k is not None:
        k = jnp.concatenate([k, jnp.broadcast_to(bias_k.reshape(1, 1, -1), (1, bsz, embed_dim))], axis=0)
        v = jnp.concatenate([v, jnp.broadcast_to(bias_v.reshape(1, 1, -1), (1, bsz, embed_dim))], axis=0)
        if am is not None:
            am = jnp.pad(am, ((0, 0), (0, 0), (0, 1)))
        if kpm is not None:
            kpm = jnp.pad(kpm, ((0, 0), (0, 1)))

    q = jnp.swapaxes(q.reshape(tgt_len, bsz * num_heads, head_dim), 0, 1)
    k = jnp.swapaxes(k.reshape(k.shape[0], bsz * num_heads, head_dim), 0, 1) if static_k is None else static_k
    v = jnp.swapaxes(v.reshape(v.shape[0], bsz * num_heads, head_dim), 0, 1) if static_v is None else static_v

    if add_zero_attn:
        k = jnp.concatenate([k, jnp.zeros((k.shape[0], 1, head_dim), k.dtype)], axis=1)
        v = jnp.concatenate([v, jnp.zeros((v.shape[0], 1, head_dim), v.dtype)], axis=1)
        if am is not None:
            am = jnp.pad(am, ((0, 0), (0, 0), (0, 1)))
        if kpm is not None:
            kpm = jnp.pad(kpm, ((0, 0), (0, 1)))
    src_len = k.shape[1]

    if kpm is not None:
        kpm = jnp.broadcast_to(kpm.reshape(bsz, 1, 1, src_len), (bsz, num_heads, 1, src_len))
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        am = kpm if am is None else am + kpm

    scores = jnp.matmul(q * jnp.asarray(math.sqrt(1.0 / head_dim), dt), jnp.swapaxes(k, -1, -2))
    if am is not None:
        scores = scores + am
    if need_weights:
        w = jax.nn.softmax(scores, axis=-1)
    else:
        w = _safe_softmax(scores)
    if rng is not None:
        w = _dropout(w, dropout_p, rng)
    out = jnp.matmul(w, v)                                             # (B*H, L, hd)
    out = jnp.swapaxes(out, 0, 1).reshape(tgt_len * bsz, embed_dim)
    out = lin(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if not need_weights:
        return out if batched else out[:, 0]
    w = w.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        w = exact_mean(w, axis=1)
    if not batched:
        return out[:, 0], w[0]
    return out, w


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads, in_proj_weight, in_proj_bias,
                                 bias_k, bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                                 training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None, k_proj_weight=None,
                                 v_proj_weight=None, static_k=None, static_v=None, average_attn_weights=True,
                                 is_causal=False):
    """torch.nn.functional.multi_head_attention_forward (sequence-first ``(L, N, E)`` or unbatched ``(L, E)``).

    Returns ``(attn_output, attn_weights or None)``. ``is_causal`` is only a hint, as in torch: ``attn_mask`` must
    be given with it.
    """
    if query.ndim not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received {query.ndim}-D "
                             f"query tensor")
    embed_dim = query.shape[-1]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}")
    if embed_dim % num_heads:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
                           "method `generate_square_subsequent_mask` to create this mask.")
    if (bias_k is None) != (bias_v is None):
        raise AssertionError("bias_k and bias_v should both be given or both be None")
    if not training:
        dropout_p = 0.0
    rng = _rng_tensor() if dropout_p > 0.0 else None
    res = _mha(query, key, value, in_proj_weight, in_proj_bias, bias_k, bias_v, out_proj_weight, out_proj_bias,
               key_padding_mask, attn_mask, q_proj_weight, k_proj_weight, v_proj_weight, static_k, static_v, rng,
               int(num_heads), bool(add_zero_attn), float(dropout_p), bool(need_weights),
               bool(average_attn_weights), bool(use_separate_proj_weight))
    if need_weights:
        return res
    return res, None
