"""Benchmark: one trial the thesis' way versus mbr-search's defaults, side by side.

Same configuration (the thesis' best LSTM, Table 4.1 experiment 1), same data, same folds,
same training loop (the package's ``fit_fold``: Adam, weighted BCE, early stopping on
validation PR-AUC):

- thesis protocol: three binary models (one per behaviour), each rebuilt and recompiled
  for every fold (``build_group_models``), the fold's sequences (``cut``) held as float32;
- mbr-search: the package's ``Objective`` unchanged, one multi-label model built once per
  trial and reset between folds, float16 sequences from the memory-mapped cache;
- mbr-search binary: the same ``Objective`` with ``multi_label: false`` (three binary
  models, each built once per trial and reset between folds).

Epochs are counted with the ``on_epoch`` callback of ``fit_fold`` / ``Objective``. Seconds
are wall-clock and CPU (``time.process_time``) of the trial itself.

    .venv/bin/python benchmarks/trial_cost.py [--datasets synthetic,rat]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import _bench
import numpy as np
import rat_dataset

TARGET = 3.0
#: the thesis' best LSTM (Table 4.1, experiment 1)
CONFIG = {
    "seq_len": 300,
    "lstm_layers": 3,
    "lstm_units": 64,
    "batch_size": 8,
    "dropout": 0.5,
    "learning_rate": 0.001,
    "bidirectional": False,
}


def thesis_trial(
    videos: Sequence[Any], folds: Sequence[Any], behaviours: Sequence[str], cfg: dict[str, Any]
) -> dict[str, Any]:
    """Per fold and behaviour a new binary model is built, compiled, trained and scored."""
    import keras

    from mbr_search.models import get_family
    from mbr_search.models.build import Resettable
    from mbr_search.training.fit import fit_fold
    from mbr_search.training.scores import pr_auc
    from mbr_search.training.seeds import OutputGroup, build_group_models, fold_seed
    from mbr_search.training.sequences import MomentCache, cut

    params = get_family("lstm").params.from_dict({**CONFIG, "multi_label": False})
    count = _bench.EpochCount()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    moments, by_id = MomentCache(videos), {v.id: v for v in videos}
    dim = videos[0].features.shape[1]
    scores: list[float] = []
    fold_scores: dict[str, dict[str, float | None]] = {}
    fits = 0

    def float32(data: Any) -> Any:
        return replace(data, x=data.x.astype(np.float32))

    for fold in folds:
        scaler = moments.standardiser(fold.train)
        train = float32(cut([by_id[v] for v in fold.train], params.seq_len, scaler))
        val = float32(cut([by_id[v] for v in fold.validation], params.seq_len, scaler))
        fold_scores[str(fold.index)] = {}
        for b, name in enumerate(behaviours):
            ap = None
            if train.y[..., b][train.mask].any():
                keras.backend.clear_session()
                seed = fold_seed(0, 0, fold.index) + b
                net = build_group_models(params, [OutputGroup(name, (b,))], dim, seed)[name]
                result = fit_fold(
                    Resettable(net),
                    train,
                    val,
                    (b,),
                    batch_size=params.batch_size,
                    max_epochs=cfg["max_epochs"],
                    patience=cfg["patience"],
                    seed=fold_seed(0, 0, fold.index),
                    on_epoch=count,
                )
                fits += 1
                ap = pr_auc(val.y[..., b][val.mask], result.val_pred[..., 0][val.mask])
            fold_scores[str(fold.index)][name] = ap
            if ap is not None:
                scores.append(ap)
    return {
        "score": float(np.mean(scores)),
        "wall_seconds": time.perf_counter() - wall0,
        "cpu_seconds": time.process_time() - cpu0,
        "epochs": count.epochs,
        "models_built": fits,
        "fold_scores": fold_scores,
    }


def mbr_trial(study_cfg: Any, videos: Sequence[Any], folds: Sequence[Any]) -> dict[str, Any]:
    """The package's Objective on one trial of the (fixed) configuration."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    (row,) = _bench.search(study_cfg, videos, folds, n_trials=1)
    n_models = 1 if row["params"]["multi_label"] else len(study_cfg.behaviours)
    return {
        "score": float(row["value"] or 0.0),
        "wall_seconds": time.perf_counter() - wall0,
        "cpu_seconds": time.process_time() - cpu0,
        "epochs": row["epochs"],
        "models_built": n_models,
        "fold_scores": row["fold_scores"],
    }


def warm_up(dim: int) -> None:
    """Initialise TensorFlow once, so that neither arm pays its start-up."""
    import keras

    from mbr_search.models import get_family
    from mbr_search.models.build import build_model

    params = get_family("lstm").params.from_dict({**CONFIG, "lstm_layers": 1})
    net = build_model(params, n_features=dim, n_outputs=1)
    net.fit(np.zeros((2, 10, dim), np.float32), np.zeros((2, 10, 2), np.float32), verbose=0)
    keras.backend.clear_session()


def study_for(tmp: Path, data: dict[str, Any], cfg: dict[str, Any], multi_label: bool) -> Any:
    from mbr_search.config.study import load_study

    tag = "multi" if multi_label else "binary"
    seq = {"seq_len": {"type": "categorical", "choices": [CONFIG["seq_len"]]}}
    fixed = {k: v for k, v in CONFIG.items() if k != "seq_len"} | {"multi_label": multi_label}
    _bench.write_yaml(
        tmp / f"space_{tag}.yaml",
        {"name": "thesis_best_lstm", "model": "lstm", "params": seq, "fixed": fixed},
    )
    cv = {"scheme": "leave_one_video_out"} | (
        {"max_folds": cfg["max_folds"]} if cfg["max_folds"] else {}
    )
    path = _bench.write_yaml(
        tmp / f"study_{tag}.yaml",
        {
            "name": "bench_trial_cost",
            "dataset": str(data["manifest"]),
            "behaviours": data["behaviours"],
            "fps": 10,
            "features": data["features"],
            "space": f"space_{tag}.yaml",
            "cv": cv,
            "sampler": {"name": "tpe"},
            "pruner": {"name": "none"},
            "seed": 0,
            "training": {"max_epochs": cfg["max_epochs"], "patience": cfg["patience"]},
        },
    )
    return load_study(str(path), cache_dir=data["cache"])


def prepare(name: str, cfg: dict[str, Any], tmp: Path) -> dict[str, Any]:
    cache, home = tmp / "cache", tmp / "home"
    if name == "synthetic":
        s = cfg["synthetic"]
        manifest = _bench.demo_embedded(
            tmp / "demo", cache, videos=s["videos"], frames=s["frames"], home=home
        )
        return {
            "manifest": manifest,
            "cache": cache,
            "frames": None,
            "features": {"backbone": "resnet50v2", "weights": "none"},
            "behaviours": ["grooming", "mid_rearing", "wall_rearing"],
            "scale": f"{s['videos']} synthetic videos (mbr-search demo-data) x {s['frames']} "
            f"frames, embedded by ResNet50V2 (random weights, 2,048-d, 10 fps); "
            "leave-one-video-out over the training videos",
        }
    length = f"first {cfg['rat_frames']} frames of each" if cfg["rat_frames"] else "full length"
    return {
        "manifest": rat_dataset.build_rat_dataset(tmp / "rat"),
        "cache": cache,
        "frames": cfg["rat_frames"],
        "features": {"backbone": "pose"},
        "behaviours": ["social", "nonsocial", "aggression"],
        "scale": f"real rat pairs, pose features (94-d), 15 training videos ({length}, "
        "10 fps), leave-one-video-out",
    }


def bench_dataset(name: str, cfg: dict[str, Any], tmp: Path) -> dict[str, Any]:
    from mbr_search.features.store import load_split
    from mbr_search.search.folds import video_folds

    data = prepare(name, cfg, tmp)
    multi = study_for(tmp, data, cfg, True)
    videos = _bench.trim(load_split(multi, "train"), data["frames"])
    folds = video_folds(videos, multi.cv, 0)
    print(f"[{name}] {data['scale']}; {len(folds)} folds", flush=True)
    warm_up(videos[0].features.shape[1])
    mbr = mbr_trial(multi, videos, folds)
    thesis = thesis_trial(videos, folds, multi.behaviours, cfg)
    binary = mbr_trial(study_for(tmp, data, cfg, False), videos, folds)
    row: dict[str, Any] = {"dataset": name, "scale": data["scale"], "folds": len(folds)}
    for arm, r in (("thesis_protocol", thesis), ("mbr", mbr), ("mbr_binary", binary)):
        print(f"[{name}] {arm}: {r['wall_seconds']:.0f} s, score {r['score']:.4f}", flush=True)
        row |= {
            f"seconds_{arm}": round(r["wall_seconds"], 1),
            f"cpu_seconds_{arm}": round(r["cpu_seconds"], 1),
            f"score_{arm}": round(r["score"], 4),
            f"epochs_{arm}": r["epochs"],
            f"models_built_{arm}": r["models_built"],
            f"fold_scores_{arm}": r["fold_scores"],
        }
    for arm, suffix in (("mbr", ""), ("mbr_binary", "_mbr_binary")):
        row[f"speedup{suffix}"] = round(thesis["wall_seconds"] / row[f"seconds_{arm}"], 2)
        row[f"speedup_cpu{suffix}"] = round(thesis["cpu_seconds"] / row[f"cpu_seconds_{arm}"], 2)
    return row


def target(rows: list[dict[str, Any]]) -> dict[str, Any]:
    done = [r for r in rows if "speedup" in r]
    fast = [r for r in done if r["speedup"] >= TARGET]
    good = [r for r in done if r["score_mbr"] >= r["score_thesis_protocol"]]
    met = [r for r in fast if r in good]
    change = ", ".join(f"{r['score_mbr'] - r['score_thesis_protocol']:+.3f}" for r in done)
    wall = ", ".join(f"{r['speedup']:.2f}x" for r in done)
    cpu = ", ".join(f"{r['speedup_cpu']:.2f}x" for r in done)
    return {
        "statement": f">= {TARGET:g}x faster per trial than the thesis protocol, at an equal "
        "or better score",
        "value": TARGET,
        "met": bool(done) and len(met) == len(done),
        "verdict": f"Met on {len(met)} of {len(done)} data sets: >= {TARGET:g}x faster on "
        f"{len(fast)} (wall {wall}; CPU {cpu}), equal or better score on "
        f"{len(good)} (score change {change}).",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="synthetic,rat", help="synthetic,rat")
    parser.add_argument("--max-epochs", type=int, default=8)
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--max-folds", type=int, default=None, help="default: all videos")
    parser.add_argument("--synthetic-videos", type=int, default=17)
    parser.add_argument("--synthetic-frames", type=int, default=600)
    parser.add_argument("--rat-frames", type=int, default=2400)
    args = parser.parse_args()
    cfg = {
        "max_epochs": args.max_epochs,
        "patience": args.patience,
        "max_folds": args.max_folds,
        "synthetic": {"videos": args.synthetic_videos, "frames": args.synthetic_frames},
        "rat_frames": args.rat_frames,
        "model": CONFIG,
    }
    started = time.perf_counter()
    _bench.quiet_tensorflow()
    report = _bench.header("trial_cost", **cfg)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="mbr-bench-tc-") as tmp:
        for name in args.datasets.split(","):
            if name == "rat" and not rat_dataset.available():
                rows.append({"dataset": name, "skipped": rat_dataset.skip_message()})
                continue
            rows.append(bench_dataset(name, cfg, Path(tmp) / name))
    report["datasets"] = rows
    report["target"] = target(rows)
    print(report["target"]["verdict"])
    _bench.write_result(report, started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
