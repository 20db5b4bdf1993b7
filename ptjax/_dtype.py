"""torch dtypes (``ptjax.float32`` …) and torch's type-promotion rules.

A :class:`dtype` is a thin named handle over a NumPy dtype (bfloat16 comes from ``ml_dtypes``, which JAX ships).
JAX runs with 64-bit types enabled so ``float64`` and ``int64`` are real, and ptjax passes dtypes explicitly so
nothing widens silently.
"""
from __future__ import annotations

import builtins

import ml_dtypes
import numpy as np


class dtype:
    """A torch dtype: ``repr`` is ``torch.float32``, attributes as torch's."""

    __slots__ = ("name", "np", "is_floating_point", "is_complex", "is_signed", "itemsize", "_kind")

    def __init__(self, name: str, np_dtype, kind: int):
        self.name = name
        self.np = np.dtype(np_dtype)
        self._kind = kind  # 0 bool, 1 integer, 2 floating, 3 complex: the order torch promotes by
        self.is_floating_point = kind == 2
        self.is_complex = kind == 3
        self.is_signed = name not in ("bool", "uint8")
        self.itemsize = self.np.itemsize

    def __repr__(self):
        return f"torch.{self.name}"

    def to_real(self):
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self):
        return {float32: complex64, float64: complex128, float16: complex64, bfloat16: complex64}.get(self, self)

    def __reduce__(self):
        return (_by_name, (self.name,))


bool = dtype("bool", np.bool_, 0)
uint8 = dtype("uint8", np.uint8, 1)
int8 = dtype("int8", np.int8, 1)
int16 = dtype("int16", np.int16, 1)
int32 = dtype("int32", np.int32, 1)
int64 = dtype("int64", np.int64, 1)
float16 = dtype("float16", np.float16, 2)
bfloat16 = dtype("bfloat16", ml_dtypes.bfloat16, 2)
float32 = dtype("float32", np.float32, 2)
float64 = dtype("float64", np.float64, 2)
complex64 = dtype("complex64", np.complex64, 3)
complex128 = dtype("complex128", np.complex128, 3)

ALL = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64, complex64, complex128)
ALIASES = {"half": float16, "float": float32, "double": float64, "short": int16, "int": int32, "long": int64,
           "cfloat": complex64, "cdouble": complex128}

# torch's names for a dtype in its messages and class names, by dtype name: the scalar type ("Float", as in
# ``torch.FloatTensor`` and ``torch.FloatStorage``) and the C++ type ("float", as in "expected m1 and m2 to have the
# same dtype, but got: float != double")
SCALAR_TYPE_NAME = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
                    "float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double",
                    "complex64": "ComplexFloat", "complex128": "ComplexDouble"}
CPP_TYPE_NAME = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short int", "int32": "int",
                 "int64": "long int", "float16": "c10::Half", "bfloat16": "c10::BFloat16", "float32": "float",
                 "float64": "double", "complex64": "c10::complex<float>", "complex128": "c10::complex<double>"}



def kernel_not_implemented(kernel: str, d, error=NotImplementedError):
    """torch's refusal of a dtype by one of its kernels: ``"addmm_impl_cpu_" not implemented for 'Bool'``;
    ``d``: a dtype, a NumPy dtype or a dtype name."""
    name = d.name if isinstance(d, dtype) else np.dtype(d).name if not isinstance(d, str) else d
    return error(f"\"{kernel}\" not implemented for '{SCALAR_TYPE_NAME[name]}'")


_NP_TO_DTYPE = {d.np: d for d in ALL}
NP_KIND = {d.np: d._kind for d in ALL}  # NumPy dtype -> 0 bool, 1 integer, 2 floating, 3 complex
_BY_NAME = {**{d.name: d for d in ALL}, **ALIASES}


def _by_name(name: str) -> dtype:
    return _BY_NAME[name]


_default_float = float32


def get_default_dtype() -> dtype:
    return _default_float


def set_default_dtype(d: dtype) -> None:
    global _default_float
    if d not in (float16, bfloat16, float32, float64):
        raise TypeError("only floating-point types are supported as the default type")
    _default_float = d


def from_numpy_dtype(np_dtype) -> dtype:
    """The torch dtype of a NumPy / JAX dtype (raises TypeError for ones torch lacks)."""
    try:
        return _NP_TO_DTYPE[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported types are: float64, "
            "float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, and bool.") from None


def to_dtype(d) -> dtype:
    """Accept a ptjax dtype, a NumPy dtype / type, or a Python type (``float``, ``int``, ``bool``)."""
    if isinstance(d, dtype):
        return d
    if d is builtins.float:
        return float64
    if d is builtins.int:
        return int64
    if d is builtins.bool:
        return bool
    if d is builtins.complex:
        return complex128
    return from_numpy_dtype(d)


# ---- promotion -------------------------------------------------------------------------------------------------

def promote_types(a: dtype, b: dtype) -> dtype:
    """torch.promote_types: the smallest dtype both convert to safely (torch's table, which NumPy mostly shares)."""
    if a is b:
        return a
    key = (a, b)
    r = _PROMOTE_CACHE.get(key)
    if r is None:
        r = _promote_pair(a, b)
        _PROMOTE_CACHE[key] = _PROMOTE_CACHE[(b, a)] = r
    return r


def _promote_pair(a: dtype, b: dtype) -> dtype:
    if a._kind != b._kind:
        hi, lo = (a, b) if a._kind > b._kind else (b, a)
        if hi is bfloat16 and lo is float16:
            return float32
        if hi.is_complex and lo.is_floating_point:
            return complex128 if float64 in (lo, hi.to_real()) else complex64
        return hi
    if {a, b} == {bfloat16, float16}:
        return float32
    if {a, b} <= {bfloat16, float32, float64} or {a, b} <= {float16, float32, float64}:
        return a if a.itemsize > b.itemsize else b
    if uint8 in (a, b):  # uint8 with a signed int: the signed type wide enough for both
        other = b if a is uint8 else a
        return int16 if other is int8 else other
    return a if a.itemsize > b.itemsize else b


_PROMOTE_CACHE: dict = {}

# Categories of operands for torch.result_type: a tensor with dims outranks a 0-dim tensor, which outranks a Python
# scalar, unless the lower category holds a higher *kind* (bool < integer < floating < complex).
SCALAR_BOOL, SCALAR_INT, SCALAR_FLOAT, SCALAR_COMPLEX = "b", "i", "f", "c"


def result_type(tensor_dtypes, zerodim_dtypes, scalar_kinds) -> dtype:
    """torch.result_type for operands grouped by category.

    ``tensor_dtypes``: dtypes of operands with one or more dims; ``zerodim_dtypes``: of 0-dim tensors;
    ``scalar_kinds``: Python scalars as 'b', 'i', 'f', 'c'.
    """
    result = None
    for d in tensor_dtypes:
        result = d if result is None else promote_types(result, d)
    zd = None
    for d in zerodim_dtypes:
        zd = d if zd is None else promote_types(zd, d)
    if zd is not None:
        if result is None:
            result = zd
        elif zd._kind > result._kind:
            result = zd if zd._kind < 3 or not result.is_floating_point else promote_types(result, zd)
    if scalar_kinds:
        sk = max("bifc".index(k) for k in scalar_kinds)
        sd = (bool, int64, _default_float, _default_float.to_complex())[sk]
        if result is None:
            result = sd
        elif sk > result._kind:
            if sk == 3 and result.is_floating_point:
                result = result.to_complex()
            else:
                result = sd
    return result


# ---- finfo / iinfo -------------------------------------------------------------------------------------------

class _TypeInfo:
    """Shared face of :class:`finfo` and :class:`iinfo`: torch's repr (numbers as C's ``%g``), equality by dtype."""

    _shown: tuple = ()

    def __repr__(self):
        fields = ", ".join(f"{f}={getattr(self, f):g}" for f in self._shown)
        return f"{type(self).__name__}({fields}, dtype={self.dtype})"

    def __eq__(self, other):
        return type(self) is type(other) and self.dtype == other.dtype

    __hash__ = None  # unhashable, as torch's


class finfo(_TypeInfo):
    """torch.finfo: machine limits of a floating dtype (the default dtype without an argument); a complex dtype
    gives its real counterpart's. ``dtype`` is the name, a string, as in torch."""

    _shown = ("resolution", "min", "max", "eps", "smallest_normal", "tiny")

    def __init__(self, type=None):
        d = get_default_dtype() if type is None else type
        if not isinstance(d, dtype) or d._kind < 2:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo to handle "
                            "'torch.finfo'")
        info = ml_dtypes.finfo(d.to_real().np)
        self.bits, self.dtype = info.bits, d.to_real().name
        self.eps, self.max, self.min = builtins.float(info.eps), builtins.float(info.max), builtins.float(info.min)
        self.tiny = self.smallest_normal = builtins.float(info.smallest_normal)
        self.resolution = 10.0 ** -builtins.int(-np.log10(self.eps))  # a power of ten, as torch


class iinfo(_TypeInfo):
    """torch.iinfo: the bits, ``min`` and ``max`` of an integer dtype (``dtype``: its name, a string)."""

    _shown = ("min", "max")

    def __init__(self, type):
        if not isinstance(type, dtype) or type._kind != 1:
            if type is bool:
                raise TypeError("torch.bool is not supported by torch.iinfo")
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to handle 'torch.iinfo'")
        info = np.iinfo(type.np)
        self.bits, self.min, self.max, self.dtype = info.bits, builtins.int(info.min), builtins.int(info.max), type.name
