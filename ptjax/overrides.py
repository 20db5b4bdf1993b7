"""torch.overrides, the few helpers code outside torch calls: ptjax has no ``__torch_function__`` dispatch (its
Tensor subclasses are plain Python subclasses), so the ``has_torch_function*`` checks are False and
``handle_torch_function`` is never reached; ``is_tensor_like`` is as torch's."""
from __future__ import annotations

__all__ = ["has_torch_function", "has_torch_function_unary", "has_torch_function_variadic", "handle_torch_function",
           "is_tensor_like", "get_ignored_functions"]


def has_torch_function(relevant_args) -> bool:
    return False


def has_torch_function_unary(obj) -> bool:
    return False


def has_torch_function_variadic(*args) -> bool:
    return False


def handle_torch_function(public_api, relevant_args, *args, **kwargs):
    raise NotImplementedError("ptjax has no __torch_function__ dispatch (has_torch_function() is always False)")


def is_tensor_like(inp) -> bool:
    from ._tensor import Tensor
    return type(inp) is Tensor or hasattr(inp, "__torch_function__")


def get_ignored_functions():
    return set()
