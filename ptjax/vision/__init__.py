"""``ptjax.vision``: the torchvision counterpart of ptjax.

Submodules other than ``datasets`` (e.g. ``transforms``) are imported lazily on
first attribute access, so ``ptjax.vision.transforms`` works once it exists.
"""

import importlib as _importlib

from . import datasets

__all__ = ["datasets"]


def __getattr__(name):
    if name.startswith("_"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        return _importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError as e:
        if e.name != f"{__name__}.{name}":
            raise
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
