"""What a model directory must remember about its input features to reproduce them."""

from __future__ import annotations

from typing import Any

from mbr_search.config.study import StudyConfig
from mbr_search.data.pose import read_pose
from mbr_search.features.pose_features import FEATURE_VERSION


def feature_settings(study: StudyConfig) -> dict[str, Any]:
    """Pose: keypoint names (in feature order), axis, likelihood threshold, animals.
    CNN: backbone, weights, crop and whether crops were centred on the pose."""
    train = study.dataset.split("train")
    if study.uses_pose_features:
        first = next(v for v in train if v.pose is not None)
        assert first.pose is not None
        pose = read_pose(first.pose)
        settings = study.dataset.pose
        keypoints = settings.keypoints or pose.keypoints
        return {
            "kind": "pose",
            "keypoints": list(keypoints),
            "axis": list(settings.axis) if settings.axis else None,
            "likelihood_threshold": settings.likelihood_threshold,
            "individuals": list(pose.individuals),
            "feature_version": FEATURE_VERSION,
        }
    emb = study.embed
    assert emb is not None
    crop = emb.crop
    return {
        "kind": "cnn",
        "backbone": emb.backbone,
        "weights": emb.weights,
        "crop": {
            "size": crop.size,
            "keypoints": list(crop.keypoints) if crop.keypoints else None,
            "likelihood_threshold": crop.likelihood_threshold,
            "missing": crop.missing,
        },
        "fps": emb.fps,
        "uses_pose": any(v.pose is not None for v in train),
    }


def source_fps(study: StudyConfig) -> float | None:
    """The training videos' frame rate when they share one (the default for new inputs)."""
    rates = {v.fps for v in study.dataset.videos}
    return float(rates.pop()) if len(rates) == 1 else None


def study_fps(study: StudyConfig) -> float:
    """The frame rate every per-frame number is at: the study's, else the videos' own."""
    if study.fps:
        return float(study.fps)
    return source_fps(study) or float(study.dataset.videos[0].fps)
