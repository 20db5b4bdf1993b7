"""Which of torch 2.13's public names ptjax has: measured against the installed torch, not guessed.

    python tools/api_coverage.py                 # print the summary, write docs/api-coverage.md
    python tools/api_coverage.py --update-floor  # also raise tools/api_coverage_floor.json to today's figures
    python tools/api_coverage.py --check         # print the summary only
    python tools/api_coverage.py --json          # the figures as JSON (what tests/test_api_coverage.py reads)

Run it in a fresh interpreter: which torch submodules appear in ``dir(torch)`` depends on what was imported before.

For each namespace the torch side lists its public names (``__all__`` where the module has one, its public
``dir()`` otherwise; underscore names and re-exports of other libraries are not torch API), and the ptjax side is
looked up with ``getattr`` on the corresponding ptjax object. A name ptjax lacks is either *missing* (work to do)
or *excluded*: it matches one of the explicit, reasoned rules in ``EXCLUDED`` below. Coverage is
supported / (supported + missing); an excluded name that ptjax does have counts as supported.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import json
import os
import re
import sys
import types
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FLOOR_PATH = os.path.join(ROOT, "tools", "api_coverage_floor.json")
DOC_PATH = os.path.join(ROOT, "docs", "api-coverage.md")


# ---- what is deliberately left out, and why ----------------------------------------------------------------------
# Each rule: (reason, pattern). A pattern is a regular expression matched against the whole name
# (``re.fullmatch``); rules under a namespace key apply there only, rules under "*" everywhere.

SPARSE = "sparse layouts (COO/CSR/CSC/BSR/BSC): ptjax tensors are dense, and JAX's sparse arrays are experimental"
QUANTIZED = "quantized tensors and their kernels (qint8 …, FBGEMM, fake-quant): no quantized dtype in JAX/XLA"
BACKEND = "entry points of one vendor library (cuDNN, MIOpen, oneDNN/MKL-DNN): XLA picks the kernels"
NAMED = "named tensors (a prototype torch never finished)"
COMPLEX32 = "complex32 / chalf: no half-precision complex dtype in JAX"
JIT_INTERNALS = "TorchScript IR and its type system (graphs, schemas, script objects)"
SYMBOLIC = "symbolic-shape helpers of torch.compile's tracer"
FUNCTIONALIZATION = "`*_copy` twins of view ops, for torch.compile's functionalization (same as view + clone)"
ATEN_KERNELS = "undocumented ATen kernels behind nn modules / nn.functional (callers use those)"
OTHER_DEVICES = "devices ptjax does not target (IPU, XLA via torch_xla, Vulkan, MTIA, MAIA, XPU, Apple's MPS)"
DEPRECATED = "deprecated: torch itself raises (or warns) that the name is removed (or deprecated)"
PY2 = "Python 2 protocol names (never called by Python 3)"
PY_INTERNALS = "Python object plumbing and torch's subclass-dispatch protocols, not tensor API"
CUDA_RUNTIME = "the CUDA runtime itself (allocator, library handles, CUDA graphs, NVTX, NCCL, jiterator): XLA owns it"
STORAGE = "typed storages: torch warns TypedStorage is deprecated; ptjax tensors hold a jax.Array"
DATAPIPES = "DataPipes: torchdata's legacy graph API, deprecated and removed from torchdata"
SUBDTYPES = "sub-byte integer / bit dtypes (uint1…uint7, int1…int7, bits*): not JAX array dtypes"
INTERNAL = "internal helpers that happen to be visible in the module namespace"
STDLIB = "not torch API: a module of another library re-exported by accident of import"
NVML = "GPU telemetry torch reads through NVML (pynvml): clock, power, temperature, utilization; JAX does not expose it"
LOW_PRECISION_GPU = ("float8 / float4 dtypes and the GPU-only matmuls built for them and for mixture-of-experts "
                     "(scaled_mm, grouped_mm …): torch runs them on recent CUDA GPUs' kernels only")
SHELL_DTYPES = ("uint16 / uint32 / uint64 and what returns them (hash_tensor): 'shell' dtypes in torch, with almost no "
                "kernels (a uint16 tensor plus one raises there)")
NESTED = "nested (jagged) and masked tensors: prototypes in torch; ptjax tensors are dense"
FIRST_CLASS_DIMS = "functorch's first-class dimensions (Tensor.index binds Dim objects)"
EXPORT = "torch.export: ahead-of-time capture into ATen graphs; ptjax compiles with jax.jit (ptjax.compile, ptjax.jit)"
PROFILER = "torch.profiler (Kineto traces): profile ptjax with jax.profiler, which sees the XLA programs"
QUASIRANDOM = "torch.quasirandom (SobolEngine): built on a table of Sobol direction numbers ptjax does not ship"
SPARSE_SOLVER = "LOBPCG: torch's iterative eigensolver for large sparse symmetric problems (dense ones: linalg.eigh)"
DSL_KERNELS = "torch's switchboard for Python-DSL kernel overrides (Triton, CuTe DSL): XLA generates the kernels"

# removed: calling them raises in torch (the deprecated ones that still work are in ptjax/_deprecated.py)
TORCH_DEPRECATED = r"eig|symeig|lstsq|solve|matrix_rank"

EXCLUDED: dict[str, list[tuple[str, str]]] = {
    "*": [
        (SPARSE, (r".*sparse.*|.*(coo|csr|csc|bsr|bsc).*|(c?col|crow|row)_indices(_copy)?|indices(_copy)?|"
                 r"values(_copy)?|coalesce|is_coalesced|dense_dim|[dh]?s[m]m|hspmm|saddmm|sspaddmm|spmm|smm")),
        (QUANTIZED, (r".*quantiz.*|q_.*|qscheme|q?u?int\d+x\d|qu?int\d+|.*fake_quant.*|fbgemm_.*|int_repr|"
                    r"choose_qparams.*|empty_quantized|per_(tensor|channel)_.*|QU?Int.*Storage")),
        (BACKEND, r"cudnn_.*|miopen_.*|mkldnn.*|to_mkldnn|is_mkldnn"),
        (NAMED, r"names|rename_?|refine_names|align_to|align_as|has_names"),
        (COMPLEX32, r"chalf|complex32"),
        (STORAGE, r".*Storage(Base)?|is_storage|TypedStorage"),
        (OTHER_DEVICES, (r".*_(ipu|xla)_.*|.*(ipu|xla)_dtype|is_vulkan(_available)?|is_(ipu|xla|mtia|maia|xpu)|"
                        r"ipu|mtia|xpu")),
        (SYMBOLIC, r"sym_.*|Sym(Int|Float|Bool)(Type)?"),
    ],
    "torch": [
        (DEPRECATED, TORCH_DEPRECATED),
        (FUNCTIONALIZATION, (r"(alias|as_strided|detach|diagonal|expand|permute|select|slice|split|split_with_sizes|"
                            r"squeeze|t|transpose|unbind|unfold|unsqueeze|view|view_as_complex|view_as_real)_copy")),
        (ATEN_KERNELS, (r"native_.*|batch_norm_(stats|elemt|update_stats|backward_.*|gather_stats.*)|grid_sampler.*|"
                       r"affine_grid_generator|norm_except_dim|embedding_renorm_|rnn_(relu|tanh)(_cell)?|"
                       r"(lstm|gru)(_cell)?|quantized_(gru|lstm)|segment_reduce")),
        (JIT_INTERNALS, (r"fork|wait|import_ir_module.*|merge_type_from_type_comment|parse_ir|parse_schema|"
                        r"parse_type_comment|unify_type_list|AliasDb|Argument|ArgumentSpec|AwaitType|AnyType|Block|"
                        r"BoolType|CallStack|Capsule|ClassType|Code|CompilationUnit|CompleteArgumentSpec|ComplexType|"
                        r"ConcreteModuleType.*|DeepCopyMemoTable|DeviceObjType|DictType|EnumType|ErrorReport|"
                        r"ExecutionPlan|FileCheck|FloatType|FunctionSchema|FutureType|Gradient|Graph|"
                        r"GraphExecutorState|InferredType|IntType|InterfaceType|JITException|ListType|"
                        r"LiteScriptModule|LockingLogger|Node|NoneType|NoopLogger|NumberType|OperatorInfo|"
                        r"OptionalType|PyObjectType|RRefType|Script.*|StaticModule|StreamObjType|StringType|"
                        r"TensorType|TracingState|TupleType|Type|UnionType|Use|Value|AggregationType|"
                        r"(De)?[Ss]erialization.*Context|PyTorchFile(Reader|Writer)|BenchmarkConfig|"
                        r"BenchmarkExecutionStats|ThroughputBenchmark|LoggerBase|IODescriptor|AVG|SUM|"
                        r"DispatchKey(Set)?|ExcludeDispatchKeyGuard|Tag|ModuleDict|ParameterDict|BufferDict|"
                        r"FatalError")),
        (INTERNAL, (r"classproperty|get_file_path|prepare_multiprocessing_environment|compiled_with_cxx11_abi|"
                   r"profiler_allow_cudagraph_cupti_lazy_reinit_cuda12|PRIVATE_OPS|TYPE_CHECKING|USE_GLOBAL_DEPS|"
                   r"USE_RTLD_GLOBAL_WITH_LIBTORCH")),
        (PY_INTERNALS, r"DisableTorchFunction(Subclass)?"),
        (SUBDTYPES, r"u?int[1-7]|bits.*|bit"),
        (LOW_PRECISION_GPU, r"float8_.*|float4_.*"),
        (SHELL_DTYPES, r"uint(16|32|64)|hash_tensor"),
        (FUNCTIONALIZATION, r"slice_inverse"),
        (SPARSE_SOLVER, r"lobpcg"),
        (NESTED, r"jagged"),
        (CUDA_RUNTIME, r"Event|Stream"),
        (JIT_INTERNALS, r"Future"),
    ],
    "torch (submodules)": [
        (QUANTIZED, r"ao|quantization"),
        (JIT_INTERNALS, r"classes|ops|library|cpp|package|fx|return_types|overrides|futures|monitor"),
        (OTHER_DEVICES, r"mtia|xpu|mps"),
        (INTERNAL, r"torch_version|version|types|storage|windows"),
        (NESTED, r"nested|masked"),
        (EXPORT, r"export"),
        (PROFILER, r"profiler"),
        (QUASIRANDOM, r"quasirandom"),
    ],
    "torch.Tensor": [
        (DEPRECATED, TORCH_DEPRECATED + r"|storage|storage_type|resize|volatile|reinforce"),
        (PY2, r"__(div|idiv|rdiv|long|nonzero)__"),
        (PY_INTERNALS, (r"__(annotations|dict|module|weakref|array_priority|torch_function|torch_dispatch|"
                       r"cuda_array_interface|dlpack_c_exchange_api)__")),
        (CUDA_RUNTIME, r"record_stream"),
        (SHELL_DTYPES, r"hash_tensor"),
        (FUNCTIONALIZATION, r"slice_inverse"),
        (FIRST_CLASS_DIMS, r"index"),
        (NESTED, r"to_padded_tensor"),
    ],
    "torch.nn.functional": [
        (INTERNAL, (r"boolean_dispatch|handle_torch_function|has_torch_function.*|assert_int_or_pair|"
                   r"BroadcastingList\d|.*_notes")),
        (DEPRECATED, r"upsample|upsample_bilinear|upsample_nearest"),
        (LOW_PRECISION_GPU, r"scaled_mm|scaled_grouped_mm|grouped_mm|ScalingType|SwizzleType"),
    ],
    "torch.nn": [
        (INTERNAL, r"factory_kwargs"),
        (DEPRECATED, r"Container|NLLLoss2d"),
    ],
    "torch.optim": [
        (SPARSE, r"SparseAdam"),
    ],
    "torch.autograd": [
        (DEPRECATED, r"NestedIOFunction"),
    ],
    "torch.nn.utils": [
        (DEPRECATED, r"weight_norm|remove_weight_norm"),
    ],
    "torch.utils.data": [
        (DATAPIPES, (r".*DataPipe|DataChunk|functional_datapipe|guaranteed_datapipes_determinism|non_deterministic|"
                    r"runtime_validation(_disabled)?|argument_validation")),
    ],
    "torch.testing": [
        (JIT_INTERNALS, r"FileCheck"),
        (DEPRECATED, r"assert_allclose"),
    ],
    "torch.backends": [
        (QUANTIZED, r"quantized"),
        (BACKEND, r"miopen|kleidiai|nnpack|cusparselt"),
        (DSL_KERNELS, r"python_native"),
        (INTERNAL, r"m"),  # torch.backends.m is the module itself: the wrapped-module slot of torch's PropModule
    ],
    "torch.cuda": [
        (CUDA_RUNTIME, (r"cudart|cudaStatus|check_error|CudaError|DeferredCudaCallError|current_(blas|solver)_handle|"
                       r"caching_allocator_.*|CUDAPluggableAllocator|change_current_allocator|get_allocator_backend|"
                       r"MemPool|use_mem_pool|GreenContext|jiterator|nvtx|nccl|tunable|graphs|CUDAGraph|graph|"
                       r"graph_pool_handle|make_graphed_callables|get_gencode_flags|get_arch_list|has_magma|"
                       r"ipc_collect|get_stream_from_external|ExternalStream|[gs]et_sync_debug_mode|"
                       r"is_current_stream_capturing|profiler")),
        (NVML, r"clock_rate|power_draw|temperature|utilization"),
    ],
}


# ---- the namespaces --------------------------------------------------------------------------------------------

@dataclass
class Namespace:
    """One row of the report: ``torch_path``'s public names of ``kinds``, looked up on ``ptjax_path``."""

    title: str
    torch_path: str
    ptjax_path: str
    kinds: tuple = ("function", "class")  # which kinds of object count: function, class, module, value
    with_dir: bool = False  # also count public dir() names missing from __all__ (torch's own __all__ is short)


NAMESPACES = [
    Namespace("torch", "torch", "ptjax", ("function",), with_dir=True),
    Namespace("torch (classes, dtypes, constants)", "torch", "ptjax", ("class", "value"), with_dir=True),
    Namespace("torch (submodules)", "torch", "ptjax", ("module",), with_dir=True),
    Namespace("torch.Tensor", "torch.Tensor", "ptjax.Tensor", ("function", "class", "value", "dunder")),
    Namespace("torch.nn", "torch.nn", "ptjax.nn"),
    Namespace("torch.nn.functional", "torch.nn.functional", "ptjax.nn.functional"),
    Namespace("torch.nn.init", "torch.nn.init", "ptjax.nn.init"),
    Namespace("torch.nn.utils", "torch.nn.utils", "ptjax.nn.utils", ("function", "class", "module")),
    Namespace("torch.optim", "torch.optim", "ptjax.optim", ("function", "class", "module")),
    Namespace("torch.optim.lr_scheduler", "torch.optim.lr_scheduler", "ptjax.optim.lr_scheduler"),
    Namespace("torch.utils.data", "torch.utils.data", "ptjax.utils.data"),
    Namespace("torch.autograd", "torch.autograd", "ptjax.autograd"),
    Namespace("torch.linalg", "torch.linalg", "ptjax.linalg"),
    Namespace("torch.fft", "torch.fft", "ptjax.fft"),
    Namespace("torch.special", "torch.special", "ptjax.special"),
    Namespace("torch.distributions", "torch.distributions", "ptjax.distributions"),
    Namespace("torch.testing", "torch.testing", "ptjax.testing"),
    Namespace("torch.backends", "torch.backends", "ptjax.backends", ("module",)),
    Namespace("torch.cuda", "torch.cuda", "ptjax.cuda", ("function", "class", "module")),
    Namespace("torch.amp", "torch.amp", "ptjax.amp"),
]


def _resolve(path):
    """The object at a dotted path (importing modules on the way), or None where it does not exist."""
    parts = path.split(".")
    try:
        obj = importlib.import_module(parts[0])
    except ImportError:
        return None
    for i, part in enumerate(parts[1:], 1):
        try:
            obj = getattr(obj, part)
        except (AttributeError, ImportError):  # ptjax's lazy submodules raise ImportError when absent
            try:
                obj = importlib.import_module(".".join(parts[:i + 1]))
            except ImportError:
                return None
    return obj


def _kind(name, obj):
    if name.startswith("__"):
        return "dunder"
    if isinstance(obj, types.ModuleType):
        return "module"
    if inspect.isclass(obj):
        return "class"
    if callable(obj) or isinstance(obj, (property, types.GetSetDescriptorType, types.MemberDescriptorType)):
        return "function"
    return "value"


def _is_torch_api(obj, kind):
    """False for re-exports of other libraries (typing's Optional, the math module …)."""
    if kind == "module":
        return obj.__name__.startswith("torch.")
    if kind in ("class", "function"):
        mod = getattr(obj, "__module__", None)
        return mod is None or mod.startswith("torch")
    return True


def torch_names(ns: Namespace):
    """The sorted public names of ``ns`` in torch."""
    mod = _resolve(ns.torch_path)
    if ns.torch_path == "torch.Tensor":
        base = set(dir(object))
        candidates = [n for n in dir(mod) if not n.startswith("_") or (n.startswith("__") and n not in base)]
    else:
        candidates = set(getattr(mod, "__all__", ()))
        if ns.with_dir or not candidates:
            candidates.update(n for n in dir(mod) if not n.startswith("_"))
    names = []
    for n in candidates:
        if n.startswith("_") and not n.startswith("__"):
            continue
        obj = inspect.getattr_static(mod, n) if inspect.isclass(mod) else getattr(mod, n, None)
        if obj is None:
            continue
        kind = _kind(n, obj)
        if kind in ns.kinds and obj is not mod and _is_torch_api(obj, kind):
            names.append(n)
    return sorted(set(names))


def exclusion(title, name):
    """The reason ``name`` is deliberately not provided, or None. "torch (…)" rows share torch's rules."""
    rules = EXCLUDED.get(title) or EXCLUDED.get(title.split(" (")[0], [])
    for reason, pattern in rules + EXCLUDED["*"]:
        if re.fullmatch(pattern, name):
            return reason
    return None


@dataclass
class Result:
    title: str
    supported: list
    missing: list
    excluded: dict  # reason -> names

    @property
    def percent(self):
        n = len(self.supported) + len(self.missing)
        return 100.0 * len(self.supported) / n if n else 100.0


def _ptjax_has(target, name):
    if target is None:
        return False
    try:
        return hasattr(target, name)
    except Exception:  # noqa: BLE001 - a lazy attribute that fails to import is not there
        return False


def measure():
    """One :class:`Result` per namespace."""
    results = []
    for ns in NAMESPACES:
        target = _resolve(ns.ptjax_path)
        supported, missing, excluded = [], [], {}
        for n in torch_names(ns):
            if _ptjax_has(target, n):
                supported.append(n)
                continue
            reason = exclusion(ns.title, n)
            if reason is None:
                missing.append(n)
            else:
                excluded.setdefault(reason, []).append(n)
        results.append(Result(ns.title, supported, missing, excluded))
    return results


# ---- reporting -------------------------------------------------------------------------------------------------

def _names(names):
    return ", ".join(f"`{n}`" for n in names) if names else "—"


def summary(results):
    lines = [f"{'namespace':38} {'supported':>9} {'missing':>8} {'excluded':>8} {'coverage':>9}"]
    for r in results:
        n_ex = sum(len(v) for v in r.excluded.values())
        lines.append(f"{r.title:38} {len(r.supported):9d} {len(r.missing):8d} {n_ex:8d} {r.percent:8.1f}%")
    return "\n".join(lines)


def markdown(results, torch_version):
    out = [f"# API coverage against torch {torch_version}", "",
           ("Generated by `python tools/api_coverage.py` (do not edit by hand). For each namespace: torch's public "
           "names (its `__all__` and public `dir()`, without underscore names and re-exports of other libraries), "
           "looked up with `getattr` on ptjax's namespace. *Excluded* names match an explicit, reasoned rule in "
           "`tools/api_coverage.py`; coverage is supported / (supported + missing). "
           "`tests/test_api_coverage.py` fails when a namespace drops below `tools/api_coverage_floor.json`."), "",
           "## Summary", "", "| namespace | supported | missing | excluded | coverage |", "|---|---:|---:|---:|---:|"]
    for r in results:
        n_ex = sum(len(v) for v in r.excluded.values())
        out.append(f"| [{r.title}](#{_anchor(r.title)}) | {len(r.supported)} | {len(r.missing)} | {n_ex} | "
                   f"{r.percent:.1f} % |")
    for r in results:
        out += ["", f"## {r.title}", "", "| status | count | names |", "|---|---:|---|",
                f"| supported | {len(r.supported)} | {_names(r.supported)} |",
                f"| **missing** | {len(r.missing)} | {_names(r.missing)} |"]
        for reason, names in sorted(r.excluded.items()):
            out.append(f"| excluded: {reason} | {len(names)} | {_names(names)} |")
    return "\n".join(out) + "\n"


def _anchor(title):
    return re.sub(r"[^a-z0-9 -]", "", title.lower()).replace(" ", "-")


def load_floor():
    with open(FLOOR_PATH) as f:
        return json.load(f)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="print the summary only; write nothing")
    p.add_argument("--update-floor", action="store_true", help="raise the committed floor to today's figures")
    p.add_argument("--json", action="store_true", help="print the figures as JSON; write nothing")
    args = p.parse_args(argv)
    import torch
    results = measure()
    if args.json:
        print(json.dumps({r.title: {"percent": r.percent, "supported": r.supported, "missing": r.missing,
                                    "excluded": r.excluded} for r in results}))
        return 0
    print(summary(results))
    if args.check:
        return 0
    with open(DOC_PATH, "w") as f:
        f.write(markdown(results, torch.__version__.split("+")[0]))
    print(f"wrote {os.path.relpath(DOC_PATH, ROOT)}")
    if args.update_floor:
        floor = load_floor() if os.path.exists(FLOOR_PATH) else {}
        for r in results:
            floor[r.title] = max(floor.get(r.title, 0.0), round(r.percent - 0.05, 1))
        with open(FLOOR_PATH, "w") as f:
            json.dump(floor, f, indent=1)
            f.write("\n")
        print(f"wrote {os.path.relpath(FLOOR_PATH, ROOT)}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, ROOT)
    sys.exit(main())
