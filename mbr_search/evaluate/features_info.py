"""What a model directory must remember about its input features to reproduce them."""

from __future__ import annotations

from mbr_search.config.study import StudyConfig
from mbr_search.data.pose import read_pose
from mbr_search.features.pose_features import FEATURE_VERSION
from mbr_search.features.pose_schema import dataset_schema
from mbr_search.inference.model_dir import CnnFeatures, Features, PoseFeatures


def feature_settings(study: StudyConfig) -> Features:
    """Pose: keypoint names (in feature order), axis, likelihood threshold, animals, and
    ``features.augment`` (the transforms of predict's TTA views). CNN: the embedding
    settings and whether crops were centred on the pose."""
    train = study.dataset.split("train")
    if study.uses_pose_features:
        first = next(v for v in train if v.pose is not None)
        assert first.pose is not None
        pose = read_pose(first.pose, first.pose_format)
        settings = study.dataset.pose
        # the order the features were computed in (features/pose_schema.py), not this file's
        schema = dataset_schema(study.dataset)
        return PoseFeatures(
            keypoints=schema.keypoints if schema is not None else tuple(pose.keypoints),
            axis=settings.axis,
            likelihood_threshold=settings.likelihood_threshold,
            individuals=tuple(pose.individuals),
            feature_version=FEATURE_VERSION,
            augment=study.augment,
        )
    assert study.embed is not None
    return CnnFeatures(study.embed, uses_pose=any(v.pose is not None for v in train))


def source_fps(study: StudyConfig) -> float | None:
    """The training videos' frame rate when they share one (the default for new inputs)."""
    rates = {v.fps for v in study.dataset.videos}
    return float(rates.pop()) if len(rates) == 1 else None


def study_fps(study: StudyConfig) -> float:
    """The frame rate every per-frame number is at: the study's, else the videos' own."""
    if study.fps:
        return float(study.fps)
    return source_fps(study) or float(study.dataset.videos[0].fps)
