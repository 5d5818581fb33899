"""Arguments shared by several subcommands and the one place that builds a StudyConfig."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from mbr_search.config._yaml import parse_scalar
from mbr_search.errors import UsageError


def add_study_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("study", help="a study name in studies/ or a path to a study .yaml")
    parser.add_argument(
        "--storage", help="Optuna storage URL (default: a SQLite file in the user data folder)"
    )
    parser.add_argument(
        "--password-file", type=Path,
        help="file holding the database password (or set MBR_SEARCH_DB_PASSWORD)",
    )  # fmt: skip
    parser.add_argument("--study-name", help="Optuna study name (default: the study's name)")
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override a study YAML value, e.g. --set training.max_epochs=5 (repeatable)",
    )  # fmt: skip
    parser.add_argument("--cache-dir", type=Path, help="feature cache folder")


def parse_overrides(items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(
                f"--set {item!r}: expected KEY=VALUE, e.g. --set training.max_epochs=5."
            )
        out[key.strip()] = parse_scalar(value)
    return out


def load_study_from_args(args: argparse.Namespace, **extra: Any) -> Any:
    """Build the frozen StudyConfig from CLI arguments (CLI > YAML > defaults)."""
    from mbr_search.config.study import load_study

    return load_study(
        args.study,
        overrides=parse_overrides(args.overrides),
        storage=args.storage,
        study_name=args.study_name,
        cache_dir=args.cache_dir,
        **extra,
    )


def quiet_tensorflow(debug: bool = False) -> None:
    """Import TensorFlow without its C++ start-up chatter (CUDA probes, absl warnings).

    absl writes to file descriptor 2 before TensorFlow reads TF_CPP_MIN_LOG_LEVEL, so the
    descriptor itself is pointed at /dev/null for the import. ``--debug`` keeps it all.
    """
    if debug:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
