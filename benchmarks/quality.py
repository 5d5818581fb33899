"""Benchmark: the nested yardstick - does what mbr-search says hold on videos it never saw?

All 20 rat-pair videos of ../shared/data/rat_social. The outer loop is grouped 5-fold,
stratified by the package's own balancer (seed 0), so every video is a test video once.
Inside each outer fold, each arm runs exactly as a user runs it on the 16 other videos:
the shipped study (``studies/ARM.yaml``, its own CV, its own pruner), ``mbr-search run``
with the trial budget, then ``mbr-search evaluate --top 3``. What ``evaluate`` printed as
each model's estimate (and its 90 % interval) is compared with the score the same model
then got on the outer fold's 4 test videos.

Arms: ``baseline`` (the lab's HGB script, ``lab_hgb.py``, with its own inner CV estimate
on the arms' inner folds: pooled out-of-fold PR-AUC), ``gbdt_pose``, ``lstm_pose``,
``tcn_pose``, ``auto_pose``, and ``mstcn_pose`` (a family not yet in ``auto_pose``).
Models per searched arm: best single trial, top-3 mean,
selected ensemble (what ``predict`` uses).

Each (arm, outer fold) is one unit, saved on its own in ``benchmarks/results/quality_parts``
(a JSON of what evaluate said, an ``.npz`` of the test probabilities), so the benchmark
runs in parts, across sessions, and ``quality.json`` is assembled from whatever units exist:
outer scores pooled over every test video that has run, mean and sd over outer folds, the
estimate minus the outer score per fold, and interval coverage.

    .venv/bin/python benchmarks/quality.py --arms auto_pose --folds 0,1 --budget 8
    .venv/bin/python benchmarks/quality.py --arms ''      # assemble quality.json only
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import _bench
import quality_units
import rat_dataset

#: the issue's five arms, then mstcn_pose (issue 20: a family is measured here before it
#: may join auto_pose)
ARMS = ("baseline", "gbdt_pose", "lstm_pose", "tcn_pose", "auto_pose", "mstcn_pose")
OUTER_K = 5
SEED = 0
DEFAULT_WORK = _bench.ROOT / "benchmarks" / ".work" / "nested"
#: the targets of the "numbers that hold" issue, for the model predict uses
TARGETS = {"mean_abs_gap": 0.03, "covered_folds": 4}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime + time.process_time()


def outer_folds(work: Path) -> list[tuple[str, ...]]:
    """The outer test sets: stratified grouped 5-fold over the 20 videos' Caltech labels."""
    from mbr_search.config.cv import CVConfig
    from mbr_search.config.dataset import load_dataset
    from mbr_search.data.labels import read_labels
    from mbr_search.search.folds import make_folds

    manifest = rat_dataset.build_rat_dataset(work / "rat" / "all", test_numbers=())
    dataset = load_dataset(manifest)
    labels = {}
    for video in dataset.videos:
        assert video.labels is not None
        read = read_labels(video.labels, rat_dataset.BEHAVIOURS, n_frames=0, fps=video.fps)
        labels[video.id] = read.values
    folds = make_folds(list(labels), CVConfig("group_kfold", k=OUTER_K), SEED, labels)
    return [f.validation for f in folds]


def folds_arg(parser: argparse.ArgumentParser, text: str) -> list[int]:
    """``--folds 0,1`` as outer fold numbers; one that does not exist is a usage error."""
    folds = [int(f) for f in text.split(",") if f.strip()]
    if bad := [f for f in folds if not 0 <= f < OUTER_K]:
        parser.error(f"outer folds {bad} do not exist; choose from 0-{OUTER_K - 1}")
    return folds


def numbers_of(videos: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(int(v.removeprefix("rat")) for v in videos)


def run_unit(arm: str, fold: int, test: tuple[str, ...], args: argparse.Namespace) -> None:
    """One arm on one outer fold: search + evaluate (or the lab script), then its part."""
    manifest = rat_dataset.build_rat_dataset(
        args.work / "rat" / f"outer{fold}", test_numbers=numbers_of(test)
    )
    cpu0, wall0 = children_cpu(), time.perf_counter()
    print(f"[{arm} outer {fold}] test videos {', '.join(test)}", flush=True)
    if arm == "baseline":
        entry, probs = quality_units.baseline_unit(args.work, manifest, fold, args.stride)
    else:
        entry, probs = quality_units.searched_unit(
            arm, args.work, manifest, fold, args.budget, args.snapshot
        )
    entry |= {
        "arm": arm,
        "outer_fold": fold,
        "test_videos": list(test),
        "budget_trials": None if arm == "baseline" else args.budget,
        "cpu_seconds": round(children_cpu() - cpu0, 1),
        "wall_seconds": round(time.perf_counter() - wall0, 1),
        "code": args.code,
        "date": _bench.now(),
    }
    quality_units.save_part(arm, fold, entry, probs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arms", default=",".join(ARMS), help=f"some of {','.join(ARMS)}")
    parser.add_argument("--folds", default=",".join(map(str, range(OUTER_K))))
    parser.add_argument("--budget", type=int, default=8, help="trials per searched arm")
    parser.add_argument("--stride", type=int, default=6, help="baseline: fit every Nth frame")
    parser.add_argument("--redo", action="store_true", help="re-run units that exist")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    args = parser.parse_args()
    args.work = args.work.resolve()  # manifests and studies name files by absolute path
    arms = [a.strip() for a in args.arms.split(",") if a.strip()]
    if bad := [a for a in arms if a not in ARMS]:
        parser.error(f"unknown arms {bad}; choose from {list(ARMS)}")
    folds = [int(f) for f in args.folds.split(",") if f.strip()]
    if not rat_dataset.available():
        print(rat_dataset.skip_message(), file=sys.stderr)
        return 0
    started = time.perf_counter()
    outer = outer_folds(args.work)
    if arms:
        # every unit runs on a git-archive snapshot of HEAD: edits to the working tree
        # during a long run never leak into it, and each part names its commit
        args.code = _bench.snapshot(args.work / "snapshot")
        args.snapshot = args.work / "snapshot"
    for arm in arms:
        for fold in folds:
            if quality_units.has_part(arm, fold) and not args.redo:
                print(f"[{arm} outer {fold}] already measured; skipped", flush=True)
                continue
            run_unit(arm, fold, outer[fold], args)
            assemble(outer, started, args)  # after every unit: a crash keeps the others
    assemble(outer, started, args)
    return 0


def assemble(outer: list[tuple[str, ...]], started: float, args: argparse.Namespace) -> None:
    import quality_assemble

    report = _bench.header(
        "quality", outer_k=OUTER_K, seed=SEED, outer_folds=[list(f) for f in outer]
    )
    tta_file = _bench.RESULTS / "tta.json"  # the same ensembles predicted with TTA
    tta = json.loads(tta_file.read_text()) if tta_file.is_file() else None
    report |= quality_assemble.assemble(ARMS, outer, TARGETS, tta)
    _bench.write_result(report, started)


if __name__ == "__main__":
    raise SystemExit(main())
