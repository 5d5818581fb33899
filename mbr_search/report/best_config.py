"""``best_config.yaml``: the winning trial as a study of exactly one trial.

The study YAML is the searched study's own file with the ``--set`` values the search ran
with applied, its paths rewritten relative to the report folder, and a space
(``best_space.yaml``) whose params are all ``fixed`` with nothing searched: GridSampler on
an empty grid runs exactly one trial, and ``trials: 1`` stops there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from mbr_search.config._yaml import apply_overrides, load_yaml_mapping
from mbr_search.features.cache import write_text_atomic

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial

    from mbr_search.config.study import StudyConfig

BEST_CONFIG = "best_config.yaml"
BEST_SPACE = "best_space.yaml"


@dataclass(frozen=True)
class BestConfig:
    study_path: Path
    space_path: Path
    study_name: str


def winning_params(trial: FrozenTrial, cfg: StudyConfig) -> tuple[str, dict[str, Any]]:
    """The family of ``trial`` and every hyperparameter of it: defaults < the space's fixed
    < sampled < resolved (the record holds all of them since the families were typed)."""
    from mbr_search.models import MODEL_KEY
    from mbr_search.search.record import TrialRecord

    record = TrialRecord.from_trial(trial)
    family = cfg.space.family_of(record.params)
    params: dict[str, Any] = {k: r.default for k, r in family.params.rules().items()}
    block = cfg.space.block(family.name)
    params.update(dict(block.fixed))
    params.update(
        {block.key(p): trial.params[p.name] for p in block.params if p.name in trial.params}
    )
    params.update(record.params)
    params.pop(MODEL_KEY, None)
    return family.name, params


def write_best_config(
    trial: FrozenTrial,
    cfg: StudyConfig,
    *,
    overrides: dict[str, Any],
    out_dir: Path,
    source_study: str,
) -> BestConfig:
    """Write ``best_config.yaml`` and ``best_space.yaml`` into ``out_dir`` and check they load."""
    from mbr_search.config.study import load_study

    out = out_dir.resolve()
    base = cfg.path.resolve().parent
    raw = load_yaml_mapping(cfg.path, "study")
    if overrides:
        apply_overrides(raw, overrides, cfg.path)
    name = f"{cfg.name}_trial{trial.number}"
    value = f"{trial.value:.4f}" if trial.value is not None else "?"
    raw.pop("name", None)
    raw.pop("description", None)
    raw = {
        "name": name,
        "description": f"Trial #{trial.number} of study '{source_study}' (CV mean PR-AUC "
        f"{value}) as a study of one trial; written by mbr-search report.",
        **raw,
    }
    raw["dataset"] = _relative(cfg.dataset.path, out)
    raw["space"] = BEST_SPACE
    raw["sampler"] = {"name": "grid"}
    raw["pruner"] = {"name": "none"}  # one trial: nothing to compare it with
    raw["trials"] = 1
    raw.pop("timeout", None)
    _carry_paths(raw, base, out)

    family, fixed = winning_params(trial, cfg)
    space = {
        "name": f"{cfg.space.name}_trial{trial.number}",
        "description": f"The hyperparameters of trial #{trial.number}, all fixed.",
        "model": family,
        "params": {},
        "fixed": fixed,
    }
    study_path = out / BEST_CONFIG
    space_path = out / BEST_SPACE
    header = (
        f"# Re-runs trial #{trial.number} of study '{source_study}' as a study of one trial:\n"
        f"#   mbr-search run path/to/{study_path.name} [--storage URL]\n"
    )
    write_text_atomic(space_path, yaml.safe_dump(space, sort_keys=False))
    write_text_atomic(study_path, header + yaml.safe_dump(raw, sort_keys=False))
    # Refuse to hand the user a file that would not load (e.g. a path that did not carry).
    load_study(str(study_path))
    return BestConfig(study_path, space_path, name)


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
