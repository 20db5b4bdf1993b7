"""ptjax.optim: torch.optim's optimizers and lr schedulers, each step one jitted optax update per param group."""
from .optimizer import Optimizer, required
from .sgd import SGD
from .adam import Adam
from .adamw import AdamW
from .rmsprop import RMSprop
from .adagrad import Adagrad
from .adadelta import Adadelta
from .adamax import Adamax
from .nadam import NAdam
from .radam import RAdam
from .asgd import ASGD
from .rprop import Rprop
from .adafactor import Adafactor
from .muon import Muon
from .lbfgs import LBFGS
from ._stateless import swap_in_optimizer_params_and_state
from . import lr_scheduler, swa_utils

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "ASGD",
           "Rprop", "Adafactor", "Muon", "LBFGS", "lr_scheduler", "swa_utils", "swap_in_optimizer_params_and_state"]
