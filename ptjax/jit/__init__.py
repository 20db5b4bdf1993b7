"""``torch.jit`` on ptjax.compile and ``jax.export``: ``trace``, ``script``, ``save``, ``load``.

Where it differs from TorchScript
    * Neither ``trace`` nor ``script`` reads Python source. Both record what the module does when it runs, like
      ``torch.jit.trace``: Python control flow is fixed to the branches taken. ``script`` records on the first
      call (or at once with ``example_inputs``), so ``if``/loops that depend on tensor *values* are not kept as
      control flow (they are graph breaks, see docs/compile.md).
    * In Python, a traced module is a compiled module: new input shapes compile again (TorchScript would reuse the
      graph). ``.graph`` is the program's jaxpr, ``.code`` its StableHLO text.
    * ``save`` writes a zip with the StableHLO program (``jax.export``, lowered for CPU and CUDA), the parameters
      and buffers (``.npy``) and a JSON description; no pickle. ``load`` needs ptjax, not the module's class; the
      loaded module runs the input shapes it was traced with (as jax.export programs do) and its outputs do not
      require grad.
"""
from __future__ import annotations

from .._compile.function import CompiledFunction
from .._compile.module import compiled_call
from ..nn.modules.module import Module
from ._archive import RecursiveScriptModule, export_program, load

__all__ = [
    "Final",
    "RecursiveScriptModule",
    "ScriptFunction",
    "ScriptModule",
    "TracedModule",
    "annotate",
    "export",
    "fork",
    "freeze",
    "ignore",
    "is_scripting",
    "is_tracing",
    "load",
    "optimize_for_inference",
    "save",
    "script",
    "trace",
    "unused",
    "wait",
]

class ScriptModule(Module):
    """A module whose ``forward`` is compiled (``torch.jit.ScriptModule``); made by :func:`trace` or :func:`script`.

    It shares the original module's parameters, buffers and submodules (same ``state_dict`` keys).
    """

    def __init__(self, module, example_inputs=None):
        super().__init__()
        for name, child in module._modules.items():
            self.add_module(name, child)
        for name, p in module._parameters.items():
            self.register_parameter(name, p)
        for name, b in module._buffers.items():
            self.register_buffer(name, b, persistent=name not in module._non_persistent_buffers_set)
        self.training = module.training
        self.__dict__["original_name"] = type(module).__name__
        self.__dict__["_module"] = module
        self.__dict__["_compiled"] = compiled_call(module)
        self.__dict__["_example"] = None
        if example_inputs is not None:
            self._record(_as_tuple(example_inputs))

    def _record(self, inputs):
        self.__dict__["_example"] = inputs
        return self._compiled(*inputs)

    def forward(self, *args):
        if self._example is None:
            return self._record(args)
        return self._compiled(*args)

    def train(self, mode=True):
        self._module.train(mode)
        return super().train(mode)

    def _program(self):
        if self._example is None:
            raise RuntimeError(f"{self.original_name} has not run yet: ptjax.jit.script records a module on its "
                               "first call (or pass example_inputs=)")
        return _program_for(self._compiled, self._example)

    @property
    def graph(self):
        """The traced program as a jaxpr (TorchScript shows its IR graph here)."""
        return _program_for(self._compiled, self._example).closed.jaxpr if self._example else None

    @property
    def code(self):
        """The traced program as StableHLO text."""
        return export_program(self._program(), self._module).mlir_module()

    def save(self, f, _extra_files=None):
        """Write the traced program, parameters and buffers to ``f`` (a path or a binary file)."""
        from ._archive import save_archive
        save_archive(self._program(), self._module, f, self.original_name, _extra_files)

    def extra_repr(self):
        return f"original_name={self.original_name}"


TracedModule = ScriptModule


class ScriptFunction:
    """A traced/scripted function (``torch.jit.ScriptFunction``): compiled, with ``.graph``/``.code``."""

    def __init__(self, fn, example_inputs=None):
        self._compiled = CompiledFunction(fn)
        self._example = None
        self.__name__ = getattr(fn, "__name__", "function")
        self.__doc__ = fn.__doc__
        if example_inputs is not None:
            self._example = _as_tuple(example_inputs)
            self._compiled(*self._example)

    def __call__(self, *args, **kwargs):
        if self._example is None:
            self._example = args
        return self._compiled(*args, **kwargs)

    @property
    def graph(self):
        return _program_for(self._compiled, self._example).closed.jaxpr if self._example else None

    @property
    def code(self):
        return export_program(_program_for(self._compiled, self._example), None).mlir_module()

    def save(self, f, _extra_files=None):
        from ._archive import save_archive
        save_archive(_program_for(self._compiled, self._example), None, f, self.__name__, _extra_files)


def _as_tuple(x):
    return x if isinstance(x, tuple) else (x,)


def _program_for(compiled, inputs):
    """The program ``compiled`` built for ``inputs`` (the example inputs)."""
    from .._compile.function import _key_of
    key = _key_of(inputs, {})[0]
    if not compiled._cache.get(key):
        compiled(*inputs)   # not built yet (or a graph break ran it eagerly: then it stays missing)
    entries = compiled._cache.get(key)
    if entries:
        return entries[-1].program
    raise RuntimeError("ptjax.jit: this module/function could not be traced into one program (a graph break: see "
                       "the warning above); it cannot be saved")


def trace(func, example_inputs=None, optimize=None, check_trace=True, check_inputs=None, check_tolerance=1e-05,
          strict=True, _force_outplace=False, _module_class=None, _compilation_unit=None,
          example_kwarg_inputs=None, _store_inputs=True):
    """``torch.jit.trace``: run ``func`` on ``example_inputs`` and compile what it did (see the module docstring)."""
    if example_inputs is None and example_kwarg_inputs is None:
        raise RuntimeError("example_kwarg_inputs or example_inputs must be provided")
    if example_kwarg_inputs is not None:
        raise NotImplementedError("ptjax.jit.trace: example_kwarg_inputs is not supported; pass example_inputs")
    if isinstance(func, ScriptModule):
        return func
    if isinstance(func, Module):
        return ScriptModule(func, example_inputs)
    if not callable(func):
        raise TypeError(f"ptjax.jit.trace expects a Module or a function, got {type(func).__name__}")
    return ScriptFunction(func, example_inputs)


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """``torch.jit.script``: like :func:`trace`, recorded on the first call (see the module docstring)."""
    if isinstance(obj, (ScriptModule, ScriptFunction, RecursiveScriptModule)):
        return obj
    if isinstance(example_inputs, list) and example_inputs and isinstance(example_inputs[0], tuple):
        example_inputs = example_inputs[0]   # torch's form: a list of argument tuples
    if isinstance(obj, Module):
        return ScriptModule(obj, example_inputs)
    if isinstance(obj, type):
        raise NotImplementedError("ptjax.jit.script of a class is not supported")
    return ScriptFunction(obj, example_inputs)


def save(m, f, _extra_files=None):
    """``torch.jit.save``."""
    if not hasattr(m, "save"):
        raise TypeError(f"ptjax.jit.save expects a ScriptModule, got {type(m).__name__}")
    m.save(f, _extra_files=_extra_files)


# ---- decorators and helpers that TorchScript code uses ----------------------------------------------------------

def ignore(drop=False, **kwargs):
    """``@torch.jit.ignore``: accepted (ptjax traces Python as it runs)."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn):
    return fn


def export(fn):
    return fn


def is_scripting():
    return False


def is_tracing():
    from .._compile.patches import is_compiling
    return is_compiling()


def annotate(the_type, the_value):
    return the_value


class _FinalType:
    def __getitem__(self, item):
        return item


Final = _FinalType()


def freeze(mod, preserved_attrs=None, optimize_numerics=True):
    if mod.training:
        raise RuntimeError("Freezing is currently only implemented for modules in eval mode. Please call .eval() on "
                           "your module before freezing.")
    return mod


def optimize_for_inference(mod, other_methods=None):
    return freeze(mod.eval())


def fork(func, *args, **kwargs):
    return _Future(func(*args, **kwargs))


def wait(future):
    return future.value


class _Future:
    def __init__(self, value):
        self.value = value

    def wait(self):
        return self.value
