"""Fuzzing ptjax.load and ptjax.utils.safetensors: every damaged input ends in a documented exception.

Documented: ``CheckpointError`` (``LegacyFormatError`` included) and ``WeightsOnlyUnpicklingError`` for checkpoints,
``SafetensorError`` for safetensors. Never another exception, a hang (hypothesis deadlines), or an allocation
larger than the input (NumPy allocations inside the loader are guarded; views may expand at most 1 MiB here).
"""
import collections
import datetime
import io
import math
import pickle
import warnings
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ptjax
import ptjax.serialization as S
import ptjax.utils.safetensors as ST
from ptjax import _dtype
from ptjax.serialization import _adapters, _pickler, _storage, _zip

DOCUMENTED = (S.CheckpointError, S.WeightsOnlyUnpicklingError)

FUZZ = settings(max_examples=200, deadline=datetime.timedelta(seconds=5), derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


class HugeAllocation(BaseException):
    """Raised (past every ``except Exception``) when the loader asks NumPy for more memory than the input has."""


class _GuardedNumpy:
    limit = 0

    def __getattr__(self, name):
        return getattr(np, name)

    def empty(self, shape, dtype=float, *args, **kwargs):
        n = math.prod(shape) if isinstance(shape, tuple) else int(shape)
        if n * np.dtype(dtype).itemsize > self.limit:
            raise HugeAllocation(f"np.empty of {n} elements for an input of {self.limit} bytes")
        return np.empty(shape, dtype, *args, **kwargs)


GUARD = _GuardedNumpy()


@pytest.fixture(scope="module", autouse=True)
def guarded():
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_zip, "np", GUARD)
        mp.setattr(_storage, "MAX_EXPANDED_VIEW_BYTES", 1 << 20)
        yield


def values(t):
    return np.asarray(t if isinstance(t, np.ndarray) else t.detach().numpy())


def load(data, **kw):
    GUARD.limit = max(len(data), 64)
    return S.load(io.BytesIO(data), **kw)


def must_be_documented(data, **kw):
    try:
        return load(data, **kw)
    except DOCUMENTED:
        return None


# ---------------------------------------------------------------------------------------------------------------------
# seed files
# ---------------------------------------------------------------------------------------------------------------------

def make_checkpoint(pkl, storages=(), names=("byteorder", "version"), prefix="archive"):
    buf = io.BytesIO()
    w = _zip._ZipWriter(buf, prefix)
    w.add("data.pkl", pkl)
    extra = {"byteorder": b"little", "version": b"3\n"}
    for key, data in storages:
        w.add(f"data/{key}", data)
    for n in names:
        w.add(n, extra[n])
    w.finish()
    return buf.getvalue()


class _RebuildTensor:
    """Pickles (through ptjax's pickler) as torch's ``_rebuild_tensor_v2`` call with whatever geometry it is given."""

    def __init__(self, numel, offset, size, stride, requires_grad):
        self.args = (_pickler._StorageRef("0", _dtype.float32, "cpu", numel), offset, tuple(size), tuple(stride),
                     requires_grad, collections.OrderedDict())

    def __reduce__(self):
        return _pickler._TorchGlobal("torch._utils", "_rebuild_tensor_v2"), self.args


def tensor_pickle(numel, offset, size, stride, requires_grad=False):
    buf = io.BytesIO()
    _pickler._Pickler(buf, 2).dump(_RebuildTensor(numel, offset, size, stride, requires_grad))
    return buf.getvalue()


def seed_files():
    seeds = {}
    rich = {"list": [1, 2.5, "s", None, True, 2 ** 70], "od": collections.OrderedDict(a=(1, 2)), "b": b"\x00\xff",
            "set": {1, 2}, "c": 1 + 2j, "dt": _dtype.bfloat16, "size": ptjax.Size((2, 3))}
    base = ptjax.from_numpy(np.arange(12, dtype=np.float32).reshape(3, 4))
    rich.update(w=base, wt=ptjax.as_strided(base, (4, 3), (1, 4), 0), s=ptjax.as_strided(base, (2, 2), (4, 1), 5),
                i=ptjax.from_numpy(np.arange(5, dtype=np.int64)),
                bf=ptjax.from_numpy(np.ones(3, dtype=_dtype.bfloat16.np)),
                flag=ptjax.from_numpy(np.array([True, False])))
    buf = io.BytesIO()
    S.save(rich, buf)
    seeds["ptjax"] = buf.getvalue()
    try:
        import torch
    except ImportError:
        return seeds
    g = torch.Generator().manual_seed(0)
    t = torch.randn(3, 4, generator=g)
    lin = torch.nn.Linear(3, 2)
    buf = io.BytesIO()
    torch.save({"w": t, "wt": t.t(), "slice": t[1:, 2:], "sd": lin.state_dict(),
                "c": torch.randn(2, dtype=torch.cfloat),
                "i8": torch.arange(4, dtype=torch.int8), "b": torch.tensor([True, False]), "meta": [1, "x", None],
                "size": torch.Size([2]), "dt": torch.float16, "bytes": b"\x01\x02"}, buf)
    seeds["torch"] = buf.getvalue()
    return seeds


SEEDS = seed_files()
SEED_NAMES = sorted(SEEDS)


def test_seeds_load():
    for name, data in SEEDS.items():
        out = load(data)
        assert isinstance(out, dict) and len(out) > 5, name


# ---------------------------------------------------------------------------------------------------------------------
# checkpoints
# ---------------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", SEED_NAMES)
def test_every_truncation(seed):
    data = SEEDS[seed]
    for n in range(len(data)):
        with pytest.raises(DOCUMENTED):
            load(data[:n])


@pytest.mark.parametrize("seed", SEED_NAMES)
def test_truncated_entries_with_intact_directory(seed):
    """Shorten the data of one entry but keep a consistent central directory elsewhere: cut bytes out of the middle."""
    data = SEEDS[seed]
    z = zipfile.ZipFile(io.BytesIO(data))
    for info in z.infolist():
        start = info.header_offset
        for cut in (1, 7, 30):
            damaged = data[:start + 10] + data[start + 10 + cut:]
            must_be_documented(damaged)


@FUZZ
@given(seed=st.sampled_from(SEED_NAMES), flips=st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 7)),
                                                        min_size=1, max_size=8))
def test_random_bit_flips(seed, flips):
    data = bytearray(SEEDS[seed])
    for pos, bit in flips:
        data[pos % len(data)] ^= 1 << bit
    out = must_be_documented(bytes(data))
    assert out is None or isinstance(out, dict)


@FUZZ
@given(seed=st.sampled_from(SEED_NAMES), pos=st.integers(0, 1 << 20), junk=st.binary(min_size=1, max_size=64))
def test_random_overwrites(seed, pos, junk):
    data = bytearray(SEEDS[seed])
    pos %= len(data)
    data[pos:pos + len(junk)] = junk
    must_be_documented(bytes(data))


@FUZZ
@given(prefix=st.sampled_from([b"", b"PK\x03\x04", b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19", b"PK\x05\x06",
                               b"\x80\x02}q\x00."]),
       body=st.binary(max_size=2048), eocd=st.booleans())
def test_random_garbage(prefix, body, eocd):
    data = prefix + body
    if eocd:  # a plausible end-of-central-directory record pointing anywhere
        data += b"PK\x05\x06" + bytes(4) + (1).to_bytes(2, "little") * 2 + len(body).to_bytes(4, "little") + \
            (0).to_bytes(4, "little") + bytes(2)
    with pytest.raises(DOCUMENTED):
        load(data)


MEMBER_NAMES = ["archive/data.pkl", "archive/version", "archive/.data/version", "archive/byteorder",
                "archive/data/0", "archive/data/1", "archive/constants.pkl", "archive/code/x.py", "other/data.pkl",
                "data.pkl", "archive/data/../data.pkl", "archive/data/0/1"]


def _member_content():
    pkl_pool = [zipfile.ZipFile(io.BytesIO(d)).read(n) for d in SEEDS.values()
                for n in zipfile.ZipFile(io.BytesIO(d)).namelist() if n.endswith("data.pkl")]
    return st.one_of(st.binary(max_size=256), st.sampled_from(pkl_pool),
                     st.sampled_from([b"3\n", b"1", b"99", b"-1", b"x", b"little", b"big", b"middle", b""]),
                     st.binary(min_size=48, max_size=48))


@FUZZ
@given(members=st.lists(st.tuples(st.one_of(st.sampled_from(MEMBER_NAMES), st.text(min_size=1, max_size=20)),
                                  _member_content()), max_size=8),
       compression=st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2]))
def test_random_zip_members(members, compression):
    buf = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buf, "w", compression) as z:
        warnings.simplefilter("ignore")   # duplicate names are part of the fuzz
        for name, content in members:
            try:
                z.writestr(name, content)
            except (ValueError, UnicodeEncodeError, IndexError):   # names zipfile itself cannot write
                pass
    must_be_documented(buf.getvalue())


OPCODES = [bytes([c]) for c in b"()01NIJKLMFGSTUVXBCbdehjlmnopqrstuaisR.\x80\x81\x82\x83\x84\x85\x86\x87\x88\x89"
           b"\x8a\x8b\x8c\x8d\x8e\x8f\x90\x91\x92\x93\x94\x95\x96\x97\x98}]QP"]


@FUZZ
@given(ops=st.lists(st.one_of(st.sampled_from(OPCODES), st.binary(min_size=1, max_size=9),
                              st.sampled_from([b"ctorch\nFloatStorage\n", b"ctorch._utils\n_rebuild_tensor_v2\n",
                                               b"ccollections\nOrderedDict\n", b"c__builtin__\nset\n",
                                               b"ctorch\nSize\n", b"X\x07\x00\x00\x00storage", b"X\x01\x00\x00\x000",
                                               b"X\x03\x00\x00\x00cpu", b"cos\nsystem\n", b"c_codecs\nencode\n"])),
                    max_size=40),
       weights_only=st.booleans())
def test_random_pickles(ops, weights_only):
    pkl = b"\x80\x02" + b"".join(ops) + b"."
    data = make_checkpoint(pkl, [("0", np.arange(4, dtype=np.float32).tobytes())])
    if not weights_only and b"cos\nsystem\n" in pkl:
        weights_only = True   # the full unpickler would run whatever the soup calls
    must_be_documented(data, weights_only=weights_only)


plain_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10) |
    st.binary(max_size=10) | st.complex_numbers(allow_nan=False),
    lambda children: st.lists(children, max_size=4) | st.tuples(children, children) |
    st.dictionaries(st.text(max_size=5) | st.integers(), children, max_size=4) |
    st.builds(collections.OrderedDict, st.dictionaries(st.text(max_size=5), children, max_size=3)),
    max_leaves=20)


@FUZZ
@given(obj=plain_values, protocol=st.integers(2, 5))
def test_plain_values_roundtrip_through_weights_only(obj, protocol):
    buf = io.BytesIO()
    S.save(obj, buf, pickle_protocol=protocol)
    assert load(buf.getvalue()) == obj
    assert load(make_checkpoint(pickle.dumps(obj, protocol))) == obj


@FUZZ
@given(storage_numel=st.integers(0, 12), entry_delta=st.sampled_from([0, 0, 0, -4, 4, 1]),
       offset=st.integers(-1, 14), ndim=st.integers(0, 3), data=st.data(), extra_stride=st.booleans(),
       requires_grad=st.booleans())
def test_random_tensor_geometry(storage_numel, entry_delta, offset, ndim, data, extra_stride, requires_grad):
    size = data.draw(st.lists(st.integers(0, 4), min_size=ndim, max_size=ndim))
    stride = data.draw(st.lists(st.integers(0, 6), min_size=ndim, max_size=ndim))
    if extra_stride and data.draw(st.integers(0, 9)) == 0:
        stride.append(1)
    storage = np.arange(storage_numel, dtype=np.float32) + 1
    entry = storage.tobytes()
    if entry_delta > 0:
        entry += b"\x00" * entry_delta
    elif entry_delta < 0:
        entry = entry[:max(0, len(entry) + entry_delta)]
    data_ = make_checkpoint(tensor_pickle(storage_numel, offset, size, stride, requires_grad), [("0", entry)])
    numel = math.prod(size)
    last = offset + sum((s - 1) * st_ for s, st_ in zip(size, stride))
    consistent = storage_numel * 4 == len(entry) and len(size) == len(stride) and offset >= 0 and \
        (last < storage_numel if numel else offset <= storage_numel) and \
        (numel <= storage_numel or numel * 4 <= S.MAX_EXPANDED_VIEW_BYTES)
    if not consistent:
        with pytest.raises(S.CheckpointError):
            load(data_)
        return
    data = data_
    out = load(data)
    assert tuple(out.shape) == tuple(size)
    expected = np.lib.stride_tricks.as_strided(storage[offset:], size, [4 * s for s in stride]) if numel \
        else np.zeros(size, np.float32)
    assert np.array_equal(values(out), expected)
    assert tuple(out.stride()) == tuple(stride) and out.storage_offset() == offset
    assert out.requires_grad == requires_grad


@FUZZ
@given(dtype=st.sampled_from([d.name for d in _dtype.ALL]), shape=st.lists(st.integers(0, 4), max_size=3),
       seed=st.integers(0, 2 ** 16))
def test_random_arrays_roundtrip_and_torch(dtype, shape, seed):
    d = getattr(_dtype, dtype)
    raw = np.random.default_rng(seed).integers(0, 256, math.prod(shape) * d.itemsize, dtype=np.uint8)
    a = raw.view(d.np).reshape(shape) if dtype != "bool" else (raw > 127).reshape(shape)
    # the adapter rather than ptjax.from_numpy (whose jnp.asarray compiles once per new shape: slow for fuzzing)
    t = _adapters._make_root(np.array(a).reshape(-1), a.shape, "cpu")
    buf = io.BytesIO()
    S.save({"t": t}, buf)
    back = values(load(buf.getvalue())["t"])
    assert back.dtype == a.dtype and back.shape == a.shape and back.tobytes() == a.tobytes()
    try:
        import torch
    except ImportError:
        return
    tt = torch.load(io.BytesIO(buf.getvalue()), weights_only=True)["t"]
    assert str(tt.dtype) == f"torch.{dtype}" and tuple(tt.shape) == tuple(shape)
    assert tt.contiguous().view(torch.uint8).numpy().tobytes() == np.ascontiguousarray(a).view(np.uint8).tobytes() \
        if tt.ndim else tt.reshape(1).view(torch.uint8).numpy().tobytes() == a.reshape(1).view(np.uint8).tobytes()


# ---------------------------------------------------------------------------------------------------------------------
# safetensors
# ---------------------------------------------------------------------------------------------------------------------

ST_SEED = ST.save({"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.array([1, -2], np.int8),
                   "c": np.ones((2, 2), np.float64), "e": np.zeros((0, 3), np.float16)}, metadata={"k": "v"})


def st_load(data):
    GUARD.limit = max(len(data), 64)
    try:
        return ST.load(data)
    except ST.SafetensorError:
        return None


def test_safetensors_every_truncation():
    for n in range(len(ST_SEED)):
        with pytest.raises(ST.SafetensorError):
            ST.load(ST_SEED[:n])


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 7)), min_size=1, max_size=6))
def test_safetensors_bit_flips(flips):
    data = bytearray(ST_SEED)
    for pos, bit in flips:
        data[pos % len(data)] ^= 1 << bit
    st_load(bytes(data))


@FUZZ
@given(body=st.binary(max_size=512), header=st.one_of(st.none(), st.text(max_size=200), st.sampled_from([
    '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}',
    '{"a":{"dtype":"F32","shape":[1e30],"data_offsets":[0,8]}}',
    '{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,8]}}', '{"__metadata__":{"a":1}}', '[]', '{"a":1}',
    '{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', '{"a":{"dtype":"F32","shape":[99999999999],'
    '"data_offsets":[0,399999999996]}}'])))
def test_safetensors_garbage(body, header):
    if header is not None:
        hb = header.encode()
        body = len(hb).to_bytes(8, "little") + hb + body
    st_load(body)
