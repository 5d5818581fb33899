"""Benchmark: issue 20's levers, each with and without, on the nested yardstick's outer folds.

One configuration, the one the yardstick's ``tcn_pose`` search chose in every one of its 5
outer folds (``BASE``: trial 1, the seeded sampler's second draw), is run once per *variant*:
the configuration as it is, or with one lever changed (the exclusive softmax head, longer
context, window statistics as inputs, band power beside them, augmentation, another seed).
Each (variant, outer fold) is one unit, run as a user runs a one-trial study: ``mbr-search
run`` (grouped 3-fold on the fold's 16 training videos: the best epochs) then ``mbr-search
evaluate --top 1`` (retrain on all 16, score the 4 outer test videos). Every variant sees
the same folds and, except the seed variants, the same seeds, so a difference of two
variants over the 20 test videos is paired; its 90 % interval is a bootstrap over videos.
Seed bagging is the mean of the ``base``, ``seed1`` and ``seed2`` probabilities.

Units are saved on their own (``benchmarks/results/lever_parts/``), so they run in lanes
and across sessions; ``levers.json`` is assembled from whatever units exist.

    .venv/bin/python benchmarks/levers.py --variants base,softmax --folds 0,1
    .venv/bin/python benchmarks/levers.py --variants ''      # assemble levers.json only
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import _bench
import quality
import quality_units
import rat_dataset

PARTS = _bench.RESULTS / "lever_parts"
DEFAULT_WORK = _bench.ROOT / "benchmarks" / ".work" / "levers"
#: what the yardstick's tcn_pose search chose in all 5 outer folds (quality_parts/
#: tcn_pose_oK.json, best single: trial 1); every param the trial ran with
BASE: dict[str, Any] = {
    "windows": "none", "seq_len": 150, "batch_size": 16, "learning_rate": 0.001407,
    "dropout": 0.203298, "multi_label": True, "augment": False, "head": "sigmoid",
    "tcn_layers": 1, "tcn_filters": 93, "tcn_kernel_size": 5, "tcn_norm": "layer",
    "tcn_dilations": 5, "tcn_causal": False, "tcn_dropout": 0.0,
}  # fmt: skip
#: the window sets a variant's ``windows`` names (gbdt_pose_spectral's, at 10 fps)
WINDOW_SETS = {
    "stats": {"seconds": [1.5, 4.5], "stats": ["mean", "std"]},
    "spectral": {
        "seconds": [1.5, 4.5],
        "stats": ["mean", "std", "bandpower"],
        "bands": [[0, 1], [1, 2.5], [2.5, 5]],
    },
}
#: auto_pose's recipe, for the augment variant
AUGMENT = {"copies": 1, "rotate": True, "reflect": True, "swap_identities": True, "noise": 0.02}


@dataclass(frozen=True)
class Variant:
    name: str
    what: str
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0


VARIANTS = (
    Variant("base", "the configuration as the yardstick's search chose it"),
    Variant("softmax", "exclusive head: one softmax over behaviours + none", {"head": "softmax"}),
    Variant(
        "context",
        "longer context: 30 s sequences, 6 dilation levels (15 s, 5 levels)",
        {"seq_len": 300, "tcn_dilations": 6},
    ),
    Variant("windows", "window mean and sd (1.5 and 4.5 s) as inputs", {"windows": "stats"}),
    Variant(
        "spectral",
        "window mean, sd and band power (0-1, 1-2.5, 2.5-5 Hz) as inputs",
        {"windows": "spectral"},
    ),
    Variant("augment", "augmented training copies, TTA at test", {"augment": True}),
    Variant("seed1", "study seed 1 (trial seed and inner folds)", seed=1),
    Variant("seed2", "study seed 2 (trial seed and inner folds)", seed=2),
)
BY_NAME = {v.name: v for v in VARIANTS}
#: (a, b, lever): the differences a - b the table shows; "bag3" is the seed bag. The "no
#: lever" rows change nothing but the seed: how far a difference goes by training luck alone
COMPARISONS = (
    ("softmax", "base", "exclusive head (softmax) vs independent sigmoids"),
    ("context", "base", "longer context"),
    ("windows", "base", "window statistics fed to the TCN"),
    ("spectral", "windows", "band power beside the window statistics"),
    ("spectral", "base", "window statistics + band power vs per-frame only"),
    ("augment", "base", "augmentation (+ TTA)"),
    ("seed1", "base", "no lever: the same configuration, study seed 1"),
    ("seed2", "base", "no lever: the same configuration, study seed 2"),
    ("yardstick_best", "base", "no lever: the yardstick's run of it (trial seed 1)"),
    ("bag3", "base", "seed bagging: 3 seeds averaged vs one (base)"),
    ("bag3", "seed1", "seed bagging: 3 seeds averaged vs one (seed1)"),
    ("bag3", "seed2", "seed bagging: 3 seeds averaged vs one (seed2)"),
    ("bag3", "yardstick_top3", "3 seeds of one configuration vs the search's top 3"),
)


def space_file(work: Path, variant: Variant) -> Path:
    space = {
        "name": f"lever_{variant.name}",
        "description": f"tcn_pose's yardstick choice; {variant.what}",
        "model": "tcn",
        "params": {},
        "fixed": BASE | variant.params,
    }
    return _bench.write_yaml(work / "spaces" / f"lever_{variant.name}.yaml", space)


def study_file(work: Path, variant: Variant, manifest: Path, fold: int) -> Path:
    """tcn_pose's shipped study on this outer fold, one trial of the variant's fixed space."""
    import yaml

    study = yaml.safe_load((_bench.ROOT / "studies" / "tcn_pose.yaml").read_text("utf-8"))
    study |= {
        "name": f"lever_{variant.name}_o{fold}",
        "dataset": str(manifest),
        "space": str(space_file(work, variant)),
        "sampler": {"name": "grid"},
        "pruner": {"name": "none"},
        "seed": variant.seed,
        "trials": 1,
    }
    study["features"] = dict(study["features"]) | {
        "window_sets": WINDOW_SETS,
        "augment": AUGMENT,
    }
    return _bench.write_yaml(work / "studies" / f"lever_{variant.name}_o{fold}.yaml", study)


def run_unit(variant: Variant, fold: int, test: tuple[str, ...], args: argparse.Namespace) -> None:
    manifest = rat_dataset.build_rat_dataset(
        args.work / "rat" / f"outer{fold}", test_numbers=quality.numbers_of(test)
    )
    study = study_file(args.work, variant, manifest, fold)
    db = args.work / "levers.db"
    common: list[str | Path] = ["--storage", f"sqlite:///{db}", "--artifacts", args.work / "art"]
    common += ["--cache-dir", args.work / "cache"]
    out = args.work / "eval" / variant.name / f"o{fold}"
    cpu0, wall0 = quality.children_cpu(), time.perf_counter()
    print(f"[{variant.name} outer {fold}] run + evaluate --top 1", flush=True)
    quality_units.cli(["run", study, "--no-progress", *common], args.work, args.snapshot)
    printed = quality_units.cli(
        ["evaluate", study, "--top", "1", "--no-ensemble", "--no-importance", "--out", out,
         *common],
        args.work, args.snapshot,
    )  # fmt: skip
    entry, probs = quality_units.searched_entry(out / "results.json", printed)
    entry.pop("printed")  # one machine's absolute paths; what counts is in "models"
    entry |= {
        "variant": variant.name,
        "outer_fold": fold,
        "test_videos": list(test),
        "cpu_seconds": round(quality.children_cpu() - cpu0, 1),
        "wall_seconds": round(time.perf_counter() - wall0, 1),
        "code": args.code,
        "date": _bench.now(),
    }
    quality_units.save_part(variant.name, fold, entry, probs, PARTS)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = ",".join(BY_NAME)
    parser.add_argument("--variants", default=names, help=f"some of {names}")
    parser.add_argument("--folds", default=",".join(map(str, range(quality.OUTER_K))))
    parser.add_argument("--redo", action="store_true", help="re-run units that exist")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    args = parser.parse_args()
    args.work = args.work.resolve()  # manifests and studies name files by absolute path
    args.variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    if bad := [v for v in args.variants if v not in BY_NAME]:
        parser.error(f"unknown variants {bad}; choose from {list(BY_NAME)}")
    args.folds = quality.folds_arg(parser, args.folds)
    return args


def main() -> int:
    args = parse_args()
    if not rat_dataset.available():
        print(rat_dataset.skip_message(), file=sys.stderr)
        return 0
    started = time.perf_counter()
    outer = quality.outer_folds(args.work)
    if args.variants:
        # a git-archive snapshot of HEAD: edits to the tree during the run never leak in
        args.code = _bench.snapshot(args.work / "snapshot")
        args.snapshot = args.work / "snapshot"
    for name in args.variants:
        for fold in args.folds:
            if quality_units.has_part(name, fold, PARTS) and not args.redo:
                print(f"[{name} outer {fold}] already measured; skipped", flush=True)
                continue
            run_unit(BY_NAME[name], fold, outer[fold], args)
    assemble(outer, started)
    return 0


def assemble(outer: list[tuple[str, ...]], started: float) -> None:
    import levers_assemble

    report = _bench.header(
        "levers",
        base=BASE,
        variants=[{"name": v.name, "what": v.what, "params": v.params, "seed": v.seed}
                  for v in VARIANTS],
        window_sets=WINDOW_SETS,
        augment=AUGMENT,
        outer_folds=[list(f) for f in outer],
    )  # fmt: skip
    names = [v.name for v in VARIANTS]
    report |= levers_assemble.assemble(names, PARTS, len(outer), COMPARISONS)
    _bench.write_result(report, started)


if __name__ == "__main__":
    raise SystemExit(main())
