"""``torch.compile`` on ``jax.jit``: a function or module becomes one XLA program, its state found automatically.

Read ``docs/compile.md`` first. The pieces:

* :mod:`.capture` and :mod:`.patches` — the window that finds what a call reads and writes outside itself;
* :mod:`.program` — tracing a call into a jaxpr of ``(arguments, state, host values) -> (outputs, new state)``,
  compiling it and writing results back;
* :mod:`.function` — the cache, guards, recompiles and graph breaks;
* :mod:`.module` — ``OptimizedModule`` and ``Module.compile()``.
"""
from __future__ import annotations

from . import config
from .breaks import Unsupported
from .function import COUNTERS, CompiledFunction
from .patches import is_compiling

__all__ = [
    "COUNTERS",
    "CompiledFunction",
    "OptimizedModule",
    "Unsupported",
    "compile",
    "config",
    "disable",
    "is_compiling",
    "reset",
]

_BACKENDS = ("inductor", "eager", "aot_eager", "cudagraphs", "openxla", "tvm")
_MODES = (None, "default", "lite", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
            disable=False):
    """``torch.compile``: see docs/compile.md. ``backend`` and ``mode`` take torch's values; all compile with XLA."""
    if model is None:
        return lambda m: compile(m, fullgraph=fullgraph, dynamic=dynamic, backend=backend, mode=mode,
                                 options=options, disable=disable)
    check_options(backend, mode, options)
    if disable:
        return model
    from ..nn.modules.module import Module
    if isinstance(model, Module):
        from .module import OptimizedModule
        return OptimizedModule(model, fullgraph=fullgraph, dynamic=dynamic)
    if not callable(model):
        raise RuntimeError("torch.compile: model must be a Module or a callable")  # noqa: TRY004 - torch's type
    return CompiledFunction(model, fullgraph=fullgraph, dynamic=dynamic)


def check_options(backend="inductor", mode=None, options=None):
    """torch.compile's checks of ``backend``/``mode``/``options`` (same messages)."""
    if mode is not None and options is not None:
        raise RuntimeError("Either mode or options can be specified, but both can't be specified at the same time.")
    if mode not in _MODES:
        raise RuntimeError(f"Unrecognized mode={mode}, should be one of: " + ", ".join(m for m in _MODES if m))
    if isinstance(backend, str) and backend not in _BACKENDS:
        raise InvalidBackend(f"Invalid backend: '{backend}', see `torch._dynamo.list_backends()` for available "
                             "backends.")


class InvalidBackend(RuntimeError):
    """``torch._dynamo.exc.InvalidBackend``."""


def list_backends(exclude_tags=("debug", "experimental")):
    """torch's backend names (all of them compile with XLA here)."""
    return ["cudagraphs", "inductor", "openxla", "tvm"]


def reset():
    """``torch.compiler.reset()``: forget every compiled program (counters too)."""
    import gc
    for obj in gc.get_objects():
        if isinstance(obj, CompiledFunction):
            obj._cache.clear()
            obj._eager_keys.clear()
            obj.compiles = 0
            obj._warned_limit = False
    for k in COUNTERS:
        COUNTERS[k] = 0


def disable(fn=None, recursive=True, *, reason=None):
    """``torch.compiler.disable``: ``fn`` always runs its Python; called while a function is traced, it is a graph
    break (that call runs eagerly)."""
    if fn is None:
        return lambda f: disable(f, recursive, reason=reason)
    import functools

    from .breaks import GraphBreak
    from .location import user_location

    @functools.wraps(fn)
    def disabled(*args, **kwargs):
        if is_compiling():
            raise GraphBreak(f"call to {getattr(fn, '__qualname__', fn)!s}, marked torch.compiler.disable"
                             + (f" ({reason})" if reason else ""), user_location())
        return fn(*args, **kwargs)
    disabled._torchdynamo_disable = True
    return disabled


def __getattr__(name):
    if name == "OptimizedModule":
        from .module import OptimizedModule
        return OptimizedModule
    raise AttributeError(name)
