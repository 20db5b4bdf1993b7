"""``torch._dynamo``: the knobs and helpers user code reaches for around ``torch.compile``.

ptjax has no bytecode-level tracer: the names here sit on ``ptjax._compile`` (see docs/compile.md).
"""
from __future__ import annotations

from .._compile import config, disable, is_compiling, list_backends, reset
from . import exc, utils

__all__ = ["config", "disable", "exc", "is_compiling", "list_backends", "mark_dynamic", "mark_static",
           "maybe_mark_dynamic", "reset", "utils"]


def mark_dynamic(t, index, *, min=None, max=None):
    """Mark dimension(s) ``index`` of ``t`` as varying between calls.

    XLA compiles one program per shape, so in ptjax a marked dimension still compiles once per size it takes
    (see docs/compile.md); the mark is kept on the tensor (``t._dynamo_dynamic_indices``) as torch keeps it.
    """
    dims = getattr(t, "_dynamo_dynamic_indices", set())
    dims.update(index if isinstance(index, (list, tuple)) else [index])
    t.__dict__["_dynamo_dynamic_indices"] = dims


maybe_mark_dynamic = mark_dynamic


def mark_static(t, index=None):
    """Accepted: every dimension is static in ptjax."""
