"""Where a video's CNN embedding is cached, and finding it again.

The cache key is the embed settings plus the pipeline version and the content of the video,
the pose and (for a local file) the weights, so a changed input never matches an old entry.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from mbr_search.config.embed import EmbedSettings
from mbr_search.errors import UsageError
from mbr_search.features.cache import CacheEntry, file_fingerprint, find_entry
from mbr_search.jsondoc import JSONObject

if TYPE_CHECKING:
    from mbr_search.config.dataset import VideoEntry

#: Bumped whenever decoding/cropping changes what the same settings produce, so old cache
#: entries stop matching instead of being mixed with new ones.
PIPELINE_VERSION = 1


def cache_settings(settings: EmbedSettings) -> JSONObject:
    """The settings that key the cache. A weights file enters by content, not path."""
    if settings.weights_file is not None:
        weights = f"file:sha256:{_weights_fingerprint(settings.weights_file)}"
    else:
        weights = settings.weights
    return {
        "kind": "cnn_embedding",
        "pipeline": PIPELINE_VERSION,
        "backbone": settings.backbone,
        "input_size": settings.spec.input_size,
        "dim": settings.spec.dim,
        "weights": weights,
        "crop": settings.crop.as_dict(),
        "fps": settings.fps,
    }


def _weights_fingerprint(path: Path) -> str:
    try:
        stat = path.stat()
    except OSError:
        raise UsageError(f"{path}: weights file not found. Fix: check the weights path.") from None
    return _fingerprint_cached(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=16)
def _fingerprint_cached(path: str, size: int, mtime_ns: int) -> str:
    # size and mtime are part of the cache key so an edited file is hashed again
    return file_fingerprint(Path(path))


def entry_settings(settings: EmbedSettings, source_fps: float) -> JSONObject:
    """Cache-key settings for one video: the embed settings plus the video's own rate."""
    return {**cache_settings(settings), "source_fps": float(source_fps)}


def entry_inputs(video: Path, pose: Path | None) -> list[Path]:
    """The files whose content keys an entry (video, then pose when there is one)."""
    return [video] if pose is None else [video, pose]


def find_embedding(
    cache_root: Path, video: VideoEntry, settings: EmbedSettings
) -> CacheEntry | None:
    """The valid cached embedding of ``video`` for ``settings``, or None (absent/partial)."""
    if video.video is None or not video.video.is_file():
        return None
    if video.pose is not None and not video.pose.is_file():
        return None
    return find_entry(
        cache_root,
        backbone=settings.backbone,
        video_id=video.id,
        settings=entry_settings(settings, video.fps),
        inputs=entry_inputs(video.video, video.pose),
    )
