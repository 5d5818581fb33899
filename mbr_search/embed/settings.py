"""What a CNN embedding is made of (backbone, weights, crop, frame rate) and where it is cached.

:class:`EmbedSettings` is the single description shared by ``mbr-search embed`` (which writes
the cache) and the search core (which reads it through :func:`find_embedding`), so both
always agree on the cache key.
"""

from __future__ import annotations

import functools
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mbr_search.embed.backbones import BACKBONES, Backbone, get_backbone
from mbr_search.errors import UsageError
from mbr_search.features.cache import CacheEntry, file_fingerprint, find_entry

if TYPE_CHECKING:
    from mbr_search.config._schema import Section
    from mbr_search.config.dataset import VideoEntry

__all__ = [
    "BACKBONES",
    "MISSING_CHOICES",
    "PIPELINE_VERSION",
    "CropSettings",
    "EmbedSettings",
    "embed_command",
    "entry_settings",
    "find_embedding",
    "parse_embed_settings",
]

#: Bumped whenever decoding/cropping changes what the same settings produce, so old cache
#: entries stop matching instead of being mixed with new ones.
PIPELINE_VERSION = 1

#: What frames get when no position can be derived from the pose (the video has no pose
#: file, or no keypoint ever passes the likelihood threshold). Gaps between trusted frames
#: are always interpolated, and frames before the first / after the last trusted frame hold
#: the nearest trusted position, so these choices only apply to whole videos.
#: - ``full_frame``: the whole frame, padded to a square, resized to the backbone input;
#: - ``centre``: a crop of the usual size at the centre of the frame;
#: - ``error``: refuse the video.
MISSING_CHOICES = ("full_frame", "centre", "error")

#: Value of the border padding when a crop runs past the frame edge (black).
PAD_VALUE = 0


@dataclass(frozen=True)
class CropSettings:
    """A square crop centred on the animal, in source-frame pixels."""

    size: int = 200
    #: keypoints whose centroid is the crop centre; None: all keypoints (thesis: midbody)
    keypoints: tuple[str, ...] | None = None
    likelihood_threshold: float = 0.5
    missing: str = "full_frame"

    def __post_init__(self) -> None:
        if self.size < 8:
            raise UsageError(f"crop size {self.size} px is too small. Fix: use at least 8.")
        if not 0.0 <= self.likelihood_threshold <= 1.0:
            raise UsageError(
                f"likelihood threshold {self.likelihood_threshold} is outside [0, 1]. "
                "Fix: use e.g. 0.5."
            )
        if self.missing not in MISSING_CHOICES:
            raise UsageError(
                f"unknown crop.missing '{self.missing}'. Fix: use one of {list(MISSING_CHOICES)}."
            )
        if self.keypoints is not None:
            object.__setattr__(self, "keypoints", tuple(self.keypoints))
            if not self.keypoints:
                raise UsageError("crop keypoints is an empty list. Fix: name at least one.")

    def as_dict(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "keypoints": list(self.keypoints) if self.keypoints is not None else None,
            "likelihood_threshold": self.likelihood_threshold,
            "missing": self.missing,
            "pad_value": PAD_VALUE,
            "individual": "first",
        }


@dataclass(frozen=True)
class EmbedSettings:
    """Everything that determines a video's embedding (and so its cache entry)."""

    backbone: str
    #: ``"imagenet"``, ``"none"`` (random weights: tests) or a path to a local weights file
    weights: str = "imagenet"
    crop: CropSettings = field(default_factory=CropSettings)
    #: rate the embeddings are sampled at; None keeps every source frame
    fps: float | None = 10.0

    def __post_init__(self) -> None:
        get_backbone(self.backbone)
        weights = str(self.weights).strip()
        if weights.lower() in ("none", "null", "random"):
            weights = "none"
        elif weights.lower() == "imagenet":
            weights = "imagenet"
        else:
            weights = str(Path(weights).expanduser().resolve())
        object.__setattr__(self, "weights", weights)
        if self.fps is not None and not self.fps > 0:
            raise UsageError(f"fps {self.fps} must be > 0. Fix: e.g. 10, or none for all frames.")

    @property
    def spec(self) -> Backbone:
        """The backbone's registry entry."""
        return BACKBONES[self.backbone]

    @property
    def weights_kind(self) -> str:
        """``imagenet``, ``none`` or ``file``."""
        return self.weights if self.weights in ("imagenet", "none") else "file"

    @property
    def weights_file(self) -> Path | None:
        return Path(self.weights) if self.weights_kind == "file" else None

    def cache_settings(self) -> dict[str, Any]:
        """The settings that key the cache. A weights file enters by content, not path."""
        if self.weights_file is not None:
            weights = f"file:sha256:{_weights_fingerprint(self.weights_file)}"
        else:
            weights = self.weights
        return {
            "kind": "cnn_embedding",
            "pipeline": PIPELINE_VERSION,
            "backbone": self.backbone,
            "input_size": self.spec.input_size,
            "dim": self.spec.dim,
            "weights": weights,
            "crop": self.crop.as_dict(),
            "fps": self.fps,
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


def entry_settings(settings: EmbedSettings, source_fps: float) -> dict[str, Any]:
    """Cache-key settings for one video: the embed settings plus the video's own rate."""
    return {**settings.cache_settings(), "source_fps": float(source_fps)}


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


def parse_embed_settings(sec: Section, fps: float | None) -> EmbedSettings:
    """Read a study's ``features`` section (backbone, weights, crop) and ``finish()`` it.

    ``fps`` is the study's frame rate (None: every source frame). A relative weights path
    is taken relative to the YAML file.
    """
    backbone = sec.text("backbone", choices=sorted(BACKBONES))
    weights = sec.text("weights", "imagenet")
    if weights.lower() not in ("imagenet", "none"):
        path = Path(weights).expanduser()
        if not path.is_absolute():
            path = sec.file.parent / path
        if not path.is_file():
            raise sec.fail(
                "weights",
                f"weights file not found: {path}. Fix: give 'imagenet', 'none' or an existing "
                f"no-top weights file of {backbone}.",
            )
        weights = str(path)
    crop_sec = sec.section("crop")
    defaults = CropSettings()
    crop = CropSettings(
        size=crop_sec.integer("size", defaults.size, minimum=8),
        keypoints=crop_sec.names("keypoints", None),
        likelihood_threshold=crop_sec.number(
            "likelihood_threshold", defaults.likelihood_threshold, 0.0, 1.0
        ),
        missing=crop_sec.text("missing", defaults.missing, choices=MISSING_CHOICES),
    )
    if crop.keypoints is not None and not crop.keypoints:
        raise crop_sec.fail("keypoints", "empty list. Fix: name at least one keypoint.")
    crop_sec.finish()
    sec.finish()
    return EmbedSettings(backbone=backbone, weights=weights, crop=crop, fps=fps)


def embed_command(
    dataset: Path | str, settings: EmbedSettings, cache_dir: Path | None = None
) -> str:
    """The ``mbr-search embed`` command line that writes what :func:`find_embedding` reads.

    Pass ``cache_dir`` when the cache is not the default one.
    """
    crop, defaults = settings.crop, CropSettings()
    parts = ["mbr-search", "embed", str(dataset), "--backbone", settings.backbone]
    if settings.weights != "imagenet":
        parts += ["--weights", settings.weights]
    parts += ["--fps", "source" if settings.fps is None else _number(settings.fps)]
    if crop.size != defaults.size:
        parts += ["--crop-size", str(crop.size)]
    if crop.keypoints is not None:
        parts += ["--keypoints", ",".join(crop.keypoints)]
    if crop.likelihood_threshold != defaults.likelihood_threshold:
        parts += ["--likelihood-threshold", _number(crop.likelihood_threshold)]
    if crop.missing != defaults.missing:
        parts += ["--missing", crop.missing]
    if cache_dir is not None:
        parts += ["--cache-dir", str(cache_dir)]
    return shlex.join(parts)


def _number(value: float) -> str:
    short = format(value, "g")
    return short if float(short) == value else repr(float(value))
