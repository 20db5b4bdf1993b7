"""torch's deprecated functions that still work there, with torch's deprecation warnings: older tutorials and
scripts call them. Each is its modern replacement with the old signature (``torch.qr(A, some)`` is
``torch.linalg.qr(A, 'reduced' if some else 'complete')``). The ones torch has removed (``torch.solve``,
``torch.eig`` …) are not here.
"""
from __future__ import annotations

import math
import warnings

from . import _device
from . import _dtype as D
from ._legacy_types import legacy_types
from ._ops.linalg_common import return_type

# the Tensor methods among them (installed by _methods)
TENSOR_METHODS = ("cholesky", "lu", "lu_solve", "qr", "triangular_solve")

qr_result = return_type("qr", "Q", "R")
triangular_solve_result = return_type("triangular_solve", "solution", "cloned_coefficient")
lu_with_info = return_type("_lu_with_info", "LU", "pivots", "infos")


def _linalg():
    from . import linalg
    return linalg


def _warn(message):
    warnings.warn(message, UserWarning, stacklevel=3)


def chain_matmul(*matrices, out=None):
    """``linalg.multi_dot(matrices)`` (one matrix: a copy of it)."""
    _warn("torch.chain_matmul is deprecated and will be removed in a future PyTorch release. Use "
          "torch.linalg.multi_dot instead, which accepts a list of two or more tensors rather than multiple "
          "parameters.")
    result = matrices[0].clone() if len(matrices) == 1 else _linalg().multi_dot(list(matrices))
    return result if out is None else out.copy_(result)


def cholesky(input, upper=False, *, out=None):
    _warn("torch.cholesky is deprecated in favor of torch.linalg.cholesky and will be removed in a future PyTorch "
          "release.\nL = torch.cholesky(A)\nshould be replaced with\nL = torch.linalg.cholesky(A)\nand\n"
          "U = torch.cholesky(A, upper=True)\nshould be replaced with\nU = torch.linalg.cholesky(A).mH\n"
          "This transform will produce equivalent results for all valid (symmetric positive definite) inputs.")
    result = _linalg().cholesky(input, upper=upper)
    return result if out is None else out.copy_(result)


def qr(input, some=True, *, out=None):
    _warn("torch.qr is deprecated in favor of torch.linalg.qr and will be removed in a future PyTorch release.\n"
          "The boolean parameter 'some' has been replaced with a string parameter 'mode'.\nQ, R = torch.qr(A, some)\n"
          "should be replaced with\nQ, R = torch.linalg.qr(A, 'reduced' if some else 'complete')")
    result = qr_result(*_linalg().qr(input, "reduced" if some else "complete"))
    if out is not None:
        for o, r in zip(out, result):
            o.copy_(r)
    return result


def lu(A, pivot=True, get_infos=False, out=None):
    """``(LU, pivots)`` (a plain tuple, as torch's), or ``(LU, pivots, infos)`` when ``get_infos``."""
    _warn("torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and will be "
          "removed in a future PyTorch release.\nLU, pivots = torch.lu(A, compute_pivots)\nshould be replaced with\n"
          "LU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\n"
          "LU, pivots, info = torch.lu(A, compute_pivots, get_infos=True)\nshould be replaced with\n"
          "LU, pivots, info = torch.linalg.lu_factor_ex(A, compute_pivots)")
    LU, pivots, infos = _linalg().lu_factor_ex(A, pivot=pivot)
    return lu_with_info(LU, pivots, infos) if get_infos else (LU, pivots)


def lu_solve(b, LU_data, LU_pivots, *, out=None):
    _warn("torch.lu_solve is deprecated in favor of torch.linalg.lu_solveand will be removed in a future PyTorch "
          "release.\nNote that torch.linalg.lu_solve has its arguments reversed.\nX = torch.lu_solve(B, LU, pivots)\n"
          "should be replaced with\nX = torch.linalg.lu_solve(LU, pivots, B)")
    result = _linalg().lu_solve(LU_data, LU_pivots, b)
    return result if out is None else out.copy_(result)


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False, *, out=None):
    """``(solution, cloned_coefficient)``: the solution of ``A X = b`` (``A^T X = b`` with ``transpose``) and a
    copy of ``A``."""
    _warn("torch.triangular_solve is deprecated in favor of torch.linalg.solve_triangularand will be removed in a "
          "future PyTorch release.\ntorch.linalg.solve_triangular has its arguments reversed and does not return a "
          "copy of one of the inputs.\nX = torch.triangular_solve(B, A).solution\nshould be replaced with\n"
          "X = torch.linalg.solve_triangular(A, B).")
    coefficient = A.mT if transpose else A
    solution = _linalg().solve_triangular(coefficient, b, upper=upper != transpose, unitriangular=unitriangular)
    result = triangular_solve_result(solution, A.clone())
    if out is not None:
        for o, r in zip(out, result):
            o.copy_(r)
    return result


def range(start, end, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` *inclusive*, ``step`` apart, in the default float dtype unless ``dtype``."""
    _warn("torch.range is deprecated and will be removed in a future release because its behavior is inconsistent "
          "with Python's range builtin. Instead, use torch.arange, which produces values in [start, end).")
    from ._ops.creation import arange
    if step == 0:
        raise RuntimeError("step must be nonzero")
    count = math.floor((end - start) / step) + 1
    result = (arange(count, dtype=D.float64) * step + start).to(dtype or D.get_default_dtype())
    result = result.to(device) if device is not None else result
    result.requires_grad_(requires_grad)
    return result if out is None else out.copy_(result)


def set_default_tensor_type(t):
    """The default dtype (and, for a ``torch.cuda`` type, the default device) of a legacy tensor type, given as
    the type or its name (``"torch.cuda.FloatTensor"``)."""
    _warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use torch.set_default_dtype() "
          "and torch.set_default_device() as alternatives.")
    if isinstance(t, str):
        module, _, name = t.rpartition(".")
        if module not in ("torch", "torch.cuda"):
            raise ModuleNotFoundError(f"No module named '{module or t}'")
        types = legacy_types(module, is_cuda=module == "torch.cuda")
        if name not in types:
            raise AttributeError(f"module '{module}' has no attribute '{name}'")
        t = types[name]
    if t.is_cuda and not _device.cuda_is_available():
        raise TypeError(f"type torch.cuda.{t.__name__} not available. Torch not compiled with CUDA enabled.")
    if not t.dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    D.set_default_dtype(t.dtype)
    _device.set_default_device("cuda" if t.is_cuda else "cpu")
