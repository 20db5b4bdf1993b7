"""ptjax.save / ptjax.load against real torch checkpoints (both directions), and ptjax.utils.safetensors.

The tensor side goes through a small backend (``tt``): how a test makes, views and reads ptjax tensors.
"""
import collections
import io
import os
import pathlib
import pickle
import struct
import subprocess
import sys
import zipfile

import ml_dtypes
import numpy as np
import pytest

import ptjax
import ptjax.serialization as S
import ptjax.utils.safetensors as ST
from ptjax import _dtype
from ptjax.serialization import _pickler, _zip
from ptjax.serialization import map_location as ML

DTYPES = ["float16", "float32", "float64", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "bool",
          "complex64", "complex128"]


# ---------------------------------------------------------------------------------------------------------------------
# tensor backends
# ---------------------------------------------------------------------------------------------------------------------

class Backend:
    def mk(self, a, requires_grad=False):
        t = ptjax.from_numpy(np.array(a, order="C"))
        return t.requires_grad_(True) if requires_grad else t

    def view(self, t, offset, size, stride):
        return ptjax.as_strided(t.detach(), size, stride, offset)

    def vals(self, t):
        return np.asarray(t.detach().numpy(), order="C")

    def root(self, t):
        while t._base is not None:
            t = t._base
        return t

    def param(self, t, requires_grad=True):
        return ptjax.nn.Parameter(t, requires_grad)

    def is_param(self, t):
        return isinstance(t, ptjax.nn.Parameter)


@pytest.fixture
def tt():
    return Backend()


# ---------------------------------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------------------------------

def rand_np(name, shape, seed=0):
    rng = np.random.default_rng(seed)
    if name in ("float16", "float32", "float64"):
        return np.asarray(rng.standard_normal(shape)).astype(name)
    if name == "bfloat16":
        return np.asarray(rng.standard_normal(shape)).astype(np.float32).astype(ml_dtypes.bfloat16)
    if name == "bool":
        return np.asarray(rng.random(shape) > 0.5)
    if name.startswith("complex"):
        return np.asarray(rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(name)
    info = np.iinfo(name)
    return np.asarray(rng.integers(info.min, info.max, shape, dtype=name, endpoint=True))


def to_torch(a):
    torch = pytest.importorskip("torch")
    if a.dtype == ml_dtypes.bfloat16:
        return torch.from_numpy(a.astype(np.float32)).to(torch.bfloat16)
    return torch.from_numpy(np.array(a, order="C", copy=True))


def from_torch(t):
    torch = pytest.importorskip("torch")
    t = t.detach().resolve_conj().resolve_neg()
    if t.dtype == torch.bfloat16:
        return t.float().numpy().astype(ml_dtypes.bfloat16)
    return np.asarray(t.numpy(), order="C")


def same_bits(a, b):
    a, b = np.asarray(a, order="C"), np.asarray(b, order="C")
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def torch_save_bytes(obj, **kw):
    torch = pytest.importorskip("torch")
    b = io.BytesIO()
    torch.save(obj, b, **kw)
    return b.getvalue()


def ptjax_save_bytes(obj, **kw):
    b = io.BytesIO()
    S.save(obj, b, **kw)
    return b.getvalue()


def torch_load_bytes(data, **kw):
    torch = pytest.importorskip("torch")
    kw.setdefault("weights_only", True)
    return torch.load(io.BytesIO(data), **kw)


def ptjax_load_bytes(data, **kw):
    return S.load(io.BytesIO(data), **kw)


def rezip(data, transform=lambda name, content: content, compression=zipfile.ZIP_STORED, drop=()):
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for n in src.namelist():
            if n.split("/", 1)[1] in drop:
                continue
            z.writestr(n, transform(n.split("/", 1)[1], src.read(n)))
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------------------------
# torch -> ptjax
# ---------------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", DTYPES)
def test_torch_to_ptjax_every_dtype(tt, name):
    torch = pytest.importorskip("torch")
    a = rand_np(name, (3, 4), seed=DTYPES.index(name))
    t = to_torch(a)
    assert t.dtype == getattr(torch, name)
    out = ptjax_load_bytes(torch_save_bytes({"x": t, "s": to_torch(rand_np(name, (), 1))}))
    x = out["x"]
    assert x.dtype is getattr(_dtype, name)
    assert tuple(x.shape) == (3, 4) and tuple(x.stride()) == (4, 1) and x.storage_offset() == 0
    assert same_bits(tt.vals(x), a)
    assert tuple(out["s"].shape) == ()
    assert same_bits(tt.vals(out["s"]), rand_np(name, (), 1))


def test_torch_views_and_shared_storage(tt):
    torch = pytest.importorskip("torch")
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    obj = {"base": base, "t": base.t(), "slice": base[1:, 2:], "step": base[:, ::2], "row": base[2],
           "expand": base[0, :1].expand(5, 3), "other": torch.ones(2, 2)[:, 0], "empty": torch.empty(0, 3),
           "scalar": torch.tensor(3.5)}
    out = ptjax_load_bytes(torch_save_bytes(obj))
    for k, t in obj.items():
        got = out[k]
        assert tuple(got.shape) == tuple(t.shape), k
        assert tuple(got.stride()) == tuple(t.stride()), k
        assert got.storage_offset() == t.storage_offset(), k
        assert got.dtype is _dtype.float32
        assert same_bits(tt.vals(got), from_torch(t)), k
    roots = {k: id(tt.root(out[k])) for k in ("base", "t", "slice", "step", "row", "expand")}
    assert len(set(roots.values())) == 1, "tensors sharing a storage in the file must alias after load"
    assert id(tt.root(out["other"])) not in roots.values()
    assert out["base"]._base is None, "a tensor covering its whole storage becomes the storage owner"
    # aliasing is live: a write through one is seen through the others, as in torch
    out["base"][1, 3] = -1.0
    assert tt.vals(out["t"])[3, 1] == -1.0 and tt.vals(out["slice"])[0, 1] == -1.0
    assert tt.vals(out["row"])[3] == 15.0 and tt.vals(out["other"]).tolist() == [1.0, 1.0]


def test_torch_nested_containers_and_python_values(tt):
    torch = pytest.importorskip("torch")
    od = collections.OrderedDict([("z", 1), ("a", torch.ones(2))])
    obj = {"list": [1, 2.5, "s", None, True, False, -7, 2 ** 70, -(2 ** 40)],
           "tuple": (torch.zeros(3, dtype=torch.int64), ("nested", [{"deep": torch.tensor([1, 2], dtype=torch.int8)}])),
           "od": od, "bytes": b"\x00\xffabc", "bytearray": bytearray(b"xy"), "set": {1, 2, 3}, "complex": 1 + 2j,
           "size": torch.Size([2, 3]), "dtype": torch.bfloat16, "dtypes": [torch.float64, torch.bool, torch.uint8],
           "device": torch.device("cpu"), "cuda_device": torch.device("cuda", 1), "float": float("inf"),
           "str": "ünïcödé", "counter": collections.Counter("abca"), 3: "int key"}
    out = ptjax_load_bytes(torch_save_bytes(obj))
    assert out["list"] == obj["list"]
    assert out["tuple"][1][0] == "nested" and isinstance(out["tuple"], tuple)
    assert same_bits(tt.vals(out["tuple"][1][1][0]["deep"]), np.array([1, 2], np.int8))
    assert type(out["od"]) is collections.OrderedDict and list(out["od"]) == ["z", "a"]
    assert out["bytes"] == b"\x00\xffabc" and out["bytearray"] == bytearray(b"xy")
    assert out["set"] == {1, 2, 3} and out["complex"] == 1 + 2j and out["float"] == float("inf")
    assert out["size"] == (2, 3) and type(out["size"]).__name__ == "Size" and repr(out["size"]) == "torch.Size([2, 3])"
    assert out["dtype"] is _dtype.bfloat16 and out["dtypes"] == [_dtype.float64, _dtype.bool, _dtype.uint8]
    assert str(out["device"]) == "cpu" and str(out["cuda_device"]) == "cuda:1"
    assert out["str"] == "ünïcödé" and out["counter"] == collections.Counter("abca") and out[3] == "int key"


def test_torch_module_state_dict(tt):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    lin = torch.nn.Linear(3, 2)
    sd = lin.state_dict()
    out = ptjax_load_bytes(torch_save_bytes(sd))
    assert type(out) is collections.OrderedDict and list(out) == ["weight", "bias"]
    assert out._metadata == collections.OrderedDict([("", {"version": 1})])
    for k in sd:
        assert same_bits(tt.vals(out[k]), from_torch(sd[k]))
        assert not out[k].requires_grad


def test_torch_optimizer_state_dict(tt):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    lin = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(lin.parameters(), lr=1e-3)
    lin(torch.randn(4, 3)).sum().backward()
    opt.step()
    sd = opt.state_dict()
    out = ptjax_load_bytes(torch_save_bytes(sd))
    assert out["param_groups"] == sd["param_groups"]
    assert set(out["state"]) == {0, 1}
    for i in (0, 1):
        for k in ("step", "exp_avg", "exp_avg_sq"):
            assert same_bits(tt.vals(out["state"][i][k]), from_torch(sd["state"][i][k])), (i, k)
    assert tuple(out["state"][0]["step"].shape) == ()


def test_torch_parameter_requires_grad_and_conj(tt):
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.randn(2, 3))
    frozen = torch.nn.Parameter(torch.randn(2), requires_grad=False)
    rg = torch.randn(3).requires_grad_()
    c = torch.tensor([1 + 2j, 3 - 1j], dtype=torch.complex64).conj()
    out = ptjax_load_bytes(torch_save_bytes({"p": p, "frozen": frozen, "rg": rg, "c": c}))
    assert out["p"].requires_grad and not out["frozen"].requires_grad
    assert tt.is_param(out["p"]) and tt.is_param(out["frozen"])
    assert same_bits(tt.vals(out["p"]), from_torch(p))
    assert out["rg"].requires_grad and same_bits(tt.vals(out["rg"]), from_torch(rg))
    assert same_bits(tt.vals(out["c"]), np.array([1 - 2j, 3 + 1j], np.complex64))


@pytest.mark.parametrize("protocol", [2, 4, 5])
def test_torch_pickle_protocols(tt, protocol):
    torch = pytest.importorskip("torch")
    obj = {"x": torch.arange(6).reshape(2, 3), "n": [1, "two", (3.0,)], "od": collections.OrderedDict(a=1)}
    out = ptjax_load_bytes(torch_save_bytes(obj, pickle_protocol=protocol))
    assert same_bits(tt.vals(out["x"]), np.arange(6).reshape(2, 3))
    assert out["n"] == [1, "two", (3.0,)] and out["od"] == collections.OrderedDict(a=1)


def test_torch_unsupported_dtype_is_a_clear_error(tt):
    torch = pytest.importorskip("torch")
    data = torch_save_bytes({"x": torch.ones(2, dtype=torch.uint16)})
    with pytest.raises(S.CheckpointError, match="uint16"):
        ptjax_load_bytes(data)


def test_torch_legacy_format_is_refused(tt):
    torch = pytest.importorskip("torch")
    data = torch_save_bytes(torch.ones(2), _use_new_zipfile_serialization=False)
    with pytest.raises(S.LegacyFormatError, match="legacy"):
        ptjax_load_bytes(data)


def test_deflated_and_big_endian_archives(tt):
    torch = pytest.importorskip("torch")
    obj = {"f": torch.randn(3, 2, dtype=torch.float64), "c": torch.randn(2, dtype=torch.complex64),
           "b": torch.randn(4).to(torch.bfloat16), "i": torch.arange(5, dtype=torch.int16)}
    data = torch_save_bytes(obj)
    deflated = rezip(data, compression=zipfile.ZIP_DEFLATED)
    out = ptjax_load_bytes(deflated)
    for k in obj:
        assert same_bits(tt.vals(out[k]), from_torch(obj[k])), k

    # the same checkpoint as a big-endian machine would write it
    # storage keys are assigned in pickling order: f, c, b, i
    widths = {key: (t.element_size() // 2) if t.is_complex() else t.element_size()
              for key, t in zip("0123", obj.values())}

    def swap(name, content):
        if name == "byteorder":
            return b"big"
        if name.startswith("data/"):
            w = widths[name[5:]]
            return np.frombuffer(content, f"<u{w}").astype(f">u{w}").tobytes()
        return content
    out = ptjax_load_bytes(rezip(data, swap))
    for k in obj:
        assert same_bits(tt.vals(out[k]), from_torch(obj[k])), k


def test_weights_only_false_maps_torch_globals_without_importing_torch(tmp_path):
    pytest.importorskip("torch")
    import torch
    path = tmp_path / "ckpt.pt"
    lin = torch.nn.Linear(3, 2)
    torch.save({"sd": lin.state_dict(), "p": torch.nn.Parameter(torch.ones(2)), "size": torch.Size([4]),
                "dt": torch.int32, "x": torch.arange(4)[1:]}, path)
    script = f"""
import sys
sys.modules['torch'] = None          # any 'import torch' now fails
import numpy as np
import ptjax
import ptjax.serialization as S
for wo in (False, True):
    out = S.load({str(path)!r}, weights_only=wo)
    assert list(out['sd']) == ['weight', 'bias'], out
    assert out['size'] == (4,) and out['dt'] is ptjax.int32
    assert out['x'].numpy().tolist() == [1, 2, 3]
assert 'torch' not in sys.modules or sys.modules['torch'] is None
print('ok')
"""
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                       cwd=str(pathlib.Path(S.__file__).parents[2]))
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]


class _Custom:
    def __init__(self, v):
        self.v = v


def test_weights_only_false_loads_arbitrary_objects(tt):
    data = ptjax_save_bytes({"custom": _Custom(5), "arr": np.arange(3)})
    with pytest.raises(S.WeightsOnlyUnpicklingError, match="weights_only=False"):
        ptjax_load_bytes(data)
    out = ptjax_load_bytes(data, weights_only=False)
    assert out["custom"].v == 5 and out["arr"].tolist() == [0, 1, 2]


# ---------------------------------------------------------------------------------------------------------------------
# ptjax -> torch
# ---------------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", DTYPES)
def test_ptjax_to_torch_every_dtype(tt, name):
    torch = pytest.importorskip("torch")
    a = rand_np(name, (4, 3), seed=10 + DTYPES.index(name))
    s = rand_np(name, (), seed=3)
    data = ptjax_save_bytes({"x": tt.mk(a), "s": tt.mk(s)})
    out = torch_load_bytes(data)
    assert out["x"].dtype == getattr(torch, name) and tuple(out["x"].shape) == (4, 3)
    assert out["x"].stride() == (3, 1)
    assert same_bits(from_torch(out["x"]), a)
    assert same_bits(from_torch(out["s"]), s)
    back = ptjax_load_bytes(data)
    assert same_bits(tt.vals(back["x"]), a) and back["x"].dtype is getattr(_dtype, name)


def test_ptjax_views_to_torch(tt):
    torch = pytest.importorskip("torch")
    a = np.arange(24, dtype=np.float32).reshape(4, 6)
    base = tt.mk(a)
    views = {"t": (0, (6, 4), (1, 6)), "slice": (8, (3, 4), (6, 1)), "step": (0, (4, 3), (6, 2)),
             "expand": (1, (5, 3), (0, 1)), "row": (12, (6,), (1,))}
    obj = {"base": base, **{k: tt.view(base, *spec) for k, spec in views.items()}}
    out = torch_load_bytes(ptjax_save_bytes(obj))
    ref = torch.from_numpy(a.copy())
    ptr = out["base"].untyped_storage().data_ptr()
    for k, (off, size, stride) in views.items():
        t = out[k]
        assert t.untyped_storage().data_ptr() == ptr, k
        assert t.storage_offset() == off and tuple(t.shape) == size and t.stride() == stride, k
        assert torch.equal(t, ref.as_strided(size, stride, off)), k
    back = ptjax_load_bytes(ptjax_save_bytes(obj))
    assert len({id(tt.root(back[k])) for k in obj}) == 1
    for k, (off, size, stride) in views.items():
        assert tuple(back[k].stride()) == stride and back[k].storage_offset() == off
        assert same_bits(tt.vals(back[k]), np.lib.stride_tricks.as_strided(a.reshape(-1)[off:], size,
                                                                             [4 * s for s in stride]))


def test_ptjax_containers_to_torch(tt):
    torch = pytest.importorskip("torch")
    sd = collections.OrderedDict([("weight", tt.mk(rand_np("float32", (2, 3)))),
                                  ("bias", tt.mk(rand_np("float32", (2,), 1)))])
    sd._metadata = collections.OrderedDict([("", {"version": 1})])
    obj = {"sd": sd, "size": ptjax.Size((2, 3)), "dtype": _dtype.bfloat16, "dtypes": (_dtype.int64, _dtype.bool),
           "dev": ptjax.device("cuda", 0), "cpu": ptjax.device("cpu"), "bytes": b"\x00\x01",
           "misc": [1, 2.5, None, True, "x", {"k": (1, 2)}, 2 ** 80], "set": {4, 5}, "complex": 2 - 1j}
    data = ptjax_save_bytes(obj)
    out = torch_load_bytes(data)
    assert out["size"] == torch.Size([2, 3]) and type(out["size"]) is torch.Size
    assert out["dtype"] is torch.bfloat16 and out["dtypes"] == (torch.int64, torch.bool)
    assert out["dev"] == torch.device("cuda", 0) and out["cpu"] == torch.device("cpu")
    assert out["bytes"] == b"\x00\x01" and out["misc"] == obj["misc"] and out["set"] == {4, 5}
    assert out["complex"] == 2 - 1j
    assert out["sd"]._metadata == sd._metadata
    lin = torch.nn.Linear(3, 2)
    lin.load_state_dict(out["sd"])
    assert same_bits(from_torch(lin.weight), tt.vals(sd["weight"]))


def test_ptjax_optimizer_state_dict_to_torch(tt):
    torch = pytest.importorskip("torch")
    lin = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(lin.parameters(), lr=1e-3)
    lin(torch.randn(4, 3)).sum().backward()
    opt.step()
    ref = opt.state_dict()
    # the same state dict made of ptjax tensors
    mine = {"state": {i: {k: tt.mk(from_torch(v)) for k, v in s.items()} for i, s in ref["state"].items()},
            "param_groups": ref["param_groups"]}
    out = torch_load_bytes(ptjax_save_bytes(mine))
    opt2 = torch.optim.Adam(torch.nn.Linear(3, 2).parameters(), lr=1e-3)
    opt2.load_state_dict(out)
    for i in (0, 1):
        for k in ("step", "exp_avg", "exp_avg_sq"):
            assert torch.equal(out["state"][i][k], ref["state"][i][k])


def test_ptjax_parameter_and_requires_grad_to_torch(tt):
    torch = pytest.importorskip("torch")
    a = rand_np("float32", (2, 2))
    p = tt.param(tt.mk(a), True)
    frozen = tt.param(tt.mk(a), False)
    rg = tt.mk(rand_np("float64", (3,)), requires_grad=True)
    out = torch_load_bytes(ptjax_save_bytes({"p": p, "frozen": frozen, "rg": rg}))
    assert isinstance(out["p"], torch.nn.Parameter) and out["p"].requires_grad
    assert isinstance(out["frozen"], torch.nn.Parameter) and not out["frozen"].requires_grad
    assert same_bits(from_torch(out["p"]), a)
    assert out["rg"].requires_grad and not isinstance(out["rg"], torch.nn.Parameter)


def test_data_pkl_is_byte_identical_to_torch(tt):
    torch = pytest.importorskip("torch")
    a = rand_np("float32", (3, 4))
    i = rand_np("int64", (5,), 1)
    tb = torch.from_numpy(a.copy())
    theirs = {"w": tb, "wt": tb.t(), "s": tb[1:, 2:], "i": torch.from_numpy(i.copy()), "size": torch.Size([3]),
              "dt": torch.float16, "b": b"xy", "l": [1, 2.5, None, True, "x"],
              "od": collections.OrderedDict(k=torch.from_numpy(i.copy())[1:3])}
    base = tt.mk(a)
    it = tt.mk(i)
    ours = {"w": base, "wt": tt.view(base, 0, (4, 3), (1, 4)), "s": tt.view(base, 6, (2, 2), (4, 1)),
            "i": tt.mk(i), "size": ptjax.Size((3,)), "dt": _dtype.float16, "b": b"xy", "l": [1, 2.5, None, True, "x"],
            "od": collections.OrderedDict(k=tt.view(it, 1, (2,), (1,)))}
    z1 = zipfile.ZipFile(io.BytesIO(torch_save_bytes(theirs)))
    z2 = zipfile.ZipFile(io.BytesIO(ptjax_save_bytes(ours)))
    assert z1.read("archive/data.pkl") == z2.read("archive/data.pkl")
    assert z1.namelist() == z2.namelist()
    for n in z1.namelist():
        if not n.endswith("serialization_id"):
            assert z1.read(n) == z2.read(n), n


def test_archive_layout(tt, tmp_path):
    path = tmp_path / "my_model.pt"
    S.save({"a": tt.mk(rand_np("float32", (3,))), "b": tt.mk(rand_np("int8", (7,)))}, path)
    raw = path.read_bytes()
    z = zipfile.ZipFile(path)
    assert z.namelist() == ["my_model/data.pkl", "my_model/.format_version", "my_model/.storage_alignment",
                            "my_model/byteorder", "my_model/data/0", "my_model/data/1", "my_model/version",
                            "my_model/.data/serialization_id"]
    assert z.read("my_model/byteorder") == b"little" and z.read("my_model/version") == b"3\n"
    assert z.read("my_model/.format_version") == b"1" and z.read("my_model/.storage_alignment") == b"64"
    assert len(z.read("my_model/.data/serialization_id")) == 40
    assert z.testzip() is None
    for info in z.infolist():
        assert info.compress_type == zipfile.ZIP_STORED
        nlen, elen = struct.unpack("<HH", raw[info.header_offset + 26:info.header_offset + 30])
        assert (info.header_offset + 30 + nlen + elen) % 64 == 0, info.filename
    assert pathlib.Path(path).stat().st_size == len(raw)
    assert zipfile.ZipFile(io.BytesIO(ptjax_save_bytes({}))).namelist()[0] == "archive/data.pkl"


def test_paths_and_file_objects(tt, tmp_path):
    a = rand_np("float64", (2, 2))
    for target in (str(tmp_path / "a.pt"), tmp_path / "b.pt"):
        S.save({"a": tt.mk(a)}, target)
        assert same_bits(tt.vals(S.load(target)["a"]), a)
        assert same_bits(tt.vals(S.load(pathlib.Path(target))["a"]), a)
    with open(tmp_path / "c.pt", "wb") as fh:
        fh.write(b"")  # an existing, empty file object at position 0
        S.save({"a": tt.mk(a)}, fh)
    with open(tmp_path / "c.pt", "rb") as fh:
        assert same_bits(tt.vals(S.load(fh)["a"]), a)

    class NonSeekable(io.RawIOBase):
        def __init__(self, data):
            self._b = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            return self._b.readinto(b)

    class WriteOnly:
        def __init__(self):
            self.chunks = []

        def write(self, b):
            self.chunks.append(bytes(b))
            return len(b)

    w = WriteOnly()
    S.save({"a": tt.mk(a)}, w)
    assert same_bits(tt.vals(S.load(NonSeekable(b"".join(w.chunks)))["a"]), a)
    with pytest.raises(TypeError):
        S.save({}, 42)
    with pytest.raises(TypeError):
        S.load(b"PK\x03\x04")
    with pytest.raises(FileNotFoundError):
        S.load(tmp_path / "missing.pt")


def test_atomic_save_never_destroys_the_previous_file(tt, tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    old = rand_np("float32", (5,))
    S.save({"a": tt.mk(old)}, path)
    before = path.read_bytes()

    # 1. the object cannot be pickled
    with pytest.raises(pickle.PicklingError):
        S.save({"a": tt.mk(old), "f": lambda: 0}, path)
    assert path.read_bytes() == before

    # 2. the process is interrupted half-way through writing the storages
    real = _pickler._storage_numpy
    calls = []

    def interrupted(root):
        calls.append(root)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(root)
    monkeypatch.setattr(_pickler, "_storage_numpy", interrupted)
    with pytest.raises(KeyboardInterrupt):
        S.save({"a": tt.mk(rand_np("float32", (1000,))), "b": tt.mk(rand_np("float32", (10,)))}, path)
    monkeypatch.setattr(_pickler, "_storage_numpy", real)
    assert path.read_bytes() == before
    assert same_bits(tt.vals(S.load(path)["a"]), old)
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"], "no temporary file may be left behind"

    # 3. a successful save replaces it, keeping its permissions
    os.chmod(path, 0o640)
    new = rand_np("float32", (3,), 7)
    S.save({"a": tt.mk(new)}, path)
    assert same_bits(tt.vals(S.load(path)["a"]), new)
    assert (path.stat().st_mode & 0o777) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["ckpt.pt"]


def _cuda_tagged_checkpoint(tt, monkeypatch):
    real = _pickler._tensor_layout
    monkeypatch.setattr(_pickler, "_tensor_layout", lambda t: real(t)._replace(location="cuda:0"))
    data = ptjax_save_bytes({"a": tt.mk(np.arange(3, dtype=np.float32))})
    monkeypatch.setattr(_pickler, "_tensor_layout", real)
    return data


def test_map_location(tt, monkeypatch):
    data = _cuda_tagged_checkpoint(tt, monkeypatch)
    pkl = zipfile.ZipFile(io.BytesIO(data)).read("archive/data.pkl")
    assert b"cuda:0" in pkl
    monkeypatch.setattr(ML, "_cuda_device_count", lambda: 0)
    with pytest.raises(RuntimeError) as e:
        ptjax_load_bytes(data)
    assert str(e.value) == (
        "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. If you are running "
        "on a CPU-only machine, please use torch.load with map_location=torch.device('cpu') to map your storages to "
        "the CPU.")
    with pytest.raises(RuntimeError, match="CUDA device"):
        ptjax_load_bytes(data, map_location={"cuda:1": "cpu"})
    with pytest.raises(RuntimeError, match="CUDA device"):
        ptjax_load_bytes(data, map_location=lambda s, loc: None)
    seen = []

    def keep_on_cpu(storage, location):
        seen.append((location, storage.location, storage.nbytes(), storage.dtype))
        return storage
    for ml in ("cpu", ptjax.device("cpu"), {"cuda:0": "cpu"}, {"cuda:0": ptjax.device("cpu")}, keep_on_cpu,
               lambda s, loc: s.cpu()):
        out = ptjax_load_bytes(data, map_location=ml)
        assert same_bits(tt.vals(out["a"]), np.arange(3, dtype=np.float32))
    assert seen == [("cuda:0", "cpu", 12, _dtype.float32)]
    with pytest.raises(RuntimeError, match="CUDA device"):
        ptjax_load_bytes(data, map_location=lambda s, loc: s.cuda())
    with pytest.raises(TypeError):
        ptjax_load_bytes(data, map_location=lambda s, loc: "cpu")
    with pytest.raises(TypeError):
        ptjax_load_bytes(data, map_location=3.5)
    # a CPU checkpoint mapped to a missing GPU fails the same way
    cpu_data = ptjax_save_bytes({"a": tt.mk(np.arange(3, dtype=np.float32))})
    with pytest.raises(RuntimeError, match="torch.cuda.is_available"):
        ptjax_load_bytes(cpu_data, map_location="cuda")
    monkeypatch.setattr(ML, "_cuda_device_count", lambda: 1)
    with pytest.raises(RuntimeError, match="device_count"):
        ptjax_load_bytes(cpu_data, map_location="cuda:3")
    with pytest.raises(RuntimeError, match="location tag"):
        ptjax_load_bytes(cpu_data, map_location="mps")


def test_map_location_to_gpu_when_present(tt):
    if ML._cuda_device_count() == 0:
        pytest.skip("needs a GPU")
    out = ptjax_load_bytes(ptjax_save_bytes({"a": tt.mk(np.arange(3.0))}), map_location="cuda:0")
    assert str(out["a"].device) == "cuda:0"
    assert np.asarray(out["a"].cpu().numpy()).tolist() == [0.0, 1.0, 2.0]


def test_torch_reads_cuda_tag_like_ptjax(tt, monkeypatch):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("torch has CUDA here")
    data = _cuda_tagged_checkpoint(tt, monkeypatch)
    with pytest.raises(RuntimeError, match="torch.cuda.is_available"):
        torch_load_bytes(data)
    assert torch_load_bytes(data, map_location="cpu")["a"].tolist() == [0.0, 1.0, 2.0]


def test_mmap(tt, tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "m.pt"
    ref = {"a": torch.randn(4, 5), "b": torch.arange(10, dtype=torch.int16)[2:], "e": torch.empty(0),
           "flag": torch.tensor([True, False])}
    torch.save(ref, path)
    out = S.load(path, mmap=True)
    for k in ref:
        assert same_bits(tt.vals(out[k]), from_torch(ref[k])), k
    assert tuple(out["b"].stride()) == (1,) and out["b"].storage_offset() == 2
    deflated = tmp_path / "d.pt"
    deflated.write_bytes(rezip(path.read_bytes(), compression=zipfile.ZIP_DEFLATED))
    assert same_bits(tt.vals(S.load(deflated, mmap=True)["a"]), from_torch(ref["a"]))
    with open(path, "rb") as fh, pytest.raises(ValueError, match="file path"):
        S.load(fh, mmap=True)


def test_zip64_records(tt, monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setattr(_zip, "_ZIP64_LIMIT", 16)   # pretend every entry over 16 bytes is > 4 GiB
    a = rand_np("float64", (5, 3))
    data = ptjax_save_bytes({"a": tt.mk(a), "small": tt.mk(np.arange(2, dtype=np.int8))})
    z = zipfile.ZipFile(io.BytesIO(data))
    assert z.testzip() is None
    assert same_bits(from_torch(torch_load_bytes(data)["a"]), a)
    assert same_bits(tt.vals(ptjax_load_bytes(data)["a"]), a)


def test_save_arguments(tt):
    with pytest.raises(NotImplementedError):
        S.save({}, io.BytesIO(), _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError):
        S.save({}, io.BytesIO(), pickle_protocol=1)
    with pytest.raises(ValueError):
        S.load(io.BytesIO(ptjax_save_bytes({})), pickle_module=object())
    assert ptjax_load_bytes(ptjax_save_bytes({"x": 1}, pickle_protocol=4)) == {"x": 1}
    assert ptjax_load_bytes(ptjax_save_bytes({"x": 1}), weights_only=None) == {"x": 1}


def test_save_shared_storage_as_two_dtypes_is_refused(tt):
    x = ptjax.from_numpy(np.arange(4, dtype=np.float32))
    try:
        y = x.view(ptjax.int32)
    except Exception:  # noqa: BLE001
        pytest.skip("core has no dtype views")
    if y._base is None:
        pytest.skip("dtype views do not share storage in this core")
    with pytest.raises(RuntimeError, match="different types"):
        S.save({"x": x, "y": y}, io.BytesIO())


# ---------------------------------------------------------------------------------------------------------------------
# safetensors
# ---------------------------------------------------------------------------------------------------------------------

ST_DTYPES = [d for d in DTYPES if d != "complex128"]


def test_safetensors_roundtrip(tt, tmp_path):
    tensors = {f"t_{n}": tt.mk(rand_np(n, (2, 3), i)) for i, n in enumerate(ST_DTYPES)}
    tensors["scalar"] = tt.mk(rand_np("float32", (), 9))
    tensors["empty"] = tt.mk(np.zeros((0, 4), np.float32))
    for out in (ST.load(ST.save(tensors, metadata={"format": "pt"})),):
        for k, t in tensors.items():
            assert same_bits(tt.vals(out[k]), tt.vals(t)), k
    ST.save_file(tensors, tmp_path / "m.safetensors", metadata={"a": "b"})
    out = ST.load_file(tmp_path / "m.safetensors")
    for k, t in tensors.items():
        assert same_bits(tt.vals(out[k]), tt.vals(t)), k
    assert ST.load_metadata((tmp_path / "m.safetensors").read_bytes()) == {"a": "b"}
    assert sorted(os.listdir(tmp_path)) == ["m.safetensors"]
    view = tt.view(tt.mk(np.arange(12, dtype=np.int32)), 1, (3, 2), (1, 3))
    assert same_bits(tt.vals(ST.load(ST.save({"v": view}))["v"]), np.array([[1, 4], [2, 5], [3, 6]], np.int32))
    with pytest.raises(ValueError, match="complex128"):
        ST.save({"c": tt.mk(rand_np("complex128", (2,)))})
    with pytest.raises(ValueError):
        ST.save({"x": tt.mk(np.zeros(1, np.float32))}, metadata={"k": 1})
    with pytest.raises(TypeError):
        ST.save([1, 2])


def test_safetensors_matches_reference_implementation(tt, tmp_path):
    ref = pytest.importorskip("safetensors.numpy")
    arrays = {f"t_{n}": rand_np(n, (3, 2), i) for i, n in enumerate(ST_DTYPES) if n != "bfloat16"}
    arrays["z_empty"] = np.zeros((0, 2), np.float64)
    arrays["scalar"] = np.array(1.5, np.float32)
    ours = ST.save({k: tt.mk(v) for k, v in arrays.items()}, metadata={"k": "v"})
    theirs = ref.save(arrays, metadata={"k": "v"})
    assert ours == theirs
    back = ref.load(ours)
    for k, v in arrays.items():
        assert same_bits(back[k], v), k
    got = ST.load(theirs)
    for k, v in arrays.items():
        assert same_bits(tt.vals(got[k]), v), k
    ref.save_file(arrays, tmp_path / "r.safetensors")
    got = ST.load_file(tmp_path / "r.safetensors")
    assert same_bits(tt.vals(got["t_int64"]), arrays["t_int64"])


def test_safetensors_reference_torch_dtypes(tt):
    torch = pytest.importorskip("torch")
    ref = pytest.importorskip("safetensors.torch")
    ts = {"bf16": torch.randn(3, 2).to(torch.bfloat16), "c64": torch.randn(2, dtype=torch.complex64),
          "b": torch.tensor([True, False])}
    got = ST.load(ref.save(ts))
    for k, t in ts.items():
        assert same_bits(tt.vals(got[k]), from_torch(t)), k
    back = ref.load(ST.save({k: tt.mk(from_torch(t)) for k, t in ts.items()}))
    for k, t in ts.items():
        assert torch.equal(back[k], t), k


def test_safetensors_rejects_invalid_files(tt):
    good = ST.save({"a": tt.mk(np.arange(4, dtype=np.float32)), "b": tt.mk(np.arange(2, dtype=np.int8))})
    n = int.from_bytes(good[:8], "little")
    header = good[8:8 + n]
    bad = {
        "short": good[:5],
        "huge header": (10 ** 9).to_bytes(8, "little") + good[8:],
        "header past end": (len(good)).to_bytes(8, "little") + good[8:],
        "not json": good[:8] + b"{" + b"x" * (n - 1) + good[8 + n:],
        "not object": good[:8] + b"[" + b" " * (n - 1) + good[8 + n:],
        "truncated data": good[:-1],
        "extra data": good + b"\x00",
        "bad dtype": good.replace(b'"I8"', b'"X8"'),
        "shape mismatch": good.replace(b'"shape":[4]', b'"shape":[5]'),
        "gap": good[:8] + header.replace(b"[0,16]", b"[1,16]") + good[8 + n:],
    }
    for what, data in bad.items():
        with pytest.raises(ST.SafetensorError):
            ST.load(data)
        assert issubclass(ST.SafetensorError, RuntimeError), what


def test_ptjax_module_and_optimizer_checkpoints_with_torch(tt):
    """End to end with ptjax's own nn/optim: state_dicts go to torch's load_state_dict and back."""
    torch = pytest.importorskip("torch")
    try:
        from ptjax.nn import Linear
        from ptjax.optim import Adam
    except ImportError:
        pytest.skip("ptjax.nn.Linear / ptjax.optim.Adam not available")
    lin = Linear(3, 2)
    opt = Adam(lin.parameters(), lr=1e-3)
    lin(ptjax.randn(4, 3)).sum().backward()
    opt.step()
    tl = torch.nn.Linear(3, 2)
    tl.load_state_dict(torch_load_bytes(ptjax_save_bytes(lin.state_dict())))
    assert same_bits(from_torch(tl.weight), tt.vals(lin.weight))
    topt = torch.optim.Adam(tl.parameters(), lr=1e-3)
    topt.load_state_dict(torch_load_bytes(ptjax_save_bytes(opt.state_dict())))
    tl(torch.randn(4, 3)).sum().backward()
    topt.step()
    lin.load_state_dict(ptjax_load_bytes(torch_save_bytes(tl.state_dict())))
    opt.load_state_dict(ptjax_load_bytes(torch_save_bytes(topt.state_dict())))
    assert same_bits(tt.vals(lin.weight), from_torch(tl.weight))
    mine, theirs = opt.state_dict()["state"][0], topt.state_dict()["state"][0]
    assert same_bits(tt.vals(mine["exp_avg"]), from_torch(theirs["exp_avg"]))
    whole = ptjax_save_bytes(lin)    # a whole module: ptjax classes, so an explicit opt-in
    with pytest.raises(S.WeightsOnlyUnpicklingError):
        ptjax_load_bytes(whole)
    assert same_bits(tt.vals(ptjax_load_bytes(whole, weights_only=False).weight), tt.vals(lin.weight))
