"""``torch.compile(module)``: :class:`OptimizedModule`, and ``Module.compile()`` in place.

The wrapper's forward is the module's ``__call__`` (hooks included) compiled as one program of (parameters,
buffers, generator key, inputs). Under autograd it records one node whose pullback is the compiled vjp, so
``loss.backward()`` fills the parameters' ``.grad`` as eagerly. Like torch's, the wrapper holds the module as
``_orig_mod`` (so ``state_dict()`` keys start with ``_orig_mod.``) and forwards unknown attributes to it.
"""
from __future__ import annotations

from ..nn.modules.module import Module
from .function import CompiledFunction, module_state


def compiled_call(module, fullgraph=False, dynamic=None):
    """A :class:`CompiledFunction` of ``module._call_impl``, its state seeded with the module's tensors."""
    fn = CompiledFunction(module._call_impl, fullgraph=fullgraph, dynamic=dynamic, seed_state=module_state(module))
    return fn


class OptimizedModule(Module):
    """What ``torch.compile(module)`` returns."""

    def __init__(self, mod, *, fullgraph=False, dynamic=None):
        super().__init__()
        self._orig_mod = mod
        self.__dict__["_compiled"] = compiled_call(mod, fullgraph, dynamic)

    def forward(self, *args, **kwargs):
        return self.__dict__["_compiled"](*args, **kwargs)

    def __getattr__(self, name):
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["_orig_mod"], name)

    def __repr__(self):
        return f"OptimizedModule(\n  (_orig_mod): {repr(self._orig_mod).replace(chr(10), chr(10) + '  ')}\n)"


def compile_in_place(module, *, fullgraph=False, dynamic=None, backend="inductor", mode=None, options=None,
                     disable=False):
    """``Module.compile()``: the module's own calls go through a compiled ``_call_impl`` from now on."""
    from . import check_options
    check_options(backend, mode, options)
    if not disable:
        module._compiled_call_impl = compiled_call(module, fullgraph, dynamic)
