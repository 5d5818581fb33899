"""Benchmark: end-to-end embedding speed versus pure ``model.predict`` in the same run.

End to end is ``embed_video`` (decode, resample, crop, resize, preprocess on the background
thread, batched inference, float16 cache write and commit). Pure inference is
``model.predict`` on the very same frames, already cropped and preprocessed in memory, with
the same model object. The two are timed alternately, after a warm-up, and the medians
compared. Weights are random (``weights=none``): the speed does not depend on their values.

    .venv/bin/python benchmarks/embed.py            # real video, ResNet50V2 + InceptionResNetV2

Writes benchmarks/results/embed.json and the embed section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mbr_search.config.embed import CropSettings, EmbedSettings  # noqa: E402
from mbr_search.data.pose import read_pose  # noqa: E402
from mbr_search.data.resample import frame_indices  # noqa: E402
from mbr_search.features.embed.crop import crop_centres, crop_square, resize_to  # noqa: E402
from mbr_search.features.embed.pipeline import embed_video, load_backbone  # noqa: E402
from mbr_search.features.embed.video import probe_video, read_frames  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "openfield_video"
VIDEO = DATA / "m3v1mp4.mp4"
POSE = DATA / "m3v1mp4_DLC_resnet50_openfieldOct30shuffle1_6000_from_ethome.csv"
RESULTS = ROOT / "benchmarks" / "results" / "embed.json"
DOC = ROOT / "docs" / "benchmarks.md"
START, END = "<!-- embed:start -->", "<!-- embed:end -->"
TARGET = 0.85
HEADER = (
    "| backbone | px | frames | `model.predict` f/s | batch loop f/s | end to end f/s | ratio "
    f"| ratio vs loop | >= {TARGET} |"
)


def preprocessed_frames(settings: EmbedSettings, video: Path, pose: Path) -> np.ndarray:
    """All frames the pipeline would feed the model, cropped and preprocessed, in memory."""
    info = probe_video(video)
    track = crop_centres(read_pose(pose), settings.crop, info.n_frames)
    assert track.xy is not None
    indices = frame_indices(info.n_frames, info.fps or 30.0, settings.fps)
    side = settings.spec.input_size
    out = np.empty((len(indices), side, side, 3), dtype=np.uint8)
    for j, frame in enumerate(read_frames(video, indices)):
        cx, cy = track.xy[indices[j]]
        out[j] = resize_to(crop_square(frame, cx, cy, settings.crop.size), side)
    rgb = out[..., ::-1].astype(np.float32)
    return np.asarray(settings.spec.preprocess()(rgb), dtype=np.float32)


def bench_backbone(
    name: str, video: Path, pose: Path, fps: float, batch_size: int, repeats: int
) -> dict[str, Any]:
    settings = EmbedSettings(name, weights="none", crop=CropSettings(size=200), fps=fps)
    model = load_backbone(settings)
    frames = preprocessed_frames(settings, video, pose)
    n = len(frames)
    # warm-up: trace the full and the last partial batch shape for both paths
    model.predict(frames[: batch_size + n % batch_size], batch_size=batch_size, verbose=0)
    model.predict_on_batch(frames[:batch_size])
    model.predict_on_batch(frames[: n % batch_size or batch_size])
    pure: list[float] = []
    loop: list[float] = []
    piped: list[float] = []
    with tempfile.TemporaryDirectory() as cache:

        def pipeline() -> float:
            started = time.perf_counter()
            entry = embed_video(
                video, pose, settings, video_id="bench", source_fps=None,
                cache_root=Path(cache), force=True, batch_size=batch_size, progress=False,
                model=model,
            )  # fmt: skip
            seconds = time.perf_counter() - started
            assert entry.n_frames == n
            return n / seconds

        pipeline()  # warm-up of the decode thread and writer
        for _ in range(repeats):
            started = time.perf_counter()
            model.predict(frames, batch_size=batch_size, verbose=0)
            pure.append(n / (time.perf_counter() - started))
            piped.append(pipeline())
            started = time.perf_counter()
            for i in range(0, n, batch_size):
                model.predict_on_batch(frames[i : i + batch_size])
            loop.append(n / (time.perf_counter() - started))
    ratio = statistics.median(piped) / statistics.median(pure)
    ratio_loop = statistics.median(piped) / statistics.median(loop)
    print(f"{name}: pure predict {statistics.median(pure):.1f} f/s, batch loop "
          f"{statistics.median(loop):.1f} f/s, end-to-end {statistics.median(piped):.1f} f/s, "
          f"ratio {ratio:.3f} (vs loop {ratio_loop:.3f})", flush=True)  # fmt: skip
    return {
        "backbone": name,
        "input_size": settings.spec.input_size,
        "frames": n,
        "pure_predict_fps": round(statistics.median(pure), 2),
        "end_to_end_fps": round(statistics.median(piped), 2),
        "ratio": round(ratio, 3),
        "meets_target": ratio >= TARGET,
        "batch_loop_fps": round(statistics.median(loop), 2),
        "ratio_vs_batch_loop": round(ratio_loop, 3),
        "pure_predict_fps_runs": [round(v, 2) for v in pure],
        "batch_loop_fps_runs": [round(v, 2) for v in loop],
        "end_to_end_fps_runs": [round(v, 2) for v in piped],
    }


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import keras
    import tensorflow as tf

    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "gpu": bool(tf.config.list_physical_devices("GPU")),
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }


def write_doc(report: dict[str, Any]) -> None:
    m = report["machine"]
    rows = "\n".join(
        f"| {r['backbone']} | {r['input_size']} | {r['frames']} | {r['pure_predict_fps']:.1f} | "
        f"{r['batch_loop_fps']:.1f} | {r['end_to_end_fps']:.1f} | {r['ratio']:.2f} | "
        f"{r['ratio_vs_batch_loop']:.2f} | {'yes' if r['meets_target'] else 'NO'} |"
        for r in report["results"]
    )
    load = report["load_average"]
    section = f"""{START}
## Embedding speed (`mbr-search embed`)

End-to-end frames/s of the embedding pipeline (decode the real 640x480, 30 fps open-field
video, resample to {report["fps"]:g} fps, crop 200 px on the pose centroid, resize, preprocess on
the background thread, batched inference, float16 cache write) versus pure `model.predict` on
the same frames already cropped and preprocessed in memory, same model object, same run,
timed alternately; medians of {report["repeats"]} runs after a warm-up. Weights `none` (random):
speed does not depend on their values. Target: ratio >= {TARGET}.

{HEADER}
|---|---|---|---|---|---|---|---|---|
{rows}

"batch loop" is a second pure-inference reference: `model.predict_on_batch` over the in-memory
frames, the call the pipeline itself makes; "ratio" is end to end / `model.predict`.

Machine: {m["nproc"]} CPU cores ({m["cpu"]}), GPU: {"yes" if m["gpu"] else "none"}, TensorFlow
{m["tensorflow"]}, Keras {m["keras"]}, Python {m["python"]}; {report["date"]}. Load average
before / after: {load[0]:.1f} / {load[1]:.1f} (the machine is shared, so absolute numbers vary
between runs; the ratio is measured within one run).
Command: `{report["command"]}` (raw numbers: `benchmarks/results/embed.json`).
{END}"""
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + section + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=VIDEO)
    parser.add_argument("--pose", type=Path, default=POSE)
    parser.add_argument("--backbones", default="resnet50v2,inception_resnet_v2")
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    if not args.video.is_file() or not args.pose.is_file():
        print(f"benchmark input missing: {args.video} / {args.pose}", file=sys.stderr)
        return 2
    load_before = os.getloadavg()[0]
    results = [
        bench_backbone(b, args.video, args.pose, args.fps, args.batch_size, args.repeats)
        for b in args.backbones.split(",")
    ]
    report = {
        "benchmark": "embed",
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": shlex.join([".venv/bin/python", "benchmarks/embed.py", *sys.argv[1:]]),
        "video": str(args.video.name),
        "fps": args.fps,
        "batch_size": args.batch_size,
        "repeats": args.repeats,
        "target_ratio": TARGET,
        "machine": machine(),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "results": results,
    }
    if not args.no_write:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        write_doc(report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
