"""What a CNN embedding is made of: backbone, weights, crop, frame rate (a study's
``features`` section, or ``mbr-search embed``'s flags).

:class:`EmbedSettings` is the one description shared by ``mbr-search embed`` (which writes
the cache) and the search (which reads it through
:func:`mbr_search.features.embeddings.find_embedding`), so both agree on the cache key.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mbr_search.config.backbones import BACKBONES, Backbone, get_backbone
from mbr_search.errors import UsageError
from mbr_search.jsondoc import JSONObject

if TYPE_CHECKING:
    from mbr_search.config._schema import Section

__all__ = [
    "MISSING_CHOICES",
    "PAD_VALUE",
    "CropSettings",
    "EmbedSettings",
    "embed_command",
    "parse_embed_settings",
]

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

    def as_dict(self) -> JSONObject:
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
