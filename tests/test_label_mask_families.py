"""Every family's trial ignores what unlabelled frames would say (issue 23).

The rat labels become an interval table with a trial window (``labels.window_type``): only
the middle of each video is labelled. Three copies of that table differ outside the window
only: **truth** (the real annotations there), **flipped** (every behaviour marked over the
whole outside) and **negative** (no window: the outside is labelled, as not any behaviour).
For each family of the registry, one fixed-parameter trial on each copy:

- truth and flipped give the same search value, fold scores, prevalence baseline and
  out-of-fold probabilities, bit for bit (the outside's labels reach no loss, no metric);
- each fold score is the PR-AUC of the labelled validation frames alone (the metric
  skips the outside);
- negative trains another model (other out-of-fold probabilities): the outside is not
  read as negatives in the loss either, which truth and flipped alone could not show.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import optuna
import pytest
from _partial_labels import BEHAVIOURS, partial_manifest
from conftest import RAT_MINI, write_tiny_study
from optuna.artifacts import FileSystemArtifactStore
from sklearn.metrics import average_precision_score

from mbr_search.config.dataset import load_dataset
from mbr_search.config.study import load_study
from mbr_search.features.store import load_split
from mbr_search.models import FAMILIES
from mbr_search.scoring.labelled import known
from mbr_search.search.folds import video_folds
from mbr_search.search.objective import Objective
from mbr_search.search.oof import load_oof_artifact
from mbr_search.search.record import FOLD_SCORES, OOF
from mbr_search.search.summary import prevalence_baseline

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Trial:
    value: float
    fold_scores: dict[str, dict[str, float | None]]
    baseline: float
    oof: dict[str, np.ndarray]


TRAIN = tuple(v.id for v in load_dataset(RAT_MINI).split("train"))
#: one small configuration per family (every family of the registry needs one)
SPACES = {
    "lstm": "model: lstm\nfixed: {seq_len: 150, batch_size: 16, lstm_layers: 1, lstm_units: 8, "
    "dropout: 0.0, multi_label: true}",
    "tcn": "model: tcn\nfixed: {seq_len: 150, batch_size: 16, tcn_filters: 8, tcn_dilations: 2, "
    "tcn_kernel_size: 3, tcn_layers: 1, dropout: 0.0, multi_label: true}",
    "transformer": "model: transformer\nfixed: {seq_len: 150, batch_size: 16, transformer_dim: 16, "
    "transformer_heads: 2, transformer_layers: 1, dropout: 0.0, multi_label: true}",
    "mstcn": "model: mstcn\nfixed: {seq_len: 150, batch_size: 16, mstcn_filters: 8, "
    "mstcn_layers: 3, mstcn_refine_layers: 2, mstcn_stages: 1, dropout: 0.0, multi_label: true}",
    "gbdt": "model: gbdt\nfixed: {num_leaves: 8, max_rounds: 30, early_stopping_rounds: 5, "
    "frame_step: 2}",
}


def _trial(folder: Path, family: str, variant: str) -> Trial:
    """One fixed trial on ``variant`` (its fold scores checked against the labelled frames)."""
    (folder / variant).mkdir(parents=True)
    manifest = partial_manifest(folder / variant, variant, TRAIN, window=variant != "negative")
    study_path = write_tiny_study(folder / variant, dataset=manifest)
    (folder / variant / "tiny_space.yaml").write_text(f"name: {family}_fixed\n{SPACES[family]}\n")
    study = load_study(str(study_path))
    videos = load_split(study, "train")
    window = np.asarray([known(v.labels).all(axis=1).mean() for v in videos])
    assert np.all(window < 1.0) if variant != "negative" else np.all(window == 1.0)
    folds = video_folds(videos, study.cv, study.seed)
    store = FileSystemArtifactStore(str(folder / variant))
    search = optuna.create_study(direction="maximize")
    search.optimize(Objective(study, videos, folds, artifact_store=store), n_trials=1)
    trial = search.trials[0]
    assert trial.state == optuna.trial.TrialState.COMPLETE, trial.user_attrs
    assert trial.value is not None
    oof = load_oof_artifact(store, trial.user_attrs[OOF], variant)
    by_id = {v.id: v for v in videos}
    for fold in folds:
        y = np.concatenate([by_id[v].labels for v in fold.validation])
        p = np.concatenate([oof[v] for v in fold.validation])
        for c, b in enumerate(BEHAVIOURS):
            keep = known(y[:, c])
            recorded = trial.user_attrs[FOLD_SCORES][str(fold.index)][b]
            if recorded is not None:  # out-of-fold probabilities are stored as float16
                oracle = average_precision_score(y[keep, c] > 0, p[keep, c].astype(np.float64))
                as_negative = average_precision_score(y[:, c] > 0, p[:, c].astype(np.float64))
                assert recorded == pytest.approx(oracle, abs=0.01), (variant, fold.index, b)
                assert abs(recorded - oracle) < abs(recorded - as_negative) or keep.all()
    baseline = prevalence_baseline(videos, folds) or 0.0
    return Trial(trial.value, trial.user_attrs[FOLD_SCORES], baseline, oof)


def test_every_family_has_a_configuration_here() -> None:
    assert set(SPACES) == set(FAMILIES)


@pytest.mark.parametrize("family", sorted(SPACES))
def test_labels_of_unlabelled_frames_change_no_value_and_no_metric(
    family: str, tmp_path: Path
) -> None:
    truth = _trial(tmp_path, family, "truth")
    flipped = _trial(tmp_path, family, "flipped")
    negative = _trial(tmp_path, family, "negative")
    assert flipped.fold_scores == truth.fold_scores  # every fold's PR-AUC per behaviour
    assert flipped.value == truth.value and flipped.baseline == truth.baseline
    assert sorted(flipped.oof) == sorted(truth.oof)
    assert all(np.array_equal(flipped.oof[v], truth.oof[v]) for v in truth.oof)
    assert negative.value != truth.value and negative.baseline != truth.baseline
    assert not all(np.array_equal(negative.oof[v], truth.oof[v]) for v in truth.oof)
