"""``torch.compiler``: ``reset``, ``disable``, ``is_compiling`` and ptjax's compile counters.

``ptjax.compiler.counters`` (a dict, updated live): ``compiles`` (programs built), ``recompiles`` (programs built
after a function's first), ``graph_breaks``, ``eager_calls`` (calls that ran Python: first calls, breaks, past
the recompile limit) and ``compiled_calls``. Each compiled function also has ``.compiles``.
"""
from ._compile import COUNTERS as counters
from ._compile import disable, is_compiling, reset

__all__ = ["counters", "disable", "is_compiling", "is_dynamo_compiling", "reset"]


def is_dynamo_compiling():
    return is_compiling()
