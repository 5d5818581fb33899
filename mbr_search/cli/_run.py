"""``mbr-search run STUDY --trials N``: search hyperparameters with Optuna."""

from __future__ import annotations

import argparse
import os
import subprocess
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
    parser.add_argument(
        "--workers", type=int, default=1,
        help="worker processes on this machine sharing the study (each gets cores/N threads)",
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
    from mbr_search.errors import UsageError

    if args.trials is not None and args.trials < 1:
        raise UsageError(f"--trials {args.trials}: must be at least 1.")
    if args.timeout is not None and args.timeout <= 0:
        raise UsageError(f"--timeout {args.timeout}: must be a positive number of seconds.")
    if args.workers < 1:
        raise UsageError(f"--workers {args.workers}: must be at least 1.")
    if args.recycle_after < 0:
        raise UsageError(f"--recycle-after {args.recycle_after}: must be 0 (never) or more.")
    study = load_study_from_args(args, trials=args.trials, timeout=args.timeout)
    workers = args.workers
    children: list[subprocess.Popen[bytes]] = []
    if workers > 1 and args.worker_index == 0 and not args.no_spawn:
        from mbr_search.storage import load_or_create_study, open_storage, resolve_storage

        # Create the schema and the study once, before the workers race to do it.
        spec = resolve_storage(study.storage, password_file=args.password_file)
        load_or_create_study(
            open_storage(spec, heartbeat_interval=None), study_name=study.study_name,
            sampler=None, pruner=None,
        )  # fmt: skip
        children = [_spawn_worker(args.argv, i) for i in range(1, workers)]
    from mbr_search.storage import configure_threads

    quiet_tensorflow(args.debug)
    configure_threads(workers)
    from mbr_search.search.runner import run_study

    try:
        summary = run_study(
            study, progress=not args.no_progress and args.worker_index == 0,
            artifact_dir=args.artifacts, worker_index=args.worker_index,
            password_file=args.password_file, recycle_after=args.recycle_after or None,
        )  # fmt: skip
        if summary.recycle:
            _replace_process(args.argv, children)
        for child in children:
            child.wait()
        if children:
            summary = run_study(
                study, progress=False, artifact_dir=args.artifacts,
                password_file=args.password_file,
            )  # fmt: skip
    except BaseException as exc:
        for child in children:
            child.terminate()
        if isinstance(exc, KeyboardInterrupt):
            print(
                f"\nInterrupted: finished trials are kept in the study '{study.study_name}'; "
                "the running one is marked failed. Run the same command again to resume.",
                file=sys.stderr,
            )
        raise
    if args.worker_index == 0:
        print(format_summary(summary, study.name))
    return 0


def _replace_process(argv: list[str], children: list[subprocess.Popen[bytes]]) -> None:
    """Continue the same command in a fresh process (same PID, memory back to baseline).

    The study resumes from its storage, so nothing is lost; worker 0 keeps its children
    (they recycle themselves) and does not spawn new ones.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    again = list(argv)
    if children and "--worker-index" not in again:
        again += ["--worker-index", "0", "--no-spawn"]
    os.execv(sys.executable, [sys.executable, "-m", "mbr_search", *again])


def _spawn_worker(argv: list[str], index: int) -> subprocess.Popen[bytes]:
    """Start worker ``index`` with this process's own arguments (its output is discarded:
    progress and the summary come from worker 0, failures are in the study)."""
    own = [a for a in argv if a != "--no-progress"]
    cmd = [sys.executable, "-m", "mbr_search", *own, "--worker-index", str(index), "--no-progress"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


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
