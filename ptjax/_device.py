"""torch.device over JAX devices, and where tensors are placed.

* ``'cpu'`` is JAX's first CPU device; ``'cuda:N'`` is the N-th accelerator, JAX's N-th GPU. ``'cuda'`` without an
  index means the current CUDA device (``torch.cuda.set_device``), as in torch.
* **The default device is the CPU**, wherever JAX's default backend is: factories place their result on
  ``get_default_device()`` unless given ``device=`` (``set_default_device``, ``with torch.device('cuda'):``;
  per thread, as torch's).
* **Every tensor's array is committed to its device** (``jax.device_put(x, device)`` or a compiled factory whose
  output is placed there): JAX runs an op on the device of its committed inputs, so results stay where their
  inputs are. Uncommitted arrays (JAX's default placement: random keys, small index arrays built on the host)
  belong to no device and follow the data, as they do in JAX. A process that only ever uses JAX's default device
  (a CPU-only machine) leaves factory results uncommitted (``committing``): the same placement, and JAX may reshard
  them (``nn.DataParallel`` over host devices).
* **One device per op**: an op whose tensor operands are committed to two devices raises torch's "Expected all
  tensors to be on the same device" error; a 0-dim CPU tensor goes along with tensors on another device, as in
  torch. The check runs only once a second device has been used in the process (``several_in_use()``): a
  CPU-only program never pays for it.

Tests stand in host devices for CUDA devices (``_stand_in_accelerators``), so placement and the mixed-device
errors are exercised on a CPU-only machine with ``XLA_FLAGS=--xla_force_host_platform_device_count=2``.
"""
from __future__ import annotations

import functools
import threading

import jax
from jax.sharding import SingleDeviceSharding

_TYPES = ("cpu", "cuda", "meta", "mps", "xla", "tpu")


class device:
    """``device('cuda:1')``, ``device('cuda', 1)``, ``device('cpu')``, ``device(0)``; equality and repr as torch.

    As a context manager it makes itself the default device of the factories within (``with torch.device(...)``).
    """

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
        if type not in _TYPES:
            raise RuntimeError(
                f"Expected one of cpu, cuda, xpu, mkldnn, opengl, opencl, ideep, hip, ve, fpga, maia, xla, lazy, "
                f"vulkan, mps, meta, hpu, mtia, privateuseone device type at start of device string: {type}")
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
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

    def __enter__(self):
        _DEFAULT.entered = _DEFAULT.entered + (self,)
        return self

    def __exit__(self, *exc):
        _DEFAULT.entered = _DEFAULT.entered[:-1]
        return False


CPU = device("cpu")


# ---- the default device ------------------------------------------------------------------------------------------

_Device = device  # for functions whose torch parameter is named ``device``


class _DefaultDevice(threading.local):
    """Per thread, as torch's: the devices entered with ``with device(...)`` and the one ``set_default_device``
    chose (None: the CPU)."""
    entered = ()
    chosen = None


_DEFAULT = _DefaultDevice()


def set_default_device(d):
    """torch.set_default_device: factories without ``device=`` place their result on ``d`` (None: the CPU)."""
    _DEFAULT.chosen = None if d is None else device(d)


def chosen_default():
    """The default device someone chose (a ``with device(...)`` block, then ``set_default_device``), else None."""
    entered = _DEFAULT.entered
    return entered[-1] if entered else _DEFAULT.chosen


def get_default_device() -> device:
    """torch.get_default_device: ``cuda`` without an index reads as the current CUDA device."""
    d = chosen_default()
    if d is None:
        return CPU
    if d.type == "cuda" and d.index is None:
        return device("cuda", _CURRENT_CUDA[0])
    return d


def default_jax_device() -> jax.Device:
    """Where a factory called without ``device=`` places its result."""
    d = chosen_default()
    return cpu_jax_device() if d is None else to_jax_device(d)


# ---- torch devices <-> JAX devices -------------------------------------------------------------------------------

# This process's own devices: under ``jax.distributed`` ``jax.devices()`` also lists other processes' devices,
# which this process cannot address.

@functools.lru_cache(None)
def cpu_jax_device() -> jax.Device:
    return jax.local_devices(backend="cpu")[0]


_ACCELERATORS = None   # the JAX devices 'cuda:N' names (JAX's GPUs, or host devices standing in for them)
_CURRENT_CUDA = [0]    # torch.cuda.set_device's index
_SEVERAL = [False]     # a device other than the CPU has been used: operands must be checked
_TORCH_OF = {}         # JAX device -> torch device


def accelerators() -> tuple:
    """The JAX devices behind ``cuda:0``, ``cuda:1`` …: JAX's GPUs (none on a CPU-only JAX)."""
    global _ACCELERATORS
    if _ACCELERATORS is None:
        try:
            _ACCELERATORS = tuple(jax.local_devices(backend="gpu"))
        except RuntimeError:
            _ACCELERATORS = ()
    return _ACCELERATORS


def _stand_in_accelerators(jax_devices):
    """Test hook: let ``jax_devices`` (host devices) play the CUDA devices, on a machine without a GPU."""
    global _ACCELERATORS
    _ACCELERATORS = tuple(jax_devices)
    _TORCH_OF.clear()


def cuda_is_available() -> bool:
    return bool(accelerators())


def get_device_module(device=None):
    """torch.get_device_module: ``ptjax.cuda`` or ``ptjax.cpu`` for a device (type); without one, the current
    accelerator's module, else ``ptjax.cpu``."""
    import importlib
    if device is None:
        kind = "cuda" if cuda_is_available() else "cpu"
    else:
        kind = device.type if isinstance(device, _Device) else _Device(device).type
    if kind not in ("cpu", "cuda"):
        raise RuntimeError(f"Device '{kind}' does not have a corresponding module registered as 'torch.{kind}'.")
    return importlib.import_module(f"ptjax.{kind}")


def check_cuda():
    """torch's error when CUDA is asked for and there is none."""
    if not accelerators():
        raise AssertionError("Torch not compiled with CUDA enabled")


def current_cuda_index() -> int:
    return _CURRENT_CUDA[0]


def set_current_cuda_index(index: int):
    check_cuda()
    n = len(accelerators())
    if not 0 <= index < n:
        raise RuntimeError(f"CUDA error: invalid device ordinal (device {index} requested, {n} available)")
    _CURRENT_CUDA[0] = index


def to_jax_device(d) -> jax.Device:
    """The JAX device for a torch device spec (str, int, device); torch's error when CUDA is absent."""
    d = d if isinstance(d, device) else device(d)
    if d.type == "cpu":
        return cpu_jax_device()
    if d.type == "cuda":
        gpus = accelerators()
        if not gpus:
            raise AssertionError("Torch not compiled with CUDA enabled")
        idx = _CURRENT_CUDA[0] if d.index is None else d.index
        if idx >= len(gpus):
            raise RuntimeError(f"CUDA error: invalid device ordinal (device {idx} requested, {len(gpus)} available)")
        _SEVERAL[0] = True
        return gpus[idx]
    raise RuntimeError(f"ptjax does not support device type '{d.type}'")


def from_jax_device(jd) -> device:
    t = _TORCH_OF.get(jd)
    if t is None:
        gpus = accelerators()
        t = _TORCH_OF[jd] = device("cuda", gpus.index(jd)) if jd in gpus else CPU
    return t


def array_device(a) -> device:
    """The torch device an array lives on: the CPU for NumPy arrays; for a traced value (ptjax.compile, ptjax.func)
    JAX's default device, which runs the program."""
    if isinstance(a, jax.core.Tracer):
        return from_jax_device(jax.local_devices()[0])
    if isinstance(a, jax.Array):
        return from_jax_device(next(iter(a.devices())))
    return CPU


def placed_jit(static_argnums=()):
    """Decorator: ``fn`` compiled, its output on the JAX device given as the first argument, committed there as
    ``committing`` says: ``f(jax_device, *args)`` (one executable per device; inputs must be uncommitted or on that
    device).

    Factories use it to build their result on its device directly: no default-device round trip, no transfer."""
    def deco(fn):
        compiled = {}

        def on(jd, *args):
            key = jd if committing(jd) else None
            f = compiled.get(key)
            if f is None:
                placed = {} if key is None else {"out_shardings": SingleDeviceSharding(jd)}
                f = compiled[key] = jax.jit(fn, static_argnums=static_argnums, **placed)
            return f(*args)
        on.__name__, on.__doc__ = fn.__name__, fn.__doc__
        return on
    return deco


# ---- one device per op -------------------------------------------------------------------------------------------

def several_in_use() -> bool:
    """Whether a device other than the CPU has been used in this process (before that, no op needs a check)."""
    return _SEVERAL[0]


def _committed_device(a):
    if isinstance(a, jax.Array) and not isinstance(a, jax.core.Tracer) and a.committed:
        return next(iter(a.devices()))
    return None


def committing(jd: jax.Device) -> bool:
    """Whether a tensor made on ``jd`` is committed to it: always, once a second device is in use or when ``jd`` is
    not JAX's default device; a single-device process (a CPU-only machine) leaves JAX its default placement."""
    if _SEVERAL[0]:
        return True
    default = jax.config.jax_default_device
    return jd != (default if isinstance(default, jax.Device) else _first_local_device())


@functools.lru_cache(None)
def _first_local_device() -> jax.Device:
    return jax.local_devices()[0]


def same_device(arrays, is_tensor):
    """torch's one-device rule over an op's operands: ``arrays`` (``is_tensor[i]``: operand ``i`` is a tensor's
    array). Returns ``arrays``, with 0-dim CPU tensors moved to the others' device; raises torch's error when
    tensors are committed to two devices."""
    cpu = cpu_jax_device()
    common, scalars = None, []
    for i, a in enumerate(arrays):
        if not is_tensor[i]:
            continue
        jd = _committed_device(a)
        if jd is None:
            continue
        if jd == cpu and a.ndim == 0:
            scalars.append(i)
        elif common is None:
            common = jd
        elif jd != common:
            raise RuntimeError("Expected all tensors to be on the same device, but found at least two devices, "
                               f"{from_jax_device(common)} and {from_jax_device(jd)}!")
    if common is None or common == cpu or not scalars:
        return arrays
    arrays = list(arrays)
    for i in scalars:
        arrays[i] = jax.device_put(arrays[i], common)
    return arrays


def to_device_of(a, like):
    """``a`` moved to the device ``like`` is committed to (writes into a tensor copy across devices, as torch's
    ``copy_``)."""
    jd = _committed_device(like)
    if jd is not None and _committed_device(a) not in (None, jd):
        return jax.device_put(a, jd)
    return a
