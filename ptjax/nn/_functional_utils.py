"""Argument helpers shared by the ``nn.functional`` files (shapes in messages, spatial tuples, random keys)."""
from __future__ import annotations

import jax
import numpy as np

from .._ops import dispatch as _dispatch


def _shape_list(shape):
    return "[" + ", ".join(str(s) for s in shape) + "]"


def _tuple(v, n, name="argument"):
    if isinstance(v, (list, tuple)):
        v = tuple(int(x) for x in v)
        if len(v) == 1:
            return v * n
        if len(v) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to match the "
                               f"convolution dimensions, but got {name}={list(v)}")
        return v
    return (int(v),) * n


def _batched(x, nd, name, conv=False):
    """(x with a batch dim, whether one was added). Accepts ``nd + 1`` (unbatched) or ``nd + 2`` dims."""
    if x.ndim == nd + 2:
        return x, False
    if x.ndim == nd + 1:
        return x[None], True
    if conv:   # torch's wording for the convolutions
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input of "
                           f"size: [{_dims(x.shape)}]")
    if name == "avg_pool2d" and 0 < x.ndim < 3:   # torch indexes dim -3 before it checks the rank
        raise IndexError(f"Dimension out of range (expected to be in range of [{-x.ndim}, {x.ndim - 1}], but got -3)")
    if name in _RANK_MESSAGES:
        raise RuntimeError(_RANK_MESSAGES[name].format(name=name, shape=_dims(x.shape), ndim=x.ndim))
    raise RuntimeError(f"{name}: Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input, but got input of size: "
                       f"[{', '.join(map(str, x.shape))}]")


_ONE_D = ("Expected 2 to 3 dimensions, but got {ndim}-dimensional tensor for argument #1 'self' (while checking "
          "arguments for {name})")
# torch's messages for an input of the wrong rank, per pooling op (they differ from op to op)
_RANK_MESSAGES = {
    "max_pool1d": "max_pool1d: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for input, but "
                  "got:[{shape}]",
    "max_pool2d": "non-empty 3D or 4D (batch mode) tensor expected for input",
    "max_pool3d": "non-empty 4D or 5D (batch mode) tensor expected for input",
    "avg_pool1d": _ONE_D,
    "avg_pool2d": "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, but got:[{shape}]",
    "avg_pool3d": "non-empty 4D or 5D (batch mode) tensor expected for input",
    "adaptive_avg_pool1d": _ONE_D,
    "adaptive_avg_pool2d": "adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got [{shape}]",
    "adaptive_avg_pool3d": "adaptive_avg_pool3d(): Expected 4D or 5D tensor, but got [{shape}]",
    "adaptive_max_pool1d": _ONE_D,
    "adaptive_max_pool2d": "adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: [{shape}]",
    "adaptive_max_pool3d": "adaptive_max_pool3d(): Expected 4D or 5D tensor, but got: [{shape}]",
    "lp_pool3d": "non-empty 4D or 5D (batch mode) tensor expected for input",
}


def _dims(shape):
    return ", ".join(map(str, shape))


def _inplace(o, input, args=()):
    return _dispatch.inplace(o, input, tuple(args), {})


def _traced(a):
    return isinstance(a, jax.core.Tracer)


def _index_range(a):
    """(min, max) of an index array, read on the host like torch's CPU checks; (0, -1) when empty or traced."""
    if a.size == 0 or _traced(a):
        return 0, -1
    h = np.asarray(a)  # index checks read the (small) index array on the host: no compile per shape
    lo, hi = int(h.min()), int(h.max())
    return lo, hi
