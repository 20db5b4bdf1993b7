"""ptjax.load(weights_only=True) must refuse malicious pickles without running, importing or allocating anything.

Every attack has an observable side effect (a file that appears, a module that gets imported, a global that gets
mutated); the tests check the side effect did not happen, not only that an exception was raised.
"""
import collections
import copyreg
import io
import pickle
import sys
import time

import numpy as np
import pytest

import ptjax.serialization as S
from ptjax.serialization import _storage, _zip
from ptjax import _dtype

REFUSED = (S.WeightsOnlyUnpicklingError, S.CheckpointError)


def make_checkpoint(pkl: bytes, storages=None, prefix="archive") -> bytes:
    """A well-formed torch zip archive around an arbitrary data.pkl."""
    buf = io.BytesIO()
    w = _zip._ZipWriter(buf, prefix)
    w.add("data.pkl", pkl)
    w.add("byteorder", b"little")
    for key, data in (storages or {}).items():
        w.add(f"data/{key}", data)
    w.add("version", b"3\n")
    w.finish()
    return buf.getvalue()


def load(data, **kw):
    return S.load(io.BytesIO(data), **kw)


@pytest.fixture(autouse=True)
def _numpy_backend_until_core(monkeypatch):
    import ptjax
    if not all(hasattr(ptjax, n) for n in ("Tensor", "from_numpy")):
        monkeypatch.setattr(S, "_make_root", lambda flat, shape, loc: flat.reshape(shape))
        monkeypatch.setattr(S, "_make_view", lambda root, off, size, stride: np.lib.stride_tricks.as_strided(
            root.reshape(-1)[off:], size, [s * root.itemsize for s in stride]))
        monkeypatch.setattr(S, "_finish_tensor", lambda t, rg, conj, neg: t)


class _Reduce:
    """Pickles as ``func(*args)``, the shape of every real-world pickle exploit."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return self.func, self.args


def _cmd(marker):
    return f"touch {marker}"


# ---------------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("protocol", [0, 2, 4])
def test_os_system_is_never_called(tmp_path, protocol):
    import os
    marker = tmp_path / "pwned"
    pkl = pickle.dumps({"weights": _Reduce(os.system, (_cmd(marker),))}, protocol=protocol)
    data = make_checkpoint(pkl)
    with pytest.raises(S.WeightsOnlyUnpicklingError) as e:
        load(data)
    msg = str(e.value)
    assert "system" in msg and "weights_only=False" in msg and "not an allowed global" in msg
    assert not marker.exists()


@pytest.mark.parametrize("module,name", [("os", "system"), ("posix", "system"), ("nt", "system"),
                                         ("subprocess", "Popen"), ("subprocess", "check_output")])
def test_handwritten_global_reduce_is_refused(tmp_path, module, name):
    marker = tmp_path / "pwned"
    pkl = f"c{module}\n{name}\n(S'touch {marker}'\ntR.".encode()
    with pytest.raises(S.WeightsOnlyUnpicklingError, match=rf"{module}\.{name}"):
        load(make_checkpoint(pkl))
    assert not marker.exists()


@pytest.mark.parametrize("module", ["builtins", "__builtin__"])
@pytest.mark.parametrize("func", ["eval", "exec"])
def test_builtins_eval_exec_are_refused(tmp_path, module, func):
    marker = tmp_path / "pwned"
    code = f"open({str(marker)!r}, 'w').close()"
    pkl = f"c{module}\n{func}\n(V{code}\ntR.".encode()
    with pytest.raises(S.WeightsOnlyUnpicklingError, match=rf"builtins\.{func}"):
        load(make_checkpoint(pkl))
    assert not marker.exists()
    # the same attack through STACK_GLOBAL (protocol 4)
    pkl4 = pickle.dumps(_Reduce(eval, (code,)), protocol=4)
    assert b"\x93" in pkl4
    with pytest.raises(S.WeightsOnlyUnpicklingError):
        load(make_checkpoint(pkl4))
    assert not marker.exists()


@pytest.mark.parametrize("name", ["open", "getattr", "__import__", "setattr", "globals", "compile", "type",
                                  "object", "print", "input", "breakpoint"])
def test_other_builtins_are_refused(tmp_path, name):
    marker = tmp_path / "pwned"
    pkl = f"cbuiltins\n{name}\n(V{marker}\nVw\ntR.".encode()
    with pytest.raises(S.WeightsOnlyUnpicklingError):
        load(make_checkpoint(pkl))
    assert not marker.exists()


def test_arbitrary_module_is_never_imported(tmp_path, monkeypatch):
    marker = tmp_path / "imported"
    modname = "ptjax_evil_side_effect_module"
    (tmp_path / f"{modname}.py").write_text(f"open({str(marker)!r}, 'w').close()\ndef f(*a): pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for pkl in (f"c{modname}\nf\n)R.".encode(),
                f"c{modname}\nf\n.".encode(),
                b"\x80\x04\x95" + (len(modname) + 12).to_bytes(8, "little") + b"\x8c" + bytes([len(modname)]) +
                modname.encode() + b"\x8c\x01f\x93."):
        with pytest.raises(S.WeightsOnlyUnpicklingError, match=modname):
            load(make_checkpoint(pkl))
    assert not marker.exists()
    assert modname not in sys.modules
    # sanity: the module really has that side effect, and weights_only=False is the explicit opt-in that runs it
    load(make_checkpoint(f"c{modname}\nf\n.".encode()), weights_only=False)
    assert marker.exists()
    del sys.modules[modname]


def test_weights_only_false_is_the_opt_in(tmp_path):
    marker = tmp_path / "created"
    pkl = pickle.dumps({"x": _Reduce(open, (str(marker), "w"))}, protocol=2)
    data = make_checkpoint(pkl)
    with pytest.raises(S.WeightsOnlyUnpicklingError, match="weights_only=False"):
        load(data)
    with pytest.raises(S.WeightsOnlyUnpicklingError):
        load(data, weights_only=None)
    assert not marker.exists()
    out = load(data, weights_only=False)
    out["x"].close()
    assert marker.exists()


@pytest.mark.parametrize("pkl", [
    b"(S'touch /tmp/x'\nios\nsystem\n.",                         # INST
    b"(ccollections\nOrderedDict\no.",                          # OBJ, even of an allowed class
    b"\x80\x02ccollections\nOrderedDict\n)\x81.",                # NEWOBJ, even of an allowed class
    b"\x80\x04ccollections\nOrderedDict\n)}\x92.",               # NEWOBJ_EX
    b"\x80\x05\x97.",                                            # NEXT_BUFFER
    b"\x80\x02\xff.",                                            # not an opcode
], ids=["INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "NEXT_BUFFER", "invalid"])
def test_instantiating_opcodes_are_refused(pkl):
    with pytest.raises(S.WeightsOnlyUnpicklingError, match="opcode"):
        load(make_checkpoint(pkl))


def test_extension_registry_is_refused(tmp_path):
    import os
    marker = tmp_path / "pwned"
    copyreg.add_extension("os", "system", 0x5A)
    try:
        pkl = b"\x80\x02\x82\x5a" + pickle.dumps(_cmd(marker), 2)[2:-1] + b"\x85R."
        with pytest.raises(S.WeightsOnlyUnpicklingError, match="opcode"):
            load(make_checkpoint(pkl))
    finally:
        copyreg.remove_extension("os", "system", 0x5A)
    assert not marker.exists() and os.path.exists(str(tmp_path))


def test_build_cannot_mutate_globals():
    before = (_dtype.float32.np, _dtype.float32.name, _storage._rebuild_tensor_v2.__defaults__)
    attacks = [
        b"\x80\x02ctorch\nfloat32\n}X\x02\x00\x00\x00npK\x01sb.",                       # dtype singleton
        b"\x80\x02ctorch\nfloat32\nN}X\x04\x00\x00\x00nameX\x01\x00\x00\x00xs\x86b.",  # via slot state
        b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\nN}X\x0c\x00\x00\x00__defaults__)s\x86b.",
        b"\x80\x02ctorch\nFloatStorage\nN}X\x05\x00\x00\x00dtypeK\x00s\x86b.",
        b"\x80\x02ccollections\nOrderedDict\n}X\x08\x00\x00\x00__init__K\x00sb.",      # the class itself
        b"\x80\x02]}X\x01\x00\x00\x00aK\x01sb.",                                        # a list
    ]
    for pkl in attacks:
        with pytest.raises(REFUSED):
            load(make_checkpoint(pkl))
    assert (_dtype.float32.np, _dtype.float32.name, _storage._rebuild_tensor_v2.__defaults__) == before
    assert collections.OrderedDict.__init__ is dict.__init__ or callable(collections.OrderedDict.__init__)


def test_build_on_ordered_dict_only_sets_instance_attributes():
    od = collections.OrderedDict(a=1)
    od._metadata = {"": {"version": 1}}
    od.__dict__["__class__"] = "nope"
    out = load(make_checkpoint(pickle.dumps(od, 2)))
    assert type(out) is collections.OrderedDict and out == {"a": 1}
    assert out._metadata == {"": {"version": 1}}


def test_container_opcodes_only_touch_containers():
    for pkl in [b"\x80\x02ctorch\nfloat32\nK\x01a.",                # APPEND on a dtype
                b"\x80\x02ctorch\nSize\n(K\x01e.",                  # APPENDS on a callable
                b"\x80\x02ctorch\nfloat32\nK\x01K\x02s.",           # SETITEM on a dtype
                b"\x80\x04ctorch\nfloat32\n(K\x01\x90."]:           # ADDITEMS on a dtype
        with pytest.raises(REFUSED):
            load(make_checkpoint(pkl))


def test_other_torch_and_ptjax_globals_are_refused():
    for module, name in [("torch", "load"), ("torch.serialization", "load"), ("torch.nn", "Module"),
                         ("torch._C", "_set_grad_enabled"), ("torch._utils", "_import_dotted_name"),
                         ("ptjax.serialization", "load"), ("ptjax", "from_numpy"), ("numpy", "load"),
                         ("numpy.core.multiarray", "_reconstruct"), ("copyreg", "_reconstructor"),
                         ("collections", "namedtuple"), ("_codecs", "decode"), ("builtins", "frozenset")]:
        with pytest.raises(S.WeightsOnlyUnpicklingError, match=rf"{module}\.{name}"):
            load(make_checkpoint(f"c{module}\n{name}\n.".encode()))


def test_allowed_callables_check_their_arguments():
    t0 = time.perf_counter()
    for pkl in [b"\x80\x02c__builtin__\nbytearray\n\x8a\x05\x00\x00\x00\x00\x01\x85R.",   # bytearray(2**32)
                b"\x80\x02c_codecs\nencode\nX\x01\x00\x00\x00xX\x04\x00\x00\x00zlib\x86R.",
                b"\x80\x02c__builtin__\ncomplex\nX\x04\x00\x00\x001+2j\x85R.",
                b"\x80\x02c__builtin__\nset\nctorch\nfloat32\n\x85R.",
                b"\x80\x02ctorch\nSize\nX\x02\x00\x00\x00ab\x85R.",
                b"\x80\x02ctorch\ndevice\n]\x85R.",
                b"\x80\x02ccollections\nOrderedDict\nK\x05\x85R.",
                b"\x80\x02ctorch\nfloat32\n)R.",                       # a dtype is not callable
                b"\x80\x02ctorch\nTensor\n)R.",
                b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\nK\x01\x85R."]:
        with pytest.raises(REFUSED):
            load(make_checkpoint(pkl))
    assert time.perf_counter() - t0 < 5


def _tensor_pickle(numel, key="0", offset=0, size=(1,), stride=(1,), storage="FloatStorage"):
    return (b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\n" + storage.encode() +
            b"\nX" + len(key).to_bytes(4, "little") + key.encode() + b"X\x03\x00\x00\x00cpu" +
            pickle.dumps(numel, 2)[2:-1] + b"tQ" + pickle.dumps(offset, 2)[2:-1] + pickle.dumps(size, 2)[2:-1] +
            pickle.dumps(stride, 2)[2:-1] + b"\x89ccollections\nOrderedDict\n)RtR.")


def test_tensor_pickle_helper_is_valid():
    out = load(make_checkpoint(_tensor_pickle(2, size=(2,)), {"0": np.array([1, 2], np.float32).tobytes()}))
    assert np.asarray(out if isinstance(out, np.ndarray) else out.numpy()).tolist() == [1.0, 2.0]


@pytest.mark.parametrize("numel,key,offset,size,stride,why", [
    (2 ** 60, "0", 0, (1,), (1,), "pickle declares"),
    (3, "0", 0, (1,), (1,), "pickle declares"),
    (2, "1", 0, (1,), (1,), "file not found"),
    (2, "../../../etc/passwd", 0, (1,), (1,), "invalid storage key"),
    (2, "0", 5, (1,), (1,), "out of bounds"),
    (2, "0", 0, (2, 2), (1, 1), "out of bounds"),
    (2, "0", 0, (3,), (1,), "out of bounds"),
    (2, "0", -1, (1,), (1,), "negative"),
    (2, "0", 0, (2 ** 62,), (0,), "MAX_EXPANDED_VIEW_BYTES"),
    (2, "0", 0, (1, 2), (1,), "different lengths"),
])
def test_storage_and_geometry_attacks_fail_fast(numel, key, offset, size, stride, why):
    data = make_checkpoint(_tensor_pickle(numel, key, offset, size, stride),
                           {"0": np.array([1, 2], np.float32).tobytes()})
    t0 = time.perf_counter()
    with pytest.raises(S.CheckpointError, match=why):
        load(data)
    assert time.perf_counter() - t0 < 2


def test_unknown_storage_and_persistent_ids_are_refused():
    for pkl in [_tensor_pickle(2, storage="QInt8Storage"), _tensor_pickle(2, storage="Evil"),
                b"\x80\x02X\x03\x00\x00\x00abcQ.", b"P0\n.", b"\x80\x02(K\x01K\x02tQ."]:
        with pytest.raises(REFUSED):
            load(make_checkpoint(pkl, {"0": b"\x00" * 8}))


def test_deeply_nested_pickles_do_not_crash():
    depth = 30_000   # far beyond Python's recursion limit
    pkl = b"\x80\x02" + b"(" * depth + b"]" + b"l" * depth + b"."
    out = load(make_checkpoint(pkl))
    assert isinstance(out, list)
    pkl = b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b"."
    assert isinstance(load(make_checkpoint(pkl)), list)


def test_huge_length_prefixes_allocate_nothing():
    t0 = time.perf_counter()
    for pkl in [b"\x80\x04\x8e" + (2 ** 62).to_bytes(8, "little") + b"x.",          # BINBYTES8
                b"\x80\x05\x96" + (2 ** 33).to_bytes(8, "little") + b"x.",          # BYTEARRAY8 of 8 GiB
                b"\x80\x04\x8d" + (2 ** 62).to_bytes(8, "little") + b"x.",          # BINUNICODE8
                b"\x80\x05\x96" + (2 ** 62).to_bytes(8, "little") + b"x.",          # BYTEARRAY8
                b"\x80\x02\x8b\xff\xff\xff\x7fx."]:                                # LONG4
        for wo in (True, False):
            with pytest.raises(S.CheckpointError, match="truncated|EOFError"):
                load(make_checkpoint(pkl), weights_only=wo)
    # a frame longer than the data is read as far as the data goes
    assert load(make_checkpoint(b"\x80\x04\x95" + (2 ** 62).to_bytes(8, "little") + b"N.")) is None
    assert time.perf_counter() - t0 < 2


def test_torch_also_refuses_these_files(tmp_path):
    torch = pytest.importorskip("torch")
    import os
    marker = tmp_path / "pwned"
    data = make_checkpoint(pickle.dumps(_Reduce(os.system, (_cmd(marker),)), 2))
    with pytest.raises(pickle.UnpicklingError):
        torch.load(io.BytesIO(data), weights_only=True)
    assert not marker.exists()


def test_overlapping_zip_entries_are_refused():
    """A 'non-recursive zip bomb': many directory entries sharing one deflate stream."""
    import struct
    import zlib
    payload = zlib.compress(b"\x00" * 1_000_000)[2:-4]           # raw deflate, ~1 KB for 1 MB
    crc = zlib.crc32(b"\x00" * 1_000_000)
    out = io.BytesIO()
    pkl_name = b"archive/data.pkl"
    pkl = b"\x80\x02}."
    out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, zlib.crc32(pkl), len(pkl), len(pkl),
                          len(pkl_name), 0) + pkl_name + pkl)
    bomb_at = out.tell()
    out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(payload), 1_000_000, 14, 0) +
              b"archive/data/0" + payload)
    version_at = out.tell()
    out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 0, 0, 0x21, zlib.crc32(b"3\n"), 2, 2, 15, 0) +
              b"archive/version" + b"3\n")
    cd = out.tell()
    entries = [(pkl_name, 0, 0, zlib.crc32(pkl), len(pkl), len(pkl))]
    entries += [(f"archive/data/{k}".encode(), bomb_at, 8, crc, len(payload), 1_000_000) for k in range(50)]
    entries += [(b"archive/version", version_at, 0, zlib.crc32(b"3\n"), 2, 2)]
    for name, off, method, c, cs, us in entries:
        out.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, c, cs, us, len(name), 0, 0,
                              0, 0, 0, off) + name)
    end = out.tell()
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), end - cd, cd, 0))
    with pytest.raises(S.CheckpointError, match="overlap"):
        load(out.getvalue())
