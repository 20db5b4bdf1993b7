"""torch.backends: the switches torch gives its kernel libraries, mapped onto what ptjax runs on (JAX/XLA).

Flags that change results act (``cuda.matmul.allow_tf32``, ``cudnn.allow_tf32``: the float32 precision of matrix
products and convolutions, ``_precision.py``); flags about kernel selection (``cudnn.benchmark``,
``cudnn.deterministic``, ``mkldnn.enabled`` …) are kept with torch's defaults for scripts that set or read them, XLA
choosing its kernels itself. ``is_available()`` answers for this process: cuDNN with a JAX GPU, no MPS, no MKL /
oneDNN / OpenMP (XLA has its own kernels and thread pool).
"""
from . import cpu, cuda, cudnn, mha, mkl, mkldnn, mps, openmp, opt_einsum  # noqa: F401

__all__ = ["cpu", "cuda", "cudnn", "mha", "mkl", "mkldnn", "mps", "openmp", "opt_einsum"]
