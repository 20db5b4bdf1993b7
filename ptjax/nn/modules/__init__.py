"""The layers of ``ptjax.nn``."""
from .module import Module
from .container import Container, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .linear import Bilinear, Identity, Linear
from .activation import (CELU, ELU, GELU, GLU, SELU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU,
                         LogSigmoid, LogSoftmax, Mish, PReLU, ReLU, ReLU6, RReLU, Sigmoid, SiLU, Softmax, Softmax2d,
                         Softmin, Softplus, Softshrink, Softsign, Tanh, Tanhshrink, Threshold)
from .dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout
from .loss import (BCELoss, BCEWithLogitsLoss, CosineEmbeddingLoss, CrossEntropyLoss, GaussianNLLLoss,
                   HingeEmbeddingLoss, HuberLoss, KLDivLoss, L1Loss, MarginRankingLoss, MSELoss,
                   MultiLabelSoftMarginLoss, MultiMarginLoss, NLLLoss, PoissonNLLLoss, SmoothL1Loss, SoftMarginLoss,
                   TripletMarginLoss)
from .sparse import Embedding
from .flatten import Flatten, Unflatten

# ---- layers built alongside, in their own files (each import is optional until the file exists) ---------------
try:
    from .conv import *  # noqa: F401,F403
except ModuleNotFoundError as _e:
    if _e.name != "ptjax.nn.modules.conv":
        raise
try:
    from .pooling import *  # noqa: F401,F403
except ModuleNotFoundError as _e:
    if _e.name != "ptjax.nn.modules.pooling":
        raise
try:
    from .normalization import *  # noqa: F401,F403
except ModuleNotFoundError as _e:
    if _e.name != "ptjax.nn.modules.normalization":
        raise
try:
    from .rnn import *  # noqa: F401,F403
except ModuleNotFoundError as _e:
    if _e.name != "ptjax.nn.modules.rnn":
        raise
try:
    from .activation_attention import *  # noqa: F401,F403
except ModuleNotFoundError as _e:
    if _e.name != "ptjax.nn.modules.activation_attention":
        raise
try:
    from .transformer import *  # noqa: F401,F403
except ModuleNotFoundError as _e:
    if _e.name != "ptjax.nn.modules.transformer":
        raise
