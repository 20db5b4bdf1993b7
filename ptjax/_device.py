"""torch.device over JAX devices: ``'cpu'`` is JAX's CPU backend, ``'cuda'``/``'cuda:N'`` the GPU backend."""
from __future__ import annotations

import functools

import jax


class device:
    """``device('cuda:1')``, ``device('cuda', 1)``, ``device('cpu')``; equality and repr as torch."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        elif isinstance(type, int):
            type, index = "cuda", type
        elif ":" in type:
            if index is not None:
                raise RuntimeError("type (string) must not include an index because index was passed explicitly: "
                                   f"{type}")
            type, idx = type.split(":", 1)
            try:
                index = int(idx)
            except ValueError:
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'") from None
        if type not in ("cpu", "cuda", "meta", "mps", "xla", "tpu"):
            raise RuntimeError(
                f"Expected one of cpu, cuda, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, lazy, "
                f"vulkan, mps, meta, hpu, mtia, privateuseone device type at start of device string: {type}")
        self.type = type
        self.index = index

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


# This process's own devices: under ``jax.distributed`` ``jax.devices()`` also lists other processes' devices,
# which this process cannot address.
@functools.lru_cache(None)
def _gpu_devices():
    try:
        return tuple(jax.local_devices(backend="gpu"))
    except RuntimeError:
        return ()


@functools.lru_cache(None)
def _cpu_device():
    return jax.local_devices(backend="cpu")[0]


def cuda_is_available() -> bool:
    return bool(_gpu_devices())


def to_jax_device(d) -> jax.Device:
    """The JAX device for a torch device spec (str, int, device); a clear error when CUDA is absent."""
    d = d if isinstance(d, device) else device(d)
    if d.type == "cpu":
        return _cpu_device()
    if d.type == "cuda":
        gpus = _gpu_devices()
        if not gpus:
            raise AssertionError("Torch not compiled with CUDA enabled")
        idx = d.index or 0
        if idx >= len(gpus):
            raise RuntimeError(f"CUDA error: invalid device ordinal (device {idx} requested, {len(gpus)} available)")
        return gpus[idx]
    raise RuntimeError(f"ptjax does not support device type '{d.type}'")


def from_jax_device(jd) -> device:
    if jd.platform == "cpu":
        return device("cpu")
    return device("cuda", _gpu_devices().index(jd))


CPU = device("cpu")
