"""torch.autograd.graph's saved-tensor hooks: ``saved_tensors_hooks``, ``save_on_cpu``,
``disable_saved_tensors_hooks`` (re-exported by ``autograd.graph``).

The context managers are accepted with torch's nesting and error rules (entering ``saved_tensors_hooks`` inside
``disable_saved_tensors_hooks`` raises its message). Differences from torch: the pack/unpack hooks are not called:
what a ptjax graph saves are immutable JAX arrays (they cannot be modified in place, so there is nothing to
protect by packing), and ``save_on_cpu`` leaves them on their device.
"""
from __future__ import annotations

__all__ = ["saved_tensors_hooks", "save_on_cpu", "disable_saved_tensors_hooks"]


class _Disabled:
    message = None   # the error of disable_saved_tensors_hooks while one is active


class saved_tensors_hooks:
    def __init__(self, pack_hook, unpack_hook):
        self.pack_hook = pack_hook
        self.unpack_hook = unpack_hook

    def __enter__(self):
        if _Disabled.message is not None:
            raise RuntimeError(_Disabled.message)
        return self

    def __exit__(self, *exc):
        return False


class save_on_cpu(saved_tensors_hooks):
    def __init__(self, pin_memory=False, device_type="cuda"):
        super().__init__(lambda t: t, lambda t: t)
        self.pin_memory, self.device_type = pin_memory, device_type


class disable_saved_tensors_hooks:
    def __init__(self, error_message):
        self.error_message = error_message

    def __enter__(self):
        self.prev = _Disabled.message
        _Disabled.message = self.error_message
        return self

    def __exit__(self, *exc):
        _Disabled.message = self.prev
        return False
