"""torch's legacy tensor types: ``torch.FloatTensor`` … (CPU) and ``torch.cuda.FloatTensor`` … (CUDA).

Each is a constructor of tensors of one dtype on one kind of device — ``FloatTensor(2, 3)`` is a 2×3 tensor
(zeros, where torch leaves the memory uninitialised), ``FloatTensor([1, 2])`` holds that data in the type's
dtype — and an ``isinstance`` test: ``isinstance(x, torch.LongTensor)`` holds for an int64 CPU tensor.
"""
from __future__ import annotations

from . import _dtype as D
from ._device import cuda_is_available

# the dtypes that have a legacy type, in torch's order
_DTYPES = (D.bfloat16, D.bool, D.uint8, D.int8, D.float64, D.float32, D.float16, D.int32, D.int64, D.int16)


class _LegacyTensorType(type):
    def __instancecheck__(cls, obj):
        from ._tensor import Tensor
        return isinstance(obj, Tensor) and obj.is_cuda == cls.is_cuda and obj.dtype is cls.dtype

    def __call__(cls, *args, device=None):
        from ._ops.creation import legacy_new
        if cls.is_cuda:
            if not cuda_is_available():
                raise TypeError(f"type {cls.__module__}.{cls.__name__} not available. "
                                "Torch not compiled with CUDA enabled.")
            return legacy_new(cls.dtype, *args, device=device or "cuda").to(device or "cuda")
        return legacy_new(cls.dtype, *(args or (0,)), device="cpu")

    def __repr__(cls):
        return f"<class '{cls.__module__}.{cls.__name__}'>"


def legacy_types(module: str, is_cuda: bool) -> dict:
    """``{"FloatTensor": <type>, …}`` for ``module`` ("torch" or "torch.cuda")."""
    types = {}
    for dtype in _DTYPES:
        name = D.SCALAR_TYPE_NAME[dtype.name] + "Tensor"
        types[name] = _LegacyTensorType(name, (), {
            "dtype": dtype, "is_cuda": is_cuda, "__module__": module,
            "__doc__": f"``{module}.{name}(...)``: a {'CUDA' if is_cuda else 'CPU'} tensor of dtype {dtype}."})
    return types
