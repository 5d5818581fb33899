"""Benchmark: peak memory (RSS) of ``mbr-search run`` on a thesis-scale feature set.

The thesis' data: 17 videos x 6,600 frames x 2,048-d (ResNet50V2 embeddings at 10 fps), 12
training videos. The package makes such a set: ``mbr-search demo-data`` renders 17 synthetic
open-field videos of 6,600 frames and ``mbr-search embed --backbone resnet50v2 --weights
none`` writes their 2,048-d float16 embeddings to the feature cache (this takes about an
hour on 2 cores; ``--frames`` makes it smaller). Then the real command runs in a child:

    mbr-search run STUDY --trials 1 --no-progress      (leave-one-video-out, 1 and 2 folds, 1 epoch)

Peak RSS is the child's ``ru_maxrss`` (``os.wait4``: that process only); RSS is also
sampled every 0.2 s from /proc to show where the peak happens.

    .venv/bin/python benchmarks/memory.py [--frames 6600]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _bench

TARGET_GB = 2.0
MODEL = {
    "seq_len": 300,
    "lstm_layers": 1,
    "lstm_units": 64,
    "batch_size": 16,
    "dropout": 0.5,
    "learning_rate": 0.001,
    "multi_label": True,
}


def run_once(tmp: Path, manifest: Path, cache: Path, folds: int) -> dict[str, Any]:
    """``mbr-search run STUDY --trials 1`` on ``folds`` folds, in a child with its own home."""
    seq = {"seq_len": {"type": "categorical", "choices": [MODEL["seq_len"]]}}
    fixed = {k: v for k, v in MODEL.items() if k != "seq_len"}
    _bench.write_yaml(
        tmp / "space.yaml",
        {"name": "thesis_lstm_one", "model": "lstm", "params": seq, "fixed": fixed},
    )
    study = _bench.write_yaml(
        tmp / f"memory_{folds}.yaml",
        {
            "name": "bench_memory",
            "dataset": str(manifest),
            "behaviours": ["grooming", "mid_rearing", "wall_rearing"],
            "fps": 10,
            "features": {"backbone": "resnet50v2", "weights": "none"},
            "space": "space.yaml",
            "cache_dir": str(cache),
            "cv": {"scheme": "leave_one_video_out", "max_folds": folds, "promote": 0},
            "sampler": {"name": "tpe"},
            "pruner": {"name": "none"},
            "training": {"max_epochs": 1, "patience": 1},
            "seed": 0,
        },
    )
    folder = tmp / f"run{folds}"
    cmd = [
        sys.executable,
        "-m",
        "mbr_search",
        "run",
        str(study),
        "--trials",
        "1",
        "--no-progress",
        "--storage",
        f"sqlite:///{folder / 'memory.db'}",
    ]
    env = {**os.environ, "MBR_SEARCH_HOME": str(folder / "home"), "TF_CPP_MIN_LOG_LEVEL": "3"}
    folder.mkdir()
    child = _bench.run_measured(cmd, env, interval=0.2)
    t0 = child["samples"][0][0]
    step = max(1, len(child["samples"]) // 100)
    gib = child["peak_rss_bytes"] / 1024**3
    print(f"{folds} fold(s): peak {gib:.2f} GiB in {child['seconds']:.0f} s", flush=True)
    return {
        "peak_rss_bytes": child["peak_rss_bytes"],
        "peak_rss_gb": round(gib, 3),
        "seconds": child["seconds"],
        "timeline": [
            [round(s[0] - t0, 1), round(s[1] / 1024**3, 3)] for s in child["samples"][::step]
        ],
        "output_tail": child["output"][-1500:],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=17)
    parser.add_argument("--frames", type=int, default=6600)
    args = parser.parse_args()
    n_train = args.videos - min(args.videos - 1, round(args.videos * 5 / 17))  # demo-data split
    started = time.perf_counter()
    report = _bench.header(
        "memory",
        videos=args.videos,
        frames=args.frames,
        dim=2048,
        n_train=n_train,
        folds=2,
        epochs=1,
        model=MODEL,
    )
    with tempfile.TemporaryDirectory(prefix="mbr-bench-mem-") as name:
        tmp, t0 = Path(name), time.perf_counter()
        cache = tmp / "cache"
        manifest = _bench.demo_embedded(
            tmp / "demo", cache, videos=args.videos, frames=args.frames, home=tmp / "home"
        )
        report["generation_seconds"] = round(time.perf_counter() - t0, 1)
        cache_bytes = sum(p.stat().st_size for p in cache.rglob("*.npy"))
        one, two = (run_once(tmp, manifest, cache, n) for n in (1, 2))
    f32 = args.frames * 2048 * 4 / 1024**3
    met = two["peak_rss_bytes"] / 1e9 <= TARGET_GB
    report |= {
        "peak_rss_bytes": two["peak_rss_bytes"],
        "peak_rss_gb": two["peak_rss_gb"],
        "peak_rss_gb_one_fold": one["peak_rss_gb"],
        "child_seconds": two["seconds"],
        "cache_bytes": cache_bytes,
        "cache_gb": round(cache_bytes / 1024**3, 3),
        "float32_all_videos_gb": round(args.videos * f32, 3),
        "float32_training_videos_gb": round(n_train * f32, 3),
        "rss_timeline": two["timeline"],
        "timeline_one_fold": one["timeline"],
        "child_output_tail": two["output_tail"],
        "command_measured": "mbr-search run STUDY --trials 1 --no-progress --storage sqlite:///...",
        "target": {
            "statement": f"peak RSS <= {TARGET_GB:g} GB at thesis scale",
            "value": TARGET_GB,
            "met": met,
            "verdict": f"{'Met' if met else 'Not met'}: peak {two['peak_rss_gb']:.2f} GiB "
            f"({two['peak_rss_bytes'] / 1e9:.2f} GB) {'<=' if met else '>'} {TARGET_GB:g} GB.",
        },
    }
    print(report["target"]["verdict"])
    _bench.write_result(report, started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
