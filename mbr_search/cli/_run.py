"""``mbr-search run STUDY --trials N``: search hyperparameters with Optuna."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from mbr_search.cli._common import add_study_arguments, load_study_from_args, quiet_tensorflow


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "run",
        help="run (or resume) a hyperparameter search",
        description=(
            "Run trials until the study has --trials finished (complete + pruned) trials. "
            "Re-running the same command resumes the study; Ctrl-C keeps finished trials."
        ),
    )
    add_study_arguments(parser)
    parser.add_argument("--trials", type=int, help="target number of finished trials")
    parser.add_argument("--timeout", type=float, help="stop starting trials after SECONDS")
    parser.add_argument("--artifacts", type=Path, help="folder for trial artifacts")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def run(args: argparse.Namespace) -> int:
    from mbr_search.errors import UsageError

    if args.trials is not None and args.trials < 1:
        raise UsageError(f"--trials {args.trials}: must be at least 1.")
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError(f"--timeout {args.timeout}: must be a positive number of seconds.")
    quiet_tensorflow(args.debug)
    study = load_study_from_args(args, trials=args.trials, timeout=args.timeout)
    from mbr_search.search.runner import run_study

    try:
        summary = run_study(
            study, progress=not args.no_progress,
            artifact_dir=args.artifacts,
        )  # fmt: skip
    except KeyboardInterrupt:
        print(
            f"\nInterrupted: finished trials are kept in the study '{study.study_name}'; the "
            "running one is marked failed. Run the same command again to resume.",
            file=sys.stderr,
        )
        raise
    print(format_summary(summary, study.name))
    return 0


def format_summary(summary: Any, study_ref: str) -> str:
    c = summary.counts
    lines = [
        f"Study '{summary.study_name}' in {summary.storage_display}: "
        f"{summary.finished}/{summary.target} finished trials "
        f"({c['COMPLETE']} complete, {c['PRUNED']} pruned, {c['FAIL']} failed) "
        f"in {summary.seconds:.0f} s."
    ]
    if summary.grid_exhausted:
        lines.append("The grid is exhausted: every configuration has been tried.")
    if summary.best_value is None:
        lines.append("No complete trial yet.")
        return "\n".join(lines)
    base = f" (prevalence baseline {summary.baseline:.3f})" if summary.baseline else ""
    lines.append(f"Best trial #{summary.best_number}: mean PR-AUC {summary.best_value:.4f}{base}")
    for key, value in sorted(summary.best_params.items()):
        shown = f"{value:.4g}" if isinstance(value, float) else value
        lines.append(f"  {key}: {shown}")
    lines.append(
        f"See more: mbr-search evaluate {study_ref} --top 3 | mbr-search report {study_ref} "
        f"| mbr-search dashboard {study_ref}"
    )
    return "\n".join(lines)
