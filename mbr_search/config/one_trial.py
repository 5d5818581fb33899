"""A study of exactly one trial for one configuration: what ``report`` writes as
``best_config.yaml`` (+ ``best_space.yaml``) for the winning trial.

The study YAML is the searched study's own file with the ``--set`` values the search ran
with applied, its paths rewritten relative to the new folder, and a space whose params are
all ``fixed`` with nothing searched: GridSampler on an empty grid runs exactly one trial, and
``trials: 1`` stops there. The raw YAML mappings are edited here, at the YAML boundary, and
the written study is loaded back before it is handed over.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from mbr_search._atomic import write_text_atomic
from mbr_search.config._yaml import apply_overrides, load_yaml_mapping
from mbr_search.jsondoc import JSON

if TYPE_CHECKING:
    from mbr_search.config.study import StudyConfig


@dataclass(frozen=True)
class OneTrialStudy:
    """The study file and space file written, and the study's name."""

    study_path: Path
    space_path: Path
    name: str


@dataclass(frozen=True)
class TrialConfig:
    """The configuration to re-run: its family, every hyperparameter, and the words that
    say where it came from."""

    family: str
    params: Mapping[str, JSON]
    #: the new study's name, and its space's
    name: str
    space_name: str
    description: str
    space_description: str
    #: comment lines written above the study YAML
    header: str = ""


def write_one_trial_study(
    cfg: StudyConfig,
    trial: TrialConfig,
    *,
    overrides: Mapping[str, JSON],
    out_dir: Path,
    study_file: str,
    space_file: str,
) -> OneTrialStudy:
    """Write the study and its all-fixed space into ``out_dir``; check the study loads."""
    from mbr_search.config.study import load_study

    out = out_dir.resolve()
    raw = load_yaml_mapping(cfg.path, "study")
    if overrides:
        apply_overrides(raw, overrides, cfg.path)
    raw.pop("name", None)
    raw.pop("description", None)
    raw = {"name": trial.name, "description": trial.description, **raw}
    raw["dataset"] = _relative(cfg.dataset.path, out)
    raw["space"] = space_file
    raw["sampler"] = {"name": "grid"}
    raw["pruner"] = {"name": "none"}  # one trial: nothing to compare it with
    raw["trials"] = 1
    raw.pop("timeout", None)
    _carry_paths(raw, cfg.path.resolve().parent, out)
    space = {
        "name": trial.space_name,
        "description": trial.space_description,
        "model": trial.family,
        "params": {},
        "fixed": dict(trial.params),
    }
    study_path = out / study_file
    space_path = out / space_file
    write_text_atomic(space_path, yaml.safe_dump(space, sort_keys=False))
    write_text_atomic(study_path, trial.header + yaml.safe_dump(raw, sort_keys=False))
    # Refuse to hand the user a file that would not load (e.g. a path that did not carry).
    load_study(str(study_path))
    return OneTrialStudy(study_path, space_path, trial.name)


def _carry_paths(raw: dict[str, Any], base: Path, out: Path) -> None:
    """Storage, cache folder and weights file of the study as seen from ``out``; a storage
    that carries a password, or a relative SQLite path, is dropped."""
    from mbr_search.storage import redact_url

    storage = raw.get("storage")
    # A storage named in the YAML stays (same lab database) unless it carries a password.
    if not isinstance(storage, str) or redact_url(storage) != storage:
        raw.pop("storage", None)
    elif storage.startswith("sqlite:///") and not storage.startswith("sqlite:////"):
        raw.pop("storage", None)  # relative to wherever the search ran: meaningless here
    if isinstance(raw.get("cache_dir"), str):
        raw["cache_dir"] = _relative(_under(base, raw["cache_dir"]), out)
    features = raw.get("features")
    if isinstance(features, dict) and isinstance(features.get("weights"), str):
        weights = features["weights"]
        if weights.lower() not in ("imagenet", "none"):
            features["weights"] = _relative(_under(base, weights), out)


def _under(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def _relative(path: Path, start: Path) -> str:
    """``path`` relative to ``start`` when they share more than the root, else absolute."""
    path = path.resolve()
    common = os.path.commonpath([path, start])
    if common == os.path.sep:
        return str(path)
    return os.path.relpath(path, start)
