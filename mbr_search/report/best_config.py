"""``best_config.yaml``: the winning trial as a study of exactly one trial.

Which trial and which hyperparameters are decided here; writing a one-trial study for them
(the study's own YAML with its ``--set`` values, paths carried, an all-fixed space) is
:func:`mbr_search.config.one_trial.write_one_trial_study`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mbr_search.config.one_trial import TrialConfig, write_one_trial_study
from mbr_search.jsondoc import JSON

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


def winning_params(trial: FrozenTrial, cfg: StudyConfig) -> tuple[str, dict[str, JSON]]:
    """The family of ``trial`` and every hyperparameter of it: defaults < the space's fixed
    < sampled < resolved (the record holds all of them since the families were typed)."""
    from mbr_search.models import MODEL_KEY
    from mbr_search.search.record import TrialRecord

    record = TrialRecord.from_trial(trial)
    family = cfg.space.family_of(record.params)
    params = cfg.space.block(family.name).resolve(trial.params)
    params.update(record.params)
    params.pop(MODEL_KEY, None)
    return family.name, params


def write_best_config(
    trial: FrozenTrial,
    cfg: StudyConfig,
    *,
    overrides: dict[str, JSON],
    out_dir: Path,
    source_study: str,
) -> BestConfig:
    """Write ``best_config.yaml`` and ``best_space.yaml`` into ``out_dir`` and check they load."""
    family, params = winning_params(trial, cfg)
    value = f"{trial.value:.4f}" if trial.value is not None else "?"
    header = (
        f"# Re-runs trial #{trial.number} of study '{source_study}' as a study of one trial:\n"
        f"#   mbr-search run path/to/{BEST_CONFIG} [--storage URL]\n"
    )
    written = write_one_trial_study(
        cfg,
        TrialConfig(
            family=family,
            params=params,
            name=f"{cfg.name}_trial{trial.number}",
            space_name=f"{cfg.space.name}_trial{trial.number}",
            description=f"Trial #{trial.number} of study '{source_study}' (CV mean PR-AUC "
            f"{value}) as a study of one trial; written by mbr-search report.",
            space_description=f"The hyperparameters of trial #{trial.number}, all fixed.",
            header=header,
        ),
        overrides=overrides,
        out_dir=out_dir,
        study_file=BEST_CONFIG,
        space_file=BEST_SPACE,
    )
    return BestConfig(written.study_path, written.space_path, written.name)
