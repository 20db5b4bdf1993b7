"""Shape ops. Those marked ``view=...`` return views sharing their input's storage, as in torch."""
from __future__ import annotations

import builtins
import itertools

import jax
import jax.numpy as jnp
import numpy as np

from .. import _dtype as D
from .. import _strides
from .registry import BINARY, front, op
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


@op(view=True, aliases=("swapaxes", "swapdims"))
def transpose(input, dim0, dim1):
    if input.ndim == 0:
        return input
    a, b = _axes((dim0, dim1), input.ndim)
    return jnp.swapaxes(input, a, b)




@op(view=True)
def t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {input.ndim}D")
    return input.T if input.ndim == 2 else input


@op(view=True, grad_name="PermuteBackward0", aliases=("moveaxis",))
def movedim(input, source, destination):
    return jnp.moveaxis(input, source, destination)


@op(view=True, grad_name="PermuteBackward0", method=False, function=False)
def _reverse_dims(input):
    return jnp.transpose(input)


@op(view=True, grad_name="TransposeBackward0", method=False, function=False)
def _matrix_transpose(input):
    if input.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got "
                           f"{input.ndim}-D tensor.")
    return jnp.swapaxes(input, -1, -2)


def _expand_shape(input_shape, sizes):
    sizes = _dims(sizes)
    if len(sizes) < len(input_shape):
        shape, size = ", ".join(map(str, input_shape)), ", ".join(map(str, sizes))
        raise RuntimeError(f"expand(torch.FloatTensor{{[{shape}]}}, size=[{size}]): "
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
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(input.shape)} at "
                         f"dimension {d}")
    return jnp.take(input, index % n, axis=d)


@op(view=True, grad_name="SplitBackward0", aliases=("unsafe_split",))
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


@op(view=True, grad_name="SplitBackward0", aliases=("unsafe_chunk",))
def chunk(input, chunks, dim=0):
    d = _axes(dim, input.ndim)[0]
    size = -(-input.shape[d] // chunks) if input.shape[d] else 0
    return split.op.fn(input, size if size else 1, d) if input.shape[d] else (input,)


@op(view=True, grad_name="SplitBackward0")
def tensor_split(input, indices_or_sections, dim=0):
    """Split into ``sections`` near-equal views (the first ``n % sections`` one larger), or at ``indices``."""
    d = _axes(dim, input.ndim)[0]
    n = input.shape[d]
    if isinstance(indices_or_sections, int):
        k = indices_or_sections
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        sizes = [n // k + 1] * (n % k) + [n // k] * (k - n % k)
        bounds, acc = [], 0
        for sz in sizes:
            bounds.append((acc, acc + sz))
            acc += sz
    else:
        cuts = [0] + [builtins.min(builtins.max(c if c >= 0 else c + n, 0), n) for c in indices_or_sections] + [n]
        bounds = [(a, builtins.max(a, b)) for a, b in zip(cuts[:-1], cuts[1:])]
    return tuple(jax.lax.slice_in_dim(input, a, b, axis=d) for a, b in bounds)


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
    idx = np.arange(n)[:, None] * step + np.arange(size)[None, :]  # static: one gather, (n, size) in place of dim d
    return jnp.moveaxis(jnp.take(input, idx, axis=d), d + 1, -1)


@op(view=True, grad_name="AliasBackward0", method=False, function=False)
def _alias(input):
    return input


@op(view=True, grad_name="AsStridedBackward0", method=False, function=False)
def _as_strided_view(input, size, stride, storage_offset=0):
    idx = _strides.flat_indices(tuple(size), tuple(stride), storage_offset)
    return input.reshape(-1)[idx].reshape(size)


def as_strided(input, size, stride, storage_offset=None):
    """A view of ``input``'s storage with the given layout (``storage_offset`` defaults to input's)."""
    from .dispatch import call
    root = input._base if input._base is not None else input
    offset = input.storage_offset() if storage_offset is None else int(storage_offset)
    spec = (tuple(int(s) for s in size), tuple(int(s) for s in stride), offset)
    out = call(_as_strided_view.op, (root,) + spec, {})
    out._view = spec
    out.__dict__.pop("_view_src", None)
    return out


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


@op(tensors=("tensors",), promote=BINARY, jit=True, aliases=("concat", "concatenate"))
def cat(tensors, dim=0):
    ts = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)] or list(tensors)
    if not ts:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    nd = ts[0].ndim
    if nd == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = _axes(dim, nd)[0]
    for i, t in enumerate(ts):
        if t.ndim != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and {t.ndim}")
        if any(a != b for j, (a, b) in enumerate(zip(t.shape, ts[0].shape)) if j != d):
            raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size "
                               f"{ts[0].shape[1 - d if nd > 1 else 0]} but got size {t.shape[1 - d if nd > 1 else 0]} "
                               f"for tensor number {i} in the list.")
    return jnp.concatenate(ts, axis=d)




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


@op(tensors=("tensors",), promote=BINARY, jit=True, grad_name="CatBackward0", aliases=("row_stack",))
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


@op("repeat_interleave", jit=True, grad_name="RepeatInterleaveBackward0")
def _repeat_interleave_int(input, repeats, dim=None):
    x = input.reshape(-1) if dim is None else input
    return jnp.repeat(x, repeats, axis=0 if dim is None else _axes(dim, input.ndim)[0])


@op(tensors=("input", "repeats"), keep=("repeats",), jit=True, method=False, function=False,
    grad_name="RepeatInterleaveBackward0")
def _repeat_interleave_tensor(input, repeats, dim, total):
    x = input.reshape(-1) if dim is None else input
    return jnp.repeat(x, repeats, axis=0 if dim is None else _axes(dim, input.ndim)[0], total_repeat_length=total)


@front(_repeat_interleave_int)
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """``repeat_interleave(input, repeats, dim)``; ``repeat_interleave(repeats)`` gives the repeated indices."""
    from .._tensor import Tensor
    from .creation import arange
    if repeats is None:  # torch.repeat_interleave(repeats)
        input, repeats = arange(input.shape[0]), input
    if isinstance(repeats, Tensor):
        if repeats.ndim == 0 or (repeats.numel() == 1 and (dim is None or input.ndim == 0 or
                                                            input.shape[_axes(dim, input.ndim)[0]] != 1)):
            repeats = int(repeats.reshape(()).item())
        else:
            if repeats.ndim != 1:
                raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
            n = input.numel() if dim is None else input.shape[_axes(dim, input.ndim)[0]]
            if repeats.shape[0] != n:
                raise RuntimeError("repeats must have the same size as input along dim, but got repeats.size(0) = "
                                   f"{repeats.shape[0]} and input.size({0 if dim is None else dim}) = {n}")
            total = output_size if output_size is not None else int(repeats.sum().item())
            return _repeat_interleave_tensor(input, repeats, dim, total)
    return _repeat_interleave_int(input, int(repeats), dim)


@op(jit=True)
def flip(input, dims):
    return jnp.flip(input, _axes(dims, input.ndim))


@op(jit=True)
def roll(input, shifts, dims=None):
    if dims is None:
        return jnp.roll(input.reshape(-1), shifts).reshape(input.shape)
    return jnp.roll(input, shifts, dims)


@op(jit=True, inplace=True)
def tril(input, diagonal=0):
    return jnp.tril(input, diagonal)


@op(jit=True, inplace=True)
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


@op(view=True, grad_name="SplitWithSizesBackward0", aliases=("unsafe_split_with_sizes",))
def split_with_sizes(input, split_sizes, dim=0):
    return split.op.fn(input, tuple(split_sizes), dim)


def _split_check(name, min_dims, dim_of):
    def check(input, indices_or_sections):
        if input.ndim < min_dims:
            raise RuntimeError(f"torch.{name} requires a tensor with at least {min_dims} dimension, but got a tensor "
                               f"with {input.ndim} dimensions!")
        d = dim_of(input.ndim)
        if isinstance(indices_or_sections, int) and (indices_or_sections == 0 or
                                                     input.shape[d] % indices_or_sections):
            raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the size of the dimension "
                               f"{input.shape[d]} is not divisible by the split_size {indices_or_sections}!")
    return check


def _directional_split(name, min_dims, dim_of):
    """``hsplit``/``vsplit``/``dsplit``: ``tensor_split`` along a fixed dim, whose sections must be equal."""
    def fn(input, indices_or_sections):
        return tensor_split.op.fn(input, indices_or_sections, dim_of(input.ndim))
    fn.__name__ = name
    fn.__doc__ = f"``tensor_split`` along dim {dim_of(3)} (into equal sections when given a count)."
    return op(name, view=True, grad_name="SplitBackward0", check=_split_check(name, min_dims, dim_of))(fn)


hsplit = _directional_split("hsplit", 1, lambda nd: 1 if nd > 1 else 0)
vsplit = _directional_split("vsplit", 2, lambda nd: 0)
dsplit = _directional_split("dsplit", 3, lambda nd: 2)


@op(grad_name="NarrowCopyBackward0")
def narrow_copy(input, dim, start, length):
    return narrow.op.fn(input, dim, start, length)


@op(view="reshape", grad_name="ViewBackward0")
def ravel(input):
    return input.reshape(-1)


def _atleast(n):
    """``atleast_<n>d``: one tensor → a view with at least ``n`` dims; several (or a list) → a tuple of them."""
    expand = {1: jnp.atleast_1d, 2: jnp.atleast_2d, 3: jnp.atleast_3d}[n]
    entry = op(f"atleast_{n}d", view="reshape", grad_name="ViewBackward0", method=False)(
        lambda input: expand(input))

    @front(entry)
    def atleast(*tensors):
        if len(tensors) == 1 and not isinstance(tensors[0], (list, tuple)):
            return entry(tensors[0])
        seq = tensors[0] if len(tensors) == 1 else tensors
        return tuple(entry(t) for t in seq)
    atleast.__name__ = f"atleast_{n}d"
    atleast.__doc__ = f"Tensors viewed with at least {n} dimensions (leading/trailing size-1 dims as NumPy)."
    return atleast


atleast_1d, atleast_2d, atleast_3d = _atleast(1), _atleast(2), _atleast(3)


def broadcast_tensors(*tensors):
    """Views of ``tensors`` expanded to their common broadcast shape."""
    from .pointwise import broadcast_error
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shapes = [tuple(t.shape) for t in tensors]
    err = broadcast_error(shapes) if shapes else None
    if err is not None:
        raise err
    shape = tuple(np.broadcast_shapes(*shapes)) if shapes else ()
    return tuple(expand(t, shape) for t in tensors)


@op(tensors=("tensors",), promote=BINARY, jit=True, grad_name="CatBackward0")
def column_stack(tensors):
    """1-D (and 0-d) tensors as columns, others as they are, concatenated along dim 1."""
    return jnp.concatenate([t.reshape(-1, 1) if t.ndim <= 1 else t for t in tensors], axis=1)


@op(tensors=("tensors",), promote=BINARY, jit=True, grad_name="CatBackward0")
def dstack(tensors):
    return jnp.dstack(tensors)


def _block_diag_check(*tensors):
    for k, t in enumerate(tensors):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {k} has "
                               f"{t.ndim} dimensions")


@op(tensors=("tensors",), promote=BINARY, jit=True, method=False, check=_block_diag_check)
def block_diag(*tensors):
    """The tensors (0-d as 1x1, 1-D as one row) as the diagonal blocks of a matrix."""
    mats = [t.reshape(1, -1) if t.ndim < 2 else t for t in tensors]
    if not mats:
        return jnp.zeros((1, 0), D.get_default_dtype().np)
    rows, cols = builtins.sum(m.shape[0] for m in mats), builtins.sum(m.shape[1] for m in mats)
    out = jnp.zeros((rows, cols), mats[0].dtype)
    r = c = 0
    for m in mats:
        out = out.at[r:r + m.shape[0], c:c + m.shape[1]].set(m)
        r, c = r + m.shape[0], c + m.shape[1]
    return out


def _vectors_check(*tensors):
    for t in tensors:
        if t.ndim != 1:
            raise RuntimeError(f"Expect a 1D vector, but got shape {list(t.shape)}")
    if builtins.any(t.dtype is not tensors[0].dtype for t in tensors):
        raise RuntimeError("meshgrid expects all tensors to have the same dtype")


@op(tensors=("tensors",), jit=True, method=False, check=_vectors_check)
def cartesian_prod(*tensors):
    """Every combination of one element from each 1-D tensor, as rows (one tensor: itself)."""
    if len(tensors) == 1:
        return tensors[0]
    grids = jnp.meshgrid(*tensors, indexing="ij")
    return jnp.stack([g.reshape(-1) for g in grids], axis=1)


@op(jit=True, method=False, check=lambda input, r=2, with_replacement=False: _vectors_check(input))
def combinations(input, r=2, with_replacement=False):
    """The ``r``-element combinations of a 1-D tensor's elements, as rows (``itertools.combinations`` order)."""
    if r == 0:
        return jnp.zeros((0,), input.dtype)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    return input[np.array(list(pick(builtins.range(input.shape[0]), r)), np.int64).reshape(-1, r)]


@op(jit=True)
def diagflat(input, offset=0):
    return jnp.diagflat(input, offset)


def _flip_check(min_dims):
    def check(input):
        if input.ndim < min_dims:
            raise RuntimeError(f"Input must be >= {min_dims}-d.")
    return check


@op(jit=True, check=_flip_check(2), grad_name="FlipBackward0")
def fliplr(input):
    return jnp.flip(input, 1)


@op(jit=True, check=_flip_check(1), grad_name="FlipBackward0")
def flipud(input):
    return jnp.flip(input, 0)


def _rot90_check(input, k=1, dims=(0, 1)):
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    a, b = _axes(tuple(dims), input.ndim)
    if a == b:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} and dim1 = {dims[1]}")


@op(jit=True, check=_rot90_check)
def rot90(input, k=1, dims=(0, 1)):
    """Rotate by ``k`` quarter turns in the plane of ``dims``, from the first towards the second."""
    return jnp.rot90(input, k, _axes(tuple(dims), input.ndim))


@op(view=True, grad_name="TransposeBackward0")
def adjoint(input):
    """The conjugate transpose of the last two dims."""
    if input.ndim < 2:
        raise RuntimeError(f"tensor.adjoint() is only supported on matrices or batches of matrices. Got "
                           f"{input.ndim}-D tensor.")
    return jnp.conj(jnp.swapaxes(input, -1, -2)) if jnp.iscomplexobj(input) else jnp.swapaxes(input, -1, -2)


# ---- scatter the src into a view of a copy of input (the functional forms of writes through views) --------------

def _src_size_check(slice_shape, src):
    if tuple(src.shape) != tuple(slice_shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = {list(src.shape)}, "
                           f"slice size = {list(slice_shape)}")


def _scatter_check(view_fn):
    def check(input, src, *args, **kwargs):
        _src_size_check(jax.eval_shape(lambda x: view_fn(x, *args, **kwargs), input._value).shape, src)
    return check


def _slice_view(input, dim=0, start=None, end=None, step=1):
    return jax.lax.slice_in_dim(input, *slice(start, end, step).indices(input.shape[_axes(dim, input.ndim)[0]]),
                                axis=_axes(dim, input.ndim)[0])


def _write_view(input, src, view_fn, *args):
    """A copy of ``input`` with the elements of ``view_fn(input, *args)`` replaced by ``src`` (their positions found
    by running ``view_fn`` on an array of positions)."""
    pos = view_fn(jnp.arange(input.size).reshape(input.shape), *args)
    return input.reshape(-1).at[pos.reshape(-1)].set(src.reshape(-1).astype(input.dtype)).reshape(input.shape)


def _diagonal_view(input, offset=0, dim1=0, dim2=1):
    return jnp.diagonal(input, offset, dim1, dim2)


def _as_strided_view_of(input, size, stride, storage_offset=None):
    idx = _strides.flat_indices(tuple(size), tuple(stride), storage_offset or 0)
    return input.reshape(-1)[idx].reshape(size)


@op(tensors=("input", "src"), jit=True, check=_scatter_check(_diagonal_view))
def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """``input`` with its ``diagonal(offset, dim1, dim2)`` replaced by ``src``."""
    return _write_view(input, src, _diagonal_view, offset, dim1, dim2)


@op(tensors=("input", "src"), jit=True, check=_scatter_check(lambda x, dim, index: select.op.fn(x, dim, index)))
def select_scatter(input, src, dim, index):
    """``input`` with ``select(dim, index)`` replaced by ``src``."""
    return _write_view(input, src, select.op.fn, dim, index)


@op(tensors=("input", "src"), jit=True, check=_scatter_check(_slice_view))
def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """``input`` with the slice ``start:end:step`` of ``dim`` replaced by ``src``."""
    return _write_view(input, src, _slice_view, dim, start, end, step)


@op(tensors=("input", "src"), jit=True, check=_scatter_check(_as_strided_view_of))
def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """``input`` with the elements of ``as_strided(size, stride, storage_offset)`` replaced by ``src``."""
    return _write_view(input, src, _as_strided_view_of, tuple(size), tuple(stride), storage_offset)


# ---- in-place metadata changes (``squeeze_``, ``unsqueeze_``) -----------------------------------------------------

def metadata_inplace(view_op, reorders=False):
    """``x.squeeze_()``, ``x.t_()`` …: ``x`` takes the view's shape (and, for a view, its layout).

    For a view, and for ops that keep the element order (squeeze/unsqueeze), storage is untouched, as in torch.
    A storage owner cannot take a transposed layout in ptjax's storage model: ``t_``/``transpose_`` on one
    re-lays its storage out contiguously in the new order (values, shape and later writes are as in torch; its
    strides read as contiguous, and views taken from it *before* the call no longer alias it).
    """
    def method_(self, *args, **kwargs):
        from .dispatch import check_inplace
        check_inplace(self)
        res = view_op(self, *args, **kwargs)
        if self._base is None:
            self._data = res._value
        else:
            spec = res._spec()
            self._data, self._view, self._bver = res._value, spec, self._base._version
        if res._grad_fn is not None:
            self._grad_fn, self._out_idx = res._grad_fn, res._out_idx
        return self
    method_.__name__ = view_op.__name__ + "_"
    return method_
