"""torchvision.transforms: the common image transforms.

Images are PIL images (when Pillow is installed) or NumPy arrays ``(H, W)`` / ``(H, W, C)`` (how
``ptjax.vision.datasets`` hands them out without Pillow). Conversions to tensors happen in NumPy, so a
per-sample pipeline costs one array transfer per sample.
"""
from __future__ import annotations

import numbers
import random

import numpy as np

import ptjax
from ptjax._ops.registry import op
from ptjax._tensor import Tensor

try:
    from PIL import Image as _PILImage
except Exception:  # Pillow is optional
    _PILImage = None


def _is_pil(img):
    return _PILImage is not None and isinstance(img, _PILImage.Image)


def _to_hwc_numpy(pic):
    a = np.asarray(pic)
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3:
        raise ValueError(f"pic should be 2/3 dimensional. Got {a.ndim} dimensions.")
    return a


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
    """PIL image or ``uint8`` array (H, W[, C]) → float tensor (C, H, W) in [0, 1]; other dtypes kept as values."""

    def __call__(self, pic):
        a = _to_hwc_numpy(pic)
        out = a.transpose(2, 0, 1)
        out = out.astype(np.float32) / 255.0 if a.dtype == np.uint8 else out.astype(np.float32)
        return ptjax.from_numpy(np.ascontiguousarray(out))

    def __repr__(self):
        return "ToTensor()"


class PILToTensor:
    """PIL image or array → ``uint8`` tensor (C, H, W), values unchanged."""

    def __call__(self, pic):
        return ptjax.from_numpy(np.ascontiguousarray(_to_hwc_numpy(pic).transpose(2, 0, 1)))

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
    """(tensor - mean) / std per channel, on a (..., C, H, W) float tensor.

    One compiled call per image: mean and std become arrays once per dtype (not per call), as this runs per
    sample in a data pipeline.
    """

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace
        if any(s == 0 for s in np.atleast_1d(std)):
            raise ValueError(f"std evaluated to zero after conversion to {ptjax.float32}, leading to division by zero.")
        self._consts = {}

    def _arrays(self, np_dtype):
        c = self._consts.get(np_dtype)
        if c is None:
            c = self._consts[np_dtype] = tuple(
                ptjax.tensor(np.asarray(v, dtype=np_dtype).reshape(-1, 1, 1)) for v in (self.mean, self.std))
        return c

    def __call__(self, tensor):
        if not isinstance(tensor, Tensor):
            raise TypeError(f"Input tensor should be a torch tensor. Got {type(tensor)}.")
        if not tensor.is_floating_point():
            raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
        mean, std = self._arrays(tensor.dtype.np)
        out = _normalize(tensor, mean, std)
        if self.inplace:
            return tensor.copy_(out)
        return out

    def __repr__(self):
        return f"Normalize(mean={self.mean}, std={self.std})"


@op(tensors=("input", "mean", "std"), jit=True, method=False, function=False)
def _normalize(input, mean, std):
    return (input - mean) / std


class Lambda:
    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {repr(type(lambd).__name__)}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)

    def __repr__(self):
        return "Lambda()"


def _size2(size):
    return (size, size) if isinstance(size, numbers.Number) else tuple(size)


def _hw(img):
    if isinstance(img, Tensor):
        return img.shape[-2], img.shape[-1]
    if _is_pil(img):
        return img.size[1], img.size[0]
    a = np.asarray(img)
    return a.shape[0], a.shape[1]


def _crop(img, top, left, h, w):
    if isinstance(img, Tensor):
        return img[..., top:top + h, left:left + w]
    if _is_pil(img):
        return img.crop((left, top, left + w, top + h))
    return np.asarray(img)[top:top + h, left:left + w]


def _pad(img, padding, fill=0):
    p = padding
    if isinstance(p, numbers.Number):
        p = (p, p, p, p)
    elif len(p) == 2:
        p = (p[0], p[1], p[0], p[1])
    left, top, right, bottom = p
    if isinstance(img, Tensor):
        return ptjax.nn.functional.pad(img, (left, right, top, bottom), value=fill)
    a = np.asarray(img)
    width = ((top, bottom), (left, right)) + ((0, 0),) * (a.ndim - 2)
    out = np.pad(a, width, constant_values=fill)
    return _PILImage.fromarray(out) if _is_pil(img) else out


class RandomCrop:
    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size, self.padding, self.pad_if_needed, self.fill = _size2(size), padding, pad_if_needed, fill

    def __call__(self, img):
        if self.padding is not None:
            img = _pad(img, self.padding, self.fill)
        h, w = _hw(img)
        th, tw = self.size
        if self.pad_if_needed and (h < th or w < tw):
            img = _pad(img, (max(0, tw - w), max(0, th - h)), self.fill)
            h, w = _hw(img)
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        top, left = random.randint(0, h - th), random.randint(0, w - tw)
        return _crop(img, top, left, th, tw)

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class CenterCrop:
    def __init__(self, size):
        self.size = _size2(size)

    def __call__(self, img):
        h, w = _hw(img)
        th, tw = self.size
        return _crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)

    def __repr__(self):
        return f"CenterCrop(size={self.size})"


class RandomHorizontalFlip:
    def __init__(self, p=0.5):
        self.p = p

    def __call__(self, img):
        if random.random() >= self.p:
            return img
        if isinstance(img, Tensor):
            return img.flip(-1)
        if _is_pil(img):
            return img.transpose(_PILImage.FLIP_LEFT_RIGHT)
        return np.ascontiguousarray(np.asarray(img)[:, ::-1])

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"


class Resize:
    """Bilinear resize (nearest for ``interpolation='nearest'``); an int size scales the shorter side."""

    def __init__(self, size, interpolation="bilinear", max_size=None, antialias=True):
        self.size, self.interpolation = size, interpolation

    def _target(self, h, w):
        if isinstance(self.size, numbers.Number):
            s = int(self.size)
            return (s, int(s * w / h)) if h <= w else (int(s * h / w), s)
        return tuple(self.size)

    def __call__(self, img):
        h, w = _hw(img)
        th, tw = self._target(h, w)
        if _is_pil(img):
            return img.resize((tw, th), _PILImage.BILINEAR if self.interpolation != "nearest" else _PILImage.NEAREST)
        t = img if isinstance(img, Tensor) else ToTensor()(img)
        batched = t.unsqueeze(0) if t.ndim == 3 else t
        mode = "nearest" if self.interpolation == "nearest" else "bilinear"
        out = ptjax.nn.functional.interpolate(batched.float(), size=(th, tw), mode=mode,
                                              align_corners=False if mode == "bilinear" else None)
        return out[0] if t.ndim == 3 else out

    def __repr__(self):
        return f"Resize(size={self.size}, interpolation={self.interpolation}, max_size=None, antialias=True)"
