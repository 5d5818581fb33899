"""Arguments shared by several subcommands and the one place that builds a StudyConfig."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mbr_search.config._yaml import parse_scalar
from mbr_search.errors import UsageError

#: Set across the exec that moved the password out of argv: the fresh process warns.
_MOVED_ENV = "_MBR_SEARCH_PASSWORD_MOVED"

if TYPE_CHECKING:
    from mbr_search.config.study import StudyConfig
    from mbr_search.jsondoc import JSON
    from mbr_search.storage import StorageSpec


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


def frame_rate(text: str) -> float:
    """``--fps``: a number above 0 and at most 10,000 (``float`` alone takes nan and inf,
    which failed deep inside the resampling with a traceback; 1e308 overflowed there)."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or not 0 < value <= 10_000:  # model.json's bound too
        raise argparse.ArgumentTypeError(f"{text!r}: a frame rate is above 0 and at most 10000")
    return value


def add_model_inputs(parser: argparse.ArgumentParser, inputs_help: str) -> None:
    """The arguments of the commands that apply a model folder to new recordings (predict,
    suggest): MODEL_DIR, INPUT..., --out, --fps, --pose, --cache-dir."""
    parser.add_argument("model_dir", type=Path, help="a model folder, e.g. reports/STUDY/model")
    parser.add_argument("inputs", type=Path, nargs="+", metavar="INPUT", help=inputs_help)
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument(
        "--fps", type=frame_rate,
        help="frame rate of the input recordings (default: the training videos')",
    )  # fmt: skip
    parser.add_argument(
        "--pose", type=Path, action="append", default=[],
        help="DeepLabCut pose file of each video INPUT, in order (CNN models)",
    )  # fmt: skip
    parser.add_argument("--cache-dir", type=Path, help="feature cache folder")


def add_tta_option(parser: argparse.ArgumentParser, what: str, owner: str) -> None:
    """``--tta/--no-tta``, left unset by default (inference/tta.py decides per model)."""
    parser.add_argument(
        "--tta", action=argparse.BooleanOptionalAction, default=None,
        help=f"test-time augmentation{what}: average each member trained on augmented copies "
        f"over fixed rotations, the mirror image and swapped animals (default: on for pose "
        f"{owner}, off for CNN {owner}, where --tta is refused)",
    )  # fmt: skip


def parse_overrides(items: list[str]) -> dict[str, JSON]:
    out: dict[str, JSON] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(
                f"--set {item!r}: expected KEY=VALUE, e.g. --set training.max_epochs=5."
            )
        out[key.strip()] = parse_scalar(value)
    return out


def study_and_storage(
    args: argparse.Namespace,
    *,
    read_only: bool = False,
    trials: int | None = None,
    timeout: float | None = None,
) -> tuple[StudyConfig, StorageSpec]:
    """The frozen study and its resolved storage: the one place a command builds them.

    ``--password-file`` applies to every command that takes a study; ``read_only``
    commands create no folder or database file.
    """
    from mbr_search.storage import resolve_storage

    study = load_study_from_args(args, trials=trials, timeout=timeout)
    spec = resolve_storage(study.storage, password_file=args.password_file, read_only=read_only)
    return study, spec


def move_password_out_of_argv(args: argparse.Namespace) -> None:
    """A password in ``--storage`` is visible to every user in ``ps``: continue in a fresh
    process that reads it from ``$MBR_SEARCH_DB_PASSWORD`` instead, and warns. Called by
    ``main`` for every command with ``--storage``, before any storage is opened.

    The variable is readable only by the same user (``/proc/PID/environ``), and children
    (``--workers``) inherit it rather than seeing it in their arguments.
    """
    from mbr_search.storage import PASSWORD_ENV

    if os.environ.pop(_MOVED_ENV, None):
        # Warned by the fresh process, after the exec: once the warning is out, no process
        # shows the password (the old one printing first left a moment where both held).
        _warn_password_moved(PASSWORD_ENV)
    moves = [m for u in _urls_in(args) if (m := _movable(u)) is not None]
    passwords = {password for _, _, password in moves}
    if not moves:
        return
    if len(passwords) > 1:
        from mbr_search.errors import UsageError

        # one variable carries one password: two would leave one of them in `ps`
        raise UsageError(
            "--storage and --warm-start hold two different passwords, visible to every user "
            f"in `ps`. Fix: leave them out of the URLs and set ${PASSWORD_ENV} (one server) "
            "or pass --password-file FILE."
        )
    # Every token holding a URL (``--storage URL``, ``--storage=URL``, ``--warm-start S@URL``).
    argv = list(args.argv)
    for url, bare, _ in moves:
        argv = [a.replace(url, bare) for a in argv]
    os.environ[PASSWORD_ENV] = passwords.pop()
    os.environ[_MOVED_ENV] = "1"
    os.execv(sys.executable, [sys.executable, "-m", "mbr_search", *argv])


def _urls_in(args: argparse.Namespace) -> list[str]:
    """The storage URLs of the command line: ``--storage`` and ``--warm-start STUDY@URL``."""
    urls = [u for u in [getattr(args, "storage", None)] if u]
    warm = getattr(args, "warm_start", None)
    if warm and "@" in warm:
        urls.append(warm.partition("@")[2].strip())
    return urls


def _movable(url: str) -> tuple[str, str, str] | None:
    """``(url, url without its password, password)`` for a well-formed URL holding one; a
    malformed URL is left for the command itself to report, in one line, redacted."""
    from mbr_search.errors import MbrSearchError
    from mbr_search.storage import resolve_storage, split_password

    bare, password = split_password(url)
    if password is None or split_password(bare)[1] is not None:
        return None
    try:
        resolve_storage(url, read_only=True)
    except MbrSearchError:
        return None
    return url, bare, password


def copyable_url(spec: StorageSpec) -> str:
    """The storage URL for a hint meant to be copied: the password left out (it is read
    from ``$MBR_SEARCH_DB_PASSWORD`` or ``--password-file``), never printed, not ``***``."""
    return spec.display.replace(":***@", "@")


def storage_flags(args: argparse.Namespace, spec: StorageSpec) -> list[str]:
    """The ``--storage``/``--password-file``/``--study-name`` the user gave, for a printed
    next command that must reach the same study (shell-quoted, password-free)."""
    import shlex

    flags: list[str] = []
    if getattr(args, "storage", None):
        flags += ["--storage", shlex.quote(copyable_url(spec))]
    if getattr(args, "password_file", None):
        flags += ["--password-file", shlex.quote(str(args.password_file))]
    if getattr(args, "study_name", None):
        flags += ["--study-name", shlex.quote(args.study_name)]
    return flags


def _warn_password_moved(variable: str) -> None:
    print(
        f"warning: the --storage URL holds a password, visible to every user in `ps`; "
        f"continuing with it in ${variable} instead. Next time set ${variable} or "
        "pass --password-file FILE and leave it out of the URL.",
        file=sys.stderr,
        flush=True,
    )


def load_study_from_args(
    args: argparse.Namespace, *, trials: int | None = None, timeout: float | None = None
) -> StudyConfig:
    """Build the frozen StudyConfig from CLI arguments (CLI > YAML > defaults)."""
    from mbr_search.config.study import load_study

    return load_study(
        args.study,
        overrides=parse_overrides(args.overrides),
        storage=args.storage,
        study_name=args.study_name,
        cache_dir=args.cache_dir,
        trials=trials,
        timeout=timeout,
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
