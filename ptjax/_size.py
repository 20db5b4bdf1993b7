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
        return Size(r) if isinstance(item, slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __reduce__(self):
        return (Size, (tuple(self),))
