"""Devices on the CPU: the default device, torch's precision flags and how they reach the kernels, the device
namespaces (torch.cuda, torch.backends, torch.accelerator, torch.cpu) against a CPU-only torch, and — in a subprocess
with two host devices, the second standing in for ``cuda:0`` — the GPU module ``test_devices_gpu.py``."""
import os
import subprocess
import sys
import warnings

import jax
import pytest

import ptjax
from ptjax import _precision
from ptjax._stats import STATS

torch = pytest.importorskip("torch")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
cpu_only = pytest.mark.skipif(ptjax.cuda.is_available() or torch.cuda.is_available(),
                              reason="compares with a CPU-only torch, on a machine without CUDA")


def outcome(fn):
    """What calling ``fn`` gives: ("ok", value) or (exception type name, message)."""
    try:
        return ("ok", fn())
    except Exception as e:  # noqa: BLE001 - the exception is what is compared
        return (type(e).__name__, str(e))


@pytest.fixture
def restore_flags():
    """Leave torch's and ptjax's precision flags as they were."""
    saved = [(lib, lib.get_float32_matmul_precision(), lib.backends.cudnn.allow_tf32) for lib in (torch, ptjax)]
    yield
    for lib, matmul, conv in saved:
        lib.set_float32_matmul_precision(matmul)
        lib.backends.cudnn.allow_tf32 = conv


# ---- the default device ------------------------------------------------------------------------------------------

def test_default_device_as_torch():
    assert repr(ptjax.get_default_device()) == repr(torch.get_default_device()) == "device(type='cpu')"
    assert ptjax.ones(2).device == ptjax.device("cpu")
    ptjax.set_default_device("cpu")
    try:
        assert ptjax.get_default_device() == ptjax.device("cpu") and ptjax.zeros(1).device == ptjax.device("cpu")
    finally:
        ptjax.set_default_device(None)


@cpu_only
def test_cuda_default_without_cuda_is_torchs_error():
    for lib in (torch, ptjax):
        with lib.device("cuda"):
            a = outcome(lambda: lib.zeros(2))
        b = outcome(lambda: lib.ones(2, device="cuda"))
        assert a == b == ("AssertionError", "Torch not compiled with CUDA enabled")
        assert lib.zeros(1).device.type == "cpu"  # the block restored the default


def test_default_device_is_per_thread():
    import threading
    seen = []
    with ptjax.device("cuda"):
        t = threading.Thread(target=lambda: seen.append(ptjax.get_default_device()))
        t.start()
        t.join()
        assert ptjax.get_default_device().type == "cuda"
    assert seen == [ptjax.device("cpu")]


@cpu_only
def test_no_device_check_on_one_device():
    """A CPU-only process never pays for the one-device rule."""
    from ptjax import _device
    assert not _device.several_in_use()


# ---- precision -----------------------------------------------------------------------------------------------------

FLAG_SCRIPT = [  # torch 2.13 refuses some mixes of set_float32_matmul_precision and allow_tf32: none here
    lambda lib: lib.get_float32_matmul_precision(),
    lambda lib: lib.backends.cuda.matmul.allow_tf32,
    lambda lib: lib.backends.cudnn.allow_tf32,
    lambda lib: setattr(lib.backends.cuda.matmul, "allow_tf32", True),
    lambda lib: (lib.get_float32_matmul_precision(), lib.backends.cuda.matmul.allow_tf32),
    lambda lib: setattr(lib.backends.cuda.matmul, "allow_tf32", False),
    lambda lib: (lib.get_float32_matmul_precision(), lib.backends.cuda.matmul.allow_tf32),
    lambda lib: lib.set_float32_matmul_precision("high"),
    lambda lib: (lib.get_float32_matmul_precision(), lib.backends.cuda.matmul.allow_tf32),
    lambda lib: lib.set_float32_matmul_precision("medium"),
    lambda lib: (lib.get_float32_matmul_precision(), lib.backends.cuda.matmul.allow_tf32),
    lambda lib: lib.set_float32_matmul_precision("highest"),
    lambda lib: (lib.get_float32_matmul_precision(), lib.backends.cuda.matmul.allow_tf32),
    lambda lib: lib.set_float32_matmul_precision(3),
    lambda lib: setattr(lib.backends.cudnn, "allow_tf32", False),
    lambda lib: (lib.backends.cudnn.allow_tf32, lib.get_float32_matmul_precision()),
    lambda lib: setattr(lib.backends.cudnn, "allow_tf32", True),
    lambda lib: (lib.backends.cudnn.enabled, lib.backends.cudnn.benchmark, lib.backends.cudnn.deterministic),
    lambda lib: (lib.backends.cuda.matmul.allow_fp16_reduced_precision_reduction,
                 lib.backends.cuda.matmul.allow_bf16_reduced_precision_reduction),
    lambda lib: (lib.backends.opt_einsum.enabled, lib.backends.opt_einsum.strategy),
    lambda lib: (lib.backends.mps.is_available(), lib.backends.mps.is_built()),
    lambda lib: lib.backends.mha.get_fastpath_enabled(),
]


def test_precision_flags_as_torch(restore_flags):
    for step in FLAG_SCRIPT:
        assert outcome(lambda: step(ptjax)) == outcome(lambda: step(torch))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ptjax.set_float32_matmul_precision("low")  # torch: a warning, and no change
    assert "is not one of 'highest', 'high', or 'medium'" in str(caught[0].message)


def test_cudnn_flags_context_as_torch():
    for lib in (torch, ptjax):
        with lib.backends.cudnn.flags(enabled=False, benchmark=True, deterministic=True):
            inside = (lib.backends.cudnn.enabled, lib.backends.cudnn.benchmark, lib.backends.cudnn.deterministic)
        assert inside == (False, True, True)
        assert (lib.backends.cudnn.enabled, lib.backends.cudnn.benchmark) == (True, False)


def _precisions(jaxpr, primitive):
    """The ``precision`` parameters of every ``primitive`` in ``jaxpr``, nested jaxprs included."""
    found = []
    for e in jaxpr.eqns:
        if e.primitive.name == primitive:
            found.append(str(e.params["precision"]))
        for v in e.params.values():
            inner = getattr(v, "jaxpr", v)
            if hasattr(inner, "eqns"):
                found += _precisions(inner, primitive)
    return found


def test_matmul_precision_reaches_the_kernels(restore_flags):
    """On the CPU XLA ignores precision: what is checked is the precision the products are traced with."""
    a, b = ptjax.ones(4, 4), ptjax.ones(4, 4)
    for setting, expected in (("highest", "HIGHEST"), ("high", "HIGH"), ("medium", "DEFAULT")):
        ptjax.set_float32_matmul_precision(setting)
        for fn in (lambda x, y: ptjax.matmul(x, y), lambda x, y: ptjax.einsum("ij,jk->ik", x, y),
                   lambda x, y: ptjax.nn.functional.linear(x, y)):
            def traced(x, y, fn=fn):
                return fn(ptjax.Tensor._make(x), ptjax.Tensor._make(y))._value
            found = _precisions(jax.make_jaxpr(traced)(a._value, b._value).jaxpr, "dot_general")
            assert found and all(expected in p for p in found), (setting, found)


def test_conv_precision_follows_cudnn_flag_and_kernels_are_cached_per_setting(restore_flags):
    x, w = ptjax.ones(1, 2, 5, 5), ptjax.ones(3, 2, 3, 3)
    conv = ptjax.nn.functional.conv2d
    conv.op._kernels.clear()  # only this test's kernels (other modules in this process made conv kernels too)
    for flag, expected in ((True, "HIGH"), (False, "HIGHEST")):
        ptjax.backends.cudnn.allow_tf32 = flag
        conv(x, w)
        kernel = next(k for key, k in conv.op._kernels.items() if key[-1] == _precision.KEY[0])
        found = _precisions(jax.make_jaxpr(kernel.fn)(x._value, w._value).jaxpr, "conv_general_dilated")
        assert found and all(expected in p for p in found), (flag, found)
    before = STATS["kernel_compiles"]
    for flag in (True, False, True):
        ptjax.backends.cudnn.allow_tf32 = flag
        conv(x, w)
    assert STATS["kernel_compiles"] == before  # each setting's kernel was compiled once, above


# ---- namespaces without a GPU, against a CPU-only torch -------------------------------------------------------------

CPU_ONLY_CALLS = [
    "cuda.is_available()", "cuda.device_count()", "cuda.current_device()", "cuda.get_device_name()",
    "cuda.get_device_properties(0)", "cuda.get_device_capability()", "cuda.synchronize()", "cuda.manual_seed(1)",
    "cuda.manual_seed_all(1)", "cuda.seed()", "cuda.initial_seed()", "cuda.memory_allocated()",
    "cuda.max_memory_allocated()", "cuda.memory_reserved()", "cuda.max_memory_reserved()", "cuda.memory_cached()",
    "cuda.empty_cache()", "cuda.mem_get_info()", "dict(cuda.memory_stats())", "cuda.Event(enable_timing=True)",
    "cuda.Stream()", "cuda.current_stream()", "cuda.default_stream()", "cuda.is_bf16_supported()",
    "cuda.is_tf32_supported()", "cuda.is_initialized()", "cuda.init()", "cuda.get_rng_state()",
    "cuda.get_rng_state_all()", "cuda.FloatTensor([1])", "cuda.LongTensor(2)", "cuda.can_device_access_peer(0, 1)",
    "cuda.get_per_process_memory_fraction()", "cuda.list_gpu_processes()",
    "accelerator.is_available()", "accelerator.current_accelerator()", "accelerator.device_count()",
    "accelerator.current_device_index()", "accelerator.synchronize()", "accelerator.memory_allocated()",
    "accelerator.set_device_index(0)", "cpu.current_device()", "cpu.device_count()", "cpu.is_available()",
    "cpu.is_initialized()", "ones(2).pin_memory()", "ones(2).is_pinned()", "ones(2).cuda()",
    "isinstance(ones(2), cuda.FloatTensor)", "backends.cuda.is_built()", "backends.cudnn.is_available()",
    "backends.cudnn.version()",
]


@cpu_only
@pytest.mark.parametrize("call", CPU_ONLY_CALLS)
def test_namespaces_without_cuda_as_a_cpu_only_torch(call):
    def run(lib):
        return eval(call, {"cuda": lib.cuda, "accelerator": lib.accelerator, "cpu": lib.cpu, "ones": lib.ones,
                           "backends": lib.backends})
    assert outcome(lambda: run(ptjax)) == outcome(lambda: run(torch))


def test_namespaces_that_work_without_cuda():
    cuda = ptjax.cuda
    with cuda.device(None), cuda.device(-1), cuda.stream(None), cuda.device_of(ptjax.ones(1)):
        pass
    assert cuda.memory_stats_as_nested_dict() == {} and cuda.memory_snapshot() == []
    e0, e1 = ptjax.cpu.Event(enable_timing=True), ptjax.cpu.Event(enable_timing=True)
    e0.record()
    e1.record()
    assert e0.elapsed_time(e1) >= 0 and ptjax.cpu.current_stream().query()
    with ptjax.cpu.stream(ptjax.cpu.Stream()) as s:
        assert ptjax.cpu.current_stream() is s
    assert ptjax.backends.cpu.get_cpu_capability() == torch.backends.cpu.get_cpu_capability()
    assert ptjax.backends.opt_einsum.is_available() and ptjax.backends.opt_einsum.get_opt_einsum() is not None


# ---- the GPU module, with a host device standing in for cuda:0 ----------------------------------------------------

STAND_IN = """
import sys, jax, pytest
from ptjax import _device
cpu0, cpu1 = jax.devices("cpu")[:2]
_device._stand_in_accelerators([cpu1])
jax.config.update("jax_default_device", cpu1)  # as on a GPU machine: JAX's default device is the accelerator
sys.exit(pytest.main(["-o", "addopts=-q", "-x", "tests/test_devices_gpu.py"]))  # one process: the stand-in is set here
"""


def test_gpu_module_on_a_stand_in_device():
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", STAND_IN], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    summary = r.stdout.strip().splitlines()[-1]
    assert " passed" in summary and "skipped" not in summary, r.stdout[-2000:]
