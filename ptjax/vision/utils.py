"""torchvision.utils: ``make_grid`` (a batch of images tiled into one image) and ``save_image``.

Difference from torchvision: ``save_image`` writes PNG itself (zlib; 8-bit grayscale, RGB or RGBA) when Pillow is
not installed, so the common ``save_image(batch, "samples.png")`` needs no extra package; other formats need
Pillow, as in torchvision.
"""
from __future__ import annotations

import math
import struct
import zlib

import numpy as np

from .._atomic import atomic_write
from .._ops.creation import full
from .._ops.shape import cat, stack
from .._tensor import Tensor
from ..autograd import no_grad

__all__ = ["make_grid", "save_image"]


def _normalize_(img, low, high):
    img.clamp_(min=low, max=high)
    img.sub_(low).div_(max(high - low, 1e-5))


@no_grad()
def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Tile a (B, C, H, W) batch (or a list of (C, H, W) images) into one (3, H', W') image, ``nrow`` images a row
    with ``padding`` pixels of ``pad_value`` between them. One-channel images become three-channel;
    ``normalize`` maps ``value_range`` (default: the images' min and max; per image with ``scale_each``) to [0, 1].
    """
    if not (isinstance(tensor, Tensor) or (isinstance(tensor, list) and all(isinstance(t, Tensor) for t in tensor))):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if isinstance(tensor, list):
        tensor = stack(tensor, dim=0)
    if tensor.dim() == 2:
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 3:
        if tensor.size(0) == 1:
            tensor = cat((tensor, tensor, tensor), 0)
        tensor = tensor.unsqueeze(0)
    if tensor.dim() == 4 and tensor.size(1) == 1:
        tensor = cat((tensor, tensor, tensor), 1)
    if normalize:
        tensor = tensor.clone()
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")
        images = tensor if scale_each else [tensor]
        for img in images:
            low, high = value_range if value_range is not None else (float(img.min()), float(img.max()))
            _normalize_(img, low, high)
    if not isinstance(tensor, Tensor):
        raise TypeError("tensor should be of type torch.Tensor")
    if tensor.size(0) == 1:
        return tensor.squeeze(0)
    nmaps = tensor.size(0)
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
    grid = full((tensor.size(1), height * ymaps + padding, width * xmaps + padding), pad_value, dtype=tensor.dtype,
                device=tensor.device)
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= nmaps:
                break
            grid.narrow(1, y * height + padding, height - padding).narrow(2, x * width + padding,
                                                                          width - padding).copy_(tensor[k])
            k += 1
    return grid


def _png(pixels: np.ndarray) -> bytes:
    """A PNG file of an (H, W) or (H, W, C) uint8 array, C in 1, 3, 4."""
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    color_type = {2: 0, 3: {3: 2, 4: 6}.get(pixels.shape[-1])}[pixels.ndim]
    if color_type is None:
        raise ValueError(f"cannot write an image with {pixels.shape[-1]} channels as PNG")
    height, width = pixels.shape[:2]
    rows = np.ascontiguousarray(pixels).reshape(height, -1)
    raw = b"".join(b"\x00" + row.tobytes() for row in rows)  # filter type 0 on every row

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


@no_grad()
def save_image(tensor, fp, format=None, **kwargs):
    """``make_grid(tensor, **kwargs)`` scaled from [0, 1] to 8 bits and written to ``fp`` (a path or a binary
    file object): PNG by this module when Pillow is absent, any format Pillow knows when it is there."""
    grid = make_grid(tensor, **kwargs)
    ndarr = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to("cpu").numpy().astype(np.uint8)
    try:
        from PIL import Image
    except ImportError:
        Image = None
    if Image is not None:
        Image.fromarray(ndarr if ndarr.shape[2] != 1 else ndarr[:, :, 0]).save(fp, format=format)
        return
    name = fp if isinstance(fp, str) else getattr(fp, "name", "")
    if (format or str(name).rsplit(".", 1)[-1]).lower() != "png":
        raise ValueError("save_image writes PNG without Pillow; install Pillow for other formats")
    data = _png(ndarr)
    if hasattr(fp, "write"):
        fp.write(data)
    else:
        with atomic_write(fp) as f:
            f.write(data)
