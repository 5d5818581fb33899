"""``mbr-search studies``: the study files you can run, and the studies in a storage."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "studies",
        help="list study files and the studies stored in a storage",
        description="List the study YAML files found (./studies, then the shipped ones) and "
        "the Optuna studies in the storage with their trial counts and best value.",
    )
    parser.add_argument("--storage", help="storage URL (default: the user's SQLite file)")
    parser.add_argument(
        "--password-file", type=Path, metavar="FILE",
        help="file holding the database password (or set MBR_SEARCH_DB_PASSWORD)",
    )  # fmt: skip
    return parser


def run(args: argparse.Namespace) -> int:
    import warnings

    import optuna

    from mbr_search.config.study import available_studies, resolve_study_path
    from mbr_search.storage import open_storage, resolve_storage, storage_error
    from mbr_search.storage._url import missing_file_error

    print("Study files:")
    for name in available_studies():
        print(f"  {name:<20} {resolve_study_path(name)}")
    # Read-only: a typo in --storage must not leave folders and an empty database behind,
    # and a database on a read-only filesystem can still be listed.
    spec = resolve_storage(args.storage, password_file=args.password_file, read_only=True)
    path = spec.path
    if path is not None and not path.exists():
        if args.storage is not None:
            raise missing_file_error(spec)
        print(f"Studies in {spec.display}:\n  (none yet: mbr-search run STUDY)")
        return 0
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    try:
        summaries = optuna.get_all_study_summaries(
            open_storage(spec, heartbeat_interval=None), include_best_trial=True
        )
    except Exception as exc:
        raise storage_error(exc, spec) from exc
    print(f"Studies in {spec.display}:")
    if not summaries:
        print("  (none yet: mbr-search run STUDY)")
    for s in summaries:
        best = s.best_trial.value if s.best_trial is not None else None
        shown = f"{best:.4f}" if best is not None else "-"
        print(f"  {s.study_name:<20} {s.n_trials:>5} trials  best mean PR-AUC {shown}")
    return 0
