"""torch.finfo / iinfo, the math constants, layouts and memory formats, and the legacy tensor types
(``torch.FloatTensor`` …) against torch."""
from __future__ import annotations

import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import ptjax  # noqa: E402

FLOATS = ["float16", "bfloat16", "float32", "float64", "complex64", "complex128"]
INTS = ["uint8", "int8", "int16", "int32", "int64"]


@pytest.mark.parametrize("name", FLOATS + [None])
def test_finfo(name):
    ref = torch.finfo(getattr(torch, name)) if name else torch.finfo()
    got = ptjax.finfo(getattr(ptjax, name)) if name else ptjax.finfo()
    assert repr(got) == repr(ref)
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution", "dtype"):
        assert getattr(got, field) == getattr(ref, field), field
        assert type(getattr(got, field)) is type(getattr(ref, field)), field


@pytest.mark.parametrize("name", INTS)
def test_iinfo(name):
    ref, got = torch.iinfo(getattr(torch, name)), ptjax.iinfo(getattr(ptjax, name))
    assert repr(got) == repr(ref)
    for field in ("bits", "max", "min", "dtype"):
        assert getattr(got, field) == getattr(ref, field), field
        assert type(getattr(got, field)) is type(getattr(ref, field)), field


@pytest.mark.parametrize("call", [lambda m: m.finfo(m.int32), lambda m: m.iinfo(m.float32),
                                  lambda m: m.iinfo(m.bool)])
def test_info_errors(call):
    with pytest.raises(TypeError) as ref:
        call(torch)
    with pytest.raises(TypeError) as got:
        call(ptjax)
    assert str(got.value) == str(ref.value)


def test_info_equality():
    assert ptjax.finfo(ptjax.float32) == ptjax.finfo(ptjax.float32)
    assert ptjax.finfo(ptjax.float32) != ptjax.finfo(ptjax.float64)
    assert ptjax.finfo(ptjax.complex64) == ptjax.finfo(ptjax.float32)
    with pytest.raises(TypeError, match="unhashable"):
        hash(ptjax.finfo(ptjax.float32))   # as torch's


def test_constants():
    for name in ("pi", "e", "inf"):
        assert getattr(ptjax, name) == getattr(torch, name)
    assert np.isnan(ptjax.nan)


@pytest.mark.parametrize("name", ["strided", "sparse_coo", "jagged", "contiguous_format", "preserve_format",
                                  "channels_last", "channels_last_3d", "legacy_contiguous_format"])
def test_layouts_and_memory_formats(name):
    got = getattr(ptjax, name)
    assert repr(got) == repr(getattr(torch, name))
    assert type(got).__name__ == type(getattr(torch, name)).__name__
    assert pickle.loads(pickle.dumps(got)) is got


def test_tensor_layout_and_channels_last_keep_values():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5)).astype(np.float32)
    t = ptjax.tensor(x)
    assert t.layout is ptjax.strided and t.layout == ptjax.strided
    np.testing.assert_array_equal(t.to(memory_format=ptjax.channels_last).numpy(), x)
    np.testing.assert_array_equal(t.contiguous(memory_format=ptjax.channels_last).numpy(), x)


@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "HalfTensor", "BFloat16Tensor", "LongTensor",
                                  "IntTensor", "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"])
def test_legacy_tensor_types(name):
    ref_t, got_t = getattr(torch, name), getattr(ptjax, name)
    assert repr(got_t) == repr(ref_t)
    for args in [(), (2, 3), ([1, 0, 2],)]:
        ref, got = ref_t(*args), got_t(*args)
        assert str(got.dtype) == str(ref.dtype) and tuple(got.shape) == tuple(ref.shape)
        if args and isinstance(args[0], list):
            np.testing.assert_array_equal(got.double().numpy(), ref.double().numpy())
    for other in ("FloatTensor", "LongTensor"):
        ref_x, got_x = getattr(torch, other)([1]), getattr(ptjax, other)([1])
        assert isinstance(got_x, got_t) == isinstance(ref_x, ref_t)
    assert not isinstance(np.zeros(1), got_t)
