"""Studies: YAML files in ``studies/`` naming the data, the features, the space and the search.

Precedence is CLI > YAML > defaults: the CLI's ``--set key=value`` edits the raw mapping
before it is parsed once into a frozen :class:`StudyConfig` that the rest of the program
receives; nothing downstream reads YAML again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

from mbr_search import paths
from mbr_search.config._schema import Section
from mbr_search.config._yaml import apply_overrides, load_yaml_mapping, nearest
from mbr_search.config.augment import AugmentSettings, parse_augment
from mbr_search.config.cv import CVConfig, check_pruner_folds, parse_cv
from mbr_search.config.dataset import Dataset, load_dataset
from mbr_search.config.embed import EmbedSettings, parse_embed_settings
from mbr_search.config.space import SearchSpace, load_space
from mbr_search.config.windows import (
    NO_WINDOWS,
    WindowSettings,
    parse_window_sets,
    parse_windows,
)
from mbr_search.errors import ConfigError
from mbr_search.jsondoc import JSON
from mbr_search.safe_names import plain_name

SamplerName = Literal["auto", "grid", "tpe", "random"]
PrunerName = Literal["median", "wilcoxon", "hyperband", "successive_halving", "none"]
PrunedAs = Literal["pruned", "value"]
SAMPLERS: tuple[SamplerName, ...] = ("auto", "grid", "tpe", "random")
PRUNERS: tuple[PrunerName, ...] = ("median", "wilcoxon", "hyperband", "successive_halving", "none")
#: what a pruned trial becomes: Optuna's PRUNED state, or COMPLETE with the mean of the
#: folds it finished (Optuna's WilcoxonPruner recipe, so that TPE learns from near-misses)
PRUNED_AS: tuple[PrunedAs, ...] = ("pruned", "value")
ChoiceT = TypeVar("ChoiceT", bound=str)


def pick(value: str, choices: tuple[ChoiceT, ...]) -> ChoiceT:
    """The element of ``choices`` equal to ``value`` (already checked by ``Section.text``
    against them): a plain string narrowed to its ``Literal`` type."""
    return next(c for c in choices if c == value)


POSE_BACKBONE = "pose"
#: Largest study seed: every Keras and LightGBM seed is ``seed * 100_003 + trial + 7_919 *
#: fold`` (training/seeds.py), and LightGBM takes a 32-bit signed int, numpy fewer than
#: 2**32; 20,000 leaves room for millions of trials below 2**31.
MAX_SEED = 20_000


@dataclass(frozen=True)
class SamplerConfig:
    name: SamplerName = "auto"  # auto: grid for a pure grid space, else TPE
    n_startup_trials: int = 10
    multivariate: bool = True


@dataclass(frozen=True)
class PrunerConfig:
    name: PrunerName = "median"
    n_startup_trials: int = 4
    n_warmup_steps: int = 1
    p_threshold: float = 0.1
    #: "value" measured better than "pruned" with TPE (docs/benchmarks.md, search efficiency)
    pruned_as: PrunedAs = "value"


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
    #: named window sets a trial's ``windows`` hyperparameter chooses among
    window_sets: tuple[tuple[str, WindowSettings], ...] = ()
    #: how a trial with ``augment: true`` augments its training videos
    augment: AugmentSettings = field(default_factory=AugmentSettings)
    #: ``features.augment`` was given (part of the study's fingerprint)
    augment_given: bool = False
    description: str = ""
    overrides: tuple[tuple[str, JSON], ...] = field(default=())

    @property
    def uses_pose_features(self) -> bool:
        return self.backbone == POSE_BACKBONE

    def windows_for(self, choice: str) -> WindowSettings | None:
        """The window features of a trial whose ``windows`` hyperparameter is ``choice``:
        ``none`` keeps the study's fixed ``features.windows`` (or none)."""
        if choice == NO_WINDOWS:
            return self.windows
        return dict(self.window_sets)[choice]


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
    overrides: Mapping[str, JSON] | None = None,
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
    # The name becomes the default report folder (reports/NAME/): a path would escape it.
    name = plain_name(root.text("name", path.stem), "name", path)
    if study_name is not None:
        plain_name(study_name, "study name", "--study-name")
    description = root.text("description", "")
    dataset = _dataset(root, path)
    fps = root.number("fps", None, minimum=1e-6)
    behaviours = _behaviours(root, dataset)
    feats = _features(root.section("features"), fps)
    space = load_space(resolve_space_path(root.text("space"), path))
    _check_space_features(path, space, feats)
    cv = parse_cv(root.section("cv"), dataset)
    sampler = _sampler(root.section("sampler"), space)
    pruner = _pruner(root.section("pruner"))
    check_pruner_folds(path, pruner.name, cv, len(dataset.split("train")))
    training = _training(root.section("training"))
    seed = _seed(root)
    yaml_trials = root.integer("trials", 20, minimum=1)
    yaml_timeout = root.number("timeout", None, minimum=1.0)
    yaml_storage = root.text("storage", None)
    yaml_cache = root.text("cache_dir", None)
    root.finish()
    cache = cache_dir or (
        (path.parent / yaml_cache).expanduser() if yaml_cache else paths.cache_dir()
    )
    return StudyConfig(
        name=name, path=path, dataset=dataset, space=space,
        behaviours=behaviours, fps=fps, cv=cv, sampler=sampler, pruner=pruner,
        training=training, seed=seed, backbone=feats.backbone,
        trials=trials if trials is not None else yaml_trials,
        timeout=timeout if timeout is not None else yaml_timeout,
        storage=storage if storage is not None else yaml_storage,
        study_name=study_name or name, cache_dir=cache, embed=feats.embed,
        windows=feats.windows, window_sets=feats.window_sets,
        augment=feats.augment or AugmentSettings(), augment_given=feats.augment is not None,
        description=description, overrides=tuple((overrides or {}).items()),
    )  # fmt: skip


def _seed(root: Section) -> int:
    seed: int = root.integer("seed", 0, minimum=0)
    if seed > MAX_SEED:
        raise root.fail(
            "seed", f"{seed} is too large: the seeds derived from it must fit 32 bits. "
            f"Fix: use a seed from 0 to {MAX_SEED}.",
        )  # fmt: skip
    return seed


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
    for b in behaviours:  # suggest names clip files after them
        plain_name(b, "behaviours:", root.file)
    if dataset.behaviours:
        unknown = [b for b in behaviours if b not in dataset.behaviours]
        if unknown:
            raise root.fail(
                "behaviours",
                f"{unknown} not in the dataset's behaviours {list(dataset.behaviours)}. "
                "Fix: use those names (map file names with the dataset's labels.names).",
            )
    return tuple(behaviours)


@dataclass(frozen=True)
class _Features:
    """The ``features`` section, read."""

    backbone: str
    embed: EmbedSettings | None
    windows: WindowSettings | None
    window_sets: tuple[tuple[str, WindowSettings], ...]
    augment: AugmentSettings | None


def _features(sec: Section, fps: float | None) -> _Features:
    backbone = sec.text("backbone")
    windows = parse_windows(sec.section("windows"), fps) if "windows" in sec.data else None
    sets = parse_window_sets(sec.section("window_sets"), fps) if "window_sets" in sec.data else ()
    if windows is not None and sets:
        raise sec.fail(
            "window_sets", "and features.windows are both given: windows adds one fixed set "
            "to every trial, window_sets names the sets trials choose among. Fix: keep one "
            "(a fixed set can be the only entry of window_sets, fixed in the space).",
        )  # fmt: skip
    augment = parse_augment(sec.section("augment")) if "augment" in sec.data else None
    if augment is not None and backbone != POSE_BACKBONE:
        raise sec.fail(
            "augment", f"augments keypoints, but features.backbone is {backbone}: CNN "
            "embeddings cannot be recomputed from transformed keypoints. Fix: remove "
            "features.augment, or use backbone: pose.",
        )  # fmt: skip
    embed = None if backbone == POSE_BACKBONE else parse_embed_settings(sec, fps)
    if embed is None:
        sec.finish()
    return _Features(backbone, embed, windows, sets, augment)


def _check_space_features(path: Path, space: SearchSpace, feats: _Features) -> None:
    """The space's ``windows`` and ``augment`` values against the study's features: the one
    place they are checked, when the study is loaded."""
    names = [n for n, _ in feats.window_sets]
    for key, value in space.values_of("windows"):
        if value == NO_WINDOWS or value in names:
            continue
        fix = (
            f"use one of {[NO_WINDOWS, *names]}"
            if names
            else "name the window sets under features.window_sets in the study"
        )
        raise ConfigError(
            f"{space.path}: {key}: '{value}' is not a window set of {path} "
            f"(features.window_sets: {names or 'none given'}). Fix: {fix}."
        )
    if feats.backbone == POSE_BACKBONE:
        return
    for key, value in space.values_of("augment"):
        if value is True:
            raise ConfigError(
                f"{space.path}: {key}: augment can be true, but {path} uses "
                f"features.backbone: {feats.backbone}; augmentation transforms keypoints and "
                "needs pose features. Fix: remove augment from the space, or use backbone: pose."
            )


def _sampler(sec: Section, space: SearchSpace) -> SamplerConfig:
    d = SamplerConfig()  # the defaults, written once (in the dataclass)
    sampler = SamplerConfig(
        name=pick(sec.text("name", d.name, choices=SAMPLERS), SAMPLERS),
        n_startup_trials=sec.integer("n_startup_trials", d.n_startup_trials, minimum=0),
        multivariate=sec.flag("multivariate", d.multivariate),
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
    d = PrunerConfig()
    pruner = PrunerConfig(
        name=pick(sec.text("name", d.name, choices=PRUNERS), PRUNERS),
        n_startup_trials=sec.integer("n_startup_trials", d.n_startup_trials, minimum=0),
        n_warmup_steps=sec.integer("n_warmup_steps", d.n_warmup_steps, minimum=0),
        p_threshold=sec.number("p_threshold", d.p_threshold, 0.0, 1.0),
        pruned_as=pick(sec.text("pruned_as", d.pruned_as, choices=PRUNED_AS), PRUNED_AS),
    )
    sec.finish()
    return pruner


def _training(sec: Section) -> TrainingConfig:
    d = TrainingConfig()
    training = TrainingConfig(
        max_epochs=sec.integer("max_epochs", d.max_epochs, minimum=1),
        patience=sec.integer("patience", d.patience, minimum=1),
        fold_timeout=sec.number("fold_timeout", d.fold_timeout, minimum=1.0),
    )
    sec.finish()
    return training
