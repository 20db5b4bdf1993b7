"""Chi2(df): ``Gamma(df / 2, 1 / 2)``, as torch defines it."""
from __future__ import annotations

from . import constraints
from .continuous import Gamma
from .utils import broadcast_all

__all__ = ["Chi2"]


class Chi2(Gamma):
    arg_constraints = {"df": constraints.positive}

    def __init__(self, df, validate_args=None):
        (df,) = broadcast_all(df)
        super().__init__(0.5 * df, df.new_full(df.shape, 0.5), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return Chi2(self.df.expand(tuple(batch_shape)), validate_args=self._validate_args)

    @property
    def df(self):
        return self.concentration * 2
