"""``evaluate_study``: the one core function behind ``mbr-search evaluate``.

For the K best complete trials: choose thresholds and post-processing on the trial's
out-of-fold predictions, retrain on all training videos, score every test video (frame and
bout level, raw and post-processed), save the model directory and per-frame CSVs; then the
ensemble and the human ceiling; then ``results.json`` (schema: docs/usage.md).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from mbr_search.config.study import StudyConfig
from mbr_search.errors import UsageError
from mbr_search.evaluate.ensemble.blend import blend, select_ensemble
from mbr_search.evaluate.ensemble.selection import weighted_probabilities
from mbr_search.evaluate.importance.run import importance_line, runner_importance
from mbr_search.evaluate.printed import model_label
from mbr_search.evaluate.results import (
    RESULTS_FILE,
    CeilingModel,
    DatasetInfo,
    EnsembleResult,
    FeatureImportance,
    Fidelity,
    HumanCeiling,
    ModelAgreement,
    RaterAgreement,
    Results,
    Settings,
    now_iso,
)
from mbr_search.evaluate.results.models import ModelResult
from mbr_search.evaluate.results.summaries import TestSummaries
from mbr_search.evaluate.results.uncertainty import Difference
from mbr_search.evaluate.runner import Outcome, TrialRunner
from mbr_search.evaluate.scores import metrics
from mbr_search.evaluate.scores.ceiling import model_vs_raters, pairwise_f1, raters_of
from mbr_search.evaluate.scores.estimates import differences
from mbr_search.evaluate.summaries_out import write_test_summaries
from mbr_search.evaluate.trials import check_test_videos, load_trials
from mbr_search.inference.model_dir import replace_dir
from mbr_search.scoring import postprocess, thresholds
from mbr_search.search.fidelity import Ranking, folds_of
from mbr_search.search.study_record import StudyRecord
from mbr_search.versions import versions

if TYPE_CHECKING:
    import numpy as np
    from optuna import Study
    from optuna.trial import FrozenTrial

    from mbr_search.storage import StorageSpec

log = logging.getLogger(__name__)
Echo = Callable[[str], None]


def evaluate_study(
    study_cfg: StudyConfig,
    *,
    top: int,
    out_dir: Path,
    storage_spec: StorageSpec,
    artifact_dir: Path | None,
    ensemble: bool,
    cv_only: bool = False,
    echo: Echo | None = None,
    selection: bool = True,
    importance: bool = True,
    tta: bool | None = None,
) -> Path:
    """Evaluate the ``top`` best complete trials (test videos with test-time augmentation,
    ``inference/tta.py:resolve``, by ``tta``); returns ``results.json``'s path. Raises UsageError
    when the dataset has no test video and ``cv_only`` is False (or ``tta`` for a CNN study),
    NoCompleteTrialError without a complete trial, StorageError when the study is not in the
    storage, DataError when out-of-fold predictions are missing."""
    say = echo or (lambda _msg: None)
    if top < 1:
        raise UsageError(f"--top {top}: must be at least 1.")
    check_test_videos(study_cfg, cv_only)
    study, ranking = load_trials(study_cfg, storage_spec)
    # Only trials scored on the same (most) folds are ranked, picked and ensembled.
    trials = list(ranking.ranked)
    chosen = trials[:top]
    _announce(study.study_name, ranking, chosen, say)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    runner = TrialRunner(study_cfg, storage_spec, artifact_dir, out_dir, say, tta=tta)
    # Every trial's out-of-fold predictions first: a missing one fails before any training.
    oofs = [runner.load_oof(trial) for trial in chosen]
    outcomes = [
        runner.run(trial, rank, oof)
        for rank, (trial, oof) in enumerate(zip(chosen, oofs, strict=True), start=1)
    ]
    ens = blend(runner, outcomes, out_dir, say) if ensemble and len(outcomes) > 1 else None
    selected = None
    if selection and ensemble and len(trials) > 1:
        selected, extra = select_ensemble(runner, trials, outcomes, out_dir, say)
        outcomes = [*outcomes, *extra]
    # `predict` gets the selected ensemble when there is one, else the best single trial.
    best_dir = out_dir / selected.model_dir if selected is not None else outcomes[0].model.path
    replace_dir(out_dir / "model", best_dir)
    summaries, explained = _explained(
        runner, chosen[0], outcomes[0], selected, out_dir, say, importance=importance
    )
    results = _results(
        study_cfg, study, storage_spec, runner, outcomes, ens, top=top, ensemble=ensemble
    )
    fidelity = Fidelity(ranking.folds, {t.number: folds_of(t) for t in ranking.left_out})
    results = replace(
        results, selected=selected, fidelity=fidelity, summaries=summaries, importance=explained,
        differences=_differences(runner, outcomes, [e for e in (ens, selected) if e]),
    )  # fmt: skip
    path = results.write(out_dir / RESULTS_FILE)
    say(f"Wrote {path}")
    return path


def _explained(
    runner: TrialRunner,
    trial: FrozenTrial,
    best: Outcome,
    selected: EnsembleResult | None,
    out_dir: Path,
    say: Echo,
    *,
    importance: bool,
) -> tuple[TestSummaries | None, FeatureImportance]:
    """summary.csv of the test videos for model/ (what predict will give: the selected
    ensemble, else the rank-1 trial) beside the true labels, and the rank-1 trial's
    permutation importance on its out-of-fold videos."""
    model: ModelResult = selected if selected is not None else best.result
    label = "selected ensemble" if selected is not None else f"trial #{best.number}"
    summaries = None
    if model.test is not None:
        summaries = write_test_summaries(out_dir, label, model.test, runner.behaviours, runner.fps)
        say(f"Per-video summaries of {label} beside the true labels -> {out_dir / summaries.file}")
    explained = runner_importance(runner, trial, sorted(best.oof_probs), asked=importance)
    say(importance_line(explained))
    return summaries, explained


def _announce(name: str, ranking: Ranking, chosen: Sequence[FrozenTrial], say: Echo) -> None:
    say(
        f"Study '{name}': {len(ranking.ranked)} complete trial(s); evaluating "
        f"{', '.join(f'#{t.number}' for t in chosen)}."
    )
    note = ranking.note()
    if note is not None:
        say(note)


def _results(
    study_cfg: StudyConfig,
    study: Study,
    storage_spec: StorageSpec,
    runner: TrialRunner,
    outcomes: Sequence[Outcome],
    ens: EnsembleResult | None,
    *,
    top: int,
    ensemble: bool,
) -> Results:
    """Everything results.json holds: the study, its data, how it was decided, the models."""
    baseline = StudyRecord.from_study(study).baseline_pr_auc
    return Results(
        study=study_cfg.name,
        study_name=study.study_name,
        study_file=str(study_cfg.path),
        storage=storage_spec.display,
        dataset=DatasetInfo(
            name=study_cfg.dataset.name,
            path=str(study_cfg.dataset.path),
            train_videos=tuple(v.id for v in runner.train),
            test_videos=tuple(v.id for v in runner.test),
        ),
        behaviours=tuple(study_cfg.behaviours),
        fps=runner.fps,
        backbone=study_cfg.backbone,
        baseline_pr_auc=baseline,
        created=now_iso(),
        versions=versions(),
        cv_only=not runner.test,
        settings=_settings(top, ensemble, runner),
        trials=tuple(o.result for o in outcomes),
        ensemble=ens,
        human_ceiling=_human_ceiling(runner, outcomes[0]),
    )


def _settings(top: int, ensemble: bool, runner: TrialRunner) -> Settings:
    grid = postprocess.grid(runner.fps)
    return Settings(
        top=top,
        ensemble=bool(ensemble),
        threshold_rule=thresholds.RULE,
        postprocess_objective=postprocess.OBJECTIVE,
        postprocess_grid_frames={k: tuple(v) for k, v in grid.items()},
        segmental_overlap=metrics.SEGMENT_OVERLAP,
        cv_metric="mean PR-AUC over behaviours and folds",
        tta=runner.tta,
        tta_views=runner.tta_view_count,
    )


def _differences(
    runner: TrialRunner, outcomes: Sequence[Outcome], ensembles: Sequence[EnsembleResult]
) -> tuple[Difference, ...]:
    """Every other model minus the rank-1 trial on the test videos (paired intervals);
    none without test videos, where only estimates exist."""
    if not runner.test:
        return ()
    best = outcomes[0]
    by_number = {o.number: o for o in outcomes}
    others: list[tuple[str, dict[str, np.ndarray]]] = [
        (f"trial #{o.number}", o.test_probs) for o in outcomes[1:]
    ]
    for ens in ensembles:
        weights = {m: ens.weight(m) for m in ens.members}
        probs = weighted_probabilities({m: by_number[m].test_probs for m in weights}, weights)
        others.append((model_label(ens), probs))
    labels = runner.test_labels(best.test_probs)
    return differences(
        (f"trial #{best.number}", best.test_probs), others, labels, "test", runner.study.seed
    )


def _human_ceiling(runner: TrialRunner, best: Outcome) -> HumanCeiling | None:
    """Rater-vs-rater F1 on the test videos with several raters, else the training ones."""
    for split, videos in (("test", runner.test), ("train", runner.train)):
        rated = [v for v in videos if len(v.per_rater) >= 2]
        if split == "train":
            rated = [v for v in rated if v.id in best.oof_probs]
        if not rated:
            continue
        per_rater = [v.per_rater for v in rated]
        preds_by_video = best.test_post if split == "test" else best.oof_post
        preds = [preds_by_video[v.id] for v in rated]
        pairs = pairwise_f1(per_rater, runner.behaviours)
        beside = model_vs_raters(per_rater, preds, runner.behaviours)
        return HumanCeiling(
            split=split,
            videos=tuple(v.id for v in rated),
            raters=tuple(raters_of(per_rater)),
            behaviours={b: RaterAgreement(a["pairs"], a["mean_f1"]) for b, a in pairs.items()},
            model=CeilingModel(
                trial=best.number,
                source="test" if split == "test" else "oof",
                behaviours={
                    b: ModelAgreement(a["vs_raters"], a["mean_f1"]) for b, a in beside.items()
                },
            ),
        )
    return None
