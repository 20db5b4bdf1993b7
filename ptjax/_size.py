"""torch.Size: a tuple of ints whose repr is ``torch.Size([2, 3])``."""


class Size(tuple):
    __slots__ = ()

    def __new__(cls, sizes=()):
        return super().__new__(cls, (int(s) for s in sizes))

    @classmethod
    def _of(cls, shape: tuple):
        """From a shape that is already a tuple of ints (a JAX shape): no per-dim conversion."""
        return tuple.__new__(cls, shape)

    def __repr__(self):
        return f"torch.Size([{', '.join(map(str, self))}])"

    __str__ = __repr__

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, item):
        r = tuple.__getitem__(self, item)
        return Size._of(r) if isinstance(item, slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __reduce__(self):
        return (Size, (tuple(self),))


def broadcast_shapes(*shapes):
    """torch.broadcast_shapes: the shape that tensors of all ``shapes`` broadcast to (an int is a 1-d shape).

    Plain Python on tuples, with torch's messages: shape checks on the eager path call it, and
    ``jnp.broadcast_shapes`` costs several microseconds a call.
    """
    out = []
    for i, shape in enumerate(shapes):
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if any(d < 0 for d in shape):
            raise ValueError("Attempting to broadcast a dimension with negative length!")
        if len(shape) > len(out):
            out[:0] = [1] * (len(shape) - len(out))
        for k in range(1, len(shape) + 1):
            d = shape[-k]
            if d != out[-k] and d != 1:
                if out[-k] != 1:
                    raise RuntimeError(f"Attempting to broadcast a dimension of length {d} at {-k}! Mismatching "
                                       f"argument at index {i} had {shape}; but expected shape should be "
                                       f"broadcastable to {out}")
                out[-k] = d
    return Size._of(tuple(out))
