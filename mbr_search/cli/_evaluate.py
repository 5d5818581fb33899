"""``mbr-search evaluate STUDY --top K``: retrain the best trials and score the test videos."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mbr_search.cli._common import (
    add_study_arguments,
    add_tta_option,
    quiet_tensorflow,
    study_and_storage,
)


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
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
        "--importance", action=argparse.BooleanOptionalAction, default=True,
        help="permutation importance of the winner's feature groups (refits its fold "
        "models: about one more trial's training; default: on)",
    )  # fmt: skip
    add_tta_option(parser, " of the test videos", "studies")
    parser.add_argument(
        "--cv-only", action="store_true",
        help="allow a dataset without test videos: cross-validation results only",
    )  # fmt: skip
    return parser


def run(args: argparse.Namespace) -> int:
    from mbr_search.errors import UsageError

    if args.top < 1:
        raise UsageError(f"--top {args.top}: must be at least 1.")
    study, spec = study_and_storage(args, read_only=True)
    out = args.out if args.out is not None else Path("reports") / study.name
    from mbr_search.evaluate.trials import check_test_videos, load_trials

    # The checks that need no TensorFlow first: a study that cannot be evaluated fails fast.
    check_test_videos(study, args.cv_only)
    from mbr_search.inference.tta import resolve

    resolve(args.tta, study.backbone, f"study '{study.name}'")  # --tta on a CNN study
    load_trials(study, spec)
    from mbr_search.out_folder import claim_folder

    # Before the retraining: a file in the way, a read-only folder or another study's
    # folder fails now, not after minutes of work.
    claim_folder(out, study.study_name)
    quiet_tensorflow(args.debug)
    from mbr_search.evaluate.core import evaluate_study

    path = evaluate_study(
        study, top=args.top, out_dir=out, storage_spec=spec, artifact_dir=args.artifacts,
        ensemble=args.ensemble, cv_only=args.cv_only, importance=args.importance, tta=args.tta,
        echo=lambda msg: print(msg, file=sys.stderr, flush=True),
    )  # fmt: skip
    print(summary(path))
    return 0


def summary(path: Path) -> str:
    """Every model's CV estimate beside its test (or out-of-fold) scores, read typed."""
    from mbr_search.evaluate.printed import summary_text
    from mbr_search.evaluate.results import Results

    return summary_text(Results.read(path), path)
