"""LazyModuleMixin: modules whose parameter shapes come from their first input (``LazyLinear``, ``LazyConv2d`` ...).

Until then their parameters are :class:`~ptjax.nn.parameter.UninitializedParameter` placeholders. A forward
pre-hook calls ``initialize_parameters(*input)`` on the first call, then removes itself and turns the module into
``cls_to_become`` (``LazyLinear`` becomes ``Linear``); ``load_state_dict`` materializes placeholders to the shapes
it loads, as in torch.
"""
from __future__ import annotations

from ..parameter import is_lazy


class LazyModuleMixin:
    """Mix in before the regular layer class: ``class LazyLinear(LazyModuleMixin, Linear)``."""

    cls_to_become = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._load_hook = self.register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters, with_kwargs=True)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        super()._save_to_state_dict(destination, prefix, keep_vars)
        for name, tensor in list(self._parameters.items()) + list(self._buffers.items()):
            if is_lazy(tensor) and prefix + name in destination:
                destination[prefix + name] = tensor   # placeholders are saved as they are, as torch does

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                        error_msgs):
        """Placeholders take the shape of the tensors being loaded into them."""
        for name, tensor in list(self._parameters.items()) + list(self._buffers.items()):
            key = prefix + name
            if tensor is not None and is_lazy(tensor) and key in state_dict and not is_lazy(state_dict[key]):
                tensor.materialize(state_dict[key].shape)

    def initialize_parameters(self, *args, **kwargs):
        """Materialize the placeholders from the first input (each lazy layer implements it)."""
        raise NotImplementedError(f"initialize_parameters is not implemented for {self.__class__.__name__}")

    def has_uninitialized_params(self):
        """Whether a parameter or buffer of this module is still a placeholder."""
        return any(is_lazy(t) for t in list(self._parameters.values()) + list(self._buffers.values()))

    @staticmethod
    def _infer_parameters(module, args, kwargs=None):
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {module._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        del module._initialize_hook
        del module._load_hook
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _replicate_for_data_parallel(self):
        raise RuntimeError("Modules with uninitialized parameters can't be used with `DataParallel`. Run a dummy "
                           "forward pass to correctly initialize the modules")
