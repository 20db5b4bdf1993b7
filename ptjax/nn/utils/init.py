"""``torch.nn.utils.init.skip_init``."""
from __future__ import annotations

import inspect

from ..modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """An instance of ``module_cls`` whose parameters are not initialized (their values are unspecified).

    torch builds it on the ``meta`` device and allocates afterwards; ptjax has no meta device, so the module is
    built as usual (initialization here is cheap): the result satisfies the same contract."""
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)
