"""torch.cuda's legacy tensor types (``torch.cuda.FloatTensor`` …): constructors of CUDA tensors of one dtype, and
``isinstance`` tests for them. Without a GPU, torch's TypeError."""
from __future__ import annotations

from .. import _dtype as D
from .._device import cuda_is_available


class _LegacyCudaType(type):
    def __instancecheck__(cls, obj):
        from .._tensor import Tensor
        return isinstance(obj, Tensor) and obj.is_cuda and obj.dtype is cls.dtype

    def __call__(cls, *args, device=None):
        if not cuda_is_available():
            raise TypeError(f"type torch.cuda.{cls.__name__} not available. Torch not compiled with CUDA enabled.")
        from .._ops.creation import legacy_new
        return legacy_new(cls.dtype, *args, device=device or "cuda").to(device or "cuda")


def _legacy(dtype):
    name = D.SCALAR_TYPE_NAME[dtype.name] + "Tensor"
    return _LegacyCudaType(name, (), {"dtype": dtype, "__module__": "torch.cuda",
                                      "__doc__": f"``torch.cuda.{name}(...)``: a CUDA tensor of dtype {dtype}."})


BFloat16Tensor = _legacy(D.bfloat16)
BoolTensor = _legacy(D.bool)
ByteTensor = _legacy(D.uint8)
CharTensor = _legacy(D.int8)
DoubleTensor = _legacy(D.float64)
FloatTensor = _legacy(D.float32)
HalfTensor = _legacy(D.float16)
IntTensor = _legacy(D.int32)
LongTensor = _legacy(D.int64)
ShortTensor = _legacy(D.int16)
