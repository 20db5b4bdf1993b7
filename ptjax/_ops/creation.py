"""Tensor creation: ``tensor``, ``zeros``, ``arange`` … (factories take torch's ``dtype``, ``device``,
``requires_grad``)."""
from __future__ import annotations

import builtins
import math
import numbers

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .._device import chosen_default, committing, cpu_jax_device, default_jax_device, placed_jit, to_jax_device
from .._tensor import Tensor
from .dispatch import factory_out, function_out


def _target(device) -> jax.Device:
    """The JAX device a factory's result goes to: ``device``, else the default device (``_device.py``)."""
    if device is None:
        return default_jax_device()
    return device if isinstance(device, jax.Device) else to_jax_device(device)


def _placed(arr, jd: jax.Device):
    """``arr`` (NumPy or JAX) on ``jd``: committed there, except in a process that has only ever used JAX's default
    device, where an uncommitted array is the same thing and lets JAX reshard it (``nn.DataParallel``'s meshes)."""
    if isinstance(arr, jax.Array) and arr.devices() == {jd} and (arr.committed or not committing(jd)):
        return arr
    return jax.device_put(arr, jd) if committing(jd) else jax.device_put(arr)


def _finish(arr, dtype=None, device=None, requires_grad=False):
    """A factory's result as a new leaf: ``arr`` placed on ``device`` (a torch device spec or a JAX device; None:
    the default device). A traced array (ptjax.compile) is left to the program to place."""
    t = Tensor._make(arr if isinstance(arr, jax.core.Tracer) else _placed(arr, _target(device)))
    if requires_grad:
        if not (t.dtype.is_floating_point or t.dtype.is_complex):
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad_(True)
    return t


def _infer_dtype(data):
    """torch.tensor's dtype inference for Python data: bool < int64 < default float < complex."""
    kind = -1

    def visit(x):
        nonlocal kind
        if isinstance(x, Tensor):
            d = x.dtype
            kind = builtins.max(kind, 10 + ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
                                            "float32", "float64", "complex64", "complex128"].index(d.name))
            return
        if isinstance(x, (list, tuple)):
            for y in x:
                visit(y)
        elif isinstance(x, (bool, np.bool_)):
            kind = builtins.max(kind, 0)
        elif isinstance(x, numbers.Integral):
            kind = builtins.max(kind, 1)
        elif isinstance(x, numbers.Real):
            kind = builtins.max(kind, 2)
        elif isinstance(x, numbers.Complex):
            kind = builtins.max(kind, 3)
        else:
            raise TypeError(f"new(): invalid data type '{type(x).__name__}'")
    visit(data)
    if kind >= 10:
        return None
    return (D.float32 if kind < 0 else [D.bool, D.int64, D.get_default_dtype(),
                                        D.get_default_dtype().to_complex()][kind])


def _to_numpy(data, dtype):
    if isinstance(data, Tensor):
        return np.asarray(data._value)
    if isinstance(data, (list, tuple)) and builtins.any(isinstance(x, Tensor) for x in _flat(data)):
        data = _nested_map(data, lambda x: np.asarray(x._value) if isinstance(x, Tensor) else x)
    return np.asarray(data, dtype=dtype.np if dtype is not None else None)


def _flat(x):
    if isinstance(x, (list, tuple)):
        for y in x:
            yield from _flat(y)
    else:
        yield x


def _nested_map(x, f):
    if isinstance(x, (list, tuple)):
        return [_nested_map(y, f) for y in x]
    return f(x)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new leaf tensor copying ``data`` (nested lists, scalars, NumPy arrays, tensors)."""
    dtype = D.to_dtype(dtype) if dtype is not None else None
    if isinstance(data, Tensor):  # on the data's device unless a device (or a default device) is chosen
        arr = data._value if dtype is None else data._value.astype(dtype.np)
        device = device if device is not None else chosen_default() or data.device
        return _finish(jnp.array(arr, copy=True), None, device, requires_grad)
    if isinstance(data, (np.ndarray, np.generic)):
        src = np.asarray(data)
        D.from_numpy_dtype(src.dtype)
        # always a private copy: jax.device_put aliases aligned host memory on CPU, and torch.tensor copies
        a = src.astype(dtype.np) if dtype is not None else src.copy()
    else:
        inferred = _infer_dtype(data)
        if isinstance(data, (list, tuple)):
            _check_ragged(data)
        a = _to_numpy(data, dtype or inferred)
    return _finish(a, dtype, device, requires_grad)


def _is_seq(x):
    return isinstance(x, (list, tuple)) or (isinstance(x, (Tensor, np.ndarray)) and x.ndim > 0)


def _check_ragged(data):
    """torch's errors for nested sequences that are not rectangular."""
    shape = []
    x = data
    while _is_seq(x):
        shape.append(len(x))
        if not len(x):
            break
        x = x[0]

    def visit(x, d):
        if d == len(shape):
            if _is_seq(x):
                raise TypeError(f"'{type(x).__name__}' object cannot be interpreted as an integer")
            return
        if not _is_seq(x):
            raise TypeError("not a sequence")
        if len(x) != shape[d]:
            raise ValueError(f"expected sequence of length {shape[d]} at dim {d} (got {len(x)})")
        for y in x:
            visit(y, d + 1)

    visit(data, 0)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor):
        out = data
        if dtype is not None and D.to_dtype(dtype) is not data.dtype:
            out = out.to(D.to_dtype(dtype))
        device = device if device is not None else chosen_default()
        return out.to(device) if device is not None else out
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray) -> Tensor:
    """A CPU tensor with the array's dtype, whatever the default device (as torch). (JAX arrays are immutable: this
    copies, it does not share memory.)"""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    D.from_numpy_dtype(ndarray.dtype)
    return Tensor._make(_placed(ndarray, cpu_jax_device()))


def _size(size, name=None):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, (int, np.integer)):
            raise TypeError(f"zeros(): argument 'size' must be tuple of ints, but found element of type "
                            f"{type(s).__name__} at pos {len(out)}")
        if s < 0:
            if name == "zeros":
                raise RuntimeError("zeros: Dimension size must be non-negative.")
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _factory(fill, name):
    def f(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None):
        dtype = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
        jd = _target(device)
        return _finish(_filled(_size(size, name), fill, dtype.np, jd), dtype, jd, requires_grad)
    return f


@placed_jit(static_argnums=(0, 2))
def _full(shape, fill, np_dtype):
    return jnp.full(shape, fill, dtype=np_dtype)


def _filled(shape, fill, np_dtype, jd=None):
    """A filled array, built on the JAX device ``jd`` (None: the default device): compiled once per (shape, dtype,
    device) — 4 µs a call against ~20 µs for eager ``jnp.full``."""
    return _full(jd or default_jax_device(), tuple(shape), fill, np.dtype(np_dtype))


zeros = _factory(0, "zeros")
ones = _factory(1, "ones")
empty = _factory(0, "empty")  # JAX has no uninitialised memory: empty() is zeros()
zeros.__name__, ones.__name__, empty.__name__ = "zeros", "ones", "empty"


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    if dtype is None:
        default = D.get_default_dtype()
        dtype = (D.bool if isinstance(fill_value, bool) else D.int64 if isinstance(fill_value, numbers.Integral)
                 else default.to_complex() if isinstance(fill_value, builtins.complex) else default)
    dtype = D.to_dtype(dtype)
    jd = _target(device)
    return _finish(_filled(_size((size,) if isinstance(size, int) else tuple(size)), fill_value, dtype.np, jd), dtype,
                   jd, requires_grad)


def _like(fill):
    def f(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
        return full_like(input, fill, dtype=dtype, device=device, requires_grad=requires_grad)
    return f


zeros_like = _like(0)
ones_like = _like(1)
empty_like = _like(0)
zeros_like.__name__, ones_like.__name__, empty_like.__name__ = "zeros_like", "ones_like", "empty_like"


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    """On ``input``'s device unless given ``device``."""
    dtype = D.to_dtype(dtype) if dtype is not None else input.dtype
    jd = _target(device if device is not None else input.device)
    return _finish(_filled(tuple(input.shape), fill_value, dtype.np, jd), dtype, jd, requires_grad)


def arange(start, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    start, end, step = (x.item() if isinstance(x, Tensor) else x for x in (start, end, step))
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        dtype = D.int64 if builtins.all(isinstance(x, numbers.Integral) for x in (start, end, step)) \
            else D.get_default_dtype()
    dtype = D.to_dtype(dtype)
    if not (dtype.is_floating_point or dtype.is_complex):
        # torch converts the bounds and the step to the integer type first
        start, end, step = int(start), int(end), int(step)
        if step == 0:
            raise ValueError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = builtins.max(0, math.ceil((end - start) / step))
    a = start + step * np.arange(n, dtype=np.float64 if dtype.is_floating_point else np.int64)
    return _finish(a.astype(dtype.np), dtype, device, requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    dtype = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
    jd = _target(device)
    with jax.default_device(jd):
        arr = jnp.linspace(start, end, steps, dtype=np.float64).astype(dtype.np)
    return _finish(arr, dtype, jd, requires_grad)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    dtype = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
    jd = _target(device)
    with jax.default_device(jd):
        arr = jnp.logspace(start, end, steps, base=base, dtype=np.float64).astype(dtype.np)
    return _finish(arr, dtype, jd, requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m is not None and m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dtype = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
    jd = _target(device)
    return _finish(_eye(jd, n, m, dtype.np), dtype, jd, requires_grad)


@placed_jit(static_argnums=(0, 1, 2))
def _eye(n, m, np_dtype):
    return jnp.eye(n, m, dtype=np_dtype)


def meshgrid(*tensors, indexing="ij"):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    from .shape import expand, reshape
    shape = tuple(t.numel() for t in tensors)
    n = len(tensors)
    if indexing == "xy" and n >= 2:
        shape = (shape[1], shape[0]) + shape[2:]
    out = []
    for i, t in enumerate(tensors):
        pos = i if not (indexing == "xy" and i < 2 and n >= 2) else 1 - i
        s = [1] * n
        s[pos] = t.numel()
        out.append(expand(reshape(t, tuple(s)), shape))
    return tuple(out)


def legacy_new(dtype, *args, device=None):
    """``torch.Tensor(2, 3)`` (uninitialised → zeros) or ``torch.Tensor([1, 2])`` (data, in ``dtype``)."""
    if len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        data = args[0]
        if isinstance(data, Tensor):
            return data
        return tensor(data, dtype=dtype, device=device)
    return zeros(*args, dtype=dtype, device=device)


@function_out
def complex(real, imag):
    return Tensor._make(jax.lax.complex(real._value, imag._value))


def scalar_tensor(s, *, dtype=None, layout=None, device=None, pin_memory=False, requires_grad=False):
    """A 0-d tensor of ``s`` in the default float type unless ``dtype`` (even for an int or bool ``s``)."""
    return full((), s, dtype=dtype or D.get_default_dtype(), device=device, requires_grad=requires_grad)


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    """``empty(size)``. ptjax tensors own contiguous storage, so ``stride`` is not reproduced (and, as ``empty``,
    the values are zeros rather than uninitialised memory)."""
    return empty(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None, requires_grad=False,
                   pin_memory=False):
    """``empty(size)``; the requested memory order (``physical_layout``) is not reproduced, as ``empty_strided``."""
    if sorted(physical_layout) != list(range(len(size))):
        raise RuntimeError("Number of dimensions in size does not match the length of the physical_layout; "
                           f"i.e. len(size) = {len(size)} is not equal to len(physical_layout) = "
                           f"{len(physical_layout)}")
    return empty(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def _tri_indices(name, lower):
    def indices(row, col, offset=0, *, dtype=None, device=None, layout=None, pin_memory=False):
        dtype = D.to_dtype(dtype) if dtype is not None else D.int64
        if dtype not in (D.int32, D.int64):
            raise D.kernel_not_implemented(name, dtype)
        if row < 0:
            raise RuntimeError(f"row must be non-negative, got{row}")
        if col < 0:
            raise RuntimeError(f"col must be non-negative, got{col}")
        r, c = (np.tril_indices if lower else np.triu_indices)(row, offset, col)
        return _finish(jax.device_put(np.stack([r, c]).astype(dtype.np)), dtype, device)
    indices.__name__ = name
    indices.__doc__ = (f"The (row, column) coordinates of the {'lower' if lower else 'upper'} triangle of a row x col "
                       f"matrix (diagonal ``offset``), as a 2 x N tensor in row-major order.")
    return indices


tril_indices = _tri_indices("tril_indices", lower=True)
triu_indices = _tri_indices("triu_indices", lower=False)


# ---- window functions (torch computes them in the requested dtype; here in float64, then rounded) -------------------

def _window(name, values):
    """A window factory: ``values(n_points)`` gives the symmetric window of that many points as float64."""
    def window(window_length, periodic=True, *args, dtype=None, layout=None, device=None, pin_memory=False,
               requires_grad=False):
        dtype = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
        if not dtype.is_floating_point:
            raise RuntimeError(f"{name} expects floating point dtypes, got: TensorOptions(dtype="
                               f"{D.CPP_TYPE_NAME[dtype.name]}, device=cpu, layout=Strided (default), requires_grad="
                               f"false (default), pinned_memory=false, memory_format=(nullopt))")
        if window_length < 0:
            raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
        if window_length <= 1:
            w = np.ones(window_length)
        else:  # a periodic window is the symmetric window of one more point, without its last
            n = window_length + 1 if periodic else window_length
            w = values(n, *args)[:window_length]
        return _finish(jax.device_put(w.astype(dtype.np)), dtype, device, requires_grad)
    window.__name__ = name
    return window


def _cosine_sum(*coefficients):
    def values(n):
        x = 2 * np.pi * np.arange(n) / (n - 1)
        return builtins.sum(c * np.cos(k * x) * (-1) ** k for k, c in enumerate(coefficients))
    return values


hann_window = _window("hann_window", _cosine_sum(0.5, 0.5))
blackman_window = _window("blackman_window", _cosine_sum(0.42, 0.5, 0.08))
bartlett_window = _window("bartlett_window", lambda n: 1 - np.abs(2 * np.arange(n) / (n - 1) - 1))
hamming_window = _window("hamming_window", lambda n, alpha=0.54, beta=0.46:
                         alpha - beta * np.cos(2 * np.pi * np.arange(n) / (n - 1)))
kaiser_window = _window("kaiser_window", lambda n, beta=12.0:
                        np.i0(beta * np.sqrt(np.clip(1 - (2 * np.arange(n) / (n - 1) - 1) ** 2, 0, None)))
                        / np.i0(beta))


# ---- from foreign memory ---------------------------------------------------------------------------------------------

def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-D tensor of the buffer's bytes read as ``dtype``. torch shares the buffer's memory; ptjax copies it
    (JAX arrays are immutable), so later writes to the buffer are not seen."""
    dtype = D.to_dtype(dtype)
    a = np.frombuffer(buffer, dtype=dtype.np, count=count, offset=offset)
    return _finish(jax.device_put(a.copy()), dtype, None, requires_grad)


def from_file(filename, shared=None, size=0, *, dtype=None, layout=None, device=None, pin_memory=False,
              requires_grad=False):
    """The first ``size`` elements of the file, read as ``dtype`` (a copy: ``shared=True`` memory mapping, whose
    writes reach the file, is not supported)."""
    if shared:
        raise NotImplementedError("ptjax.from_file(shared=True): ptjax tensors cannot map a file's memory")
    dtype = D.to_dtype(dtype) if dtype is not None else D.get_default_dtype()
    a = np.fromfile(filename, dtype=dtype.np, count=size)
    if a.size < size:
        raise RuntimeError(f"unable to read {size * dtype.itemsize} bytes from file {filename}")
    return _finish(jax.device_put(a), dtype, device, requires_grad)


def from_dlpack(ext_tensor):
    """A tensor of any DLPack producer's data (a NumPy array, a JAX array, a torch tensor …). A bare capsule (the
    legacy protocol torch also accepts) does not say on which device its memory lives, so it is refused."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    if not hasattr(ext_tensor, "__dlpack__"):
        raise TypeError(f"ptjax.from_dlpack needs an object with __dlpack__ and __dlpack_device__ (a NumPy array, "
                        f"a JAX array, a torch tensor …), not {type(ext_tensor).__name__}")
    return Tensor._make(jnp.from_dlpack(ext_tensor))


def to_dlpack(tensor):
    """A DLPack capsule of the tensor's data (read-only: the data is an immutable JAX array)."""
    return tensor._value.__dlpack__()


# torch's ``out=`` for the factories that take it
zeros, ones, empty, full, arange, linspace, logspace, eye = map(
    factory_out, (zeros, ones, empty, full, arange, linspace, logspace, eye))
