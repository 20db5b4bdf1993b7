"""torchvision.transforms: the common image transforms, computed on the host.

Images are PIL images (when Pillow is installed), NumPy arrays ``(H, W)`` / ``(H, W, C)`` (what
``ptjax.vision.datasets`` hands out without Pillow) or tensors ``(..., C, H, W)``.

A data pipeline runs these per sample, where one JAX dispatch costs more than the arithmetic (an MNIST image
is 784 values). So ``ToTensor`` and ``PILToTensor`` return *host tensors*: ptjax tensors on the CPU whose
storage is still a NumPy array (``Tensor._from_host``; see ``ptjax/_tensor.py``). They behave as any tensor;
their first op moves them into JAX. ``Normalize``, the crops, flips, ``Pad`` and ``Resize`` compute host
tensors in NumPy and return host tensors, and the DataLoader stacks a batch of them with NumPy, so a batch
costs one transfer. Tensors already in JAX (on a device, or requiring grad) go through ptjax ops instead,
which keeps autograd and placement.

Differences from torchvision: the random transforms draw from Python's ``random`` (which DataLoader workers
seed), not from torch's generator; ``PILToTensor`` and ``Resize`` also take NumPy images; ``Pad`` takes
numbers as ``fill`` (no per-channel tuples).
"""
from __future__ import annotations

import functools
import numbers
import random

import numpy as np

import ptjax
from ptjax._ops.registry import op
from ptjax._tensor import Tensor

try:
    from PIL import Image as _PILImage
except ImportError:  # Pillow is optional
    _PILImage = None

__all__ = ["CenterCrop", "Compose", "Lambda", "Normalize", "PILToTensor", "Pad", "RandomCrop",
           "RandomHorizontalFlip", "RandomVerticalFlip", "Resize", "ToPILImage", "ToTensor"]


def _is_pil(img):
    return _PILImage is not None and isinstance(img, _PILImage.Image)


# PIL modes whose pixels are not bytes (torchvision's table)
_PIL_MODE_DTYPES = {"I": np.int32, "I;16": np.int16, "F": np.float32}


def _image_hwc(pic):
    """A PIL image or NumPy image as an (H, W, C) array, with torchvision's errors for anything else."""
    if _is_pil(pic):
        a = np.array(pic, _PIL_MODE_DTYPES.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            a = 255 * a
        return a.reshape(pic.size[1], pic.size[0], -1)
    if not isinstance(pic, np.ndarray):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    if pic.ndim not in (2, 3):
        raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
    return pic[:, :, None] if pic.ndim == 2 else pic


def _host(img):
    """The NumPy storage of a host tensor, else None (a tensor in JAX, or one that requires grad)."""
    return img._host_array() if isinstance(img, Tensor) else None


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self):
        body = "".join(f"\n    {t}" for t in self.transforms)
        return f"{self.__class__.__name__}({body}\n)"


class ToTensor:
    """PIL image or array (H, W[, C]) → host tensor (C, H, W); ``uint8`` is scaled to [0, 1] in the default
    float dtype, other dtypes keep their values and dtype (as torchvision)."""

    def __call__(self, pic):
        a = _image_hwc(pic).transpose(2, 0, 1)
        if a.dtype == np.uint8:
            dtype = ptjax.get_default_dtype().np
            out = a.astype(dtype, order="C")
            out /= dtype.type(255)
        else:
            out = np.array(a, order="C")
        return Tensor._from_host(out)

    def __repr__(self):
        return "ToTensor()"


class PILToTensor:
    """PIL image (or NumPy image) → host tensor (C, H, W) with the pixels' dtype and values."""

    def __call__(self, pic):
        return Tensor._from_host(np.array(_image_hwc(pic).transpose(2, 0, 1), order="C"))

    def __repr__(self):
        return "PILToTensor()"


class ToPILImage:
    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        if _PILImage is None:
            raise ImportError("ToPILImage needs Pillow (pip install pillow)")
        a = pic.detach().numpy() if isinstance(pic, Tensor) else np.asarray(pic)
        if a.ndim == 3:
            a = a.transpose(1, 2, 0)
            if a.shape[2] == 1:
                a = a[:, :, 0]
        if a.dtype != np.uint8:
            a = (a * 255).clip(0, 255).astype(np.uint8)
        return _PILImage.fromarray(a, mode=self.mode)

    def __repr__(self):
        return f"ToPILImage(mode={self.mode})" if self.mode else "ToPILImage()"


class Normalize:
    """(tensor - mean) / std per channel, on a float tensor (..., C, H, W): in NumPy for a host tensor (a host
    tensor out), else one compiled ptjax op. mean and std are converted once per dtype."""

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace
        self._consts = {}

    def _host_consts(self, dtype):
        c = self._consts.get(dtype)
        if c is None:
            mean, std = (np.asarray(v, dtype=dtype.np) for v in (self.mean, self.std))
            if (std == 0).any():
                raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading to division by zero.")
            c = self._consts[dtype] = tuple(v.reshape(-1, 1, 1) if v.ndim == 1 else v for v in (mean, std))
        return c

    def __call__(self, tensor):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
        if not tensor.is_floating_point():
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        if tensor.ndim < 3:
            raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                             f"{tensor.size()}")
        mean, std = self._host_consts(tensor.dtype)
        host = _host(tensor)
        if host is not None:
            out = (host - mean) / std
            if self.inplace:
                out.flags.writeable = False
                tensor._write(out)
                return tensor
            return Tensor._from_host(out)
        out = _normalize_image(tensor, ptjax.from_numpy(mean), ptjax.from_numpy(std))
        return tensor.copy_(out) if self.inplace else out

    def __repr__(self):
        return f"{self.__class__.__name__}(mean={self.mean}, std={self.std})"


@op(tensors=("input", "mean", "std"), jit=True, method=False, function=False)
def _normalize_image(input, mean, std):
    return (input - mean) / std


class Lambda:
    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return "Lambda()"


# ---- geometry: the three image kinds ----------------------------------------------------------------------------

def _size2(size, what="size"):
    """(h, w) from an int or a sequence of one or two ints (torchvision's rule)."""
    if isinstance(size, numbers.Number):
        return int(size), int(size)
    if len(size) == 1:
        return size[0], size[0]
    if len(size) != 2:
        raise ValueError(f"Please provide only two dimensions (h, w) for {what}.")
    return tuple(size)


def _hw(img):
    if isinstance(img, Tensor):
        return img.shape[-2], img.shape[-1]
    if _is_pil(img):
        return img.size[1], img.size[0]
    return img.shape[0], img.shape[1]


def _crop(img, top, left, h, w):
    if isinstance(img, Tensor):
        host = _host(img)
        if host is not None:
            return Tensor._from_host(host[..., top:top + h, left:left + w])
        return img[..., top:top + h, left:left + w]
    if _is_pil(img):
        return img.crop((left, top, left + w, top + h))
    return img[top:top + h, left:left + w]


def _flip(img, axis):
    """axis -1 flips left-right, -2 top-bottom (of a tensor; columns / rows of an HWC image)."""
    if isinstance(img, Tensor):
        host = _host(img)
        return img.flip(axis) if host is None else Tensor._from_host(np.flip(host, axis))
    if _is_pil(img):
        return img.transpose(_PILImage.FLIP_LEFT_RIGHT if axis == -1 else _PILImage.FLIP_TOP_BOTTOM)
    return np.ascontiguousarray(np.flip(img, 1 if axis == -1 else 0))


_PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


def _ltrb(padding):
    """torchvision's padding forms (int, (lr, tb), (l, t, r, b)) as (left, top, right, bottom)."""
    if isinstance(padding, numbers.Number):
        return (int(padding),) * 4
    if len(padding) == 1:
        return (int(padding[0]),) * 4
    if len(padding) == 2:
        return padding[0], padding[1], padding[0], padding[1]
    if len(padding) == 4:
        return tuple(padding)
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")


def _pad(img, padding, fill=0, mode="constant"):
    left, top, right, bottom = _ltrb(padding)
    if isinstance(img, Tensor):
        host = _host(img)
        if host is None:
            return _pad_tensor(img, (left, top, right, bottom), fill, mode)
        widths = ((0, 0),) * (host.ndim - 2) + ((top, bottom), (left, right))
    else:
        a = np.asarray(img)
        widths = ((top, bottom), (left, right)) + ((0, 0),) * (a.ndim - 2)
    kwargs = {"constant_values": fill} if mode == "constant" else {}
    if isinstance(img, Tensor):
        return Tensor._from_host(np.pad(host, widths, mode=mode, **kwargs))
    out = np.pad(a, widths, mode=mode, **kwargs)
    return _PILImage.fromarray(out) if _is_pil(img) else out


def _pad_tensor(img, ltrb, fill, mode):
    """Pad a tensor in JAX: constant with ``F.pad``, the other modes as a gather of source rows and columns
    (NumPy's padding of the index ranges gives them; the same definitions as torchvision's)."""
    left, top, right, bottom = ltrb
    if mode == "constant":
        return ptjax.nn.functional.pad(img, (left, right, top, bottom), value=fill)
    h, w = _hw(img)
    rows = np.pad(np.arange(h), (top, bottom), mode=mode)
    cols = np.pad(np.arange(w), (left, right), mode=mode)
    return img[..., ptjax.from_numpy(rows)[:, None], ptjax.from_numpy(cols)]


class Pad:
    def __init__(self, padding, fill=0, padding_mode="constant"):
        if padding_mode not in _PADDING_MODES:
            raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
        _ltrb(padding)
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img):
        return _pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self):
        return f"{self.__class__.__name__}(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


class RandomCrop:
    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = _size2(size)
        self.padding, self.pad_if_needed, self.fill, self.padding_mode = padding, pad_if_needed, fill, padding_mode

    def __call__(self, img):
        if self.padding is not None:
            img = _pad(img, self.padding, self.fill, self.padding_mode)
        h, w = _hw(img)
        th, tw = self.size
        if self.pad_if_needed and w < tw:
            img = _pad(img, (tw - w, 0), self.fill, self.padding_mode)
        if self.pad_if_needed and h < th:
            img = _pad(img, (0, th - h), self.fill, self.padding_mode)
        h, w = _hw(img)
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        top, left = random.randint(0, h - th), random.randint(0, w - tw)
        return _crop(img, top, left, th, tw)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size}, padding={self.padding})"


class CenterCrop:
    """Crops the center; an image smaller than ``size`` is first padded with zeros (as torchvision)."""

    def __init__(self, size):
        self.size = _size2(size)

    def __call__(self, img):
        h, w = _hw(img)
        th, tw = self.size
        if th > h or tw > w:
            dh, dw = max(th - h, 0), max(tw - w, 0)
            img = _pad(img, (dw // 2, dh // 2, (dw + 1) // 2, (dh + 1) // 2))
            h, w = _hw(img)
        return _crop(img, round((h - th) / 2.0), round((w - tw) / 2.0), th, tw)

    def __repr__(self):
        return f"{self.__class__.__name__}(size={self.size})"


class RandomHorizontalFlip:
    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        return _flip(img, -1) if random.random() < self.p else img

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


class RandomVerticalFlip:
    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        return _flip(img, -2) if random.random() < self.p else img

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p})"


# ---- resize ------------------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _resize_weights(n_in, n_out, mode, antialias):
    """The (n_out, n_in) matrix that resizes one axis, with torch's sampling rules: ``nearest``; ``bilinear``
    (align_corners=False); ``bilinear`` with ``antialias`` (a triangle filter widened by the downscale factor,
    PIL's and torch's antialiased resize). Resizing an image is one such product per axis."""
    scale = n_in / n_out
    out = np.arange(n_out)
    weights = np.zeros((n_out, n_in), np.float64)
    if mode == "nearest":
        weights[out, np.minimum(np.floor(out * scale).astype(np.int64), n_in - 1)] = 1.0
    elif antialias:
        support = max(scale, 1.0)
        center = (out + 0.5) * scale
        lo = np.maximum((center - support + 0.5).astype(np.int64), 0)
        hi = np.minimum((center + support + 0.5).astype(np.int64), n_in)
        for i in range(n_out):
            src = np.arange(lo[i], hi[i])
            w = np.maximum(0.0, 1.0 - np.abs((src - center[i] + 0.5) / support))
            weights[i, src] = w / w.sum()
    else:
        src = np.maximum((out + 0.5) * scale - 0.5, 0.0)
        i0 = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
        i1 = np.minimum(i0 + 1, n_in - 1)
        frac = src - i0
        np.add.at(weights, (out, i0), 1.0 - frac)
        np.add.at(weights, (out, i1), frac)
    return weights


def _resize_matrices(shape, size, mode, antialias, np_dtype):
    (h, w), (th, tw) = shape[-2:], size
    return (_resize_weights(h, th, mode, antialias).astype(np_dtype),
            _resize_weights(w, tw, mode, antialias).T.astype(np_dtype))


def _resize_host(a, size, mode, antialias):
    """Resize the last two axes of an array (integer images are computed in float32 and rounded back)."""
    x = a if a.dtype.kind == "f" else a.astype(np.float32)
    rows, cols = _resize_matrices(a.shape, size, mode, antialias, x.dtype)
    out = rows @ x @ cols
    return out if out.dtype == a.dtype else np.round(out).astype(a.dtype)


def _resize_tensor(t, size, mode, antialias):
    """As ``_resize_host``, with ptjax ops (differentiable, on the tensor's device)."""
    x = t if t.is_floating_point() else t.float()
    rows, cols = (ptjax.from_numpy(m).to(t.device) for m in
                  _resize_matrices(t.shape, size, mode, antialias, x.dtype.np))
    out = rows @ x @ cols
    return out if out.dtype is t.dtype else out.round().to(t.dtype)


class Resize:
    """Resize to ``size`` ((h, w), or an int for the shorter side) with ``bilinear`` (antialiased by default,
    as torchvision) or ``nearest``: one matrix product per axis, in NumPy for host tensors and NumPy images (a
    NumPy image stays an (H, W, C) array of its dtype, as a PIL image stays a PIL image), with ptjax ops for
    tensors in JAX."""

    def __init__(self, size, interpolation="bilinear", max_size=None, antialias=True):
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = getattr(interpolation, "value", interpolation)
        if self.interpolation not in ("bilinear", "nearest"):
            raise ValueError(f"ptjax's Resize supports 'bilinear' and 'nearest' interpolation, got "
                             f"{self.interpolation!r}")

    def _target(self, h, w):
        if not isinstance(self.size, numbers.Number) and len(self.size) == 2:
            return tuple(self.size)
        requested = self.size if isinstance(self.size, numbers.Number) else self.size[0]
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = requested, int(requested * long / short)
        if self.max_size is not None:
            if self.max_size <= requested:
                raise ValueError(f"max_size = {self.max_size} must be strictly greater than the requested size for "
                                 f"the smaller edge size = {self.size}")
            if new_long > self.max_size:
                new_short, new_long = int(self.max_size * new_short / new_long), self.max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)

    def __call__(self, img):
        h, w = _hw(img)
        size = self._target(h, w)
        nearest = self.interpolation == "nearest"
        antialias = bool(self.antialias) and not nearest
        if _is_pil(img):
            return img.resize(size[::-1], _PILImage.NEAREST if nearest else _PILImage.BILINEAR)
        if not isinstance(img, Tensor):
            chw = np.moveaxis(np.asarray(img), (0, 1), (-2, -1))
            out = _resize_host(chw, size, self.interpolation, antialias)
            return np.ascontiguousarray(np.moveaxis(out, (-2, -1), (0, 1)))
        host = _host(img)
        if host is None:
            return _resize_tensor(img, size, self.interpolation, antialias)
        return Tensor._from_host(_resize_host(host, size, self.interpolation, antialias))

    def __repr__(self):
        return (f"{self.__class__.__name__}(size={self.size}, interpolation={self.interpolation}, "
                f"max_size={self.max_size}, antialias={self.antialias})")

