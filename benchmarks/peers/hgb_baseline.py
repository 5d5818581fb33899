"""The lab's gradient-boosting script as a peers arm, on the 10 fps frames of the other arms.

Run by ``benchmarks/peers/run.py`` as a child process (for its CPU seconds and peak RSS); it
reads ``WORK/prep/split.json`` and ``WORK/prep/truth.npz`` and writes
``WORK/hgb_baseline/probs.npz`` (``test/VIDEO`` and ``oof/VIDEO``, (frames, 3)), like
``simba_rf.py``, so that the one scorer scores it.

The recipe is ``benchmarks/lab_hgb.py`` (the lab script), called rather than copied
(``hgb_models``, ``hgb_probs``): the package's pose features per rat and per pair, centred
rolling mean/std/min/max over the recipe's 1/6, 0.5 and 1.5 s (1, 5 and 15 frames at 10 fps),
one ``HistGradientBoostingClassifier(max_iter=300, class_weight="balanced")`` per behaviour.
Two differences from quality.py, both so that it sees the other arms' frames: features are
computed at 10 fps (quality.py: 30 fps), and it trains on every 10 fps frame (quality.py:
every 2nd 30 fps frame). Out-of-fold probabilities come from the split's 3 folds.

Label guard (``label_guard.frame_guard``): before training, the frames and per-behaviour
positive counts of every video must equal the Caltech files' after the frame mapping, and
its feature rows the label rows.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _bench
import lab_hgb
import label_guard
import rat_dataset
from _common import BEHAVIOURS, CV, FPS, SEED, SOURCE_FPS

WINDOWS = lab_hgb.BASELINE_SECONDS


def study(work: Path) -> Any:
    from mbr_search.config.study import load_study

    path = _bench.write_yaml(
        work / "hgb_baseline" / "study.yaml",
        {
            "name": "peers_hgb_baseline",
            "dataset": str(work / "prep" / "rat" / "dataset.yaml"),
            "behaviours": list(BEHAVIOURS),
            "fps": FPS,
            "features": {
                "backbone": "pose",
                "windows": {"seconds": list(lab_hgb.BASELINE_SECONDS)},
            },
            "space": "lstm_pose",  # unused: the baseline trains no searched model
            "cv": dict(CV),
            "seed": SEED,
        },
    )
    return load_study(str(path), cache_dir=work / "hgb_baseline" / "cache")


class Video:
    """What ``lab_hgb.hgb_models`` reads of a video: features and labels, same frames."""

    def __init__(self, features: np.ndarray, labels: np.ndarray) -> None:
        self.features, self.labels = features, labels


def load_videos(work: Path, truth: dict[str, np.ndarray]) -> dict[str, Video]:
    from mbr_search.features.store import load_split

    cfg = study(work)
    out: dict[str, Video] = {}
    for video in [*load_split(cfg, "train"), *load_split(cfg, "test")]:
        if video.n_frames != len(truth[video.id]):
            raise RuntimeError(f"{video.id}: {video.n_frames} feature rows vs truth")
        out[video.id] = Video(np.asarray(video.features, np.float32), truth[video.id])
    return out


def predict(videos: dict[str, Video], fit_ids: list[str], eval_ids: list[str]) -> dict[str, Any]:
    models = lab_hgb.hgb_models([videos[v] for v in fit_ids], list(BEHAVIOURS))
    probs = lab_hgb.hgb_probs(models, [videos[v] for v in eval_ids], len(BEHAVIOURS))
    starts = np.cumsum([0] + [len(videos[v].labels) for v in eval_ids])
    return {v: probs[a:b] for v, a, b in zip(eval_ids, starts[:-1], starts[1:], strict=True)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    args = parser.parse_args()
    lab_hgb.STRIDE = 1  # every 10 fps frame (see the module's docstring)
    prep = json.loads((args.work / "prep" / "split.json").read_text())
    with np.load(args.work / "prep" / "truth.npz") as npz:
        truth = {k: npz[k] for k in npz.files}
    t0 = time.process_time()
    videos = load_videos(args.work, truth)
    guard = label_guard.frame_guard(
        "hgb_baseline",
        truth,
        {v: len(x.features) for v, x in videos.items()},
        rat_dataset.RAT_DIR,
        BEHAVIOURS,
        SOURCE_FPS // FPS,
    )
    n_features = next(iter(videos.values())).features.shape[1]
    print(f"features: {n_features} per frame, {time.process_time() - t0:.0f} cpu-s", flush=True)
    out: dict[str, np.ndarray] = {}
    train = prep["train"]
    for i, val in enumerate(prep["folds"]):
        fit_ids = [v for v in train if v not in val]
        out |= {f"oof/{v}": p for v, p in predict(videos, fit_ids, val).items()}
        print(f"fold {i} done, {time.process_time() - t0:.0f} cpu-s", flush=True)
    out |= {f"test/{v}": p for v, p in predict(videos, train, prep["test"]).items()}
    dest = args.work / "hgb_baseline"
    np.savez_compressed(dest / "probs.npz", **out)
    meta = {
        "n_features": int(n_features),
        "windows_seconds": list(lab_hgb.BASELINE_SECONDS),
        "label_guard": guard,
    }
    (dest / "meta.json").write_text(json.dumps(meta))
    print(f"done, {time.process_time() - t0:.0f} cpu-s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
