"""torch.utils: ``data`` (datasets, samplers, loaders) and ``safetensors``.

Imported on first use, so that after ``import ptjax`` the name ``ptjax.utils.data.DataLoader`` works as
``torch.utils.data.DataLoader`` does after ``import torch``.
"""
import importlib

_SUBMODULES = ("data", "safetensors")


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
