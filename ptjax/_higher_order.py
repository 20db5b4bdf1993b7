"""torch's control-flow operators ``torch.cond`` and ``torch.while_loop``, run eagerly.

torch provides them so that ``torch.compile`` and ``torch.export`` can capture data-dependent control flow; in
eager mode torch runs the chosen branch or the loop in Python, and so does ptjax. Under ``ptjax.compile`` a
tensor predicate is read on the host (a graph break), as any ``bool(tensor)`` there.
"""
from __future__ import annotations

from ._tensor import Tensor


def _truth(value, what):
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise RuntimeError(f"Expected {what} to be a boolean scalar tensor, but got shape {list(value.shape)}")
        return bool(value.item())
    return bool(value)


def cond(pred, true_fn, false_fn, operands=()):
    """``true_fn(*operands)`` if ``pred`` else ``false_fn(*operands)``."""
    return (true_fn if _truth(pred, "pred") else false_fn)(*operands)


def while_loop(cond_fn, body_fn, carried_inputs):
    """Apply ``body_fn`` to the carried values while ``cond_fn`` holds of them; returns the last values (a tuple)."""
    carried = tuple(carried_inputs)
    while _truth(cond_fn(*carried), "cond_fn's result"):
        out = body_fn(*carried)
        carried = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    return carried
