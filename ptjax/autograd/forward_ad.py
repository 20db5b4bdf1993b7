"""torch.autograd.forward_ad: dual tensors (``dual_level``, ``make_dual``, ``unpack_dual``).

ptjax records a reverse-mode graph only, so forward mode is computed from it: ``make_dual(x, t)`` returns an alias
of ``x`` that autograd tracks and remembers its tangent ``t``; ``unpack_dual(y)`` gives ``y``'s tangent
``sum_i J_i t_i`` by the double-backward trick (the vector-Jacobian product with a dummy cotangent ``u`` is linear
in ``u``; its gradient with respect to ``u`` against the tangents is the Jacobian-vector product), two backward
passes over the graph recorded since the duals were made. Values match torch's; the differences: a dual tensor
(and what is computed from it) has ``requires_grad=True`` (torch's keep their own flag), and the cost is that of
two reverse passes per ``unpack_dual`` rather than one forward pass.
"""
from __future__ import annotations

from typing import NamedTuple

__all__ = ["UnpackedDualTensor", "enter_dual_level", "exit_dual_level", "make_dual", "unpack_dual", "dual_level"]

_LEVELS: list = []   # per open level: {id(dual): (dual, tangent)}


class UnpackedDualTensor(NamedTuple):
    primal: object
    tangent: object


def enter_dual_level():
    _LEVELS.append({})
    return len(_LEVELS) - 1


def exit_dual_level(*, level=None):
    level = len(_LEVELS) - 1 if level is None else level
    if level != len(_LEVELS) - 1:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one that was created. This is "
                           "not supported.")
    _LEVELS.pop()


def _level(level):
    if not _LEVELS:
        raise RuntimeError("Trying to create a dual Tensor for forward AD but no level exists, make sure to "
                           "enter_dual_level() first.")
    return _LEVELS[-1 if level is None else level]


def make_dual(tensor, tangent, *, level=None):
    """An alias of ``tensor`` carrying ``tangent`` (same size) at the current level."""
    duals = _level(level)
    if tangent.shape != tensor.shape:
        raise RuntimeError("Trying to set a forward gradient that has a different size than that of the original "
                           f"Tensor, this is not supported. Tensor is of size {list(tensor.shape)} while the given "
                           f"forward gradient is of size {list(tangent.shape)}.")
    dual = tensor.view_as(tensor) if tensor.requires_grad else tensor.detach().requires_grad_(True)
    duals[id(dual)] = (dual, tangent.detach())
    return dual


def unpack_dual(tensor, *, level=None):
    """``(primal, tangent)``: the tangent is None where ``tensor`` does not depend on a dual of the level."""
    from . import grad
    duals = _LEVELS[-1 if level is None else level] if _LEVELS else {}
    if id(tensor) in duals:
        return UnpackedDualTensor(tensor, duals[id(tensor)][1])
    if not duals or not tensor.requires_grad:
        return UnpackedDualTensor(tensor, None)
    sources = [d for d, _ in duals.values()]
    dummy = tensor.new_zeros(tensor.shape).requires_grad_(True)
    vjps = grad([tensor], sources, [dummy], retain_graph=True, create_graph=True, allow_unused=True)
    terms = [(g * t).sum() for g, (_, t) in zip(vjps, duals.values()) if g is not None]
    if not terms:
        return UnpackedDualTensor(tensor, None)
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    (tangent,) = grad([total], [dummy], retain_graph=True, allow_unused=True)
    return UnpackedDualTensor(tensor, tangent if tangent is not None else tensor.new_zeros(tensor.shape))


class dual_level:
    """``with dual_level():`` — duals made inside lose their tangents on exit."""

    def __enter__(self):
        return enter_dual_level()

    def __exit__(self, *exc):
        exit_dual_level()
