"""Differential tests: ptjax._tensor_str.tensor_repr against repr() of real torch tensors."""
import math

import ml_dtypes
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ptjax._tensor_str import get_printoptions, printoptions, set_printoptions, tensor_repr  # noqa: E402

DEFAULT_DTYPES = {torch.float32, torch.int64, torch.bool, torch.complex64}
ALL_DTYPES = [torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64, torch.float16,
              torch.bfloat16, torch.float32, torch.float64, torch.complex64, torch.complex128]
INF, NAN = math.inf, math.nan


@pytest.fixture(autouse=True)
def _default_printoptions():
    torch.set_printoptions(profile="default")
    set_printoptions(profile="default")
    yield
    torch.set_printoptions(profile="default")
    set_printoptions(profile="default")


def both_printoptions(**kwargs):
    torch.set_printoptions(**kwargs)
    set_printoptions(**kwargs)


def ours(t, device=None):
    """tensor_repr called the way ptjax's Tensor.__repr__ would, for a torch tensor ``t``."""
    data = t.detach()
    values = data.float().numpy().astype(ml_dtypes.bfloat16) if t.dtype == torch.bfloat16 else data.numpy()
    grad_fn = type(t.grad_fn).__name__ if t.grad_fn is not None else None
    return tensor_repr(values, dtype_name=str(t.dtype).removeprefix("torch."),
                       is_floating=t.dtype.is_floating_point, is_complex=t.dtype.is_complex,
                       show_dtype=t.dtype not in DEFAULT_DTYPES, device=device,
                       requires_grad=t.requires_grad, grad_fn=grad_fn)


def check(t):
    assert ours(t) == repr(t)


def T(data, dtype=None):
    """A torch tensor from a list / NumPy array; by default float32, complex64, int64 or bool like torch.

    float16 and bfloat16 tensors are made via float32."""
    data = np.array(data)
    if dtype is None:
        dtype = {"c": torch.complex64, "f": torch.float32, "b": torch.bool}.get(data.dtype.kind, torch.int64)
    if dtype in (torch.bfloat16, torch.float16):
        return torch.tensor(data.astype(np.float32)).to(dtype)
    return torch.from_numpy(data).to(dtype)


rng = np.random.default_rng(1234)

CASES = {
    # floats: integer mode, fixed, scientific
    "int_valued": T([1.0, 2.0, -3.0]),
    "fixed": T([0.1, 2.5, -3.25]),
    "tiny_forces_sci": T([1e-5, 1.0]),
    "ratio_forces_sci": T([1.5, 2000.5]),
    "huge_int_valued": T([1e9, 1.0]),
    "big_ints_no_sci": T([123456.0, 1000.0]),
    "huge_float64": T([1e100, 1.0], torch.float64),
    "subnormal_float64": T([5e-324, 1.0], torch.float64),
    "normal_1d": T(rng.standard_normal(7)),
    "normal_2d": T(rng.standard_normal((4, 5))),
    "normal_3d": T(rng.standard_normal((2, 3, 4))),
    "normal_4d": T(rng.standard_normal((2, 2, 2, 3))),
    "tiny_magnitudes": T(rng.standard_normal(6) * 1e-9),
    "huge_magnitudes": T(rng.standard_normal(6) * 1e12),
    "mixed_magnitudes": T(rng.standard_normal((3, 4)) * 10.0 ** rng.integers(-8, 9, (3, 4))),
    "nan_inf_ints": T([NAN, INF, -INF, 1.0, 2.0]),
    "nan_inf_fixed": T([NAN, -INF, 0.5, 1.25]),
    "nan_inf_sci": T([NAN, INF, 1e-7, 3.0]),
    "only_nonfinite": T([NAN, INF, -INF]),
    "zeros": T([0.0, 0.0, 0.0]),
    "negative_zero_int": T([-0.0, 1.0]),
    "negative_zero_fixed": T([-0.0, 1.5]),
    "negative_zero_alone": T([-0.0]),
    "wide_row_wraps": T(rng.standard_normal(40)),
    "wide_2d_wraps": T(rng.standard_normal((3, 25)) * 100),
    # summarisation (more than 1000 elements)
    "summarised_1d": torch.arange(2000.0),
    "summarised_ints": torch.arange(2000),
    "summarised_2d": T(rng.standard_normal((40, 50))),
    "summarised_3d": T(rng.standard_normal((12, 10, 11))),
    "summarised_one_long_axis": T(rng.standard_normal((2, 600))),
    "summarised_wide_rows": T(rng.standard_normal((30, 100)) * 1e5),
    # 0-d
    "scalar_int_valued_float": torch.tensor(3.0),
    "scalar_fixed": torch.tensor(3.14159),
    "scalar_sci": torch.tensor(1e-8),
    "scalar_nan": torch.tensor(NAN),
    "scalar_int": torch.tensor(7),
    "scalar_bool": torch.tensor(True),
    "scalar_float64": torch.tensor(2.5, dtype=torch.float64),
    "scalar_int8": torch.tensor(-5, dtype=torch.int8),
    "scalar_complex": torch.tensor(1 + 2j),
    "scalar_complex128": torch.tensor(-1.5 - 0.25j, dtype=torch.complex128),
    # ints and bools
    "ints": T([1, -20, 300]),
    "int_matrix": T(rng.integers(-1000, 1000, (5, 6))),
    "int64_extremes": T([2**63 - 1, -2**63], torch.int64),
    "uint8": T([0, 255, 7], torch.uint8),
    "bools": T([True, False, True]),
    "bool_matrix": T(rng.random((3, 4)) < 0.5),
    # complex
    "complex_int_valued": T([1 + 2j, 3 - 4j]),
    "complex_mixed": T([1 + 2j, -3.5 - 1j, 100j]),
    "complex_normal": T(rng.standard_normal(30) + 1j * rng.standard_normal(30), torch.complex64),
    "complex_2d": T(rng.standard_normal((3, 4)) + 1j * rng.standard_normal((3, 4)), torch.complex128),
    "complex_nonfinite": T([complex(NAN, INF), complex(1e-5, 1.0), complex(-INF, -0.0)]),
    "complex_summarised": T(rng.standard_normal(1500) + 1j * rng.standard_normal(1500), torch.complex64),
    # empty tensors
    "empty_float": torch.zeros(0),
    "empty_float64": torch.zeros(0, dtype=torch.float64),
    "empty_int64": torch.zeros(0, dtype=torch.int64),
    "empty_bool": torch.zeros(0, dtype=torch.bool),
    "empty_complex64": torch.zeros(0, dtype=torch.complex64),
    "empty_0x3": torch.zeros(0, 3),
    "empty_2x0x3_int32": torch.zeros(2, 0, 3, dtype=torch.int32),
    "empty_3x0": torch.zeros(3, 0, dtype=torch.float16),
}


@pytest.mark.parametrize("name", CASES)
def test_cases(name):
    check(CASES[name])


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 2), (1100,)], ids=str)
def test_every_dtype(dtype, shape):
    data = rng.standard_normal(shape) * 50
    if dtype.is_complex:
        data = data + 1j * rng.standard_normal(shape)
    elif dtype == torch.bool:
        data = data > 0
    elif not dtype.is_floating_point:
        data = np.abs(data).astype(np.int64)
    check(T(data, dtype))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bfloat16,
                                   torch.complex64, torch.complex128], ids=str)
def test_requires_grad_and_grad_fn(dtype):
    leaf = T(rng.standard_normal((2, 3)), dtype).requires_grad_()
    check(leaf)
    check(leaf * 2)  # MulBackward0
    check(leaf.sum())  # SumBackward0, 0-d
    check(torch.zeros(0, 2, dtype=dtype, requires_grad=True))


@pytest.mark.parametrize("n", range(1, 30))
def test_suffixes_wrap_at_linewidth(n):
    x = torch.arange(n, dtype=torch.float64) * 1000.5
    check(x)
    check(x.requires_grad_())
    check(x * 2)
    check((x * 2).reshape(1, n))


def test_device_suffix():
    assert ours(T([1.0, 2.0]), device="cuda:0") == "tensor([1., 2.], device='cuda:0')"
    assert (ours(T([1.0, 2.0], torch.float64).requires_grad_(), device="cuda:0")
            == "tensor([1., 2.], device='cuda:0', dtype=torch.float64, requires_grad=True)")
    assert (ours(torch.zeros(0, 3, dtype=torch.int64), device="cuda:0")
            == "tensor([], device='cuda:0', size=(0, 3), dtype=torch.int64)")
    # torch wraps a suffix when the line would reach 80 characters with it (not only when it would pass 80)
    row = "tensor([   0.0000, 1000.5000, 2001.0000, 3001.5000"
    assert ours(torch.arange(4) * 1000.5, device="cuda:0") == row + "], device='cuda:0')"
    assert (ours(torch.arange(5) * 1000.5, device="cuda:0")
            == row + ", 4002.0000],\n       device='cuda:0')")  # would be 80 characters on one line


def test_prefix():
    out = tensor_repr(np.array([1.0, 2.0], np.float32), dtype_name="float32", is_floating=True,
                      is_complex=False, show_dtype=False, prefix="Parameter(")
    assert out == "Parameter([1., 2.])"


@pytest.mark.parametrize("opts", [
    dict(precision=2),
    dict(precision=0),
    dict(precision=8),
    dict(threshold=5),
    dict(threshold=5, edgeitems=1),
    dict(threshold=5, edgeitems=0),
    dict(edgeitems=0),
    dict(linewidth=30),
    dict(linewidth=200),
    dict(sci_mode=True),
    dict(sci_mode=False),
    dict(profile="short"),
    dict(profile="full"),
    dict(profile="short", precision=6),
], ids=str)
def test_print_options(opts):
    both_printoptions(**opts)
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    for t in [T(rng.standard_normal((6, 7))), T([1e-5, 1.0, 1e10]), T([1.0, 2.0, 1e10]), T([NAN, 0.0]),
              torch.arange(12).reshape(2, 2, 3), torch.arange(1200.0), T([1 + 1e-5j, 2 + 3j]),
              torch.tensor(3.5, dtype=torch.float64), torch.zeros(0, 2), T(rng.standard_normal(3)).requires_grad_()]:
        check(t)


def test_set_printoptions_semantics():
    both_printoptions(precision=3, sci_mode=True)
    both_printoptions(linewidth=100)  # sci_mode is reset to None, precision kept
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    assert get_printoptions()["sci_mode"] is None and get_printoptions()["precision"] == 3
    both_printoptions(profile="no-such-profile")  # ignored
    assert get_printoptions() == torch._tensor_str.get_printoptions()
    both_printoptions(profile="full")
    assert get_printoptions()["threshold"] == math.inf
    both_printoptions(profile="default")
    assert get_printoptions() == {"precision": 4, "threshold": 1000, "edgeitems": 3, "linewidth": 80,
                                  "sci_mode": None}


def test_printoptions_context_restores():
    before = get_printoptions()
    with printoptions(precision=1, threshold=3):
        with torch._tensor_str.printoptions(precision=1, threshold=3):
            check(torch.arange(10.0) / 3)
    assert get_printoptions() == before


def test_random_differential():
    """Seeded fuzz over shapes, dtypes, value patterns and options."""
    gen = np.random.default_rng(7)
    patterns = [
        lambda s: gen.standard_normal(s) * 10.0 ** gen.integers(-10, 12),
        lambda s: np.round(gen.standard_normal(s) * 100),
        lambda s: gen.choice([0.0, -0.0, NAN, INF, -INF, 1.0, -2.5, 1e-5, 1e9], size=s),
        lambda s: gen.integers(-3, 4, size=s) * 0.5,
    ]
    for _ in range(150):
        opts = dict(precision=int(gen.integers(0, 7)), threshold=int(gen.choice([5, 50, 1000])),
                    edgeitems=int(gen.integers(0, 4)), linewidth=int(gen.integers(20, 120)),
                    sci_mode=[None, True, False][gen.integers(0, 3)])
        both_printoptions(**opts)
        shape = tuple(int(n) for n in gen.integers(1, 8, size=gen.integers(0, 4)))
        dtype = ALL_DTYPES[gen.integers(0, len(ALL_DTYPES))]
        data = patterns[gen.integers(0, len(patterns))](shape)
        if dtype.is_complex:
            data = np.array(data, dtype=np.complex128)
            data.imag = patterns[gen.integers(0, len(patterns))](shape)
        elif not dtype.is_floating_point:
            data = np.nan_to_num(data, nan=0, posinf=7, neginf=-7)
            data = data > 0 if dtype == torch.bool else np.clip(data, 0, 127).astype(np.int64)
        t = T(data, dtype)
        if dtype.is_floating_point and gen.random() < 0.3:
            t = t.requires_grad_() * 1
        assert ours(t) == repr(t), (opts, dtype, shape)
        both_printoptions(profile="default")
