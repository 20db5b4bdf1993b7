"""``grid_sample`` and ``affine_grid``: sampling an input at arbitrary normalized coordinates (spatial transformer
networks). Functionals without a layer, as in torch.

``grid_sample`` is one kernel: the grid's coordinates are unnormalized, padded (``border`` clips, ``reflection``
mirrors), and the input is gathered at the 2^d corners (``bilinear``), the nearest point, or the 4x4 taps of
torch's cubic convolution (``bicubic``, A = -0.75); gradients for the input and the grid come from ``jax.vjp`` of
that computation (torch's zero grid gradient for ``nearest``, and where the padding clips)."""
from __future__ import annotations

import itertools
import warnings

import jax.numpy as jnp

from .._ops.registry import BINARY, op
from ._functional_utils import _shape_list

__all__ = ["grid_sample", "affine_grid"]

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. Please "
                  "specify align_corners=True if the old behavior is desired. See the documentation of grid_sample "
                  "for details.")
_MODES = ("bilinear", "nearest", "bicubic")
_PADDING_MODES = ("zeros", "border", "reflection")


def _unnormalize(x, size, align_corners):
    """[-1, 1] to pixel coordinates: the corner pixels' centers (``align_corners``) or their outer edges."""
    if align_corners:
        return (x + 1) / 2 * (size - 1)
    return ((x + 1) * size - 1) / 2


def _reflect(x, twice_low, twice_high):
    """``x`` mirrored into ``[twice_low / 2, twice_high / 2]`` (as often as needed)."""
    if twice_low == twice_high:
        return jnp.zeros_like(x)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    x = jnp.abs(x - low)
    extra = jnp.fmod(x, span)
    flips = jnp.floor(x / span)
    return jnp.where(jnp.fmod(flips, 2) == 0, extra + low, span - extra + low)


def _pad_coordinate(x, size, padding_mode, align_corners):
    """Pixel coordinates moved inside the input as ``padding_mode`` says (``zeros`` leaves them)."""
    if padding_mode == "border":
        return jnp.clip(x, 0, size - 1)
    if padding_mode == "reflection":
        x = _reflect(x, 0, 2 * (size - 1)) if align_corners else _reflect(x, -1, 2 * size - 1)
        return jnp.clip(x, 0, size - 1)
    return x


def _gather(input, coords):
    """``input[n, :, coords...]`` for integer pixel coordinates (one array per spatial dim, each ``(N, *out)``);
    zero where a coordinate falls outside."""
    n, c = input.shape[:2]
    sizes = input.shape[2:]
    inside = jnp.ones(coords[0].shape, bool)
    flat = jnp.zeros(coords[0].shape, jnp.int32)
    for i, s in zip(coords, sizes):
        inside = inside & (i >= 0) & (i < s)
        flat = flat * s + jnp.clip(i, 0, s - 1).astype(jnp.int32)
    out_shape = coords[0].shape[1:]
    idx = jnp.broadcast_to(flat.reshape(n, 1, -1), (n, c, flat[0].size))
    vals = jnp.take_along_axis(input.reshape(n, c, -1), idx, axis=2).reshape((n, c) + out_shape)
    return jnp.where(inside[:, None], vals, jnp.zeros((), input.dtype))


def _cubic_weights(t, A=-0.75):
    """torch's cubic convolution coefficients of the 4 taps at offsets -1, 0, 1, 2 for fraction ``t``."""
    def near(x):   # |x| <= 1
        return ((A + 2) * x - (A + 3)) * x * x + 1

    def far(x):    # 1 < |x| < 2
        return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _grid_sample_check(input, grid, mode, padding_mode, align_corners):
    nd = input.ndim - 2
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but got "
                           f"input with sizes {_shape_list(input.shape)} and grid with sizes "
                           f"{_shape_list(grid.shape)}")
    if grid.shape[0] != input.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {_shape_list(input.shape)} and grid with sizes {_shape_list(grid.shape)}")
    if grid.shape[-1] != nd:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {nd} in last dimension, but got grid with "
                           f"sizes {_shape_list(grid.shape)}")
    if mode == "bicubic" and nd != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")


@op(tensors=("input", "grid"), promote=BINARY, jit=True, method=False, function=False, check=_grid_sample_check,
    grad_name="GridSampler2DBackward0")
def _grid_sample(input, grid, mode, padding_mode, align_corners):
    sizes = input.shape[2:]
    # grid[..., 0] indexes the last (width) dim, grid[..., 1] the one before ...
    raw = [_unnormalize(grid[..., len(sizes) - 1 - a], s, align_corners) for a, s in enumerate(sizes)]
    if mode == "bicubic":
        bases = [jnp.floor(x) for x in raw]
        weights = [_cubic_weights(x - b) for x, b in zip(raw, bases)]
        out = 0
        for taps in itertools.product(range(4), repeat=len(sizes)):
            coords = [jnp.round(_pad_coordinate(b + (k - 1), s, padding_mode, align_corners))
                      for b, k, s in zip(bases, taps, sizes)]
            w = 1
            for a, k in enumerate(taps):
                w = w * weights[a][k]
            out = out + _gather(input, coords) * w[:, None]
        return out
    xs = [_pad_coordinate(x, s, padding_mode, align_corners) for x, s in zip(raw, sizes)]
    if mode == "nearest":
        return _gather(input, [jnp.round(x) for x in xs])   # round half to even, as torch's nearbyint
    lows = [jnp.floor(x) for x in xs]
    out = 0
    for corner in itertools.product((0, 1), repeat=len(sizes)):
        w = 1
        for x, lo, up in zip(xs, lows, corner):
            w = w * ((x - lo) if up else (1 - (x - lo)))
        out = out + _gather(input, [lo + up for lo, up in zip(lows, corner)]) * w[:, None]
    return out


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` ``(N, C, [D,] H, W)`` at the normalized ``grid`` locations ``(N, [D_out,] H_out, W_out,
    nd)`` (``x`` first: ``-1`` is the left edge)."""
    if mode not in _MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', but "
                         f"got: '{mode}'")
    if padding_mode not in _PADDING_MODES:
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    return _grid_sample(input, grid, mode, padding_mode, bool(align_corners))


def _base_coordinates(steps, align_corners):
    """``steps`` points spanning [-1, 1] (corner centers) or shrunk by ``(steps - 1) / steps`` (corner edges)."""
    if steps <= 1:
        return jnp.zeros((max(steps, 1),))
    r = jnp.linspace(-1.0, 1.0, steps)
    return r if align_corners else r * ((steps - 1) / steps)


@op(tensors=("theta",), jit=True, method=False, function=False, grad_name="AffineGridGeneratorBackward0")
def _affine_grid(theta, size, align_corners):
    spatial = size[2:]
    axes = [_base_coordinates(s, align_corners).astype(theta.dtype) for s in reversed(spatial)]   # x, y[, z]
    mesh = jnp.meshgrid(*axes[::-1], indexing="ij")[::-1]                                     # each spatial
    base = jnp.stack(mesh + [jnp.ones(tuple(spatial), theta.dtype)], axis=-1)                  # (*spatial, nd+1)
    return jnp.einsum("...k,njk->n...j", base, theta)


def affine_grid(theta, size, align_corners=None):
    """The sampling grid ``(N, [D,] H, W, nd)`` of the affine maps ``theta`` (``N x 2 x 3`` or ``N x 3 x 4``) for an
    output of ``size``."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = [int(s) for s in size]
    if len(size) == 4:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got "
                             f"{theta.shape}.")
    elif len(size) == 5:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got "
                             f"{theta.shape}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    spatial = size[2:]
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation of "
                      "affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    if theta.shape[0] != size[0]:
        nd = len(spatial)
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{size[0]}, {nd + 1}] "
                           f"but got: [{theta.shape[0]}, {nd + 1}].")
    return _affine_grid(theta, tuple(size), bool(align_corners))
