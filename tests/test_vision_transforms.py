"""ptjax.vision.transforms against torch computing what torchvision computes (torchvision is not installed: the
torch side is written with plain torch ops, following torchvision's definitions).

Host tensors (NumPy storage until the first op) and tensors already in JAX must give the same values.
"""
import jax
import numpy as np
import pytest

import ptjax
from ptjax.vision import transforms as T

torch = pytest.importorskip("torch")
tF = torch.nn.functional


def torch_to_tensor(a):
    """torchvision's ToTensor for an ndarray (H, W[, C])."""
    a = a[:, :, None] if a.ndim == 2 else a
    t = torch.from_numpy(a.transpose(2, 0, 1).copy()).contiguous()
    return t.to(torch.get_default_dtype()).div(255) if t.dtype == torch.uint8 else t


def torch_normalize(t, mean, std):
    """torchvision's F.normalize."""
    mean = torch.as_tensor(mean, dtype=t.dtype).view(-1, 1, 1)
    std = torch.as_tensor(std, dtype=t.dtype).view(-1, 1, 1)
    return t.clone().sub_(mean).div_(std)


def same(p, t):
    """Equal values, dtype and shape (bit for bit)."""
    a = p.numpy()
    b = t.numpy()
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a, b)


def in_jax(t):
    """The same values as a tensor whose storage is already a JAX array."""
    return ptjax.tensor(t.numpy())


@pytest.fixture
def images(rng):
    return {"gray": rng.integers(0, 256, (5, 7), dtype=np.uint8),
            "rgb": rng.integers(0, 256, (6, 4, 3), dtype=np.uint8)}


def test_to_tensor_values_dtypes_and_host_storage(images, rng):
    for img in images.values():
        out = T.ToTensor()(img)
        assert type(out) is ptjax.Tensor and isinstance(out._data, np.ndarray)  # no JAX work per sample
        same(out, torch_to_tensor(img))
    for a in (rng.random((3, 4)), rng.integers(-5, 5, (3, 4, 2)).astype(np.int32)):
        same(T.ToTensor()(a), torch_to_tensor(a))  # not uint8: values and dtype kept
    same(T.PILToTensor()(images["rgb"]), torch.from_numpy(images["rgb"]).permute(2, 0, 1))
    with pytest.raises(TypeError, match=r"pic should be PIL Image or ndarray. Got <class 'list'>"):
        T.ToTensor()([[1, 2]])
    with pytest.raises(ValueError, match="pic should be 2/3 dimensional. Got 1 dimensions."):
        T.ToTensor()(np.zeros(3, np.uint8))


def test_host_tensor_behaves_as_a_tensor(images):
    img = images["gray"]
    out, ref = T.ToTensor()(img), torch_to_tensor(img)
    assert out.shape == ref.shape and out.dtype == ptjax.float32 and str(out.device) == "cpu"
    assert repr(out) == repr(ref)
    same(out * 2 + 1, ref * 2 + 1)            # the binary fast path computes in JAX, not NumPy
    same(out.sum(0), ref.sum(0))
    assert isinstance(out._data, jax.Array)  # moved into JAX once, by its first op
    ints = T.PILToTensor()(img)
    same(ints // 3, torch.from_numpy(img)[None] // 3)
    same(ints.to(ptjax.float32, non_blocking=True), torch.from_numpy(img)[None].float())
    w = T.ToTensor()(img).requires_grad_()
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * ref.numpy(), rtol=1e-6)


def test_normalize_matches_torch(images, rng):
    mean, std = (0.1307, 0.2, 0.9), (0.3081, 0.5, 1.7)
    x = T.ToTensor()(images["rgb"])
    ref = torch_normalize(torch_to_tensor(images["rgb"]), mean, std)
    norm = T.Normalize(mean, std)
    host = norm(x)
    assert isinstance(host._data, np.ndarray)
    same(host, ref)  # bit for bit; XLA divides by a broadcast operand as a multiply by its reciprocal:
    np.testing.assert_allclose(norm(in_jax(x)).numpy(), ref.numpy(), rtol=3e-7)
    d = rng.random((2, 1, 3, 3))  # float64, batched, scalar-per-channel lists
    same(T.Normalize([0.5], [0.25])(ptjax.from_numpy(d)), torch_normalize(torch.from_numpy(d), [0.5], [0.25]))
    y = T.ToTensor()(images["gray"])
    assert T.Normalize((0.5,), (0.5,), inplace=True)(y) is y
    same(y, torch_normalize(torch_to_tensor(images["gray"]), (0.5,), (0.5,)))
    with pytest.raises(TypeError, match=r"Input tensor should be a float tensor. Got torch.uint8."):
        norm(T.PILToTensor()(images["rgb"]))
    with pytest.raises(ValueError, match=r"std evaluated to zero after conversion to torch.float32, leading to "
                                         r"division by zero."):
        T.Normalize((0.0,), (0.0,))(x)
    with pytest.raises(ValueError, match=r"Expected tensor to be a tensor image of size \(..., C, H, W\). Got "
                                         r"tensor.size\(\) = torch.Size\(\[3\]\)"):
        norm(ptjax.ones(3))


def test_crops_flips_pads_match_torch(images, monkeypatch):
    img = images["rgb"]  # (6, 4, 3)
    x, ref = T.ToTensor()(img), torch_to_tensor(img)
    for inp in (x, in_jax(x)):
        same(T.CenterCrop(3)(inp), ref[:, 2:5, 0:3])
        # larger than the image: zero padding first ((left, top, right, bottom) = (1, 0, 2, 0)), as torchvision
        same(T.CenterCrop((6, 7))(inp), tF.pad(ref, (1, 2, 0, 0)))
        same(T.RandomHorizontalFlip(p=1.0)(inp), ref.flip(-1))
        same(T.RandomVerticalFlip(p=1.0)(inp), ref.flip(-2))
        assert T.RandomHorizontalFlip(p=0.0)(inp) is inp
        same(T.Pad(2, fill=0.5)(inp), tF.pad(ref, (2, 2, 2, 2), value=0.5))
        same(T.Pad((1, 2, 3, 1), padding_mode="edge")(inp), tF.pad(ref[None], (1, 3, 2, 1), mode="replicate")[0])
        same(T.Pad((2, 1), padding_mode="reflect")(inp), tF.pad(ref[None], (2, 2, 1, 1), mode="reflect")[0])
        sym = T.Pad(2, padding_mode="symmetric")(inp)  # torch's F.pad has no such mode: NumPy defines it
        np.testing.assert_array_equal(sym.numpy(), np.pad(ref.numpy(), ((0, 0), (2, 2), (2, 2)), "symmetric"))
    x = T.ToTensor()(img)  # `same` moved the first one into JAX (.numpy() is an op)
    assert all(isinstance(t(x)._data, np.ndarray) for t in (T.Pad(1), T.CenterCrop(2), T.RandomVerticalFlip(1.0)))
    # RandomCrop draws from Python's random: pin the draws and compare the crop
    monkeypatch.setattr(T.random, "randint", lambda lo, hi: hi)
    same(T.RandomCrop(3, padding=1)(x), tF.pad(ref, (1, 1, 1, 1))[:, 5:8, 3:6])
    same(T.RandomCrop((8, 6), pad_if_needed=True)(x), tF.pad(ref, (2, 2, 2, 2))[:, 2:10, 2:8])
    np.testing.assert_array_equal(T.RandomCrop(2)(img), img[4:6, 2:4])  # NumPy images stay NumPy
    with pytest.raises(ValueError, match=r"Required crop size \(7, 7\) is larger than input image size \(6, 4\)"):
        T.RandomCrop(7)(x)


@pytest.mark.parametrize("size, mode, antialias", [((3, 5), "bilinear", True), ((9, 2), "bilinear", False),
                                                   (3, "nearest", False)])
def test_resize_matches_torch_interpolate(images, rng, size, mode, antialias):
    x = ptjax.from_numpy(rng.random((2, 6, 4)).astype(np.float32))
    ref_in = torch.from_numpy(x.numpy().copy())
    out_size = size if isinstance(size, tuple) else (int(size * 6 / 4), size)  # int: the shorter side
    kw = {"align_corners": False} if mode == "bilinear" else {}
    ref = tF.interpolate(ref_in[None], size=out_size, mode=mode, antialias=antialias, **kw)[0]
    resize = T.Resize(size, interpolation=mode, antialias=antialias)
    host = resize(ptjax.Tensor._from_host(x.numpy().copy()))
    assert isinstance(host._data, np.ndarray)
    for out in (host, resize(x)):
        assert out.shape == ref.shape and out.dtype == ptjax.float32
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)
    u8 = images["rgb"]
    ref8 = tF.interpolate(torch.from_numpy(u8).permute(2, 0, 1)[None].contiguous(), size=out_size, mode=mode,
                          antialias=antialias, **kw)[0]
    got8 = resize(u8)  # a NumPy image stays an (H, W, C) uint8 image
    assert got8.dtype == np.uint8 and got8.shape == out_size + (3,)
    assert np.abs(got8.transpose(2, 0, 1).astype(int) - ref8.numpy().astype(int)).max() <= 1


def test_compose_reprs_and_lambda():
    tf = T.Compose([T.ToTensor(), T.Normalize((0.1307,), (0.3081,))])
    assert repr(tf) == "Compose(\n    ToTensor()\n    Normalize(mean=(0.1307,), std=(0.3081,))\n)"
    assert repr(T.RandomCrop(28, padding=4)) == "RandomCrop(size=(28, 28), padding=4)"
    assert repr(T.CenterCrop(3)) == "CenterCrop(size=(3, 3))"
    assert T.Lambda(lambda v: v + 1)(1) == 2
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)
