"""``evaluate_study``: the one core function behind ``mbr-search evaluate``.

For the K best complete trials: choose thresholds and post-processing on the trial's
out-of-fold predictions, retrain on all training videos, score every test video (frame and
bout level, raw and post-processed), save the model directory and per-frame CSVs; then the
ensemble and the human ceiling; then ``results.json`` (schema: docs/usage.md).
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from mbr_search.config.study import StudyConfig
from mbr_search.errors import UsageError
from mbr_search.evaluate import metrics, postprocess, thresholds
from mbr_search.evaluate.ceiling import model_vs_raters, pairwise_f1, raters_of
from mbr_search.evaluate.decisions import decide
from mbr_search.evaluate.ensemble import mean_probabilities
from mbr_search.evaluate.outputs import (
    SCHEMA_VERSION,
    now_iso,
    relative,
    versions,
)
from mbr_search.evaluate.runner import TrialRunner
from mbr_search.features.cache import write_text_atomic

log = logging.getLogger(__name__)
Echo = Callable[[str], None]


def evaluate_study(
    study_cfg: StudyConfig,
    *,
    top: int,
    out_dir: Path,
    storage_spec: Any,
    artifact_dir: Path | None,
    ensemble: bool,
    cv_only: bool = False,
    echo: Echo | None = None,
) -> Path:
    """Evaluate the ``top`` best complete trials of the study; returns ``results.json``'s path.

    Raises UsageError when the dataset has no test video and ``cv_only`` is False,
    NoCompleteTrialError without a complete trial, StorageError when the study is not in
    the storage, DataError when out-of-fold predictions are missing.
    """
    from mbr_search.evaluate.trials import check_test_videos, load_trials

    say = echo or (lambda _msg: None)
    if top < 1:
        raise UsageError(f"--top {top}: must be at least 1.")
    check_test_videos(study_cfg, cv_only)
    study, trials = load_trials(study_cfg, storage_spec)
    chosen = trials[:top]
    say(
        f"Study '{study.study_name}': {len(trials)} complete trial(s); evaluating "
        f"{', '.join(f'#{t.number}' for t in chosen)}."
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    runner = TrialRunner(study_cfg, storage_spec, artifact_dir, out_dir, say)
    # Every trial's out-of-fold predictions first: a missing one fails before any training.
    oofs = [runner.load_oof(trial) for trial in chosen]
    outcomes = [
        runner.run(trial, rank, oof)
        for rank, (trial, oof) in enumerate(zip(chosen, oofs, strict=True), start=1)
    ]

    ens = None
    if ensemble and len(outcomes) > 1:
        ens = _ensemble(runner, outcomes, out_dir, say)
    best = outcomes[0]
    from mbr_search.evaluate.model_dir import replace_dir

    replace_dir(out_dir / "model", best.model.path)
    ceiling = _human_ceiling(runner, best)
    results = {
        "schema_version": SCHEMA_VERSION,
        "study": study_cfg.name,
        "study_name": study.study_name,
        "study_file": str(study_cfg.path),
        "storage": storage_spec.display,
        "dataset": {
            "name": study_cfg.dataset.name,
            "path": str(study_cfg.dataset.path),
            "train_videos": [v.id for v in runner.train],
            "test_videos": [v.id for v in runner.test],
        },
        "behaviours": list(study_cfg.behaviours),
        "fps": runner.fps,
        "backbone": study_cfg.backbone,
        "baseline_pr_auc": study.user_attrs.get("baseline_pr_auc"),
        "created": now_iso(),
        "versions": versions(),
        "cv_only": not runner.test,
        "settings": {
            "top": top,
            "ensemble": bool(ensemble),
            "threshold_rule": thresholds.RULE,
            "postprocess_objective": postprocess.OBJECTIVE,
            "postprocess_grid_frames": postprocess.grid(runner.fps),
            "segmental_overlap": metrics.SEGMENT_OVERLAP,
            "cv_metric": "mean PR-AUC over behaviours and folds",
        },
        "trials": [o.record for o in outcomes],
        "ensemble": ens,
        "human_ceiling": ceiling,
    }
    path = out_dir / "results.json"
    write_text_atomic(path, json.dumps(_clean(results), indent=1, allow_nan=False))
    say(f"Wrote {path}")
    return path


def _ensemble(runner: Any, outcomes: Sequence[Any], out_dir: Path, say: Echo) -> dict[str, Any]:
    from mbr_search.evaluate.model_dir import copy_members, save

    members = [o.number for o in outcomes]
    say(f"Ensemble of trials {members}: mean of probabilities.")
    oof = mean_probabilities([o.oof_probs for o in outcomes])
    record: dict[str, Any] = {"members": members}
    decisions = decide(runner.oof_labels(oof), oof, runner.behaviours, runner.fps)
    folder = out_dir / "ensemble"
    if folder.exists():
        shutil.rmtree(folder)
    record.update(decisions.as_json())
    record["oof"] = runner.scored_block(oof, decisions, folder / "oof", is_test=False)[0]
    record.update({"test": None, "predict_seconds": None, "predict_frames": 0})
    if runner.test:
        started = time.perf_counter()
        test = mean_probabilities([o.test_probs for o in outcomes])
        # members predicted separately; their summed predict time is the ensemble's cost
        record["predict_seconds"] = round(
            sum(o.record["predict_seconds"] or 0.0 for o in outcomes)
            + (time.perf_counter() - started),
            3,
        )
        record["predict_frames"] = int(sum(len(p) for p in test.values()))
        record["test"] = runner.scored_block(test, decisions, folder / "test", is_test=True)[0]
    target = out_dir / "model_ensemble"
    if target.exists():
        shutil.rmtree(target)
    model = replace(
        outcomes[0].model,
        path=target,
        members=copy_members([o.model for o in outcomes], target),
        thresholds=decisions.thresholds,
        postprocess=decisions.postprocess,
        info={**outcomes[0].model.info, "trial": None, "ensemble_of": members},
    )
    save(model)
    record["model_dir"] = relative(target, out_dir)
    return record


def _human_ceiling(runner: Any, best: Any) -> dict[str, Any] | None:
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
        return {
            "split": split,
            "videos": [v.id for v in rated],
            "raters": raters_of(per_rater),
            "behaviours": pairwise_f1(per_rater, runner.behaviours),
            "model": {
                "trial": best.number,
                "source": "test" if split == "test" else "oof",
                "behaviours": model_vs_raters(per_rater, preds, runner.behaviours),
            },
        }
    return None


def _clean(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, non-finite floats to None, floats rounded."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return round(value, 6) if np.isfinite(value) else None
    return value
