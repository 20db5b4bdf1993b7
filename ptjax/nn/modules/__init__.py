"""The layers of ``ptjax.nn``."""
from .module import Module
from .container import Container, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .linear import Bilinear, Identity, LazyLinear, Linear
from .activation import (CELU, ELU, GELU, GLU, SELU, Hardshrink, Hardsigmoid, Hardswish, Hardtanh, LeakyReLU,
                         LogSigmoid, LogSoftmax, Mish, PReLU, ReLU, ReLU6, RReLU, Sigmoid, SiLU, Softmax, Softmax2d,
                         Softmin, Softplus, Softshrink, Softsign, Tanh, Tanhshrink, Threshold)
from .dropout import AlphaDropout, Dropout, Dropout1d, Dropout2d, Dropout3d, FeatureAlphaDropout
from .loss import *  # noqa: F403
from .sparse import Embedding, EmbeddingBag
from .distance import CosineSimilarity, PairwiseDistance
from .flatten import Flatten, Unflatten

from .conv import *  # noqa: F403
from .pooling import *  # noqa: F403
from .normalization import *  # noqa: F403
from .rnn import *  # noqa: F403
from .activation_attention import *  # noqa: F403
from .transformer import *  # noqa: F403
from .padding import *  # noqa: F403
from .adaptive import AdaptiveLogSoftmaxWithLoss
