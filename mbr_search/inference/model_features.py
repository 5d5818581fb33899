"""What a model directory remembers about its input features, to reproduce them in
``predict``: pose keypoints and settings, or the CNN embedding settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from mbr_search.config.augment import AugmentSettings
from mbr_search.config.embed import CropSettings, EmbedSettings
from mbr_search.config.windows import WindowSettings
from mbr_search.errors import ConfigError, UsageError
from mbr_search.jsondoc import JSONObject, Node


@dataclass(frozen=True)
class PoseFeatures:
    """How pose features were computed: keypoints in feature order, axis, trust, animals;
    and the study's ``features.augment``, whose transforms test-time augmentation uses."""

    kind: ClassVar[str] = "pose"

    keypoints: tuple[str, ...]
    #: (rear, front) keypoints of the body axis; None: estimated from the points
    axis: tuple[str, str] | None
    likelihood_threshold: float
    individuals: tuple[str, ...]
    #: :data:`mbr_search.features.pose_features.FEATURE_VERSION` at training time
    feature_version: int
    #: the study's ``features.augment`` (model.json files written before it was recorded
    #: read as the defaults, what a study without that section trains on)
    augment: AugmentSettings = field(default_factory=AugmentSettings)

    def to_json(self) -> JSONObject:
        return {
            "kind": self.kind,
            "keypoints": list(self.keypoints),
            "axis": list(self.axis) if self.axis else None,
            "likelihood_threshold": self.likelihood_threshold,
            "individuals": list(self.individuals),
            "feature_version": self.feature_version,
            "augment": self.augment.as_dict(),
        }

    @classmethod
    def from_json(cls, node: Node) -> PoseFeatures:
        keypoints = node["keypoints"].texts()
        axis = node.nullable("axis")
        pair = axis.texts() if axis is not None else None
        if pair is not None and len(pair) != 2:
            raise node["axis"].fail("must name two keypoints, [rear, front]")
        augment = node.optional("augment")
        return cls(
            keypoints=keypoints,
            axis=(pair[0], pair[1]) if pair else None,
            likelihood_threshold=node["likelihood_threshold"].number(),
            individuals=node["individuals"].texts(),
            feature_version=node["feature_version"].integer(),
            augment=augment_from_json(augment) if augment is not None else AugmentSettings(),
        )


def augment_from_json(node: Node) -> AugmentSettings:
    """``features.augment`` as :meth:`AugmentSettings.as_dict` wrote it."""
    return AugmentSettings(
        copies=node["copies"].integer(),
        rotate=node["rotate"].boolean(),
        reflect=node["reflect"].boolean(),
        swap_identities=node["swap_identities"].boolean(),
        noise=node["noise"].number(),
    )


@dataclass(frozen=True)
class CnnFeatures:
    """How CNN embeddings were computed, and whether crops were centred on the pose."""

    kind: ClassVar[str] = "cnn"

    embed: EmbedSettings
    uses_pose: bool

    def to_json(self) -> JSONObject:
        crop = self.embed.crop
        return {
            "kind": self.kind,
            "backbone": self.embed.backbone,
            "weights": self.embed.weights,
            "crop": {
                "size": crop.size,
                "keypoints": list(crop.keypoints) if crop.keypoints else None,
                "likelihood_threshold": crop.likelihood_threshold,
                "missing": crop.missing,
            },
            "fps": self.embed.fps,
            "uses_pose": self.uses_pose,
        }

    @classmethod
    def from_json(cls, node: Node) -> CnnFeatures:
        crop = node["crop"]
        keypoints = crop.nullable("keypoints")
        try:
            embed = EmbedSettings(
                backbone=node["backbone"].text(),
                weights=node["weights"].text(),
                crop=CropSettings(
                    size=crop["size"].integer(),
                    keypoints=keypoints.texts() if keypoints is not None else None,
                    likelihood_threshold=crop["likelihood_threshold"].number(),
                    missing=crop["missing"].text(),
                ),
                fps=node["fps"].optional_number(),
            )
        except UsageError as exc:
            raise node.fail(str(exc)) from None
        return cls(embed, node["uses_pose"].boolean())


Features = PoseFeatures | CnnFeatures


def features_from_json(node: Node) -> Features:
    kind = node["kind"].text()
    if kind == PoseFeatures.kind:
        return PoseFeatures.from_json(node)
    if kind == CnnFeatures.kind:
        return CnnFeatures.from_json(node)
    raise node["kind"].fail(f"is '{kind}', expected 'pose' or 'cnn'")


@dataclass(frozen=True)
class FrameWindows:
    """A member's window features: the set and the frame rate its frames were counted at
    (so ``predict`` uses the same window lengths in frames as training did)."""

    settings: WindowSettings
    fps: float
    #: the trial's choice (a name of the study's window_sets, or "none" for a fixed set)
    name: str = "none"

    def to_json(self) -> JSONObject:
        return {"name": self.name, **self.settings.as_dict(), "fps": self.fps}

    @classmethod
    def from_json(cls, node: Node) -> FrameWindows:
        # ``bands`` is written only for sets with bandpower (older directories have none).
        bands = node.optional("bands")
        pairs = [b.numbers() for b in bands.elements()] if bands is not None else []
        if any(len(p) != 2 for p in pairs):
            raise node["bands"].fail("must be a list of [low, high] pairs in Hz")
        try:
            settings = WindowSettings(
                tuple(float(v) for v in node["seconds"].numbers()),
                node["stats"].texts(),
                node["raw"].boolean(),
                tuple((p[0], p[1]) for p in pairs),
            )
        except ConfigError as exc:
            raise node.fail(str(exc)) from None
        return cls(settings, node["fps"].number(), node["name"].text())
