"""Studies: YAML files in ``studies/`` naming the data, the features, the space and the search.

Precedence is CLI > YAML > defaults: the CLI's ``--set key=value`` edits the raw mapping
before it is parsed once into a frozen :class:`StudyConfig` that the rest of the program
receives; nothing downstream reads YAML again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mbr_search import paths
from mbr_search.config._schema import Section
from mbr_search.config._yaml import apply_overrides, load_yaml_mapping, nearest
from mbr_search.config.dataset import Dataset, load_dataset
from mbr_search.config.embed import EmbedSettings, parse_embed_settings
from mbr_search.config.space import SearchSpace, load_space
from mbr_search.config.windows import STATS, WindowSettings
from mbr_search.errors import ConfigError

CV_SCHEMES = ("leave_one_video_out", "group_kfold")
SAMPLERS = ("auto", "grid", "tpe", "random")
PRUNERS = ("median", "wilcoxon", "none")
POSE_BACKBONE = "pose"


@dataclass(frozen=True)
class CVConfig:
    """Cross-validation over training videos; test videos are never used here."""

    scheme: str = "leave_one_video_out"
    k: int = 5
    #: quick look: evaluate only the first n folds of each trial
    max_folds: int | None = None


@dataclass(frozen=True)
class SamplerConfig:
    name: str = "auto"  # auto: grid for a pure grid space, else TPE
    n_startup_trials: int = 10
    multivariate: bool = True


@dataclass(frozen=True)
class PrunerConfig:
    name: str = "median"
    n_startup_trials: int = 4
    n_warmup_steps: int = 1
    p_threshold: float = 0.1


@dataclass(frozen=True)
class TrainingConfig:
    max_epochs: int = 50
    patience: int = 5
    #: stop a trial as failed when one fold takes longer than this (seconds); None: no limit
    fold_timeout: float | None = None


@dataclass(frozen=True)
class StudyConfig:
    """Everything one search needs, validated and frozen."""

    name: str
    path: Path
    dataset: Dataset
    backbone: str
    space: SearchSpace
    behaviours: tuple[str, ...]
    fps: float | None
    cv: CVConfig
    sampler: SamplerConfig
    pruner: PrunerConfig
    training: TrainingConfig
    seed: int
    trials: int
    timeout: float | None
    storage: str | None
    study_name: str
    cache_dir: Path
    embed: EmbedSettings | None = None
    #: window statistics added to every frame's features (``features.windows``)
    windows: WindowSettings | None = None
    description: str = ""
    overrides: tuple[tuple[str, Any], ...] = field(default=())

    @property
    def uses_pose_features(self) -> bool:
        return self.backbone == POSE_BACKBONE


def _demo_hint(dataset_path: Path) -> str:
    if "synthetic" in dataset_path.parent.name:
        return f", or make the synthetic one: mbr-search demo-data {dataset_path.parent}"
    return ""


def available_studies() -> list[str]:
    names: set[str] = set()
    for root in paths.search_roots("studies"):
        if root.is_dir():
            names.update(p.stem for p in root.glob("*.yaml"))
    return sorted(names)


def resolve_study_path(study: str) -> Path:
    """A study name in ``studies/`` or a path to a study YAML file."""
    candidate = Path(study).expanduser()
    if candidate.suffix in (".yaml", ".yml") or "/" in study:
        if not candidate.is_file():
            raise ConfigError(f"{candidate}: study file not found. Fix: check the path.")
        return candidate
    for root in paths.search_roots("studies"):
        for suffix in (".yaml", ".yml"):
            path = root / f"{study}{suffix}"
            if path.is_file():
                return path
    known = available_studies()
    raise ConfigError(
        f"unknown study '{study}'; {nearest(study, known)}available: {known}. "
        "Fix: give one of those names or a path to a study .yaml file."
    )


def resolve_space_path(name: str, study_file: Path) -> Path:
    candidate = (study_file.parent / name).expanduser()
    if candidate.suffix in (".yaml", ".yml"):
        if not candidate.is_file():
            raise ConfigError(f"{study_file}: space: file not found: {candidate}.")
        return candidate
    roots = [*paths.search_roots("search_spaces"), study_file.parent.parent / "search_spaces"]
    known: set[str] = set()
    for root in roots:
        path = root / f"{name}.yaml"
        if path.is_file():
            return path
        if root.is_dir():
            known.update(p.stem for p in root.glob("*.yaml"))
    raise ConfigError(
        f"{study_file}: space: unknown search space '{name}'; {nearest(name, known)}"
        f"available: {sorted(known)}. Fix: use one of those or a path to a .yaml file."
    )


def load_study(
    study: str,
    *,
    overrides: Mapping[str, Any] | None = None,
    trials: int | None = None,
    timeout: float | None = None,
    storage: str | None = None,
    study_name: str | None = None,
    cache_dir: Path | None = None,
) -> StudyConfig:
    """Resolve, read, override and validate a study. CLI values win over the YAML."""
    path = resolve_study_path(study)
    raw = load_yaml_mapping(path, "study")
    if overrides:
        apply_overrides(raw, overrides, path)
    root = Section(raw, path)
    name = root.text("name", path.stem)
    description = root.text("description", "")
    dataset = _dataset(root, path)
    fps = root.number("fps", None, minimum=1e-6)
    behaviours = _behaviours(root, dataset)
    backbone, embed, windows = _features(root.section("features"), fps)
    space = load_space(resolve_space_path(root.text("space"), path))
    cv = _cv(root.section("cv"), dataset)
    sampler = _sampler(root.section("sampler"), space)
    pruner = _pruner(root.section("pruner"))
    training = _training(root.section("training"))
    seed = root.integer("seed", 0, minimum=0)
    yaml_trials = root.integer("trials", 20, minimum=1)
    yaml_timeout = root.number("timeout", None, minimum=1.0)
    yaml_storage = root.text("storage", None)
    yaml_cache = root.text("cache_dir", None)
    root.finish()
    cache = cache_dir or (
        (path.parent / yaml_cache).expanduser() if yaml_cache else paths.cache_dir()
    )
    return StudyConfig(
        name=name, path=path, dataset=dataset, backbone=backbone, space=space,
        behaviours=behaviours, fps=fps, cv=cv, sampler=sampler, pruner=pruner,
        training=training, seed=seed,
        trials=trials if trials is not None else yaml_trials,
        timeout=timeout if timeout is not None else yaml_timeout,
        storage=storage if storage is not None else yaml_storage,
        study_name=study_name or name, cache_dir=cache, embed=embed, windows=windows,
        description=description, overrides=tuple((overrides or {}).items()),
    )  # fmt: skip


def _dataset(root: Section, path: Path) -> Dataset:
    dataset_path = (path.parent / root.text("dataset")).resolve()
    if not dataset_path.is_file():
        raise root.fail(
            "dataset",
            f"file not found: {dataset_path}. Fix: point dataset: at your manifest (docs/usage.md)"
            f"{_demo_hint(dataset_path)}.",
        )
    dataset = load_dataset(dataset_path)
    if not dataset.split("train"):
        raise ConfigError(f"{dataset.path}: no video has split: train. Fix: mark some as train.")
    return dataset


def _behaviours(root: Section, dataset: Dataset) -> tuple[str, ...]:
    behaviours = root.names("behaviours", None) or dataset.behaviours
    if not behaviours:
        raise root.fail("behaviours", "no behaviours named here or in the dataset. Fix: list them.")
    if dataset.behaviours:
        unknown = [b for b in behaviours if b not in dataset.behaviours]
        if unknown:
            raise root.fail(
                "behaviours",
                f"{unknown} not in the dataset's behaviours {list(dataset.behaviours)}. "
                "Fix: use those names (map file names with the dataset's labels.names).",
            )
    return tuple(behaviours)


def _features(
    sec: Section, fps: float | None
) -> tuple[str, EmbedSettings | None, WindowSettings | None]:
    backbone = sec.text("backbone")
    windows = _windows(sec.section("windows")) if "windows" in sec.data else None
    if backbone == POSE_BACKBONE:
        sec.finish()
        return backbone, None, windows
    return backbone, parse_embed_settings(sec, fps), windows


def _windows(sec: Section) -> WindowSettings:
    seconds = sec.seq("seconds")
    stats = sec.names("stats", STATS)
    raw = sec.flag("raw", True)
    sec.finish()
    if not seconds or not all(isinstance(v, int | float) and v > 0 for v in seconds):
        raise sec.fail(
            "seconds", f"{seconds!r}: list window lengths > 0 in seconds, e.g. [0.5, 1.5]."
        )
    unknown = [s for s in stats if s not in STATS]
    if unknown:
        raise sec.fail("stats", f"unknown statistics {unknown}. Fix: use some of {list(STATS)}.")
    return WindowSettings(tuple(float(v) for v in seconds), tuple(stats), raw)


def _cv(sec: Section, dataset: Dataset) -> CVConfig:
    cv = CVConfig(
        scheme=sec.text("scheme", "leave_one_video_out", choices=CV_SCHEMES),
        k=sec.integer("k", 5, minimum=2),
        max_folds=sec.integer("max_folds", None, minimum=1),
    )
    sec.finish()
    n_train = len(dataset.split("train"))
    if n_train < 2:
        raise ConfigError(
            f"{dataset.path}: cross-validation needs at least 2 training videos, found {n_train}."
        )
    if cv.scheme == "group_kfold" and cv.k > n_train:
        raise sec.fail("k", f"{cv.k} folds but only {n_train} training videos. Fix: lower k.")
    return cv


def _sampler(sec: Section, space: SearchSpace) -> SamplerConfig:
    sampler = SamplerConfig(
        name=sec.text("name", "auto", choices=SAMPLERS),
        n_startup_trials=sec.integer("n_startup_trials", 10, minimum=0),
        multivariate=sec.flag("multivariate", True),
    )
    sec.finish()
    if sampler.name == "grid" and not space.is_grid:
        raise sec.fail(
            "name",
            f"grid needs a space of categorical params of one model; {space.path} has "
            + ("model choices (a conditional space)." if space.searches_model else "ranges."),
        )
    return sampler


def _pruner(sec: Section) -> PrunerConfig:
    pruner = PrunerConfig(
        name=sec.text("name", "median", choices=PRUNERS),
        n_startup_trials=sec.integer("n_startup_trials", 4, minimum=0),
        n_warmup_steps=sec.integer("n_warmup_steps", 1, minimum=0),
        p_threshold=sec.number("p_threshold", 0.1, 0.0, 1.0),
    )
    sec.finish()
    return pruner


def _training(sec: Section) -> TrainingConfig:
    training = TrainingConfig(
        max_epochs=sec.integer("max_epochs", 50, minimum=1),
        patience=sec.integer("patience", 5, minimum=1),
        fold_timeout=sec.number("fold_timeout", None, minimum=1.0),
    )
    sec.finish()
    return training
