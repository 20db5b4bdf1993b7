"""``torch.nn.functional``: the public face of the functionals, which live beside the layers that use them.

Each functional is an op-table entry (pure JAX, torch's signature; see ``docs/design.md``) in the file that mirrors
its layer's: ``_functional_conv`` (``modules/conv.py``), ``_functional_pooling`` (``modules/pooling.py``: pooling,
``interpolate``, ``fold``/``unfold``, ``pixel_shuffle``), ``_functional_normalization``, ``_functional_activation``
(with the softmax family), ``_functional_loss``, ``_functional_attention`` (``modules/activation_attention.py``),
``_functional_sparse`` (``embedding``, ``one_hot``), ``_functional_linear``, ``_functional_dropout``, and
``_functional_distance`` / ``_functional_padding`` / ``_functional_sampling`` (``grid_sample``, ``affine_grid``) for
the functionals without a layer here.

Python wrappers exist only where torch's function has arguments that are not the kernel's business:
``inplace=``, the deprecated ``size_average``/``reduce``, a fresh random key for dropout, or checks that read
values (class indices out of range), which torch also does on the host.
"""
from .._tensor import Tensor  # noqa: F401 - torch.nn.functional.Tensor, as torch exports it
from . import (
               _functional_activation,
               _functional_attention,
               _functional_conv,
               _functional_distance,
               _functional_dropout,
               _functional_linear,
               _functional_loss,
               _functional_normalization,
               _functional_padding,
               _functional_pooling,
               _functional_sampling,
               _functional_sparse,
)
from ._functional_activation import *  # noqa: F403
from ._functional_attention import *  # noqa: F403
from ._functional_conv import *  # noqa: F403
from ._functional_distance import *  # noqa: F403
from ._functional_dropout import *  # noqa: F403
from ._functional_linear import *  # noqa: F403
from ._functional_loss import *  # noqa: F403
from ._functional_normalization import *  # noqa: F403
from ._functional_padding import *  # noqa: F403
from ._functional_pooling import *  # noqa: F403
from ._functional_sampling import *  # noqa: F403
from ._functional_sparse import *  # noqa: F403

__all__ = [name for module in (_functional_linear, _functional_activation, _functional_dropout, _functional_sparse,
                               _functional_padding, _functional_distance, _functional_loss, _functional_conv,
                               _functional_pooling, _functional_normalization, _functional_attention,
                               _functional_sampling)
           for name in module.__all__]
