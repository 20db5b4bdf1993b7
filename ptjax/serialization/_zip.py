"""The checkpoint's zip container: a streaming writer (64-byte aligned entries, as torch writes them) and a
validating reader (bounded reads, optional ``mmap`` of stored entries)."""
from __future__ import annotations

import struct
import zipfile
import zlib

import numpy as np

from ._errors import CheckpointError, LegacyFormatError, _fail


_ALIGN = 64
_ZIP64_LIMIT = 0xFFFFFFFF        # sizes/offsets at or above this need zip64 fields (tests lower it)
_ZIP_DATE = 0x21                 # 1980-01-01, the zip epoch
_FLAGS = 0x0800                  # UTF-8 names


class _ZipWriter:
    """Streams an uncompressed, 64-byte-aligned zip to a binary file object (sequential writes only)."""

    def __init__(self, f, prefix: str):
        self._f = f
        self._pos = 0
        self._prefix = prefix
        self._entries = []

    def _write(self, data):
        self._f.write(data)
        self._pos += memoryview(data).nbytes

    def add(self, name: str, data) -> None:
        mv = memoryview(data).cast("B")
        size = mv.nbytes
        crc = zlib.crc32(mv) & 0xFFFFFFFF
        fname = f"{self._prefix}/{name}".encode("utf-8")
        offset = self._pos
        big = size >= _ZIP64_LIMIT
        extra = struct.pack("<HHQQ", 1, 16, size, size) if big else b""
        pad = (-(offset + 30 + len(fname) + len(extra) + 4)) % _ALIGN
        extra += b"FB" + struct.pack("<H", pad) + b"Z" * pad
        s32 = 0xFFFFFFFF if big else size
        self._write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if big else 20, _FLAGS, 0, 0, _ZIP_DATE, crc, s32, s32,
                                len(fname), len(extra)))
        self._write(fname)
        self._write(extra)
        if size:
            self._write(mv)
        self._entries.append((fname, crc, size, offset))

    def finish(self) -> None:
        cd_start = self._pos
        for fname, crc, size, offset in self._entries:
            fields = []
            if size >= _ZIP64_LIMIT:
                fields += [size, size]
            if offset >= _ZIP64_LIMIT:
                fields.append(offset)
            extra = struct.pack("<HH", 1, 8 * len(fields)) + struct.pack(f"<{len(fields)}Q", *fields) if fields else b""
            s32 = 0xFFFFFFFF if size >= _ZIP64_LIMIT else size
            version = 45 if fields else 20
            self._write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, version, version, _FLAGS, 0, 0, _ZIP_DATE, crc,
                                    s32, s32, len(fname), len(extra), 0, 0, 0, 0, min(offset, 0xFFFFFFFF)))
            self._write(fname)
            self._write(extra)
        cd_size = self._pos - cd_start
        n = len(self._entries)
        eocd64 = self._pos
        # torch always writes the zip64 end records; so do we
        self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, cd_size, cd_start))
        self._write(struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1))
        self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(n, 0xFFFF), min(n, 0xFFFF),
                                min(cd_size, 0xFFFFFFFF), min(cd_start, 0xFFFFFFFF), 0))


_LEGACY_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"   # pickle of torch's legacy MAGIC_NUMBER
_CHUNK = 1 << 24
_DEFLATE_MAX_RATIO = 1032                                          # deflate cannot expand more than this


class _Archive:
    """A validated view of the checkpoint zip: entry lookups, bounded reads, optional mmap."""

    def __init__(self, fh, mmap_path=None):
        self.fh = fh
        self.mmap_path = mmap_path
        start = fh.tell()
        head = fh.read(len(_LEGACY_MAGIC))
        fh.seek(start)
        magic = head[:4]
        if magic != b"PK\x03\x04":
            if not head:
                _fail("PytorchStreamReader failed reading zip archive: the file is empty")
            if head.startswith(_LEGACY_MAGIC[:len(head)]) and len(head) == len(_LEGACY_MAGIC):
                raise LegacyFormatError("this is a legacy (pre-1.6, non-zip) torch.save file, which ptjax does not "
                                        "read; re-save it with torch >= 1.6 (torch.save(torch.load(f), f2))")
            _fail("PytorchStreamReader failed reading zip archive: not a zip file (a checkpoint starts with "
                  f"b'PK\\x03\\x04', this one with {magic!r}); legacy pre-1.6 files are not supported")
        fh.seek(0, 2)
        self.size = fh.tell()
        fh.seek(start)
        try:
            self.zf = zipfile.ZipFile(fh)
            infos = self.zf.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError, struct.error,
                UnicodeDecodeError, OverflowError, NotImplementedError, KeyError, IndexError, TypeError) as e:
            _fail(f"PytorchStreamReader failed reading zip archive: {e}", e)
        if not infos:
            _fail("PytorchStreamReader failed reading zip archive: the archive has no entries")
        first = infos[0].filename
        if "/" not in first:
            _fail(f"PytorchStreamReader failed reading zip archive: entry {first!r} is not inside a top-level folder")
        self.prefix = first.split("/", 1)[0]
        self.infos = {i.filename: i for i in infos}
        for info in infos:
            self._check_info(info)
        # entries sharing bytes are a zip-bomb construction (and never written by torch): each entry's local header
        # and data must end before the next entry starts
        spans = sorted((i.header_offset, i.header_offset + 30 + i.compress_size, i.filename) for i in infos)
        for (_, end, name), (start, _, nxt) in zip(spans, spans[1:]):
            if start < end:
                _fail(f"PytorchStreamReader failed reading zip archive: entries {name!r} and {nxt!r} overlap")
        if self.prefix + "/data.pkl" not in self.infos:
            if self.prefix + "/constants.pkl" in self.infos or any(n.startswith(self.prefix + "/code/")
                                                                  for n in self.infos):
                raise LegacyFormatError("this is a TorchScript archive (torch.jit.save), which ptjax.load does not "
                                        "read; save a state_dict with torch.save instead")
            _fail("PytorchStreamReader failed locating file data.pkl: file not found")
        self.version = self._read_version()
        self.byteorder = "little"
        if self.prefix + "/byteorder" in self.infos:
            bo = self.read_bytes("byteorder", limit=16)
            if bo not in (b"little", b"big"):
                _fail(f"invalid byteorder record {bo[:16]!r} (expected b'little' or b'big')")
            self.byteorder = bo.decode()

    def _check_info(self, info):
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            _fail(f"entry {info.filename!r} uses compression method {info.compress_type}; only stored and deflated "
                  "entries are supported")
        if info.flag_bits & 0x1:
            _fail(f"entry {info.filename!r} is encrypted")
        if info.header_offset < 0 or info.header_offset + 30 + info.compress_size > self.size:
            _fail(f"PytorchStreamReader failed reading zip archive: entry {info.filename!r} extends past the end of "
                  "the file (truncated?)")
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            _fail(f"entry {info.filename!r}: stored entry with compressed size {info.compress_size} != size "
                  f"{info.file_size}")
        if info.file_size > info.compress_size * _DEFLATE_MAX_RATIO + 1024:
            _fail(f"entry {info.filename!r}: declared size {info.file_size} is impossible for {info.compress_size} "
                  "compressed bytes")

    def _read_version(self) -> int:
        for name in ("version", ".data/version"):
            if f"{self.prefix}/{name}" in self.infos:
                raw = self.read_bytes(name, limit=64)
                try:
                    v = int(raw.decode("ascii").strip())
                except (UnicodeDecodeError, ValueError):
                    _fail(f"invalid version record {raw[:64]!r}")
                if not 1 <= v <= 10:
                    _fail(f"unsupported checkpoint file format version {v} (this ptjax reads versions 1 to 10)")
                return v
        _fail('PytorchStreamReader failed locating file version: file not found (a checkpoint must have a '
              '"version" record)')

    def info(self, name):
        info = self.infos.get(f"{self.prefix}/{name}")
        if info is None:
            _fail(f"PytorchStreamReader failed locating file {name}: file not found")
        return info

    def read_bytes(self, name, limit=None) -> bytes:
        info = self.info(name)
        if limit is not None and info.file_size > limit:
            _fail(f"entry {name} is {info.file_size} bytes, more than the {limit} expected")
        buf = np.empty(info.file_size, np.uint8)
        self._read_into(info, buf)
        return buf.tobytes()

    def _read_into(self, info, buf: np.ndarray) -> None:
        n = buf.nbytes
        mv = memoryview(buf).cast("B")
        try:
            with self.zf.open(info) as src:
                pos = 0
                while pos < n:
                    chunk = src.read(min(_CHUNK, n - pos))
                    if not chunk:
                        _fail(f"PytorchStreamReader failed reading file {info.filename}: unexpected end of data")
                    mv[pos:pos + len(chunk)] = chunk
                    pos += len(chunk)
                if src.read(1):
                    _fail(f"PytorchStreamReader failed reading file {info.filename}: more data than declared")
        except CheckpointError:
            raise
        except (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError, struct.error, UnicodeDecodeError,
                OverflowError, NotImplementedError, KeyError, IndexError, TypeError) as e:
            _fail(f"PytorchStreamReader failed reading file {info.filename}: {e}", e)

    def read_storage(self, key: str, nbytes: int) -> np.ndarray:
        """The raw bytes of storage ``key`` as a writable uint8 array, after checking its size is ``nbytes``."""
        info = self.info(f"data/{key}")
        if info.file_size != nbytes:
            _fail(f"storage {key!r}: the archive entry has {info.file_size} bytes but the pickle declares {nbytes} "
                  "bytes (corrupt or mismatched checkpoint)")
        if self.mmap_path is not None and info.compress_type == zipfile.ZIP_STORED and nbytes:
            return np.memmap(self.mmap_path, dtype=np.uint8, mode="c", offset=self._data_offset(info),
                             shape=(nbytes,))
        buf = np.empty(nbytes, np.uint8)
        self._read_into(info, buf)
        return buf

    def _data_offset(self, info) -> int:
        self.fh.seek(info.header_offset)
        head = self.fh.read(30)
        if len(head) != 30 or head[:4] != b"PK\x03\x04":
            _fail(f"PytorchStreamReader failed reading file {info.filename}: bad local header")
        nlen, elen = struct.unpack("<HH", head[26:30])
        off = info.header_offset + 30 + nlen + elen
        if off + info.file_size > self.size:
            _fail(f"PytorchStreamReader failed reading file {info.filename}: data extends past the end of the file")
        return off
