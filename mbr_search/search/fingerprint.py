"""What a study was made with, stored in it at creation and compared on every later use.

Resuming a study with another dataset, other behaviours, another seed (hence other folds),
other features or another space would silently mix two experiments in one "best". ``run``,
``evaluate`` and ``report`` compare the stored fingerprint with the current configuration
and refuse a mismatch, naming what changed.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mbr_search.config.study import StudyConfig
from mbr_search.errors import ConfigError
from mbr_search.features.cache import file_fingerprint
from mbr_search.features.embeddings import cache_settings
from mbr_search.jsondoc import JSON, JSONObject

if TYPE_CHECKING:
    import optuna

#: Study system attribute holding the fingerprint (JSON).
ATTR = "mbr_search:fingerprint"
VERSION = 1


@dataclass(frozen=True)
class Fingerprint:
    """The parts of a study configuration that decide what its trial values mean."""

    version: int
    #: video id -> split and the content hash of each of its files
    videos: dict[str, dict[str, str | None]]
    behaviours: list[str]
    cv: JSONObject
    seed: int
    features: JSONObject
    space: JSONObject

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Fingerprint:
        raw = json.loads(text)
        return cls(
            version=int(raw["version"]), videos=dict(raw["videos"]),
            behaviours=list(raw["behaviours"]), cv=dict(raw["cv"]), seed=int(raw["seed"]),
            features=dict(raw["features"]), space=dict(raw["space"]),
        )  # fmt: skip

    def differences(self, other: Fingerprint) -> list[str]:
        """What changed from ``self`` (stored) to ``other`` (now), in words."""
        out = []
        for name in ("behaviours", "cv", "seed", "features", "space"):
            was, now = getattr(self, name), getattr(other, name)
            if was != now:
                out.append(f"{name} (was {_short(was)}, now {_short(now)})")
        if self.videos != other.videos:
            out.append("dataset " + _video_changes(self.videos, other.videos))
        return out


def fingerprint(study: StudyConfig) -> Fingerprint:
    """The fingerprint of ``study`` as configured now (hashes every input file)."""
    # Trial values depend on the training videos only: their files are hashed. Test videos
    # are recorded by id (moving one between splits changes the folds) but not by content,
    # so that `evaluate` may be run on corrected or withheld test labels.
    videos: dict[str, dict[str, str | None]] = {
        v.id: {
            "split": v.split,
            "pose": _hash(v.pose),
            "video": _hash(v.video),
            "labels": _hash(v.labels.path if v.labels else None),
        }
        if v.split == "train"
        else {"split": v.split}
        for v in study.dataset.videos
    }
    if study.embed is not None:
        features: JSONObject = {"backbone": study.backbone, **cache_settings(study.embed)}
    else:
        pose = study.dataset.pose
        features = {"backbone": study.backbone, "pose": asdict(pose)}
    features["fps"] = study.fps
    features["windows"] = study.windows.as_dict() if study.windows else None
    # Only when given, so that the fingerprints of studies made before these keys still match.
    if study.window_sets:
        features["window_sets"] = {n: w.as_dict() for n, w in study.window_sets}
    if study.augment_given:
        features["augment"] = study.augment.as_dict()
    space: JSONObject = {
        "model": study.space.model,
        "params": [asdict(p) for p in study.space.params],
        "fixed": [list(kv) for kv in study.space.fixed],
    }
    cv: JSONObject = {"scheme": study.cv.scheme, "k": study.cv.k}
    # Stratified and plain folds differ. Recorded only when on, so a study searched before
    # stratification resumes with `cv.stratify: false` (its stored fingerprint has no key).
    if study.cv.scheme == "group_kfold" and study.cv.stratify:
        cv["stratify"] = True
    return json_round_trip(
        Fingerprint(VERSION, videos, list(study.behaviours), cv, study.seed, features, space)
    )


def json_round_trip(fp: Fingerprint) -> Fingerprint:
    # Tuples become lists in JSON: compare like with like.
    return Fingerprint.from_json(fp.to_json())


def check_or_store(study: optuna.Study, cfg: StudyConfig) -> None:
    """Store the fingerprint in a study that has none; refuse one made differently."""
    storage, study_id = study._storage, study._study_id
    now = fingerprint(cfg)
    stored = storage.get_study_system_attrs(study_id).get(ATTR)
    if stored is None:
        storage.set_study_system_attr(study_id, ATTR, now.to_json())
        return
    check(Fingerprint.from_json(stored), now, cfg, study.study_name)


def check_stored(study: optuna.Study, cfg: StudyConfig) -> None:
    """Refuse to read a study made with another configuration (no-op for old studies)."""
    stored = study._storage.get_study_system_attrs(study._study_id).get(ATTR)
    if stored is not None:
        check(Fingerprint.from_json(stored), fingerprint(cfg), cfg, study.study_name)


def check(stored: Fingerprint, now: Fingerprint, cfg: StudyConfig, name: str) -> None:
    changes = stored.differences(now)
    if changes:
        raise ConfigError(
            f"{cfg.path}: study '{name}' was made with another configuration: changed "
            f"{'; '.join(changes)}. Mixing both in one study would compare trials that are not "
            f"comparable. Fix: restore the old settings, or start a new study with "
            f"--study-name NEW."
        )


def _hash(path: Path | None) -> str | None:
    return file_fingerprint(path)[:16] if path is not None and path.is_file() else None


def _short(value: JSON) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _video_changes(
    old: dict[str, dict[str, str | None]], new: dict[str, dict[str, str | None]]
) -> str:
    gone = sorted(set(old) - set(new))
    added = sorted(set(new) - set(old))
    changed = sorted(v for v in set(old) & set(new) if old[v] != new[v])
    parts = [
        f"{label} {ids[:5]}"
        for label, ids in (("removed", gone), ("added", added), ("changed", changed))
        if ids
    ]
    return "(" + ", ".join(parts) + ")"
