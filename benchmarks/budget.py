"""Benchmark: issue 20's budget curve - ``auto_pose``'s outer score against its trial budget.

The nested yardstick (``quality.py``) ran ``auto_pose`` with 8 trials per outer fold. This
benchmark continues a copy of each of those 5 studies (the yardstick's own stay as they
are) on the same code snapshot, to ``--trials`` finished trials, and evaluates each budget
as the yardstick does (``evaluate --top 3``: best single, top-3 mean, selected ensemble;
retrained on the fold's 16 videos, scored on its 4 held-out videos).

Trials are seeded from (study seed, trial number) and a study resumes exactly where it
stopped, so the first N trials of a longer study are the trials a study of budget N runs.
A smaller budget is therefore evaluated on a scratch copy of the study holding only its
first N finished trials (same artifacts): the models a user with that budget would get.
Every budget sees the same folds and test videos, so differences between budgets are
paired over the 20 videos (90 % intervals: bootstrap over videos).

Units (budget, outer fold) are saved on their own in ``benchmarks/results/budget_parts/``.

    .venv/bin/python benchmarks/budget.py --budgets 10,20 --folds 0,1
    .venv/bin/python benchmarks/budget.py --budgets ''     # assemble budget.json only
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

import _bench
import quality
import quality_units
import rat_dataset

ARM = "auto_pose"
PARTS = _bench.RESULTS / "budget_parts"
DEFAULT_WORK = _bench.ROOT / "benchmarks" / ".work" / "budget"
#: the yardstick's budget (its parts are the first point of the curve)
YARDSTICK_BUDGET = 8


def prepare(work: Path, source: Path) -> None:
    """Copy the yardstick's auto_pose studies, trial artifacts and feature cache once. The
    database is copied last (SQLite's backup, consistent while open): its presence means
    the copy is complete."""
    if (work / f"{ARM}.db").is_file():
        return
    if not (source / f"{ARM}.db").is_file():
        raise SystemExit(f"error: {source / (ARM + '.db')} not found: run quality.py first")
    work.mkdir(parents=True, exist_ok=True)
    for name in ("artifacts", "cache"):
        shutil.copytree(source / name, work / name, dirs_exist_ok=True)
    tmp = work / f"{ARM}.db.part"
    with sqlite3.connect(source / f"{ARM}.db") as src, sqlite3.connect(tmp) as dst:
        src.backup(dst)
    tmp.replace(work / f"{ARM}.db")


def source_url(work: Path) -> str:
    """The storage of the continued studies."""
    return f"sqlite:///{work / (ARM + '.db')}"


def finished_numbers(storage: str, name: str) -> list[int]:
    import optuna

    done = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    study = optuna.load_study(study_name=name, storage=storage)
    return sorted(t.number for t in study.get_trials(deepcopy=False, states=done))


def prefix_storage(work: Path, name: str, budget: int) -> str:
    """A scratch storage holding the study's trials up to its ``budget``-th finished one
    (every trial before it too, failed ones included, so trial numbers stay the same), with
    the study's attributes (its fingerprint and record)."""
    import optuna

    source = optuna.load_study(study_name=name, storage=source_url(work))
    finished = finished_numbers(source_url(work), name)
    if len(finished) < budget:
        raise SystemExit(f"error: study {name} has {len(finished)} finished trials, not {budget}")
    last = finished[budget - 1]
    path = work / "prefix" / f"{name}_b{budget}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    copy = optuna.create_study(study_name=name, storage=url, directions=source.directions)
    for key, value in source._storage.get_study_system_attrs(source._study_id).items():
        copy._storage.set_study_system_attr(copy._study_id, key, value)
    for key, value in source.user_attrs.items():
        copy.set_user_attr(key, value)
    copy.add_trials(sorted(source.get_trials(deepcopy=True), key=lambda t: t.number)[: last + 1])
    assert [t.number for t in copy.trials] == list(range(last + 1))
    return url


def run_unit(budget: int, fold: int, test: tuple[str, ...], args: argparse.Namespace) -> None:
    """Continue the fold's study to ``args.trials`` finished trials (once), then evaluate
    its first ``budget``."""
    manifest = rat_dataset.build_rat_dataset(
        args.work / "rat" / f"outer{fold}", test_numbers=quality.numbers_of(test)
    )
    study = quality_units.study_file(ARM, args.work, manifest, fold, args.trials)
    name = f"q_{ARM}_o{fold}"
    db = source_url(args.work)
    tail: list[str | Path] = ["--artifacts", args.work / "artifacts"]
    tail += ["--cache-dir", args.work / "cache"]
    cpu0, wall0 = quality.children_cpu(), time.perf_counter()
    print(f"[{ARM} outer {fold}] run --trials {args.trials}", flush=True)
    quality_units.cli(
        ["run", study, "--trials", str(args.trials), "--no-progress", "--storage", db, *tail],
        args.work, args.snapshot,
    )  # fmt: skip
    run_cpu = quality.children_cpu() - cpu0
    storage = db if budget == args.trials else prefix_storage(args.work, name, budget)
    out = args.work / "eval" / f"b{budget}" / f"o{fold}"
    print(f"[{ARM} outer {fold}] evaluate the first {budget} trials --top 3", flush=True)
    printed = quality_units.cli(
        ["evaluate", study, "--top", str(quality_units.TOP), "--out", out, "--no-importance",
         "--storage", storage, *tail],
        args.work, args.snapshot,
    )  # fmt: skip
    entry, probs = quality_units.searched_entry(out / "results.json", printed)
    entry.pop("printed")  # one machine's absolute paths; what counts is in "models"
    entry |= {
        "budget_trials": budget,
        "outer_fold": fold,
        "test_videos": list(test),
        "trial_seconds": trial_seconds(db, name),
        "cpu_seconds_run": round(run_cpu, 1),
        "cpu_seconds_evaluate": round(quality.children_cpu() - cpu0 - run_cpu, 1),
        "wall_seconds": round(time.perf_counter() - wall0, 1),
        "code": args.code,
        "date": _bench.now(),
    }
    quality_units.save_part(f"{ARM}_b{budget}", fold, entry, probs, PARTS)


def trial_seconds(storage: str, name: str) -> list[dict[str, Any]]:
    """Each trial's state and wall seconds, in trial order (the cost side of the curve)."""
    import optuna

    study = optuna.load_study(study_name=name, storage=storage)
    rows = []
    for t in study.get_trials(deepcopy=False):
        took = None
        if t.datetime_start and t.datetime_complete:
            took = round((t.datetime_complete - t.datetime_start).total_seconds(), 1)
        rows.append({"number": t.number, "state": t.state.name, "seconds": took})
    return rows


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", default="10,20", help="budgets to evaluate, ascending")
    parser.add_argument("--trials", type=int, default=20, help="continue each study to this")
    parser.add_argument("--folds", default=",".join(map(str, range(quality.OUTER_K))))
    parser.add_argument("--source", type=Path, default=quality.DEFAULT_WORK)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    args = parser.parse_args()
    args.work, args.source = args.work.resolve(), args.source.resolve()
    args.budgets = [int(b) for b in args.budgets.split(",") if b.strip()]
    # a budget of 8 re-evaluates the yardstick's own trials: a check that this benchmark's
    # evaluation reproduces the yardstick's scores
    if bad := [b for b in args.budgets if not YARDSTICK_BUDGET <= b <= args.trials]:
        parser.error(f"budgets {bad} must be {YARDSTICK_BUDGET} to --trials ({args.trials})")
    args.folds = quality.folds_arg(parser, args.folds)
    return args


def yardstick_commit() -> str:
    """The commit the yardstick's auto_pose units ran last: the continued trials run on it."""
    entry, _ = quality_units.load_part(ARM, quality.OUTER_K - 1)
    return str(entry["code"]["commit"])


def snapshot_once(dest: Path, commit: str) -> dict[str, Any]:
    import json

    from mbr_search._atomic import write_text_atomic

    mark = dest / "COMMIT.json"
    if mark.is_file():
        code: dict[str, Any] = json.loads(mark.read_text("utf-8"))
        if code["commit"] == commit[: len(code["commit"])]:
            return code
    code = _bench.snapshot(dest, commit)
    write_text_atomic(mark, json.dumps(code))
    return code


def main() -> int:
    args = parse_args()
    if not rat_dataset.available():
        print(rat_dataset.skip_message(), file=sys.stderr)
        return 0
    started = time.perf_counter()
    outer = quality.outer_folds(args.source)
    if args.budgets:
        prepare(args.work, args.source)
        # the continued trials run on the code the yardstick's 8 ran on, not on HEAD;
        # extracted once (marked by its commit file): other lanes run from it meanwhile
        args.snapshot = args.work / "snapshot"
        args.code = snapshot_once(args.snapshot, yardstick_commit())
    for fold in args.folds:
        for budget in args.budgets:
            if quality_units.has_part(f"{ARM}_b{budget}", fold, PARTS):
                print(f"[{ARM} outer {fold}] budget {budget} already measured; skipped")
                continue
            run_unit(budget, fold, outer[fold], args)
    assemble(outer, started)
    return 0


def assemble(outer: list[tuple[str, ...]], started: float) -> None:
    import budget_assemble

    report = _bench.header("budget", arm=ARM, outer_folds=[list(f) for f in outer])
    report |= budget_assemble.assemble(PARTS, len(outer))
    _bench.write_result(report, started)


if __name__ == "__main__":
    raise SystemExit(main())
