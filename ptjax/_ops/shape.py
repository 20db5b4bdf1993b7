"""Shape ops. Those marked ``view=...`` return views sharing their input's storage, as in torch."""
from __future__ import annotations

import builtins
import math

import jax
import jax.numpy as jnp
import numpy as np

from .. import _strides
from .registry import BINARY, SAME, op
from .reduction import _axes


def _dims(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def _numel(shape):
    return int(np.prod(shape, dtype=np.int64))


def _view_check(input, *shape):
    shape = _strides.infer_size(_dims(shape), input.numel())
    sp, st, _ = input._spec()
    if _strides.view_strides(sp, st, shape) is None:
        raise RuntimeError("view size is not compatible with input tensor's size and stride (at least one dimension "
                           "spans across two contiguous subspaces). Use .reshape(...) instead.")


def _reshape_fn(input, *shape):
    return jnp.reshape(input, _strides.infer_size(_dims(shape), input.size))


view = op("view", view="reshape", check=_view_check, function=False)(_reshape_fn)
reshape = op("reshape", view="reshape", grad_name="ViewBackward0")(_reshape_fn)
reshape.op.grad_name = view.op.grad_name = "ViewBackward0"


@op(view="reshape", grad_name="ViewBackward0")
def flatten(input, start_dim=0, end_dim=-1):
    if input.ndim == 0:
        return input.reshape(1)
    s, e = start_dim % input.ndim, end_dim % input.ndim
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input.shape[:s] + (_numel(input.shape[s:e + 1]),) + input.shape[e + 1:]
    return input.reshape(shape)


@op(view="reshape", grad_name="ViewBackward0")
def unflatten(input, dim, sizes):
    d = dim % input.ndim
    sizes = _strides.infer_size(sizes, input.shape[d])
    return input.reshape(input.shape[:d] + tuple(sizes) + input.shape[d + 1:])


@op(view=True)
def squeeze(input, dim=None):
    if dim is None:
        return jnp.squeeze(input)
    if input.ndim == 0:
        return input
    ax = tuple(d for d in _axes(dim, input.ndim) if input.shape[d] == 1)
    return jnp.squeeze(input, ax) if ax else input


@op(view=True)
def unsqueeze(input, dim):
    n = input.ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return jnp.expand_dims(input, dim % n)


@op(view=True)
def permute(input, *dims):
    dims = _dims(dims)
    if len(dims) != input.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not match the length "
                           f"of the desired ordering of dimensions i.e. input.dim() = {input.ndim} is not equal to "
                           f"len(dims) = {len(dims)}")
    return jnp.transpose(input, _axes(dims, input.ndim)) if input.ndim else input


@op(view=True)
def transpose(input, dim0, dim1):
    if input.ndim == 0:
        return input
    a, b = _axes((dim0, dim1), input.ndim)
    return jnp.swapaxes(input, a, b)


swapaxes = op("swapaxes", view=True, grad_name="TransposeBackward0")(transpose.op.fn)
swapdims = op("swapdims", view=True, grad_name="TransposeBackward0")(transpose.op.fn)


@op(view=True)
def t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return input.T if input.ndim == 2 else input


@op(view=True, grad_name="PermuteBackward0")
def movedim(input, source, destination):
    return jnp.moveaxis(input, source, destination)


moveaxis = op("moveaxis", view=True, grad_name="PermuteBackward0")(movedim.op.fn)


@op(view=True, grad_name="PermuteBackward0", method=False, function=False)
def _reverse_dims(input):
    return jnp.transpose(input)


@op(view=True, grad_name="TransposeBackward0", method=False, function=False)
def _matrix_transpose(input):
    if input.ndim < 2:
        raise RuntimeError(f"tensor.mT is only supported on matrices or batches of matrices. Got {input.ndim}-D tensor.")
    return jnp.swapaxes(input, -1, -2)


def _expand_shape(input_shape, sizes):
    sizes = _dims(sizes)
    if len(sizes) < len(input_shape):
        raise RuntimeError(f"expand(torch.FloatTensor{{[{', '.join(map(str, input_shape))}]}}, size=[{', '.join(map(str, sizes))}]): "
                           f"the number of sizes provided ({len(sizes)}) must be greater or equal to the number of "
                           f"dimensions in the tensor ({len(input_shape)})")
    lead = len(sizes) - len(input_shape)
    out = []
    for i, s in enumerate(sizes):
        cur = input_shape[i - lead] if i >= lead else None
        if s == -1:
            if cur is None:
                raise RuntimeError("The expanded size of the tensor (-1) isn't allowed in a leading, non-existing "
                                   "dimension 0")
            s = cur
        elif cur is not None and cur != 1 and cur != s:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at "
                               f"non-singleton dimension {i}.  Target sizes: [{', '.join(map(str, sizes))}].  Tensor "
                               f"sizes: [{', '.join(map(str, input_shape))}]")
        out.append(s)
    return tuple(out)


@op(view=True)
def expand(input, *sizes):
    return jnp.broadcast_to(input, _expand_shape(input.shape, sizes))


@op(view=True, grad_name="ExpandBackward0")
def broadcast_to(input, size):
    return jnp.broadcast_to(input, _expand_shape(input.shape, size))


@op(view=True, grad_name="SliceBackward0")
def narrow(input, dim, start, length):
    d = _axes(dim, input.ndim)[0]
    start = start % input.shape[d] if start < 0 else start
    if start + length > input.shape[d]:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({input.shape[d]}).")
    return jax.lax.slice_in_dim(input, start, start + length, axis=d)


@op(view=True)
def select(input, dim, index):
    d = _axes(dim, input.ndim)[0]
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at dimension {d}")
    return jnp.take(input, index % n, axis=d)


@op(view=True, grad_name="SplitBackward0")
def split(input, split_size_or_sections, dim=0):
    d = _axes(dim, input.ndim)[0]
    n = input.shape[d]
    if isinstance(split_size_or_sections, int):
        s = split_size_or_sections
        sizes = [s] * (n // s) + ([n % s] if n % s else []) if s else [0]
    else:
        sizes = list(split_size_or_sections)
        if builtins.sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input tensor's size at "
                               f"dimension {d}), but got split_sizes={sizes}")
    out, start = [], 0
    for s in sizes:
        out.append(jax.lax.slice_in_dim(input, start, start + s, axis=d))
        start += s
    return tuple(out)


@op(view=True, grad_name="SplitBackward0")
def chunk(input, chunks, dim=0):
    d = _axes(dim, input.ndim)[0]
    size = -(-input.shape[d] // chunks) if input.shape[d] else 0
    return split.op.fn(input, size if size else 1, d) if input.shape[d] else (input,)


@op(view=True)
def unbind(input, dim=0):
    d = _axes(dim, input.ndim)[0]
    return tuple(jnp.take(input, i, axis=d) for i in range(input.shape[d]))


@op(view=True)
def diagonal(input, offset=0, dim1=0, dim2=1):
    return jnp.diagonal(input, offset, dim1, dim2)


@op(view=True)
def unfold(input, dimension, size, step):
    d = _axes(dimension, input.ndim)[0] if input.ndim else 0
    n = (input.shape[d] - size) // step + 1
    idx = jnp.arange(n)[:, None] * step + jnp.arange(size)[None, :]
    x = jnp.take(input, idx.reshape(-1), axis=d)
    x = x.reshape(input.shape[:d] + (n, size) + input.shape[d + 1:])
    return jnp.moveaxis(x, d + 1, -1)


@op(view=True, grad_name="AliasBackward0", method=False, function=False)
def _alias(input):
    return input


@op(view=True, grad_name="AsStridedBackward0", method=False, function=False)
def _as_strided_view(input, size, stride, storage_offset=0):
    idx = _strides.flat_indices(tuple(size), tuple(stride), storage_offset)
    return input.reshape(-1)[idx].reshape(size)


@op(tensors=("input", "src"), method=False, function=False, grad_name="torch::autograd::CopySlices")
def _copy_slices(input, src, size, stride, storage_offset):
    idx = _strides.flat_indices(tuple(size), tuple(stride), storage_offset)
    return input.reshape(-1).at[idx].set(src.reshape(-1).astype(input.dtype)).reshape(input.shape)


# ---- copies ----------------------------------------------------------------------------------------------------


@op(grad_name="CloneBackward0")
def clone(input, *, memory_format=None):
    return jnp.array(input, copy=True)


@op(method=False, function=False, grad_name="ToCopyBackward0")
def _to_copy(input, dtype):
    return input.astype(dtype.np)


@op(method=False, function=False, grad_name="ToCopyBackward0")
def _device_put(input, device):
    return jax.device_put(input, device)


@op(grad_name="CloneBackward0", method=False, function=False)
def _contiguous_copy(input):
    return jnp.array(input, copy=True)


@op(tensors=("tensors",), promote=BINARY, jit=True)
def cat(tensors, dim=0):
    ts = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or list(tensors)
    if not ts:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    nd = ts[0].ndim
    if nd == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = _axes(dim, nd)[0]
    for i, t in enumerate(ts):
        if t.ndim != nd or any(a != b for j, (a, b) in enumerate(zip(t.shape, ts[0].shape)) if j != d):
            raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                               f"{ts[0].shape[1 - d if nd > 1 else 0]} but got size {t.shape[1 - d if nd > 1 else 0]} "
                               f"for tensor number {i} in the list.")
    return jnp.concatenate(ts, axis=d)


concat = op("concat", tensors=("tensors",), promote=BINARY, jit=True, grad_name="CatBackward0")(cat.op.fn)
concatenate = op("concatenate", tensors=("tensors",), promote=BINARY, jit=True, grad_name="CatBackward0")(cat.op.fn)


@op(tensors=("tensors",), promote=BINARY, jit=True)
def stack(tensors, dim=0):
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(tensors[0].shape)} at entry "
                               f"0 and {list(t.shape)} at entry {i}")
    return jnp.stack(tensors, axis=dim % (tensors[0].ndim + 1))


@op(tensors=("tensors",), promote=BINARY, jit=True, grad_name="CatBackward0")
def hstack(tensors):
    return jnp.hstack(tensors)


@op(tensors=("tensors",), promote=BINARY, jit=True, grad_name="CatBackward0")
def vstack(tensors):
    return jnp.vstack(tensors)


@op(jit=True)
def repeat(input, *sizes):
    sizes = _dims(sizes)
    if len(sizes) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    return jnp.tile(input, sizes)


@op(jit=True, grad_name="RepeatBackward0")
def tile(input, dims):
    return jnp.tile(input, dims)


@op(jit=True)
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    return jnp.repeat(input.reshape(-1) if dim is None else input, repeats, axis=0 if dim is None else dim)


@op(jit=True)
def flip(input, dims):
    return jnp.flip(input, _axes(dims, input.ndim))


@op(jit=True)
def roll(input, shifts, dims=None):
    if dims is None:
        return jnp.roll(input.reshape(-1), shifts).reshape(input.shape)
    return jnp.roll(input, shifts, dims)


@op(jit=True)
def tril(input, diagonal=0):
    return jnp.tril(input, diagonal)


@op(jit=True)
def triu(input, diagonal=0):
    return jnp.triu(input, diagonal)


@op(jit=True)
def diag(input, diagonal=0):
    return jnp.diag(input, diagonal)


@op(jit=True, grad_name="DiagEmbedBackward0")
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    n = input.shape[-1] + builtins.abs(offset)
    out = jnp.zeros(input.shape[:-1] + (n, n), input.dtype)
    i = jnp.arange(input.shape[-1])
    r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
    return out.at[..., r, c].set(input)
