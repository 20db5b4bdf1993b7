"""Tensor basics: dtypes and promotion (vs torch), devices, Size, conversions, legacy constructors."""
import itertools

import numpy as np
import pytest

import ptjax

torch = pytest.importorskip("torch")

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64",
         "complex64", "complex128"]


@pytest.mark.parametrize("a,b", list(itertools.combinations_with_replacement(NAMES, 2)))
def test_promote_types_matches_torch(a, b):
    assert str(ptjax.promote_types(getattr(ptjax, a), getattr(ptjax, b))) == \
        str(torch.promote_types(getattr(torch, a), getattr(torch, b)))


SCALARS = [True, 2, 2.5, 1 + 2j]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scalar", SCALARS, ids=["bool", "int", "float", "complex"])
@pytest.mark.parametrize("zero_dim", [False, True])
def test_result_type_with_scalars_and_zero_dim(name, scalar, zero_dim):
    if name == "float16" and isinstance(scalar, complex):
        pytest.skip("torch gives complex32, which JAX (and so ptjax) does not have")
    shape = () if zero_dim else (2,)
    pt_t = ptjax.zeros(shape, dtype=getattr(ptjax, name))
    th_t = torch.zeros(shape, dtype=getattr(torch, name))
    assert str(ptjax.result_type(pt_t, scalar)) == str(torch.result_type(th_t, scalar))


@pytest.mark.parametrize("a,b", [("float16", "float32"), ("int32", "float64"), ("int64", "float16"),
                                 ("bool", "int8"), ("uint8", "int8"), ("float32", "float64")])
def test_zero_dim_tensor_does_not_widen(a, b):
    for x_shape, y_shape in (((3,), ()), ((), (3,))):
        p = ptjax.ones(x_shape, dtype=getattr(ptjax, a)) + ptjax.ones(y_shape, dtype=getattr(ptjax, b))
        t = torch.ones(x_shape, dtype=getattr(torch, a)) + torch.ones(y_shape, dtype=getattr(torch, b))
        assert str(p.dtype) == str(t.dtype)


@pytest.mark.parametrize("data", [[1, 2, 3], [1.0, 2], [True, False], 3, 2.5, [[1, 2], [3, 4]], [1 + 1j],
                                  np.arange(3, dtype=np.int32), np.ones(2, np.float64), []])
def test_tensor_dtype_inference(data):
    p, t = ptjax.tensor(data), torch.tensor(data)
    assert str(p.dtype) == str(t.dtype) and tuple(p.shape) == tuple(t.shape)
    assert repr(p) == repr(t)


def test_size_and_metadata():
    x = ptjax.zeros(2, 3, 4)
    assert repr(x.shape) == "torch.Size([2, 3, 4])" and x.size(-1) == 4 and x.dim() == 3 and x.numel() == 24
    assert x.shape == (2, 3, 4) and isinstance(x.shape, ptjax.Size)
    assert x.stride() == (12, 4, 1) and x.transpose(0, 2).stride() == (1, 4, 12)
    assert x.T.shape == (4, 3, 2) and ptjax.zeros(2, 3).mT.shape == (3, 2)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(3)


@pytest.mark.parametrize("shapes", [((2, 1), (3,), 1, []), ((5, 1, 4), (1, 3, 1)), ((0,), (1,)), ((2, 3),),
                                    ((2, 3), (4,)), ((2, 3), (3,), (5, 1, 1), (2,)), ((-1,), (2,))])
def test_broadcast_shapes_matches_torch(shapes):
    try:
        want = torch.broadcast_shapes(*shapes)
    except Exception as e:
        with pytest.raises(type(e)) as got:
            ptjax.broadcast_shapes(*shapes)
        assert str(got.value) == str(e)
        return
    got = ptjax.broadcast_shapes(*shapes)
    assert isinstance(got, ptjax.Size) and tuple(got) == tuple(want)


def test_conversions():
    x = ptjax.tensor([[1.5, 2.0]])
    assert x.tolist() == [[1.5, 2.0]] and ptjax.tensor(7).item() == 7 and isinstance(ptjax.tensor(7).item(), int)
    assert float(ptjax.tensor([2.5])) == 2.5 and int(ptjax.tensor(3)) == 3
    np.testing.assert_array_equal(x.numpy(), np.array([[1.5, 2.0]], np.float32))
    a = np.arange(4, dtype=np.int16)
    f = ptjax.from_numpy(a)
    assert f.dtype is ptjax.int16 and f.tolist() == [0, 1, 2, 3]
    assert x.double().dtype is ptjax.float64 and x.long().dtype is ptjax.int64 and x.half().dtype is ptjax.float16
    assert x.to(ptjax.int32).dtype is ptjax.int32 and x.type() == "torch.FloatTensor"
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value is ambiguous"):
        bool(ptjax.ones(2))


def test_legacy_constructor():
    assert ptjax.Tensor(2, 3).shape == (2, 3) and ptjax.Tensor([1, 2]).dtype is ptjax.float32


def test_devices():
    assert ptjax.device("cuda:1") == ptjax.device("cuda", 1)
    assert repr(ptjax.device("cuda:1")) == repr(torch.device("cuda:1"))
    assert repr(ptjax.device("cpu")) == repr(torch.device("cpu")) and str(ptjax.device("cuda:0")) == "cuda:0"
    x = ptjax.ones(2)
    assert x.device == ptjax.device("cpu") and x.cpu() is x and x.to("cpu") is x
    assert ptjax.cuda.device_count() == len([d for d in __import__("jax").devices() if d.platform == "gpu"])
    if not ptjax.cuda.is_available():
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            x.cuda()
        with pytest.raises(AssertionError, match="Torch not compiled with CUDA enabled"):
            ptjax.zeros(2, device="cuda")


def test_cuda_roundtrip_when_available():
    if not ptjax.cuda.is_available():
        pytest.skip("no GPU visible to JAX")
    x = ptjax.randn(3, 3, requires_grad=True)
    y = x.to("cuda")
    assert y.device.type == "cuda" and y.is_cuda
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy(), rtol=1e-5)


def test_manual_seed_reproducible():
    ptjax.manual_seed(0)
    a = ptjax.randn(5)
    ptjax.manual_seed(0)
    assert ptjax.equal(a, ptjax.randn(5)) and not ptjax.equal(a, ptjax.randn(5))
    g = ptjax.Generator().manual_seed(3)
    p1 = ptjax.randperm(10, generator=g)
    assert sorted(p1.tolist()) == list(range(10))


def test_fresh_interpreter_has_every_method_and_boolean_hasattr():
    """Tensor methods are installed when ptjax is imported (not when nn happens to be), and a subpackage that is not
    part of ptjax reads as a missing attribute."""
    import subprocess
    import sys
    code = ("import ptjax; x = ptjax.randn(3); print(float(x.softmax(0).sum()), float(x.log_softmax(0).exp().sum()));"
            "print(hasattr(ptjax, 'jit') in (True, False), hasattr(ptjax, 'nn'), "
            "ptjax.utils.data.DataLoader.__name__ == 'DataLoader')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    sums, flags = r.stdout.split("\n")[:2]
    assert [round(float(v), 5) for v in sums.split()] == [1.0, 1.0]
    assert flags == "True True True"


@pytest.mark.parametrize("name,alias", [("cat", "concat"), ("cat", "concatenate"), ("neg", "negative"),
                                        ("abs", "absolute"), ("transpose", "swapaxes"), ("transpose", "swapdims"),
                                        ("movedim", "moveaxis"), ("outer", "ger")])
def test_aliases_are_one_entry(name, alias):
    fn = getattr(ptjax, alias)
    assert fn.op is getattr(ptjax, name).op and fn.__name__ == alias
    assert getattr(ptjax.Tensor, alias).__name__ == alias
