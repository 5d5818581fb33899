"""``mbr-search init``: create the storage schema and the study once, before workers start.

Workers (``mbr-search run``) also create both when missing, safely; ``init`` makes it an
explicit step that fails fast on a wrong URL or password instead of on every node.
"""

from __future__ import annotations

import argparse

from mbr_search.cli._common import add_study_arguments, study_and_storage


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``init`` and its options."""
    parser = subparsers.add_parser(
        "init",
        help="create the storage schema and the study (once, before many workers)",
        description=(
            "Create the Optuna tables and the study in the storage, so that workers on "
            "several machines can then run `mbr-search run STUDY --storage URL`."
        ),
    )
    # The same study and storage options as run, evaluate and report (cli/_common.py).
    add_study_arguments(parser)
    return parser


def run(args: argparse.Namespace) -> int:
    """Create (or find) the study; prints where it lives and how many trials it has."""
    import optuna
    from optuna.trial import TrialState

    from mbr_search.cli._common import copyable_url
    from mbr_search.search.sampling import build_pruner, build_sampler
    from mbr_search.storage import load_or_create_study, open_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    config, spec = study_and_storage(args)
    storage = open_storage(spec)
    existed = config.study_name in {s.study_name for s in storage.get_all_studies()}
    study = load_or_create_study(
        storage,
        study_name=config.study_name,
        sampler=build_sampler(config),
        pruner=build_pruner(config),
    )
    trials = study.get_trials(deepcopy=False)
    done = sum(t.state == TrialState.COMPLETE for t in trials)
    verb = "already exists" if existed else "created"
    print(
        f"study '{study.study_name}' {verb} in {spec.display} "
        f"({len(trials)} trials, {done} complete)"
    )
    # The hint is meant to be copied: leave the password out instead of printing ***.
    url = copyable_url(spec)
    hint = f"workers: mbr-search run {args.study} --storage '{url}'"
    if args.study_name:
        hint += f" --study-name {config.study_name}"
    if url != spec.display:
        hint += "  (password via MBR_SEARCH_DB_PASSWORD or --password-file)"
    print(hint)
    return 0
