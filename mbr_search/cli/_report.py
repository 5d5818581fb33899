"""``mbr-search report STUDY``: the best-config report (HTML, Markdown, best_config.yaml)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mbr_search.cli._common import add_study_arguments, study_and_storage


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``report`` and its options."""
    parser = subparsers.add_parser(
        "report",
        help="write the best-config report (report.html, report.md, best_config.yaml)",
        description=(
            "Write a self-contained report.html (optimisation history, importances, fold-by-"
            "fold scores and, after `mbr-search evaluate`, test scores, PR curves, confusion "
            "matrices, ethograms), report.md with the same tables, and best_config.yaml, a "
            "study of one trial that re-runs the winner. Never imports TensorFlow."
        ),
    )
    add_study_arguments(parser)
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="report folder; evaluate's results.json is read from it too "
        "(default: reports/STUDY/ in the current directory)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Build the report; prints where it is and what to do next."""
    from mbr_search.report import build_report

    # Read-only: the report works on an archived, read-only database and creates none.
    study, spec = study_and_storage(args, read_only=True)
    out = args.out if args.out is not None else Path("reports") / study.name
    from mbr_search.out_folder import check_folder, mark_folder

    # Checked before, marked after: a study without complete trials leaves no folder.
    check_folder(out, study.study_name)
    paths = build_report(study, storage_spec=spec, out_dir=out)
    mark_folder(out, study.study_name)
    base = f"; prevalence baseline {paths.baseline:.4f}" if paths.baseline is not None else ""
    print(
        f"Report of study '{study.study_name}' (best trial #{paths.best_number}, "
        f"CV mean PR-AUC {paths.best_value:.4f}{base}):"
    )
    print(f"  {paths.html}\n  {paths.markdown}")
    print(f"  {paths.best_config}  (re-run the winner: mbr-search run {paths.best_config})")
    if paths.results is None:
        same_out = f" --out {out}" if args.out is not None else ""
        print(
            f"No test scores yet ({out / 'results.json'} not found): run "
            f"`mbr-search evaluate {args.study}{same_out}` for test-video scores, then report "
            "again."
        )
    return 0
