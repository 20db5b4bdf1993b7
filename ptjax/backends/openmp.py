"""torch.backends.openmp: XLA runs its CPU kernels on its own thread pool, not OpenMP."""


def is_available() -> bool:
    return False
