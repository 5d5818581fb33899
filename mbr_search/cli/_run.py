"""``mbr-search run STUDY --trials N``: search hyperparameters with Optuna."""

from __future__ import annotations

import argparse
import functools
import math
import os
import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from mbr_search.cli._common import (
    add_study_arguments,
    quiet_tensorflow,
    storage_flags,
    study_and_storage,
)

if TYPE_CHECKING:
    from mbr_search.search.summary import RunSummary
    from mbr_search.storage import StorageSpec

#: More worker processes than this many per CPU core only thrash: refused without
#: --force-workers (100,000 workers once drove a 2-core machine to a load of 484).
WORKERS_PER_CORE = 4

#: Wall-clock end of --budget (epoch seconds), inherited across recycling and by workers.
BUDGET_END_ENV = "MBR_SEARCH_BUDGET_END"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
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
    parser.add_argument(
        "--budget", metavar="DURATION",
        help="wall-clock budget, e.g. 90m or 2h: no trial starts that would, at the median "
        "trial cost so far, end after it",
    )  # fmt: skip
    parser.add_argument(
        "--warm-start", metavar="STUDY[@STORAGE]",
        help="first run the best configurations of an earlier study (default storage: this "
        "study's), mapped onto this space",
    )  # fmt: skip
    parser.add_argument("--artifacts", type=Path, help="folder for trial artifacts")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--workers", type=int, default=1,
        help="worker processes on this machine sharing the study (each gets cores/N threads)",
    )  # fmt: skip
    parser.add_argument(
        "--force-workers", action="store_true",
        help=f"allow more than {WORKERS_PER_CORE} workers per CPU core",
    )  # fmt: skip
    parser.add_argument(
        "--recycle-after", type=int, default=50, metavar="N",
        help="continue in a fresh process after N trials (bounds Keras' per-trial memory "
        "growth; 0 = never)",
    )  # fmt: skip
    # Internal: set by the parent of --workers N for its child processes.
    parser.add_argument("--worker-index", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--no-spawn", action="store_true", help=argparse.SUPPRESS)
    return parser


def run(args: argparse.Namespace) -> int:
    _check_numbers(args)
    if args.artifacts is not None:
        from mbr_search.out_folder import writable_folder

        # Before the storage: a file in the way must not leave a new, empty study behind.
        writable_folder(args.artifacts, "--artifacts")
    study, spec = study_and_storage(args, trials=args.trials, timeout=args.timeout)
    from mbr_search.search.runner import RunOptions
    from mbr_search.search.workers import run_workers

    options = RunOptions(
        progress=not args.no_progress and args.worker_index == 0,
        artifact_dir=args.artifacts,
        worker_index=args.worker_index,
        recycle_after=args.recycle_after or None,
        budget=_remaining_budget(args.budget),
        warm_start=_warm_start(args, study.storage),
        before_first_trial=functools.partial(_start_tensorflow, args.debug, args.workers),
    )
    try:
        summary = run_workers(
            study, spec, options, workers=args.workers, argv=args.argv, spawn=not args.no_spawn
        )
    except KeyboardInterrupt:
        print(
            f"\nInterrupted: finished trials are kept in the study '{study.study_name}'; "
            "the running one is marked failed. Run the same command again to resume.",
            file=sys.stderr,
        )
        raise
    if args.worker_index == 0:
        print(
            format_summary(summary, " ".join([shlex.quote(args.study), *storage_flags(args, spec)]))
        )
    return 0


def _start_tensorflow(debug: bool, workers: int) -> None:
    """Import TensorFlow quietly and size its thread pools for ``workers`` processes: called
    by the runner just before the first trial, after the data and the storage were checked."""
    from mbr_search.training.threads import configure_threads

    quiet_tensorflow(debug)
    configure_threads(workers)


def parse_duration(text: str) -> float:
    """``90``, ``90s``, ``45m``, ``2h``, ``1h30m`` -> seconds."""
    import re

    from mbr_search.errors import UsageError

    value = text.strip().lower()
    parts = re.fullmatch(r"(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s?)?", value)
    if not value or parts is None or not any(parts.groups()):
        raise UsageError(
            f"--budget {text!r} is not a duration. Fix: write e.g. 90m, 2h, 1h30m or 3600s."
        )
    hours, minutes, seconds = (float(g) if g else 0.0 for g in parts.groups())
    total = hours * 3600 + minutes * 60 + seconds
    if total <= 0:
        raise UsageError(f"--budget {text!r}: must be longer than zero.")
    return total


def _remaining_budget(text: str | None) -> float | None:
    """Seconds left of ``--budget``, counted from the first start of this command: a
    recycled process and the ``--workers`` children inherit the end time, not a new budget."""
    if not text:
        return None
    end = os.environ.get(BUDGET_END_ENV)
    if end is None:
        end = str(time.time() + parse_duration(text))
        os.environ[BUDGET_END_ENV] = end
    return max(float(end) - time.time(), 0.0)


def _warm_start(args: argparse.Namespace, storage: str | None) -> tuple[str, StorageSpec] | None:
    if not args.warm_start:
        return None
    from mbr_search.search.warmstart import parse_reference
    from mbr_search.storage import resolve_storage

    name, url = parse_reference(args.warm_start, storage)
    spec = resolve_storage(url, password_file=args.password_file, read_only=True)
    return name, spec


def _check_numbers(args: argparse.Namespace) -> None:
    from mbr_search.errors import UsageError

    if args.trials is not None and args.trials < 1:
        raise UsageError(f"--trials {args.trials}: must be at least 1.")
    if args.timeout is not None and not (math.isfinite(args.timeout) and args.timeout > 0):
        raise UsageError(f"--timeout {args.timeout}: must be a positive number of seconds.")
    if args.workers < 1:
        raise UsageError(f"--workers {args.workers}: must be at least 1.")
    _check_workers(args.workers, args.force_workers)
    if args.recycle_after < 0:
        raise UsageError(f"--recycle-after {args.recycle_after}: must be 0 (never) or more.")
    if args.budget is not None:
        parse_duration(args.budget)


def _check_workers(workers: int, forced: bool) -> None:
    from mbr_search.errors import UsageError

    cores = os.cpu_count() or 1
    limit = WORKERS_PER_CORE * cores
    if workers > limit and not forced:
        raise UsageError(
            f"--workers {workers}: more than {WORKERS_PER_CORE} per CPU core ({limit} on this "
            f"machine's {cores} cores) would stall it. Fix: use --workers {cores}, or add "
            "--force-workers if you mean it."
        )


def _by_value(n: int) -> str:
    return f" ({n} of them pruned by value)" if n else ""


def format_summary(summary: RunSummary, study_ref: str) -> str:
    from mbr_search.search.folds import prevalence_lines

    c = summary.counts
    lines = [
        f"Study '{summary.study_name}' in {summary.storage_display}: "
        f"{summary.finished}/{summary.target} finished trials "
        f"({c['COMPLETE']} complete{_by_value(summary.pruned_by_value)}, {c['PRUNED']} pruned, "
        f"{c['FAIL']} failed) "
        f"in {summary.seconds:.0f} s."
    ]
    if summary.budget_reached:
        lines.append("Stopped by --budget: the next trial would likely have ended after it.")
    if summary.grid_exhausted:
        lines.append("The grid is exhausted: every configuration has been tried.")
    if summary.folds:
        lines.append("Folds (validation videos; prevalence among labelled frames):")
        lines += prevalence_lines(summary.folds)
    if summary.best_value is None:
        lines.append("No complete trial yet.")
        return "\n".join(lines)
    base = f" (prevalence baseline {summary.baseline:.3f})" if summary.baseline else ""
    if summary.promoted:
        pairs = ", ".join(f"#{a} -> #{b}" for a, b in summary.promoted)
        lines.append(f"Promoted the best quick looks to all folds: {pairs}")
    lines.append(
        f"Best trial #{summary.best_number}: mean PR-AUC {summary.best_value:.4f} over folds{base}"
    )
    if summary.best_estimate is not None:
        lines.append(f"  pooled out-of-fold PR-AUC {summary.best_estimate.show()}")
    for key, value in sorted(summary.best_params.items()):
        shown = f"{value:.4g}" if isinstance(value, float) else value
        lines.append(f"  {key}: {shown}")
    lines.append(
        f"See more: mbr-search evaluate {study_ref} --top 3 | mbr-search report {study_ref} "
        f"| mbr-search dashboard {study_ref}"
    )
    return "\n".join(lines)
