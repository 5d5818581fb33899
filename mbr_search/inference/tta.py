"""Test-time augmentation (TTA): probabilities averaged over fixed transforms of the pose.

A pose model whose members were trained on augmented copies (``features.augment``: random
rotations about the arena centre, mirror images, swapped animal identities) can be asked
for the same video seen through those transforms. :func:`transform_set` gives a fixed,
deterministic set of them (the identity first; no noise): every rotation by a multiple of
``360 / ROTATIONS`` degrees when rotation is on, times the mirror image when reflection is
on, times every cyclic order of the animals when identities are swapped and there are two
or more. Each transformed copy goes through the video's own feature pipeline
(:func:`mbr_search.features.augmented.transformed_features`), each member predicts every
copy, and a member's probabilities are the mean over the copies, before the ensemble
weighs its members. A member trained without augmentation sees the video itself only: the
transforms are those its training used, none for it. CNN embeddings cannot be
transformed; asking for TTA on a CNN model is a :class:`UsageError`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mbr_search.config.augment import AugmentSettings
from mbr_search.config.dataset import PoseSettings
from mbr_search.config.study import StudyConfig
from mbr_search.data.pose import Pose
from mbr_search.errors import DataError, UsageError
from mbr_search.features.augment import Transform
from mbr_search.features.store import VideoData
from mbr_search.inference.model_member import Member
from mbr_search.inference.probabilities import member_probabilities, member_weights
from mbr_search.training.sequences import Standardiser

#: rotations (multiples of 360 / ROTATIONS degrees) when the training rotated
ROTATIONS = 4
IDENTITY_INDEX = 0
#: TTA when neither ``--tta`` nor ``--no-tta`` is given (pose models only): on, as
#: benchmarks/tta.py measured it paying on 20 held-out rat videos (docs/benchmarks.md,
#: "Test-time augmentation": mean PR-AUC +0.016, 90 % interval 0.008 to 0.024)
DEFAULT = True


@dataclass(frozen=True)
class TtaVideo:
    """One video seen through every transform: ``views[i]`` holds the base features of
    ``transforms[i]`` (``views[0]`` the video itself)."""

    transforms: tuple[Transform, ...]
    views: tuple[VideoData, ...]

    @property
    def id(self) -> str:
        return self.views[IDENTITY_INDEX].id


def transform_set(
    settings: AugmentSettings, n_animals: int, *, rotations: int = ROTATIONS
) -> tuple[Transform, ...]:
    """The fixed transforms of ``settings`` (the identity first, always; no noise)."""
    if rotations < 1:
        raise UsageError(f"TTA rotations: {rotations}, must be at least 1.")
    angles = [2.0 * np.pi * k / rotations for k in range(rotations)] if settings.rotate else [0.0]
    mirrors = (False, True) if settings.reflect else (False,)
    n = max(1, n_animals)
    shifts = range(n) if settings.swap_identities and n > 1 else range(1)
    orders = [tuple((a + s) % n for a in range(n)) for s in shifts]
    noise = (0.0,) * n
    return tuple(
        Transform(float(angle), mirror, order, noise)
        for angle, mirror, order in itertools.product(angles, mirrors, orders)
    )


def member_views(member: Member, n_views: int) -> range:
    """Which views a member is averaged over: all for a member trained on augmented
    copies, the video itself for any other (LightGBM, ``augment: false``)."""
    return range(n_views) if getattr(member.params, "augment", False) else range(1)


def tta_video(
    video: VideoData,
    pose: Pose,
    settings: PoseSettings,
    fps: tuple[float, float | None],
    transforms: Sequence[Transform],
) -> TtaVideo:
    """``video`` (base features, as predicted without TTA) and its transformed copies,
    from its raw keypoints ``pose`` (read with ``settings``); ``fps``: (the pose file's
    frame rate, the model's)."""
    from mbr_search.features.augmented import transformed_features

    if not transforms or transforms[IDENTITY_INDEX] != identity(pose.xy.shape[1]):
        raise ValueError("a TTA transform set starts with the identity")
    if settings.keypoints is not None:
        pose = pose.select(settings.keypoints)
    views = [video]
    rng = np.random.default_rng(0)  # no noise: never drawn from
    for k, t in enumerate(transforms[1:], start=1):
        x = transformed_features(pose, t, settings, fps[0], fps[1], rng)
        if x.shape != video.features.shape:
            raise DataError(
                f"{video.id}: TTA view {k} has {x.shape} features, the video "
                f"{video.features.shape}. Fix: delete its cache entries and re-run."
            )
        views.append(VideoData(video.id, video.split, x, video.labels, video.has_labels))
    return TtaVideo(tuple(transforms), tuple(views))


def identity(n_animals: int) -> Transform:
    n = max(1, n_animals)
    return Transform(0.0, False, tuple(range(n)), (0.0,) * n)


def tta_member_probabilities(
    members: Sequence[Member],
    nets: Sequence[Sequence[object]],
    scaler: Standardiser,
    video: TtaVideo,
    n_behaviours: int,
) -> np.ndarray:
    """(members, frames, behaviours) float32: each member's mean over its views."""
    n_views = len(video.views)
    total: np.ndarray | None = None
    counts = np.zeros(len(members))
    for i, view in enumerate(video.views):
        use = [k for k, m in enumerate(members) if i in member_views(m, n_views)]
        if not use:
            continue
        probs = member_probabilities(
            [members[k] for k in use], [nets[k] for k in use], scaler, view, n_behaviours
        ).astype(np.float64)
        if total is None:
            total = np.zeros((len(members), *probs.shape[1:]))
        total[use] += probs
        counts[use] += 1
    assert total is not None  # view 0 is every member's
    return (total / counts[:, None, None]).astype(np.float32)


def tta_predict_videos(
    members: Sequence[Member],
    nets: Sequence[Sequence[object]],
    scaler: Standardiser,
    videos: Sequence[TtaVideo],
    n_behaviours: int,
) -> dict[str, np.ndarray]:
    """Video id -> (frames, behaviours) probabilities: the members' weighted mean of their
    TTA means (:func:`mbr_search.inference.probabilities.predict_videos` with TTA)."""
    weights = member_weights(members)
    out: dict[str, np.ndarray] = {}
    for video in videos:
        probs = tta_member_probabilities(members, nets, scaler, video, n_behaviours)
        out[video.id] = np.tensordot(weights, probs, axes=1).astype(np.float32)
    return out


def resolve(tta: bool | None, backbone: str, where: str) -> bool:
    """Whether to use TTA: ``--tta`` (True; a UsageError for a CNN model), ``--no-tta``
    (False) or neither (None: :data:`DEFAULT` for a pose model, off for a CNN one)."""
    if tta is None:
        return DEFAULT and backbone == "pose"
    if tta:
        check_backbone(backbone, where)
    return tta


def uses_views(members: Sequence[Member]) -> bool:
    """Whether any member is averaged over transformed views (else TTA is the plain
    prediction, and the views are not computed)."""
    return any(len(member_views(m, 2)) > 1 for m in members)


def check_backbone(backbone: str, where: str) -> None:
    """TTA transforms keypoints: refuse it for a CNN-embedding model or study."""
    if backbone != "pose":
        raise UsageError(
            f"--tta: {where} uses {backbone} embeddings; test-time augmentation transforms "
            "pose keypoints and needs a pose model (backbone: pose). Fix: leave out --tta."
        )


def study_tta_videos(study: StudyConfig, videos: Sequence[VideoData]) -> list[TtaVideo]:
    """``evaluate``'s test videos (base features, loaded by ``load_split``) with their views
    under the transforms of the study's ``features.augment``."""
    from mbr_search.data.pose import read_pose
    from mbr_search.features.pose_schema import dataset_schema

    check_backbone(study.backbone, f"study '{study.name}'")
    schema = dataset_schema(study.dataset)
    entries = {v.id: v for v in study.dataset.videos}
    out = []
    for video in videos:
        entry = entries[video.id]
        if entry.pose is None:
            raise DataError(f"video '{video.id}' has no pose file to augment at test time.")
        pose = read_pose(entry.pose, entry.pose_format)
        settings = study.dataset.pose
        if schema is not None:
            settings = schema.settings_for(entry, settings)
        transforms = transform_set(study.augment, pose.xy.shape[1])
        out.append(tta_video(video, pose, settings, (entry.fps, study.fps), transforms))
    return out
