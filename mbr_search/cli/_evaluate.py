"""``mbr-search evaluate STUDY --top K``: retrain the best trials and score the test videos."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mbr_search.cli._common import (
    add_study_arguments,
    move_password_out_of_argv,
    quiet_tensorflow,
    study_and_storage,
)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "evaluate",
        help="retrain the best trials on all training videos and score the test videos",
        description=(
            "Retrain the --top best complete trials on all training videos (epochs: median "
            "of each trial's best epochs across folds), choose thresholds and post-processing "
            "on out-of-fold predictions, score every test video, and write results.json, the "
            "models and per-frame predictions to --out (default: reports/STUDY/)."
        ),
    )
    add_study_arguments(parser)
    parser.add_argument("--top", type=int, default=3, help="trials to evaluate (default 3)")
    parser.add_argument(
        "--ensemble", action=argparse.BooleanOptionalAction, default=True,
        help="also score the mean of the top trials' probabilities (default: on)",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, help="output folder (default: reports/STUDY/ in the current folder)"
    )
    parser.add_argument(
        "--artifacts", type=Path, help="folder of the search's trial artifacts (out-of-fold)"
    )
    parser.add_argument(
        "--cv-only", action="store_true",
        help="allow a dataset without test videos: cross-validation results only",
    )  # fmt: skip
    return parser


def run(args: argparse.Namespace) -> int:
    from mbr_search.errors import UsageError

    if args.top < 1:
        raise UsageError(f"--top {args.top}: must be at least 1.")
    move_password_out_of_argv(args)
    study, spec = study_and_storage(args, read_only=True)
    out = args.out if args.out is not None else Path("reports") / study.name
    from mbr_search.evaluate.trials import check_test_videos, load_trials

    # The checks that need no TensorFlow first: a study that cannot be evaluated fails fast.
    check_test_videos(study, args.cv_only)
    load_trials(study, spec)
    quiet_tensorflow(args.debug)
    from mbr_search.evaluate.core import evaluate_study

    path = evaluate_study(
        study, top=args.top, out_dir=out, storage_spec=spec, artifact_dir=args.artifacts,
        ensemble=args.ensemble, cv_only=args.cv_only,
        echo=lambda msg: print(msg, file=sys.stderr, flush=True),
    )  # fmt: skip
    print(summary(path))
    return 0


def summary(path: Path) -> str:
    """A short table of the evaluated trials' pooled test (or out-of-fold) F1 and PR-AUC."""
    import json

    results = json.loads(path.read_text(encoding="utf-8"))
    source = "out-of-fold" if results["cv_only"] else "test"
    lines = [f"Results: {path}  ({source}, post-processed; F1 / PR-AUC per behaviour)"]
    rows = [(f"trial #{t['number']}", t) for t in results["trials"]]
    if results.get("ensemble"):
        rows.append(("top mean", results["ensemble"]))
    if results.get("selected_ensemble"):
        rows.append(("selected", results["selected_ensemble"]))
    for name, block in rows:
        metrics = block["oof" if results["cv_only"] else "test"]["post"]["pooled"]
        cells = []
        for b in results["behaviours"]:
            e = metrics[b]
            f1 = "n/a" if e["f1"] is None else f"{e['f1']:.3f}"
            ap = "n/a" if e["pr_auc"] is None else f"{e['pr_auc']:.3f}"
            cells.append(f"{b} {f1}/{ap}")
        cv = block.get("cv_value")
        shown = f"CV {cv:.3f}  " if isinstance(cv, float) else ""
        lines.append(f"  {name:<10} {shown}" + "  ".join(cells))
    ceiling = results.get("human_ceiling")
    if ceiling:
        cells = []
        for b, v in ceiling["behaviours"].items():
            cells.append(f"{b} {'n/a' if v['mean_f1'] is None else format(v['mean_f1'], '.3f')}")
        lines.append(f"  {'raters':<10} " + "  ".join(cells) + "  (mean pairwise F1)")
    which = "the selected ensemble" if results.get("selected_ensemble") else "the best trial"
    lines.append(f"Model for `mbr-search predict` ({which}): {path.parent / 'model'}")
    return "\n".join(lines)
