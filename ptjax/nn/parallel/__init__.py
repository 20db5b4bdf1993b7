"""``torch.nn.parallel``: DistributedDataParallel (one replica per process) and DataParallel (one process)."""
from .data_parallel import DataParallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
