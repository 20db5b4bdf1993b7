"""The op table (``registry.TABLE``) and the code that runs its entries (``dispatch``).

Importing this package registers every entry: the modules listed below hold them. A new module of entries (say
``fft.py``) is one more name in that import, and nothing else: ``ptjax.X``, ``Tensor.X`` and ``Tensor.X_`` come
from the table (``ptjax/__init__.py`` and ``ptjax/_methods.py``). ``creation`` and ``random`` hold the factories
and the generator, which are plain functions (their results have no inputs to differentiate).
"""
from __future__ import annotations

from . import creation, dispatch, random, registry
# the modules of entries; a new one is one more name here
from . import (fft, indexing, linalg, linalg_cholesky, linalg_norms, linalg_products,
               linalg_qr, linalg_solve, linalg_spectral, pointwise, reduction, shape, special, spectral)
from .registry import TABLE


def public_functions():
    """{name: callable} for the ``ptjax`` namespace: every op-table name (aliases included) of a torch function."""
    return {name: o.functions[name] for name, o in TABLE.items() if o.function and not name.startswith("_")}
