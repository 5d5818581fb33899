"""``mbr-search`` entry point: subcommands are registered here and errors become exit codes.

Each subcommand lives in its own module ``mbr_search/cli/_<name>.py`` exposing
``add_parser(subparsers)`` and ``run(args) -> int``. Heavy libraries are imported inside
``run`` so that ``mbr-search --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence

from mbr_search import __version__
from mbr_search.cli._signals import EXIT_TERMINATED, Terminated, sigterm_as_interrupt
from mbr_search.errors import MbrSearchError

#: Subcommand name -> module under mbr_search.cli. Order is the order in --help.
COMMANDS: dict[str, str] = {
    "run": "_run",
    "init": "_init",
    "embed": "_embed",
    "demo-data": "_demo_data",
    "evaluate": "_evaluate",
    "report": "_report",
    "predict": "_predict",
    "suggest": "_suggest",
    "dashboard": "_dashboard",
    "studies": "_studies",
}

EXIT_INTERRUPTED = 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mbr-search",
        description=(
            "Find the best per-frame mouse behaviour classifier (CNN or pose features + "
            "LSTM/TCN) for your annotated videos with Optuna."
        ),
    )
    parser.add_argument("--version", action="version", version=f"mbr-search {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for _name, module_name in COMMANDS.items():
        try:
            module = importlib.import_module(f"mbr_search.cli.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"mbr_search.cli.{module_name}":
                continue  # a command not shipped in this build
            raise
        sub = module.add_parser(subparsers)
        sub.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
        sub.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (0 ok, 1 failure, 2 bad input, 130 Ctrl-C,
    143 SIGTERM)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    # TensorFlow reads this when first imported by any command: keep its C++ chatter out.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        # Before any command opens a storage: every command with --storage shares it.
        if hasattr(args, "storage") or hasattr(args, "warm_start"):
            from mbr_search.cli._common import move_password_out_of_argv

            move_password_out_of_argv(args)
        with sigterm_as_interrupt():
            return int(args._run(args))
    except MbrSearchError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"mbr-search: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Terminated:
        print("mbr-search: terminated (SIGTERM).", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("mbr-search: interrupted.", file=sys.stderr)
        return EXIT_INTERRUPTED
