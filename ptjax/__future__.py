"""torch.__future__: the switches for how ``nn.Module`` conversions (``.to``, ``.half()``, ``.cpu()`` ...) and
``load_state_dict`` put new values into a module's parameters.

* default: the parameter object stays and takes the new value (``param.data = new``);
* ``set_overwrite_module_params_on_conversion(True)``: conversions put new ``Parameter`` objects in the module;
* ``set_swap_module_params_on_conversion(True)`` (wins over the other): the parameter object stays and takes the
  new tensor's whole content through :func:`ptjax.utils.swap_tensors`; ``load_state_dict`` then loads each value
  through ``param.module_load(value, assign=...)`` and swaps the result in.
"""

_overwrite_module_params_on_conversion = False
_swap_module_params_on_conversion = False


def set_overwrite_module_params_on_conversion(value: bool) -> None:
    global _overwrite_module_params_on_conversion
    _overwrite_module_params_on_conversion = value


def get_overwrite_module_params_on_conversion() -> bool:
    return _overwrite_module_params_on_conversion


def set_swap_module_params_on_conversion(value: bool) -> None:
    global _swap_module_params_on_conversion
    _swap_module_params_on_conversion = value


def get_swap_module_params_on_conversion() -> bool:
    return _swap_module_params_on_conversion
