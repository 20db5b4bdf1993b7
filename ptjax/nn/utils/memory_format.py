"""``torch.nn.utils.memory_format``: torch re-lays convolution weights out as ``channels_last``. XLA chooses the
physical layout of every array itself, so here these walk the module as torch's do and leave the values (and
results) unchanged; they exist so that code calling them runs."""
from __future__ import annotations

from ..modules.conv import Conv2d, Conv3d, ConvTranspose2d, ConvTranspose3d

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _convert(module, memory_format, kinds):
    if isinstance(module, kinds):
        module.weight.data = module.weight.detach().contiguous()
    for child in module.children():
        _convert(child, memory_format, kinds)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    """``module`` with the weights of its Conv2d/ConvTranspose2d layers in ``memory_format`` (see above)."""
    return _convert(module, memory_format, (Conv2d, ConvTranspose2d))


def convert_conv3d_weight_memory_format(module, memory_format):
    """``module`` with the weights of its Conv3d/ConvTranspose3d layers in ``memory_format`` (see above)."""
    return _convert(module, memory_format, (Conv3d, ConvTranspose3d))
