"""Pooling and resampling (``interpolate``, ``fold`` / ``unfold``, ``pixel_shuffle``): the functionals of
``nn/modules/pooling.py``.

Max pooling picks, in each window, the *first* maximum in row-major order (a NaN wins), as torch's CPU kernel
does, and routes the whole gradient to it (``jax``'s own ``max`` would split it between ties, which differs from
torch after a ReLU, where windows of zeros are common)."""
from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from .._ops.registry import op
from ._functional_utils import _batched, _index_range, _shape_list, _tuple

__all__ = [
    "max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices", "max_pool2d_with_indices",
    "max_pool3d_with_indices", "max_unpool1d", "max_unpool2d", "max_unpool3d", "fractional_max_pool2d",
    "fractional_max_pool3d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d_with_indices", "avg_pool1d",
    "avg_pool2d", "avg_pool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
    "adaptive_avg_pool3d", "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d_with_indices", "adaptive_max_pool3d_with_indices",
    "interpolate", "upsample", "upsample_nearest", "upsample_bilinear", "unfold", "fold", "pixel_shuffle",
    "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle"
]


def _pool_out(size, k, s, p, d, ceil_mode):
    eff = d * (k - 1) + 1
    num = size + 2 * p - eff
    out = (num + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode, nd, name):
    k = _tuple(kernel_size, nd, "kernel_size")
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) else _tuple(stride, nd)
    p, d = _tuple(padding, nd, "padding"), _tuple(dilation, nd, "dilation")
    for kk, pp, dd in zip(k, p, d):
        if pp > (dd * (kk - 1) + 1) // 2 if dd > 1 else pp > kk // 2:
            raise RuntimeError(f"{name}: pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={dd}")
    sizes = x.shape[2:]
    out = tuple(_pool_out(n, kk, ss, pp, dd, ceil_mode) for n, kk, ss, pp, dd in zip(sizes, k, s, p, d))
    if any(o <= 0 for o in out):
        raise RuntimeError(f"{name}: Given input size: ({'x'.join(map(str, x.shape[1:]))}). Calculated output size: "
                           f"({'x'.join(map(str, (x.shape[1],) + out))}). Output size is too small")
    return k, s, p, d, out


def _windows(x, k, s, p, d, out, fill):
    """The window elements of every output position: ``(N, C, *out, prod(k))``, window offsets row-major."""
    return jnp.stack(_window_list(x, k, s, p, d, out, fill), axis=-1), len(k)


def _window_list(x, k, s, p, d, out, fill):
    """``prod(k)`` strided slices of the (padded) input, one per window offset (row-major), each ``(N, C, *out)``."""
    sizes = x.shape[2:]
    widths = [(0, 0), (0, 0)]
    for n, kk, ss, pp, dd, o in zip(sizes, k, s, p, d, out):
        need = (o - 1) * ss + dd * (kk - 1) + 1   # extent read, starting at -pp
        widths.append((pp, max(0, need - n - pp)))
    if any(w != (0, 0) for w in widths):
        x = jnp.pad(x, widths, constant_values=fill)
    cols = []
    for offs in np.ndindex(*k):
        start = (0, 0) + tuple(o_ * dd for o_, dd in zip(offs, d))
        limit = x.shape[:2] + tuple(st + (o - 1) * ss + 1 for st, o, ss in zip(start[2:], out, s))
        cols.append(lax.slice(x, start, limit, (1, 1) + tuple(s)))
    return cols


def _first_max(win):
    """(values, positions) of the first maximum along the last axis (NaN counts as the maximum)."""
    pos = jnp.argmax(win, axis=-1)
    onehot = jnp.arange(win.shape[-1]) == pos[..., None]
    val = jnp.sum(jnp.where(onehot, win, jnp.zeros((), win.dtype)), axis=-1)
    return val, pos


def _input_index(pos, k, s, p, d, out, sizes):
    """Flat index (into the unpadded spatial input) of window position ``pos`` at each output location."""
    nd = len(k)
    table = np.zeros(tuple(out) + (int(np.prod(k)),), np.int64)
    grids = np.meshgrid(*[np.arange(o) for o in out], indexing="ij")
    for j, offs in enumerate(np.ndindex(*k)):
        flat = np.zeros(tuple(out), np.int64)
        for a in range(nd):
            coord = grids[a] * s[a] - p[a] + offs[a] * d[a]
            flat = flat * sizes[a] + coord
        table[..., j] = flat
    tab = jnp.asarray(table)
    return jnp.take_along_axis(jnp.broadcast_to(tab, pos.shape + tab.shape[-1:]), pos[..., None], axis=-1)[..., 0]


def _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, nd, name):
    x, unbatched = _batched(input, nd, name)
    k, s, p, d, out = _pool_args(x, kernel_size, stride, padding, dilation, ceil_mode, nd, name)
    if jnp.issubdtype(x.dtype, jnp.floating):
        fill = -jnp.inf
    else:
        fill = jnp.iinfo(x.dtype).min
    val, pos = _max_pool_core(x, k, s, p, d, out, fill)
    if unbatched:
        val, pos = val[0], pos[0]
    if not return_indices:
        return val
    return val, _input_index(pos, k, s, p, d, out, x.shape[2:])


def _fold_max(cols):
    """Running maximum over the window slices in order, as torch's CPU loop: a later element replaces the current
    one when greater, or when NaN. Returns (values, window position)."""
    best, idx = cols[0], jnp.zeros(cols[0].shape, jnp.int32)
    for j, c in enumerate(cols[1:], 1):
        upd = (c > best) | jnp.isnan(c) if jnp.issubdtype(c.dtype, jnp.floating) else c > best
        best = jnp.where(upd, c, best)
        idx = jnp.where(upd, jnp.int32(j), idx)
    return best, idx


def _max_pool_core(x, k, s, p, d, out, fill):
    """(max, window position) per output. The value is an elementwise fold over the window slices (cheap on CPU);
    the gradient, a custom vjp, sends each output's cotangent to the winning element only (torch's routing) by
    transposing the (linear) window extraction — not JAX's ``max`` rule, which splits it between ties."""
    K = int(np.prod(k))
    shape, dtype = x.shape, x.dtype

    @jax.custom_vjp
    def pool(x):
        return _fold_max(_window_list(x, k, s, p, d, out, fill))[0]

    def pool_fwd(x):
        return _fold_max(_window_list(x, k, s, p, d, out, fill))

    def pool_bwd(idx, g):
        dwin = jnp.where(jnp.arange(K, dtype=jnp.int32) == idx[..., None], g[..., None], jnp.zeros((), g.dtype))
        extract = lambda y: _windows(y, k, s, p, d, out, 0)[0]  # noqa: E731  (zero fill: linear)
        return jax.linear_transpose(extract, jax.ShapeDtypeStruct(shape, dtype))(dwin)

    pool.defvjp(pool_fwd, pool_bwd)
    if not jnp.issubdtype(dtype, jnp.floating):
        return _fold_max(_window_list(x, k, s, p, d, out, fill))
    val = pool(x)
    # the positions (for return_indices) come from the same fold; XLA shares the work with ``pool``'s forward
    _, pos = _fold_max(_window_list(lax.stop_gradient(x), k, s, p, d, out, fill))
    return val, pos


@op(jit=True, method=False, grad_name="MaxPool2DWithIndicesBackward0")
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """1-d max pooling over ``(N, C, L)``; ``stride`` defaults to ``kernel_size``."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1, "max_pool1d")


@op(jit=True, method=False, grad_name="MaxPool2DWithIndicesBackward0")
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """2-d max pooling over ``(N, C, H, W)``; with ``return_indices`` also the flat ``h * W + w`` argmax indices."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2, "max_pool2d")


@op(jit=True, method=False, grad_name="MaxPool3DWithIndicesBackward0")
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """3-d max pooling over ``(N, C, D, H, W)``."""
    return _max_pool(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3, "max_pool3d")


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """``(values, indices)`` of :func:`max_pool1d` (``return_indices`` is ignored, as in torch)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """``(values, indices)`` of :func:`max_pool2d` (``return_indices`` is ignored, as in torch)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=False):
    """``(values, indices)`` of :func:`max_pool3d` (``return_indices`` is ignored, as in torch)."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ---- max unpooling ------------------------------------------------------------------------------------------------

def _unpool_size(input, k, s, p, output_size):
    """torch's output size of max unpooling: the inverse of the pooling's, or ``output_size`` (spatial, or with the
    batch and channel dims) within one stride of it."""
    nd = len(k)
    default = [(input.shape[-nd + d] - 1) * s[d] + k[d] - 2 * p[d] for d in range(nd)]
    if output_size is None:
        ret = default
    else:
        if len(output_size) == nd + 2:
            output_size = output_size[2:]
        if len(output_size) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has a "
                             f"length of '{len(output_size)}'")
        for d in range(nd):
            lo, hi = default[d] - s[d], default[d] + s[d]
            if not lo < output_size[d] < hi:
                raise ValueError(f'invalid output_size "{output_size}" (dim {d} must be between {lo} and {hi})')
        ret = output_size
    for d in range(nd):
        if ret[d] < 0:
            raise ValueError(f"max_unpooling: output_size must contain non-negative spatial dimensions, but got "
                             f"output_size[{d}]={ret[d]}")
    return tuple(int(v) for v in ret)


def _max_unpool_check(input, indices, output_size):
    from .. import _dtype as D
    if indices.dtype is not D.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: "
                           f"{D.SCALAR_TYPE_NAME[indices.dtype.name]}")
    lo, hi = _index_range(indices._value)
    if lo < 0 or hi >= int(np.prod(output_size)):
        h = np.asarray(indices._value).reshape(-1)   # the last invalid one, as torch's loop reports it
        bad = int(h[np.flatnonzero((h < 0) | (h >= int(np.prod(output_size))))[-1]])
        shown = output_size if len(output_size) > 1 else tuple(output_size) + (1,)
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size "
                           f"{'x'.join(map(str, shown))})")


@op(tensors=("input", "indices"), jit=True, method=False, function=False, check=_max_unpool_check,
    grad_name="MaxUnpool2DBackward0")
def _max_unpool(input, indices, output_size):
    """Scatter each value to its flat spatial index in a zero output of ``output_size`` (per sample and channel)."""
    nd = len(output_size)
    lead = input.shape[:input.ndim - nd]
    rows = int(np.prod(lead))
    x, idx = input.reshape(rows, -1), indices.reshape(rows, -1)
    out = jnp.zeros((rows, int(np.prod(output_size))), input.dtype)
    out = out.at[jnp.arange(rows)[:, None], idx].set(x)
    return out.reshape(tuple(lead) + tuple(output_size))


def _max_unpool_nd(input, indices, kernel_size, stride, padding, output_size, nd):
    k = _tuple(kernel_size, nd)
    s = k if stride is None else _tuple(stride, nd)
    size = _unpool_size(input, k, s, _tuple(padding, nd), output_size)
    return _max_unpool(input, indices, size)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of :func:`max_pool1d`: each value back at its index, zeros elsewhere."""
    return _max_unpool_nd(input, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of :func:`max_pool2d`: each value back at its index, zeros elsewhere."""
    return _max_unpool_nd(input, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of :func:`max_pool3d`: each value back at its index, zeros elsewhere."""
    return _max_unpool_nd(input, indices, kernel_size, stride, padding, output_size, 3)


# ---- fractional max pooling ---------------------------------------------------------------------------------------

def _fractional_starts(u, n_in, n_out, k):
    """torch's pseudo-random window starts for one spatial dim: ``u`` (N, C) samples in [0, 1) -> (N, C, n_out)."""
    if n_out == 1:
        return jnp.full(u.shape + (1,), n_in - k, jnp.int32)
    alpha = jnp.asarray((n_in - k) / (n_out - 1), u.dtype)
    i = jnp.arange(n_out - 1, dtype=u.dtype)
    starts = (jnp.trunc((i + u[..., None]) * alpha) - jnp.trunc(u[..., None] * alpha)).astype(jnp.int32)
    return jnp.concatenate([starts, jnp.full(u.shape + (1,), n_in - k, jnp.int32)], axis=-1)


@op(tensors=("input", "samples"), jit=True, method=False, function=False,
    grad_name="FractionalMaxPool2DBackward0")
def _fractional_max_pool(input, samples, kernel_size, output_size):
    """``(values, flat indices)``: the first maximum of each pseudo-random ``kernel_size`` window."""
    nd = len(kernel_size)
    unbatched = input.ndim == nd + 1
    x = input[None] if unbatched else input
    n, c = x.shape[:2]
    sizes = x.shape[2:]
    # torch's 2-d kernel reads the samples as (width, height), its 3-d kernel as (depth, height, width)
    cols = [1, 0] if nd == 2 else list(range(nd))
    starts = [_fractional_starts(samples[..., cols[a]], sizes[a], output_size[a], kernel_size[a]) for a in range(nd)]
    # flat input index of every (output position, window offset): (N, C, *out, prod(k)), offsets row-major
    flat = 0
    for a in range(nd):
        shape = [n, c] + [1] * nd + [1] * nd
        shape[2 + a] = output_size[a]
        st = starts[a].reshape(shape)
        off = jnp.arange(kernel_size[a]).reshape([1] * (2 + nd + a) + [kernel_size[a]] + [1] * (nd - 1 - a))
        flat = flat * sizes[a] + st + off
    flat = jnp.broadcast_to(flat, (n, c) + tuple(output_size) + tuple(kernel_size)).reshape(
        (n, c) + tuple(output_size) + (-1,))
    win = jnp.take_along_axis(x.reshape(n, c, -1), flat.reshape(n, c, -1), axis=2).reshape(flat.shape)
    pos = jnp.argmax(jax.lax.stop_gradient(win), axis=-1)
    index = jnp.take_along_axis(flat, pos[..., None], axis=-1)[..., 0]
    values = jnp.take_along_axis(x.reshape(n, c, -1), index.reshape(n, c, -1), axis=2).reshape(index.shape)
    if unbatched:
        return values[0], index[0].astype(jnp.int64)
    return values, index.astype(jnp.int64)


def _fractional_max_pool_nd(input, kernel_size, output_size, output_ratio, _random_samples, nd, name):
    from .._ops.random import rand
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    k = _tuple(kernel_size, nd)
    if output_size is None:
        if nd == 2 and isinstance(output_ratio, (tuple, list)) and len(output_ratio) > 2:
            raise ValueError(f"{name} requires output_ratio to either be a single Int or tuple of Ints.")
        ratio = tuple(output_ratio) if isinstance(output_ratio, (tuple, list)) else (output_ratio,) * nd
        output_size = [int(input.size(-nd + a) * ratio[a]) for a in range(nd)]
    out = _tuple(output_size, nd)
    if _random_samples is None:
        batch = 1 if input.dim() == nd + 1 else input.size(0)
        _random_samples = rand(batch, input.size(-nd - 1), nd, dtype=input.dtype, device=input.device)
    dims = ("height", "width") if nd == 2 else ("time", "height", "width")
    where = "fractional_max_pool2d()" if nd == 2 else "fractional_max_pool3d_out()"
    for a in range(nd):
        if out[a] + k[a] - 1 > input.size(-nd + a):
            raise RuntimeError(f"{where}: pool {dims[a]} {k[a]} too large relative to input {dims[a]} "
                               f"{input.size(-nd + a)}")
    return _fractional_max_pool(input, _random_samples, k, out)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                                       _random_samples=None):
    """``(values, indices)``: max pooling over pseudo-randomly placed windows (Graham, Fractional Max-Pooling).
    The windows come from ``_random_samples`` ``(N, C, 2)`` in [0, 1), drawn from ptjax's generator if absent."""
    return _fractional_max_pool_nd(input, kernel_size, output_size, output_ratio, _random_samples, 2,
                                   "fractional_max_pool2d")


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                                       _random_samples=None):
    """As :func:`fractional_max_pool2d_with_indices` over ``(N, C, D, H, W)``; samples ``(N, C, 3)``."""
    return _fractional_max_pool_nd(input, kernel_size, output_size, output_ratio, _random_samples, 3,
                                   "fractional_max_pool3d")


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    res = fractional_max_pool2d_with_indices(input, kernel_size, output_size, output_ratio, True, _random_samples)
    return res if return_indices else res[0]


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    res = fractional_max_pool3d_with_indices(input, kernel_size, output_size, output_ratio, True, _random_samples)
    return res if return_indices else res[0]


def _avg_divisor(sizes, k, s, p, out, count_include_pad):
    div = np.ones((), np.float64)
    for n, kk, ss, pp, o in zip(sizes, k, s, p, out):
        start = np.arange(o) * ss - pp
        end = np.minimum(start + kk, n + pp)
        pool = end - start
        count = np.minimum(end, n) - np.maximum(start, 0)
        div = np.multiply.outer(div, pool if count_include_pad else count)
    return div


def _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, nd, name):
    x, unbatched = _batched(input, nd, name)
    k, s, p, d, out = _pool_args(x, kernel_size, stride, padding, 1, ceil_mode, nd, name)
    win, _ = _windows(x, k, s, p, d, out, 0)
    tot = jnp.sum(win, axis=-1)
    if divisor_override:
        res = tot / divisor_override
    else:
        res = tot / jnp.asarray(_avg_divisor(x.shape[2:], k, s, p, out, count_include_pad), tot.dtype)
    res = res.astype(x.dtype) if jnp.issubdtype(x.dtype, jnp.floating) else res.astype(x.dtype)
    return res[0] if unbatched else res


@op(jit=True, method=False, grad_name="AvgPool2DBackward0")
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """1-d average pooling over ``(N, C, L)``."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1, "avg_pool1d")


@op(jit=True, method=False, function=False, grad_name="AvgPool2DBackward0")
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """2-d average pooling over ``(N, C, H, W)``."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 2,
                     "avg_pool2d")


@op(jit=True, method=False, function=False, grad_name="AvgPool3DBackward0")
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """3-d average pooling over ``(N, C, D, H, W)``."""
    return _avg_pool(input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, 3,
                     "avg_pool3d")


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, nd):
    k = _tuple(kernel_size, nd)
    if stride is not None:
        out = _avg_pool(jnp.power(input, norm_type), kernel_size, stride, 0, ceil_mode, True, None, nd, "lp_pool")
    else:
        out = _avg_pool(jnp.power(input, norm_type), k, k, 0, ceil_mode, True, None, nd, "lp_pool")
    n = float(np.prod(k))
    return jnp.power(jnp.sign(out) * jax.nn.relu(jnp.abs(out)) * n, 1.0 / norm_type)


@op(jit=True, method=False, function=False)
def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling: ``(sum x^p)^(1/p)`` over each window."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1)


@op(jit=True, method=False, function=False)
def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling: ``(sum x^p)^(1/p)`` over each window."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2)


@op(jit=True, method=False, function=False, grad_name="PowBackward0")
def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """Power-average pooling: ``(sum x^p)^(1/p)`` over each window."""
    _batched(input, 3, "lp_pool3d")
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3)


def _adaptive_bins(n, o):
    start = (np.arange(o) * n) // o
    end = ((np.arange(o) + 1) * n + o - 1) // o
    return start, end


def _adaptive_sizes(x, output_size, nd):
    out = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * nd
    if len(out) == 1 and nd > 1:
        out = tuple(out) * nd
    return tuple(n if o is None else int(o) for n, o in zip(x.shape[-nd:], out))


def _adaptive_avg(input, output_size, nd, name):
    x, unbatched = _batched(input, nd, name)
    out = _adaptive_sizes(x, output_size, nd)
    res = x
    for a, (n, o) in enumerate(zip(x.shape[2:], out)):
        start, end = _adaptive_bins(n, o)
        m = np.zeros((o, n))
        for i in range(o):
            m[i, start[i]:end[i]] = 1.0 / (end[i] - start[i])
        axis = 2 + a
        res = jnp.moveaxis(jnp.tensordot(res, jnp.asarray(m, res.dtype), axes=[[axis], [1]]), -1, axis)
    return res[0] if unbatched else res


@op(jit=True, method=False, grad_name="AdaptiveAvgPool2DBackward0")
def adaptive_avg_pool1d(input, output_size):
    """Average over torch's adaptive bins ``[floor(i*L/O), ceil((i+1)*L/O))``."""
    return _adaptive_avg(input, output_size, 1, "adaptive_avg_pool1d")


@op(jit=True, method=False, function=False, grad_name="AdaptiveAvgPool2DBackward0")
def adaptive_avg_pool2d(input, output_size):
    """Average over torch's adaptive bins; ``output_size`` an int, a pair, or with ``None`` keeping a size."""
    return _adaptive_avg(input, output_size, 2, "adaptive_avg_pool2d")


@op(jit=True, method=False, function=False, grad_name="AdaptiveAvgPool3DBackward0")
def adaptive_avg_pool3d(input, output_size):
    return _adaptive_avg(input, output_size, 3, "adaptive_avg_pool3d")


def _adaptive_max(input, output_size, return_indices, nd, name):
    x, unbatched = _batched(input, nd, name)
    out = _adaptive_sizes(x, output_size, nd)
    sizes = x.shape[2:]
    idx, valid, lens = [], [], []
    for n, o in zip(sizes, out):
        start, end = _adaptive_bins(n, o)
        L = int((end - start).max())
        ii = start[:, None] + np.arange(L)[None, :]
        ok = ii < end[:, None]
        idx.append(np.where(ok, ii, start[:, None]))
        valid.append(ok)
        lens.append(L)
    # gather (N, C, O1, L1, O2, L2, ...) then bring the window axes last
    g = x
    for a in range(nd):
        axis = 2 + 2 * a
        g = jnp.take(g, jnp.asarray(idx[a]), axis=axis)   # replaces axis by (O_a, L_a)
    perm = (0, 1) + tuple(2 + 2 * a for a in range(nd)) + tuple(3 + 2 * a for a in range(nd))
    g = jnp.transpose(g, perm).reshape(x.shape[:2] + tuple(out) + (-1,))
    mask = np.ones((), bool)
    flat = np.zeros((), np.int64)
    for a in range(nd):
        shp = [1] * (2 * nd)
        shp[a], shp[nd + a] = out[a], lens[a]
        mask = mask & valid[a].reshape(shp)
        flat = flat * sizes[a] + idx[a].reshape(shp)
    mask = np.broadcast_to(mask, tuple(out) + tuple(lens)).reshape(tuple(out) + (-1,))
    flat = np.broadcast_to(flat, tuple(out) + tuple(lens)).reshape(tuple(out) + (-1,))
    fill = -jnp.inf if jnp.issubdtype(x.dtype, jnp.floating) else jnp.iinfo(x.dtype).min
    g = jnp.where(jnp.asarray(mask), g, jnp.asarray(fill, x.dtype))
    val, pos = _first_max(g)
    if unbatched:
        val, pos = val[0], pos[0]
    if not return_indices:
        return val
    tab = jnp.asarray(flat)
    ind = jnp.take_along_axis(jnp.broadcast_to(tab, pos.shape + tab.shape[-1:]), pos[..., None], axis=-1)[..., 0]
    return val, ind


@op(jit=True, method=False, grad_name="AdaptiveMaxPool2DBackward0")
def adaptive_max_pool1d(input, output_size, return_indices=False):
    return _adaptive_max(input, output_size, return_indices, 1, "adaptive_max_pool1d")


@op(jit=True, method=False, function=False, grad_name="AdaptiveMaxPool2DBackward0")
def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over torch's adaptive bins (first maximum wins); ``return_indices`` gives flat ``h * W + w``."""
    return _adaptive_max(input, output_size, return_indices, 2, "adaptive_max_pool2d")


@op(jit=True, method=False, function=False, grad_name="AdaptiveMaxPool3DBackward0")
def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max over torch's adaptive bins (first maximum wins); ``return_indices`` gives flat ``(d * H + h) * W + w``."""
    return _adaptive_max(input, output_size, return_indices, 3, "adaptive_max_pool3d")


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """``(values, indices)`` of :func:`adaptive_max_pool1d`."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """``(values, indices)`` of :func:`adaptive_max_pool2d`."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """``(values, indices)`` of :func:`adaptive_max_pool3d`."""
    return adaptive_max_pool3d(input, output_size, True)


_INTERP_ND = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}


def _interp_sizes(in_sizes, size, scale_factor, recompute_scale_factor):
    nd = len(in_sizes)
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        out = tuple(size) if isinstance(size, (tuple, list)) else (size,) * nd
        if len(out) != nd:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(in_sizes)} and output size of {list(out)}. Please provide "
                             f"input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                             f"format.")
        return tuple(int(o) for o in out), (None,) * nd
    if scale_factor is None:
        raise ValueError("either size or scale_factor should be defined")
    sf = tuple(scale_factor) if isinstance(scale_factor, (tuple, list)) else (scale_factor,) * nd
    out = tuple(int(math.floor(float(n) * float(f))) for n, f in zip(in_sizes, sf))
    scales = (None,) * nd if recompute_scale_factor else tuple(float(f) for f in sf)
    return out, scales


def _scale(n_in, n_out, align_corners, sf):
    if align_corners:
        return (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
    return 1.0 / sf if sf is not None and sf > 0 else n_in / n_out


def _linear_matrix(n_in, n_out, align_corners, sf, ft):
    # coordinates in the input's precision (torch's opmath: float for float32/16, double for float64)
    scale = ft(_scale(n_in, n_out, align_corners, sf))
    dst = np.arange(n_out, dtype=ft)
    if align_corners:
        src = scale * dst
    else:
        src = np.maximum(scale * (dst + ft(0.5)) - ft(0.5), ft(0))
    i0 = src.astype(np.int64)
    i0 = np.minimum(i0, n_in - 1)
    i1 = np.where(i0 < n_in - 1, i0 + 1, i0)
    l1 = (src - i0).astype(np.float64)
    l0 = 1.0 - l1
    m = np.zeros((n_out, n_in))
    np.add.at(m, (np.arange(n_out), i0), l0)
    np.add.at(m, (np.arange(n_out), i1), l1)
    return m


def _cubic_matrix(n_in, n_out, align_corners, sf, ft, A=-0.75):
    scale = ft(_scale(n_in, n_out, align_corners, sf))
    dst = np.arange(n_out, dtype=ft)
    src = scale * dst if align_corners else scale * (dst + ft(0.5)) - ft(0.5)
    f = np.floor(src).astype(np.int64)
    t = (src - f).astype(np.float64)

    def c1(x):
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def c2(x):
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A

    coeffs = [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)]
    m = np.zeros((n_out, n_in))
    for j, cf in enumerate(coeffs):
        idx = np.clip(f - 1 + j, 0, n_in - 1)
        np.add.at(m, (np.arange(n_out), idx), cf)
    return m


def _nearest_index(n_in, n_out, sf, exact):
    scale = np.float32(1.0 / sf if sf is not None and sf > 0 else n_in / n_out)
    dst = np.arange(n_out, dtype=np.float32)
    src = np.floor((dst + np.float32(0.5)) * scale) if exact else np.floor(dst * scale)
    return np.minimum(src.astype(np.int64), n_in - 1)


@op(jit=True, method=False, function=False, grad_name="UpsampleNearest2DBackward0")
def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """Resize the spatial dims of ``(N, C, *spatial)``: 'nearest', 'nearest-exact', 'linear', 'bilinear',
    'trilinear', 'bicubic' (with ``align_corners``) and 'area' (adaptive average pooling)."""
    nd = input.ndim - 2
    if nd < 1:
        raise ValueError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for the "
                         f"modes: nearest | linear | bilinear | bicubic | trilinear | area | nearest-exact "
                         f"(got {mode})")
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif mode in _INTERP_ND:
        if _INTERP_ND[mode] != nd:
            raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {_INTERP_ND[mode] + 2}D input")
    else:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
                                  f"nearest-exact (got {mode})")
    in_sizes = input.shape[2:]
    out, scales = _interp_sizes(in_sizes, size, scale_factor, recompute_scale_factor)
    if mode == "area":
        return _adaptive_avg(input, out, nd, "interpolate")
    res = input
    for a, (n, o, sf) in enumerate(zip(in_sizes, out, scales)):
        axis = 2 + a
        if mode in ("nearest", "nearest-exact"):
            res = jnp.take(res, jnp.asarray(_nearest_index(n, o, sf, mode == "nearest-exact")), axis=axis)
        else:
            mk = _cubic_matrix if mode == "bicubic" else _linear_matrix
            ft = np.float64 if res.dtype == jnp.float64 else np.float32
            m = jnp.asarray(mk(n, o, bool(align_corners), sf, ft), res.dtype)
            res = jnp.moveaxis(jnp.tensordot(res, m, axes=[[axis], [1]]), -1, axis)
    return res


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def _unfold_fn(x, k, d, p, s):
    n, c = x.shape[:2]
    out = tuple(_pool_out(sz, kk, ss, pp, dd, False) for sz, kk, ss, pp, dd in zip(x.shape[2:], k, s, p, d))
    win, _ = _windows(x, k, s, p, d, out, 0)              # (N, C, OH, OW, K)
    win = jnp.moveaxis(win, -1, 2)                        # (N, C, K, OH, OW)
    return win.reshape(n, c * win.shape[2], -1)


@op("im2col", jit=True, method=False, function=False, grad_name="Im2ColBackward0")
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: ``(N, C, H, W) -> (N, C * kH * kW, L)`` sliding blocks (channel-major, then kernel offsets)."""
    x, unbatched = _batched(input, 2, "unfold")
    args = [_tuple(v, 2) for v in (kernel_size, dilation, padding, stride)]
    out = _unfold_fn(x, *args)
    return out[0] if unbatched else out


@op("col2im", jit=True, method=False, function=False, grad_name="Col2ImBackward0")
def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, the adjoint of :func:`unfold`: sums overlapping blocks back into ``(N, C, *output_size)``."""
    unbatched = input.ndim == 2
    x = input[None] if unbatched else input
    k, d, p, s = [_tuple(v, 2) for v in (kernel_size, dilation, padding, stride)]
    osz = _tuple(output_size, 2)
    kk = k[0] * k[1]
    if x.shape[1] % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, but "
                           f"got input.size(1)={x.shape[1]} and kernel_size={k}")
    c = x.shape[1] // kk
    proto = jax.ShapeDtypeStruct((x.shape[0], c) + osz, x.dtype)
    (res,) = jax.linear_transpose(lambda y: _unfold_fn(y, k, d, p, s), proto)(x)
    return res[0] if unbatched else res


@op(jit=True, method=False)
def pixel_shuffle(input, upscale_factor):
    """``(*, C*r^2, H, W) -> (*, C, H*r, W*r)``."""
    r = upscale_factor
    *lead, c, h, w = input.shape
    x = input.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    n = len(lead)
    x = jnp.transpose(x, tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return x.reshape(tuple(lead) + (c // (r * r), h * r, w * r))


@op(jit=True, method=False)
def pixel_unshuffle(input, downscale_factor):
    """``(*, C, H*r, W*r) -> (*, C*r^2, H, W)``."""
    r = downscale_factor
    *lead, c, h, w = input.shape
    x = input.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    n = len(lead)
    x = jnp.transpose(x, tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
    return x.reshape(tuple(lead) + (c * r * r, h // r, w // r))


def _channel_shuffle_check(input, groups):
    if input.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes "
                           f"{_shape_list(input.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    if input.shape[1] % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {input.shape[1]} channels and "
                           f"{groups} groups.")


@op(jit=True, method=False, check=_channel_shuffle_check, aliases=("native_channel_shuffle",))
def channel_shuffle(input, groups):
    """``(N, C, *)``: the channels, seen as ``(groups, C / groups)``, transposed to ``(C / groups, groups)``."""
    n, c = input.shape[:2]
    rest = input.shape[2:]
    x = input.reshape((n, groups, c // groups) + rest)
    return jnp.swapaxes(x, 1, 2).reshape(input.shape)


native_channel_shuffle = channel_shuffle
