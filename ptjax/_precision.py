"""torch's float32 precision flags for matrix products and convolutions, applied to JAX.

=============================================  =====================================================================
torch                                          JAX precision of float32 products
=============================================  =====================================================================
``set_float32_matmul_precision("highest")``    ``float32`` (HIGHEST): full float32 — torch's default for matmul
``"high"`` / ``cuda.matmul.allow_tf32=True``   ``tensorfloat32`` (HIGH): TF32 on GPUs, 3-pass bfloat16 on TPUs
``"medium"``                                   ``bfloat16`` (DEFAULT): one bfloat16 pass allowed
``cudnn.allow_tf32`` (default True)            convolutions at HIGH, else HIGHEST
=============================================  =====================================================================

How it reaches the kernels:

* Matrix products (``matmul``, ``linear``, ``einsum``, attention …) follow JAX's ``jax_default_matmul_precision``,
  which ptjax sets from torch's flags (at import: "highest"). JAX keys its compiled functions on that setting, so
  eager ops and compiled kernels both follow it, and toggling compiles each kernel at most once per setting. It is
  process-wide: JAX code running beside ptjax follows torch's flags too.
* Convolutions pass :func:`conv_precision` explicitly (cuDNN's flag is separate from the matmul one), and the op
  table's kernels are cached per :data:`KEY` (both settings), so a kernel built under one setting is never reused
  under another.

XLA on the CPU computes float32 products in full precision whatever the setting.
"""
from __future__ import annotations

import warnings

import jax
from jax import lax

_JAX_MATMUL = {"highest": "float32", "high": "tensorfloat32", "medium": "bfloat16"}

_STATE = {"matmul": "highest", "conv_tf32": True}
KEY = [("highest", True)]
"""The current settings, as a hashable kernel-cache key (a one-element list, replaced on change)."""


def _apply():
    jax.config.update("jax_default_matmul_precision", _JAX_MATMUL[_STATE["matmul"]])
    KEY[0] = (_STATE["matmul"], _STATE["conv_tf32"])


def set_float32_matmul_precision(precision: str):
    """torch.set_float32_matmul_precision: "highest", "high" or "medium" (anything else: torch's warning, no
    change)."""
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got {type(precision).__name__}")
    if precision not in _JAX_MATMUL:
        warnings.warn(f"{precision} is not one of 'highest', 'high', or 'medium'; the current"
                      "setFloat32MatmulPrecision call has no effect.", UserWarning, stacklevel=2)
        return
    _STATE["matmul"] = precision
    _apply()


def get_float32_matmul_precision() -> str:
    return _STATE["matmul"]


def matmul_allows_tf32() -> bool:
    """``torch.backends.cuda.matmul.allow_tf32``: any setting below "highest"."""
    return _STATE["matmul"] != "highest"


def set_matmul_allow_tf32(flag: bool):
    set_float32_matmul_precision("high" if flag else "highest")


def conv_allows_tf32() -> bool:
    return _STATE["conv_tf32"]


def set_conv_allow_tf32(flag: bool):
    _STATE["conv_tf32"] = bool(flag)
    _apply()


def conv_precision() -> lax.Precision:
    """The precision float32 convolutions run at (``torch.backends.cudnn.allow_tf32``)."""
    return lax.Precision.HIGH if _STATE["conv_tf32"] else lax.Precision.HIGHEST


_apply()
