"""Benchmark: end-to-end embedding speed versus pure ``model.predict`` in the same run.

End to end is the package's ``embed_video`` (decode, resample, crop, resize, preprocess on
the background thread, batched inference, float16 cache write and commit). Pure inference
is ``model.predict`` on the very same frames, already cropped and preprocessed in memory by
the pipeline's own per-frame helpers, with the same model object. Timed alternately after a
warm-up; medians compared. Weights ``none`` (random): speed does not depend on them.

    .venv/bin/python benchmarks/embed.py            # real video, ResNet50V2 + InceptionResNetV2
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _bench
import numpy as np

DATA = _bench.ROOT.parent / "shared" / "data" / "openfield_video"
VIDEO = DATA / "m3v1mp4.mp4"
POSE = DATA / "m3v1mp4_DLC_resnet50_openfieldOct30shuffle1_6000_from_ethome.csv"
TARGET = 0.85


def in_memory_frames(settings: Any, video: Path, pose: Path) -> np.ndarray:
    """The frames the pipeline feeds the model, prepared by the pipeline's own per-frame
    helpers (``prepare``, ``read_frames``, ``_input_image``, ``_to_network``), in memory."""
    from mbr_search.features.embed.pipeline import _input_image, _to_network
    from mbr_search.features.embed.plan import Job, prepare
    from mbr_search.features.embed.video import read_frames

    plan = prepare(Job("bench", video, pose, None, 100, "tolerance"), settings)
    side = settings.spec.input_size
    out = np.empty((plan.n_out, side, side, 3), dtype=np.uint8)
    for j, frame in enumerate(read_frames(video, plan.indices)):
        out[j] = _input_image(frame, plan, j, side)
    return _to_network(out, plan.n_out, settings.spec.preprocess())


def bench_backbone(name: str, args: argparse.Namespace) -> dict[str, Any]:
    from mbr_search.config.embed import CropSettings, EmbedSettings
    from mbr_search.features.embed.pipeline import embed_video, load_backbone

    settings = EmbedSettings(name, weights="none", crop=CropSettings(size=200), fps=args.fps)
    model = load_backbone(settings)
    frames = in_memory_frames(settings, args.video, args.pose)
    n, bs = len(frames), args.batch_size
    # warm-up: trace the full and the last partial batch shape for both paths
    model.predict(frames[: bs + n % bs], batch_size=bs, verbose=0)
    model.predict_on_batch(frames[:bs])
    model.predict_on_batch(frames[: n % bs or bs])
    runs: dict[str, list[float]] = {"predict": [], "loop": [], "end_to_end": []}
    with tempfile.TemporaryDirectory() as cache:

        def timed(fn: Any) -> float:
            started = time.perf_counter()
            fn()
            return round(n / (time.perf_counter() - started), 2)

        def pipeline() -> None:
            embed_video(
                args.video,
                args.pose,
                settings,
                video_id="bench",
                source_fps=None,
                cache_root=Path(cache),
                force=True,
                batch_size=bs,
                progress=False,
                model=model,
            )

        def loop() -> None:
            for i in range(0, n, bs):
                model.predict_on_batch(frames[i : i + bs])

        pipeline()  # warm-up of the decode thread and the writer
        for _ in range(args.repeats):
            runs["predict"].append(timed(lambda: model.predict(frames, batch_size=bs, verbose=0)))
            runs["end_to_end"].append(timed(pipeline))
            runs["loop"].append(timed(loop))
    med = {k: statistics.median(v) for k, v in runs.items()}
    ratio = med["end_to_end"] / med["predict"]
    print(
        f"{name}: predict {med['predict']:.1f} f/s, loop {med['loop']:.1f}, end to end "
        f"{med['end_to_end']:.1f}, ratio {ratio:.3f}",
        flush=True,
    )
    return {
        "backbone": name,
        "input_size": settings.spec.input_size,
        "frames": n,
        "pure_predict_fps": round(med["predict"], 2),
        "batch_loop_fps": round(med["loop"], 2),
        "end_to_end_fps": round(med["end_to_end"], 2),
        "ratio": round(ratio, 3),
        "ratio_vs_batch_loop": round(med["end_to_end"] / med["loop"], 3),
        "meets_target": ratio >= TARGET,
        "pure_predict_fps_runs": runs["predict"],
        "batch_loop_fps_runs": runs["loop"],
        "end_to_end_fps_runs": runs["end_to_end"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=VIDEO)
    parser.add_argument("--pose", type=Path, default=POSE)
    parser.add_argument("--backbones", default="resnet50v2,inception_resnet_v2")
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not args.video.is_file() or not args.pose.is_file():
        print(f"benchmark input missing: {args.video} / {args.pose}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    _bench.quiet_tensorflow()
    report = _bench.header(
        "embed",
        video=args.video.name,
        fps=args.fps,
        batch_size=args.batch_size,
        repeats=args.repeats,
    )
    report["results"] = [bench_backbone(b, args) for b in args.backbones.split(",")]
    met = all(r["meets_target"] for r in report["results"])
    ratios = ", ".join(f"{r['backbone']} {r['ratio']:.2f}" for r in report["results"])
    report["target"] = {
        "statement": f"end-to-end frames/s >= {TARGET} x pure model.predict frames/s",
        "value": TARGET,
        "met": met,
        "verdict": f"{'Met' if met else 'Not met'}: ratio {ratios}.",
    }
    _bench.write_result(report, started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
