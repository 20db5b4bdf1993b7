"""torch.functional: the module torch defines ``einsum``, ``split``, ``norm``, ``meshgrid``, ``tensordot``,
``unique`` … in (``import torch.functional as F`` and ``from torch.functional import einsum`` appear in scripts).
Its names are ptjax's own functions, looked up when first read, so each one works here exactly when ``ptjax.<name>``
does; a name ptjax does not provide yet raises AttributeError (an ImportError in ``from ... import``)."""
from __future__ import annotations

_TORCH_NAMES = ("atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors", "cartesian_prod",
                "block_diag", "cdist", "chain_matmul", "einsum", "istft", "lu", "norm", "meshgrid", "pca_lowrank",
                "split", "stft", "svd_lowrank", "tensordot", "unique", "unique_consecutive", "unravel_index")
__all__ = list(_TORCH_NAMES)   # resolved by __getattr__ below


def __getattr__(name):
    if name in __all__:
        import ptjax
        try:
            return getattr(ptjax, name)
        except AttributeError:
            raise AttributeError(f"ptjax does not provide torch.functional.{name} yet") from None
    raise AttributeError(f"module 'torch.functional' has no attribute '{name}'")


def __dir__():
    import ptjax
    return [n for n in __all__ if hasattr(ptjax, n)]
