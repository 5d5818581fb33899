"""Benchmark (smoke arm, superseded by the nested yardstick of ``quality.py``): quality on
one fixed 15/5 split of the rat videos - mbr-search's shipped pose studies against the
gradient-boosting script a lab would write. One 5-video test set moves a model's score by
0.53-0.71 with the choice of videos (measured), so judge on ``quality.py``.

Data and split: all 20 full-length rat-pair videos of ../shared/data/rat_social with the
fixed 15 train / 5 test split of ``benchmarks/rat_dataset.py``. Every mbr-search arm is the
shipped study (``studies/ARM.yaml``) pointed at that data, with the same CV on the training
videos (grouped 3-fold, seed 0) and the same trial budget, run and evaluated through the CLI
as a user would: ``mbr-search run`` then ``mbr-search evaluate --top 3`` (retrain on the 15
training videos, score the 5 test videos). The arms:

- ``baseline``: the lab's script, in this process. Pose features per rat and per pair (the
  package's pose backbone) at 30 fps, centred rolling mean/std/min/max over 5, 15 and 45
  frames; one ``HistGradientBoostingClassifier(max_iter=300, learning_rate=0.1,
  class_weight="balanced", random_state=0)`` per behaviour, trained on every 2nd training
  frame, scored on every test frame (F1 at its own 0.5 threshold). Its CV estimate uses the
  same three folds, scored like a trial (mean over folds and behaviours of the validation
  PR-AUC).
- ``gbdt_pose``, ``lstm_pose``, ``tcn_pose``, ``auto_pose``: best single trial, plain mean of
  the top 3, and the selected (Caruana) ensemble, each with its CV estimate beside its test
  score.

Studies resume from their storage in ``--work``, so the benchmark can run in parts
(``--arms``); each arm's entry records the commit it ran on, and ``quality.json`` keeps the
arms of earlier parts.

    .venv/bin/python benchmarks/quality_fixed.py --budget 10 [--arms baseline,gbdt_pose]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import _bench
import lab_hgb
import numpy as np
import quality_gap
import rat_dataset
import yaml

ARMS = ("baseline", "gbdt_pose", "lstm_pose", "tcn_pose", "auto_pose", "sturman")
#: the second data set: the bundled Sturman open-field excerpts (2 videos, 3 raters)
STURMAN = _bench.ROOT / "datasets" / "sturman_oft_excerpts" / "dataset.yaml"
BASELINE_SECONDS, BASELINE_FPS = lab_hgb.BASELINE_SECONDS, lab_hgb.BASELINE_FPS
CV = {"scheme": "group_kfold", "k": 3}
TOP = 3
TARGETS = {"ensemble": 0.06, "single": 0.04, "cv_gap": 0.04}
DEFAULT_WORK = quality_gap.DEFAULT_WORK


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def arm_study(arm: str, work: Path, manifest: Path, budget: int) -> Path:
    """The shipped study ``arm`` on the full data: same everything but dataset, CV, trials.
    ``sturman`` is auto_pose on the Sturman excerpts, supported and unsupported rearing,
    leave-one-video-out (its two videos are both training videos: CV only)."""
    shipped_name = "auto_pose" if arm == "sturman" else arm
    path = _bench.ROOT / "studies" / f"{shipped_name}.yaml"
    shipped = yaml.safe_load(path.read_text("utf-8"))
    shipped |= {"name": f"quality_{arm}", "dataset": str(manifest), "cv": dict(CV)}
    shipped["trials"] = budget
    if arm == "sturman":
        shipped |= {
            "dataset": str(STURMAN),
            "behaviours": ["wall_rearing", "mid_rearing"],
            "cv": {"scheme": "leave_one_video_out"},
        }
    return _bench.write_yaml(work / "studies" / f"quality_{arm}.yaml", shipped)


def run_arm(arm: str, work: Path, manifest: Path, budget: int) -> dict[str, Any]:
    """``mbr-search run`` + ``evaluate`` for one arm; its scores from results.json."""
    study = arm_study(arm, work, manifest, budget)
    common = ["--storage", f"sqlite:///{work / 'quality.db'}", "--artifacts", work / "artifacts"]
    common += ["--cache-dir", work / "cache"]
    out = work / "eval" / arm
    wall0, cpu0 = time.perf_counter(), children_cpu()
    print(f"[{arm}] run --trials {budget}", flush=True)
    _bench.cli("run", study, "--trials", budget, "--no-progress", *common, home=work / "home")
    search = (time.perf_counter() - wall0, children_cpu() - cpu0)
    print(f"[{arm}] evaluate --top {TOP}", flush=True)
    cv_only = ["--cv-only"] if arm == "sturman" else []
    _bench.cli("evaluate", study, "--top", TOP, "--out", out, *cv_only, *common, home=work / "home")
    results = out / "results.json"
    entry = ceiling_of(results) if arm == "sturman" else scores_of(results)
    if arm != "sturman":
        entry["gap"] = quality_gap.gap_of(arm, work)
    entry |= {
        "study": f"studies/{arm}.yaml",
        "budget_trials": budget,
        "code": _bench.git_code(),
        "search_wall_seconds": round(search[0], 1),
        "search_cpu_seconds": round(search[1], 1),
        "wall_seconds": round(time.perf_counter() - wall0, 1),
        "cpu_seconds": round(children_cpu() - cpu0, 1),
    }
    return entry


def _block(test: Any, cv: float | None, behaviours: Sequence[str]) -> dict[str, Any]:
    pooled = test.raw.pooled
    per = {b: {"pr_auc": pooled[b].pr_auc, "f1": pooled[b].f1} for b in behaviours}
    defined = [v["pr_auc"] for v in per.values() if v["pr_auc"] is not None]
    mean = float(np.mean(defined)) if defined else None
    return {"test": per, "test_mean": mean, "cv": cv, "cv_gap": _gap(cv, mean)}


def _gap(cv: float | None, test: float | None) -> float | None:
    return None if cv is None or test is None else round(cv - test, 4)


def scores_of(path: Path) -> dict[str, Any]:
    """Best single trial, top-k mean and selected ensemble from one results.json."""
    from mbr_search.evaluate.results import Results

    res = Results.from_json(json.loads(path.read_text("utf-8")), source=str(path))
    behaviours = list(res.behaviours)
    best = res.trials[0]
    models: dict[str, Any] = {
        "best_single": _block(best.test, best.cv_value, behaviours)
        | {"trial": best.number, "family": best.params.get("model")},
    }
    if res.ensemble is not None:
        models["top_mean"] = _block(res.ensemble.test, res.ensemble.oof_pr_auc, behaviours) | {
            "members": list(res.ensemble.members)
        }
    if res.selected is not None:
        sel = res.selected
        models["selected_ensemble"] = _block(sel.test, sel.oof_pr_auc, behaviours) | {
            "weights": {str(t): sel.weight(t) for t in sel.members},
            "families": {str(t.number): t.params.get("model") for t in res.trials},
        }
    return {"models": models, "trials_evaluated": [t.number for t in res.trials]}


def ceiling_of(path: Path) -> dict[str, Any]:
    """CV-only numbers: out-of-fold PR-AUC and F1 of the best trial and of the selected
    ensemble, beside the raters' agreement with each other and with the model."""
    from mbr_search.evaluate.results import Results

    res = Results.from_json(json.loads(path.read_text("utf-8")), source=str(path))
    best = res.trials[0]

    def oof(block: Any) -> dict[str, Any]:
        return {
            b: {"pr_auc": e.pr_auc, "f1": e.f1, "prevalence": e.prevalence}
            for b, e in block.raw.pooled.items()
        }

    out: dict[str, Any] = {
        "best_single": {"trial": best.number, "cv": best.cv_value, "oof": oof(best.oof)}
    }
    if res.selected is not None:
        out["selected_ensemble"] = {"cv": res.selected.oof_pr_auc, "oof": oof(res.selected.oof)}
    ceiling = res.human_ceiling
    if ceiling is not None:
        out["human_ceiling"] = {
            "raters": list(ceiling.raters),
            "rater_mean_f1": {b: a.mean_f1 for b, a in ceiling.behaviours.items()},
            "model_trial": ceiling.model.trial,
            "model_mean_f1_vs_raters": {b: a.mean_f1 for b, a in ceiling.model.behaviours.items()},
        }
    return {"models": out}


def baseline_study(work: Path, manifest: Path) -> Any:
    from mbr_search.config.study import load_study

    path = _bench.write_yaml(
        work / "studies" / "quality_baseline.yaml",
        {
            "name": "quality_baseline",
            "dataset": str(manifest),
            "behaviours": list(rat_dataset.BEHAVIOURS),
            "fps": BASELINE_FPS,
            "features": {"backbone": "pose", "windows": {"seconds": list(BASELINE_SECONDS)}},
            "space": "lstm_pose",  # unused: the baseline trains no searched model
            "cv": dict(CV),
            "seed": 0,
        },
    )
    return load_study(str(path), cache_dir=work / "cache")


def baseline_cv(cfg: Any, train: Sequence[Any], behaviours: Sequence[str]) -> float:
    """The baseline's CV estimate on the arms' folds, scored like a trial's value."""
    from mbr_search.search.folds import video_folds
    from mbr_search.training.scores import pr_auc

    by_id = {v.id: v for v in train}
    scores: list[float] = []
    for fold in video_folds(train, cfg.cv, cfg.seed):  # the arms' own (stratified) folds
        models = lab_hgb.hgb_models([by_id[v] for v in fold.train], behaviours)
        val = [by_id[v] for v in fold.validation]
        probs = lab_hgb.hgb_probs(models, val, len(behaviours))
        labels = np.concatenate([v.labels for v in val])
        for c in models:
            if (s := pr_auc(labels[:, c], probs[:, c])) is not None:
                scores.append(s)
        print(f"[baseline] CV fold {fold.index} done", flush=True)
    return float(np.mean(scores))


def f1_at_half(labels: np.ndarray, probs: np.ndarray) -> float | None:
    pred = probs >= 0.5
    tp = int((pred & (labels > 0)).sum())
    denom = int(pred.sum()) + int((labels > 0).sum())
    return None if denom == 0 else 2 * tp / denom


def run_baseline(
    work: Path, manifest: Path, save: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """Test scores first (saved at once: the CV folds cost three times as much), then the
    CV estimate on the arms' folds."""
    from threadpoolctl import threadpool_limits

    wall0, cpu0 = time.perf_counter(), time.process_time()
    cfg = baseline_study(work, manifest)
    behaviours = list(cfg.behaviours)
    train, test = load_split_of(cfg)
    with threadpool_limits(2):
        probs = lab_hgb.hgb_probs(lab_hgb.hgb_models(train, behaviours), test, len(behaviours))
    labels = np.concatenate([v.labels for v in test])
    model = baseline_scores(test, labels, probs, behaviours)
    entry: dict[str, Any] = {
        "models": {"baseline": model},
        "n_features": int(train[0].features.shape[1]),
        "code": _bench.git_code(),
    }

    def timed(stage: str) -> dict[str, Any]:
        return entry | {
            "stage": stage,
            "wall_seconds": round(time.perf_counter() - wall0, 1),
            "cpu_seconds": round(time.process_time() - cpu0, 1),
        }

    save(timed("test scored; CV estimate still running"))
    with threadpool_limits(2):
        cv = baseline_cv(cfg, train, behaviours)
    model |= {"cv": cv, "cv_gap": _gap(cv, model["test_mean"])}
    return timed("complete")


def load_split_of(cfg: Any) -> tuple[list[Any], list[Any]]:
    from mbr_search.features.store import load_split

    return load_split(cfg, "train"), load_split(cfg, "test")


def baseline_scores(
    test: Sequence[Any], labels: np.ndarray, probs: np.ndarray, behaviours: Sequence[str]
) -> dict[str, Any]:
    from mbr_search.training.scores import pr_auc

    per = {
        b: {
            "pr_auc": pr_auc(labels[:, c], probs[:, c]),
            "f1": f1_at_half(labels[:, c], probs[:, c]),
        }
        for c, b in enumerate(behaviours)
    }
    mean = float(np.mean([v["pr_auc"] for v in per.values() if v["pr_auc"] is not None]))
    return {
        "test": per,
        "test_mean": mean,
        "cv": None,
        "cv_gap": None,
        "test_mean_on_10fps_frames": _every_third_frame(test, labels, probs, behaviours),
    }


def _every_third_frame(
    test: Sequence[Any], labels: np.ndarray, probs: np.ndarray, behaviours: Sequence[str]
) -> float:
    """The baseline scored on every 3rd test frame only: the frames the 10 fps arms score."""
    from mbr_search.training.scores import pr_auc

    starts = np.cumsum([0] + [v.n_frames for v in test[:-1]])
    keep = np.concatenate(
        [s + np.arange(0, v.n_frames, 3) for s, v in zip(starts, test, strict=True)]
    )
    vals = [pr_auc(labels[keep, c], probs[keep, c]) for c in range(len(behaviours))]
    return float(np.mean([v for v in vals if v is not None]))


def verdicts(arms: dict[str, Any]) -> dict[str, Any]:
    """The issue's three targets, from the arms measured so far (None: not measured yet)."""
    base = arms.get("baseline", {}).get("models", {}).get("baseline", {}).get("test_mean")
    auto = arms.get("auto_pose", {}).get("models", {})
    ens = auto.get("selected_ensemble", {}).get("test_mean")
    single = auto.get("best_single", {})
    gaps = [m.get("cv_gap") for m in auto.values() if m.get("cv_gap") is not None]

    def at_least(value: float | None, margin: float) -> dict[str, Any]:
        if value is None or base is None:
            return {"value": value, "needed": None, "met": None}
        return {"value": value, "needed": round(base + margin, 4), "met": value >= base + margin}

    return {
        "ensemble_vs_baseline": at_least(ens, TARGETS["ensemble"]),
        "single_vs_baseline": at_least(single.get("test_mean"), TARGETS["single"]),
        "cv_within": {
            "gaps": gaps,
            "needed": TARGETS["cv_gap"],
            "met": None if not gaps else all(abs(g) <= TARGETS["cv_gap"] for g in gaps),
        },
    }


def target(arms: dict[str, Any]) -> dict[str, Any]:
    """The summary line of docs/benchmarks.md: all three targets, met or not."""
    v = verdicts(arms)
    mets = [v["ensemble_vs_baseline"]["met"], v["single_vs_baseline"]["met"], v["cv_within"]["met"]]
    met = None if None in mets else all(mets)
    return {
        "statement": "auto_pose ensemble >= baseline + 0.06 and best single >= baseline + 0.04 "
        "test mean PR-AUC; CV estimate within 0.04 of test",
        "value": v["ensemble_vs_baseline"]["value"],
        "met": met,
        "verdict": {
            True: "All three met.",
            False: "Not all met (see the section).",
            None: "Not all measured yet.",
        }[met],
    }


def merged_arms(work: Path) -> dict[str, Any]:
    """Every arm measured so far: quality.json's arms, overridden by the per-arm parts in
    ``work/parts`` (each run writes its arms there first, so parts run in parallel
    processes never overwrite each other)."""
    path = _bench.RESULTS / "quality_fixed.json"
    arms: dict[str, Any] = (
        json.loads(path.read_text("utf-8")).get("arms", {}) if path.is_file() else {}
    )
    for part in sorted((work / "parts").glob("*.json")):
        arms[part.stem] = json.loads(part.read_text("utf-8"))
    return {a: arms[a] for a in ARMS if a in arms}


def save_part(work: Path, arm: str, entry: dict[str, Any]) -> None:
    from mbr_search.features.cache import write_text_atomic

    (work / "parts").mkdir(parents=True, exist_ok=True)
    write_text_atomic(work / "parts" / f"{arm}.json", json.dumps(entry, indent=1) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=int, default=10, help="trials per searched arm")
    parser.add_argument("--arms", default=",".join(ARMS), help=f"some of {','.join(ARMS)}")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    args = parser.parse_args()
    # --arms "" only re-assembles quality.json from the parts already measured
    chosen = [a.strip() for a in args.arms.split(",") if a.strip()]
    if bad := [a for a in chosen if a not in ARMS]:
        parser.error(f"unknown arms {bad}; choose from {list(ARMS)}")
    if not rat_dataset.available():
        print(rat_dataset.skip_message(), file=sys.stderr)
        return 0
    started = time.perf_counter()
    report = _bench.header("quality_fixed", budget=args.budget, cv=CV, top=TOP, arms=chosen)
    manifest = rat_dataset.build_rat_dataset(args.work / "rat")
    for arm in chosen:
        if arm == "baseline":

            def partial(entry: dict[str, Any]) -> None:
                save_part(args.work, "baseline", entry | {"date": _bench.now()})
                write(report, args.work, started)

            entry = run_baseline(args.work, manifest, partial)
        else:
            entry = run_arm(arm, args.work, manifest, args.budget)
        save_part(args.work, arm, entry | {"date": _bench.now()})
        write(report, args.work, started)  # after every arm: a crash keeps the others
    if not chosen:
        write(report, args.work, started)
    return 0


def write(report: dict[str, Any], work: Path, started: float) -> None:
    arms = merged_arms(work)
    report |= {"arms": arms, "verdicts": verdicts(arms), "target": target(arms)}
    _bench.write_result(report, started)


if __name__ == "__main__":
    raise SystemExit(main())
