"""The on-disk feature cache shared by pose features and CNN embeddings.

One entry per (video, backbone, settings, input content):

    <cache_root>/<backbone>/<video_id>-<key>.npy   float16 (frames, dim), memory-mapped on read
    <cache_root>/<backbone>/<video_id>-<key>.json  manifest, written last

``key`` hashes the settings and the fingerprints of the input files, so a changed pose
file or crop size is a new entry, never a stale hit. Both files are written to a temp name
and renamed into place; the manifest goes last, so an entry without a manifest, or whose
array does not match its manifest, is treated as absent and recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# Re-exported: evaluate and report write their JSON/HTML through this name.
from mbr_search._atomic import write_text_atomic as write_text_atomic
from mbr_search.errors import DataError, OutputError
from mbr_search.jsondoc import JSON
from mbr_search.versions import versions

FORMAT_VERSION = 1


@dataclass(frozen=True)
class CacheEntry:
    """A complete, validated cache entry."""

    array_path: Path
    manifest_path: Path
    manifest: dict[str, Any]

    @property
    def n_frames(self) -> int:
        return int(self.manifest["n_frames"])

    @property
    def dim(self) -> int:
        return int(self.manifest["dim"])

    def load(self) -> np.ndarray:
        """The features as a read-only float16 memory map (no copy into RAM)."""
        return load_array(self.array_path)


def load_array(path: Path) -> np.ndarray:
    """Memory-map a cached ``.npy`` safely (never unpickles)."""
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise DataError(
            f"{path}: cached features are unreadable ({exc}). Fix: delete the file; it is "
            "recomputed on the next run."
        ) from exc


def release_pages(array: np.ndarray) -> None:
    """Drop this process's resident pages of a read-only memory-mapped array.

    Reading a memmap maps the file's pages into the process, and they count in its RSS
    until unmapped; the data stays in the OS page cache and later reads fault it back in
    cheaply. Called after a whole pass over a video (checks, moments, cutting) so a
    thesis-scale search does not hold the whole cache resident.
    """
    mm = getattr(array, "_mmap", None)  # np.memmap keeps its mmap.mmap here
    if mm is not None and hasattr(mm, "madvise"):
        import contextlib
        import mmap

        # Unsupported here: nothing is lost but the RSS accounting.
        with contextlib.suppress(OSError, ValueError):
            mm.madvise(mmap.MADV_DONTNEED)


def file_fingerprint(path: Path) -> str:
    """sha256 of a file's size and content; for files over 64 MiB, of the first and last 16 MiB.

    Hashing a multi-GB video in full would dominate a cache lookup; size plus both ends
    catches re-encodes and truncation, which is what invalidates an embedding.
    """
    size = path.stat().st_size
    digest = hashlib.sha256(str(size).encode())
    chunk = 16 << 20
    with path.open("rb") as handle:
        if size <= 4 * chunk:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        else:
            digest.update(handle.read(chunk))
            handle.seek(size - chunk)
            digest.update(handle.read(chunk))
    return digest.hexdigest()


def settings_key(settings: Mapping[str, JSON], inputs: Sequence[Path]) -> str:
    """Short stable key for the settings plus the input files' content."""
    payload = {
        "format": FORMAT_VERSION,
        "settings": dict(settings),
        "inputs": [file_fingerprint(p) for p in inputs],
    }
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def entry_paths(cache_root: Path, backbone: str, video_id: str, key: str) -> tuple[Path, Path]:
    folder = cache_root / backbone
    stem = f"{_safe(video_id)}-{key}"
    return folder / f"{stem}.npy", folder / f"{stem}.json"


def find_entry(
    cache_root: Path,
    *,
    backbone: str,
    video_id: str,
    settings: Mapping[str, JSON],
    inputs: Sequence[Path],
) -> CacheEntry | None:
    """The valid entry for these settings and inputs, or None (absent, partial or corrupt)."""
    key = settings_key(settings, inputs)
    array_path, manifest_path = entry_paths(cache_root, backbone, video_id, key)
    return _validate(array_path, manifest_path)


def _validate(array_path: Path, manifest_path: Path) -> CacheEntry | None:
    if not (array_path.is_file() and manifest_path.is_file()):
        return None
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        array = np.load(array_path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):
        return None
    if (
        manifest.get("format_version") != FORMAT_VERSION
        or array.dtype != np.float16
        or array.shape != (manifest.get("n_frames"), manifest.get("dim"))
        or array_path.stat().st_size != manifest.get("bytes")
    ):
        return None
    return CacheEntry(array_path, manifest_path, manifest)


class FeatureWriter:
    """Streams rows of one video's features into the cache, then commits atomically.

    Usage::

        with FeatureWriter(root, backbone="resnet50v2", video_id="v1", settings=s,
                           inputs=[video, pose], n_frames=n, dim=2048) as w:
            w.write(0, rows)          # any number of times, any order
            entry = w.commit()        # without commit, nothing is left behind
    """

    def __init__(
        self,
        cache_root: Path,
        *,
        backbone: str,
        video_id: str,
        settings: Mapping[str, JSON],
        inputs: Sequence[Path],
        n_frames: int,
        dim: int,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        if n_frames <= 0 or dim <= 0:
            raise DataError(f"{video_id}: cannot cache {n_frames} frames x {dim} features.")
        self.settings = dict(settings)
        self.inputs = [Path(p) for p in inputs]
        self.key = settings_key(self.settings, self.inputs)
        self.array_path, self.manifest_path = entry_paths(cache_root, backbone, video_id, self.key)
        self.backbone = backbone
        self.video_id = video_id
        self.n_frames = n_frames
        self.dim = dim
        self.extra = dict(extra or {})
        folder = self.array_path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".partial-", suffix=".npy", dir=folder)
            os.close(fd)
        except OSError as exc:
            raise DataError(
                f"{folder}: cannot write the feature cache ({exc.strerror}). Fix: choose a "
                "writable folder with --cache-dir or MBR_SEARCH_CACHE."
            ) from exc
        self._tmp = Path(tmp)
        self._array: np.memmap | None = np.lib.format.open_memmap(
            self._tmp, mode="w+", dtype=np.float16, shape=(n_frames, dim)
        )
        self._reserve(folder)
        self._written = np.zeros(n_frames, dtype=bool)

    def _reserve(self, folder: Path) -> None:
        # The memmap file is sparse: a full disk would surface later as SIGBUS on a page
        # write. Reserving every block now turns it into a clean error before any work.
        try:
            with self._tmp.open("r+b") as handle:
                os.posix_fallocate(handle.fileno(), 0, self._tmp.stat().st_size)
        except OSError as exc:
            self._array = None
            self._tmp.unlink(missing_ok=True)
            raise DataError(
                f"{folder}: no room for {self.n_frames}x{self.dim} cached features "
                f"({exc.strerror}). Fix: free disk space or choose another --cache-dir."
            ) from exc

    def __enter__(self) -> FeatureWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()

    def write(self, start: int, rows: np.ndarray) -> None:
        """Store ``rows`` (n, dim) at frames ``start:start+n``; refuses NaN/inf."""
        assert self._array is not None, "writer already closed"
        rows = np.asarray(rows)
        if rows.ndim != 2 or rows.shape[1] != self.dim or start + len(rows) > self.n_frames:
            raise ValueError(
                f"rows {rows.shape} do not fit at {start} in {self.n_frames}x{self.dim}"
            )
        if not np.all(np.isfinite(rows)):
            raise DataError(
                f"{self.video_id}: {self.backbone} produced NaN/inf features near frame {start}. "
                "Fix: check the input video/pose; nothing was cached."
            )
        self._array[start : start + len(rows)] = rows.astype(np.float16)
        self._written[start : start + len(rows)] = True

    def commit(self) -> CacheEntry:
        """Flush, rename into place and write the manifest last. Returns the valid entry."""
        assert self._array is not None, "writer already closed"
        if not self._written.all():
            missing = int((~self._written).sum())
            raise DataError(f"{self.video_id}: {missing} frames were never written; not cached.")
        array = self._array
        self._array = None
        try:
            array.flush()
            del array
            _fsync(self._tmp)
            os.replace(self._tmp, self.array_path)
            manifest = {
                "format_version": FORMAT_VERSION,
                "video_id": self.video_id,
                "backbone": self.backbone,
                "settings": self.settings,
                "inputs": {str(p): file_fingerprint(p) for p in self.inputs},
                "n_frames": self.n_frames,
                "dim": self.dim,
                "dtype": "float16",
                "bytes": self.array_path.stat().st_size,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "versions": versions(),
                **self.extra,
            }
            write_text_atomic(
                self.manifest_path,
                json.dumps(manifest, indent=2, default=str),
                fix="free disk space or choose another --cache-dir",
            )
        except OutputError:
            # The manifest could not land: the renamed array must not outlive it.
            self._discard()
            raise
        except OSError as exc:
            self._discard()
            raise DataError(
                f"{self.array_path.parent}: writing the feature cache failed ({exc.strerror}); "
                "nothing partial was kept. Fix: free disk space or choose another --cache-dir."
            ) from exc
        entry = _validate(self.array_path, self.manifest_path)
        if entry is None:  # pragma: no cover - only on a concurrent delete
            raise DataError(f"{self.array_path}: cache entry vanished after writing.")
        return entry

    def _discard(self) -> None:
        self._tmp.unlink(missing_ok=True)
        self.array_path.unlink(missing_ok=True)

    def abort(self) -> None:
        """Drop the temp file (a no-op after commit)."""
        if self._array is not None:
            self._array = None
        self._tmp.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
