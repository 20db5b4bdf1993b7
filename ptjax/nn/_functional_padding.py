"""``pad``: constant, reflect, replicate and circular padding with torch's checks."""
from __future__ import annotations

import jax
import jax.numpy as jnp

from .._ops.registry import op
from ._functional_utils import _shape_list

__all__ = ["pad"]


_PAD_SUPPORT = ("Supported combinations for non-constant padding:\n"
                "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
                "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
                "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def _pad_check(input, pad, mode="constant", value=None):
    n = len(pad)
    if n % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if n // 2 > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {n} and input of dimension {input.ndim}")
    if mode == "constant":
        for i in range(n // 2):
            d = input.ndim - 1 - i
            new = input.shape[d] + pad[2 * i] + pad[2 * i + 1]
            if new < 0:
                raise RuntimeError(f"The input size {input.shape[d]}, plus negative padding {pad[2 * i]} and "
                                   f"{pad[2 * i + 1]} resulted in a negative output size, which is invalid. Check "
                                   f"dimension {d} of your input.")
        return
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument")
    if (n, input.ndim) not in ((2, 2), (2, 3), (4, 3), (4, 4), (6, 4), (6, 5)):
        raise NotImplementedError(f"Padding size {n} is not supported for {input.ndim}D input tensor.\n{_PAD_SUPPORT}")
    for i in range(n // 2):
        d = input.ndim - 1 - i
        lo, hi, size = pad[2 * i], pad[2 * i + 1], input.shape[d]
        if mode == "reflect" and (lo >= size or hi >= size):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, but "
                               f"got: padding ({lo}, {hi}) at dimension {d} of input {_shape_list(input.shape)}")
        if mode == "circular" and (lo > size or hi > size):
            raise RuntimeError("Padding value causes wrapping around more than once.")


@op(jit=True, method=False, function=False, check=_pad_check, grad_name="ConstantPadNdBackward0")
def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad)//2`` dimensions: ``(left_last, right_last, left_prev, right_prev, …)``."""
    n = len(pad) // 2
    widths = [(0, 0)] * (input.ndim - n) + [(pad[2 * i], pad[2 * i + 1]) for i in reversed(range(n))]
    if mode == "constant":
        v = jnp.asarray(0 if value is None else value).astype(input.dtype)
        return jax.lax.pad(input, v, [(lo, hi, 0) for lo, hi in widths])
    x = input
    # negative widths crop first (torch allows them for the non-constant modes too)
    crop = tuple(slice(max(-lo, 0), x.shape[i] - max(-hi, 0)) for i, (lo, hi) in enumerate(widths))
    x = x[crop]
    widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    return jnp.pad(x, widths, mode={"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode])
