"""Where the quality benchmark's CV-test gap comes from: per behaviour, prevalence and score
in the CV folds and on the test videos, for each arm's best single trial.

PR-AUC depends on prevalence (a classifier with the same ROC curve has a lower PR-AUC where
positives are rarer), so a CV estimate can only match a test score whose videos have the
same share of positives. This reads what ``quality_fixed.py`` left in ``--work`` (the studies'
storage and artifacts, ``evaluate``'s results.json) and adds to each arm's entry:

- per CV fold: the validation videos' prevalence of each behaviour;
- per behaviour: the best trial's fold-mean CV PR-AUC (the search value's parts), its pooled
  out-of-fold PR-AUC and prevalence, its test PR-AUC and prevalence, and the pooled
  out-of-fold PR-AUC *reweighted to the test prevalence*: negatives weighted so that they
  make up the test's share. That last number is a diagnostic, not an estimate a user could
  have (it uses the test labels' prevalence): if it lands near the test score, the gap is
  the split's, not the estimator's.

``quality_fixed.py`` runs this after each searched arm; run it by hand for arms evaluated before:

    .venv/bin/python benchmarks/quality_gap.py --work /work/qwork [--arms gbdt_pose,...]
    .venv/bin/python benchmarks/quality_fixed.py --budget 8 --arms '' --work /work/qwork
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

#: where quality_fixed.py leaves its studies and evaluations
DEFAULT_WORK = Path(__file__).resolve().parent / ".work" / "quality"

SEARCHED = ("gbdt_pose", "lstm_pose", "tcn_pose", "auto_pose")


def reweighted_ap(labels: np.ndarray, probs: np.ndarray, prevalence: float) -> float | None:
    """Average precision with the negatives weighted so positives make up ``prevalence``.

    The ranking (ROC curve) is the OOF one; only the precision at each threshold moves.
    """
    from sklearn.metrics import average_precision_score

    y = np.asarray(labels).ravel() > 0
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0 or not 0.0 < prevalence < 1.0:
        return None
    w_neg = (pos / neg) * (1.0 - prevalence) / prevalence
    weights = np.where(y, 1.0, w_neg)
    return float(average_precision_score(y, np.ravel(probs), sample_weight=weights))


def fold_prevalence(cfg: Any, train: list[Any]) -> list[dict[str, Any]]:
    from mbr_search.search.folds import video_folds

    by_id = {v.id: v for v in train}
    out = []
    # the search's own folds (stratified by the videos' labels, the default since 2026-12-07)
    for fold in video_folds(train, cfg.cv, cfg.seed):
        labels = np.concatenate([by_id[v].labels for v in fold.validation])
        share = labels.mean(axis=0)
        out.append(
            {
                "fold": fold.index,
                "validation": list(fold.validation),
                "prevalence": {b: round(float(share[c]), 4) for c, b in enumerate(cfg.behaviours)},
            }
        )
    return out


def best_trial_oof(work: Path, study_name: str, number: int) -> dict[str, np.ndarray]:
    """The out-of-fold probabilities the search stored for trial ``number``."""
    import optuna
    from optuna.artifacts import FileSystemArtifactStore

    from mbr_search.search.oof import load_oof_artifact
    from mbr_search.search.record import TrialRecord

    study = optuna.load_study(study_name=study_name, storage=f"sqlite:///{work / 'quality.db'}")
    record = TrialRecord.from_trial(study.trials[number])
    assert record.oof_artifact_id, f"trial #{number} of {study_name} stored no OOF"
    store = FileSystemArtifactStore(str(work / "artifacts"))
    return load_oof_artifact(store, record.oof_artifact_id, str(work / "artifacts"))


def gap_of(arm: str, work: Path) -> dict[str, Any]:
    """The gap analysis of one evaluated arm (see the module docstring)."""
    from mbr_search.config.study import load_study
    from mbr_search.evaluate.results import Results
    from mbr_search.features.store import load_split

    path = work / "eval" / arm / "results.json"
    res = Results.from_json(json.loads(path.read_text("utf-8")), source=str(path))
    best = res.trials[0]
    cfg = load_study(str(work / "studies" / f"quality_{arm}.yaml"), cache_dir=work / "cache")
    train = load_split(cfg, "train")
    oof = best_trial_oof(work, f"quality_{arm}", best.number)
    videos = sorted(oof)
    by_id = {v.id: v for v in train}
    labels = np.concatenate([by_id[v].labels for v in videos])
    probs = np.concatenate([oof[v] for v in videos])
    per: dict[str, Any] = {}
    for c, b in enumerate(res.behaviours):
        folds = [s[b] for s in best.fold_scores.values() if s.get(b) is not None]
        test = best.test.raw.pooled[b] if best.test is not None else None
        test_prev = None if test is None else test.prevalence
        per[b] = {
            "cv_fold_mean": round(float(np.mean(folds)), 4) if folds else None,
            "oof_pr_auc": best.oof.raw.pooled[b].pr_auc,
            "oof_prevalence": best.oof.raw.pooled[b].prevalence,
            "test_pr_auc": None if test is None else test.pr_auc,
            "test_prevalence": test_prev,
            "oof_at_test_prevalence": None
            if test_prev is None
            else reweighted_ap(labels[:, c], probs[:, c], float(test_prev)),
        }
    return {"trial": best.number, "behaviours": per, "folds": fold_prevalence(cfg, train)}


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from mbr_search.features.cache import write_text_atomic

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--arms", default=",".join(SEARCHED))
    args = parser.parse_args()
    chosen = [a.strip() for a in args.arms.split(",") if a.strip()]
    for arm in chosen:
        part = args.work / "parts" / f"{arm}.json"
        if not (args.work / "eval" / arm / "results.json").is_file() or not part.is_file():
            print(f"[gap] {arm}: not evaluated in {args.work} yet; skipped", flush=True)
            continue
        entry = json.loads(part.read_text("utf-8")) | {"gap": gap_of(arm, args.work)}
        write_text_atomic(part, json.dumps(entry, indent=1) + "\n")
        print(f"[gap] {arm}: {json.dumps(entry['gap']['behaviours'])}", flush=True)
    print("quality_fixed.json takes the parts at: quality_fixed.py --budget N --arms ''")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
