"""A thesis-shaped synthetic embedding data set: N videos x F frames x D-d "CNN" features.

The thesis (§3.1, Table A.1) had 17 open-field videos of 6,600 frames at 10 fps, 12 for
training and 5 for test, embedded by ResNet50V2 into 2,048-d vectors. We cannot render and
embed 112,200 frames on a 2-core machine for a benchmark, so the features are generated:

1. The animal's choreography is the demo-data script (``mbr_search.demo.script``): walks,
   and bouts of grooming / mid rearing / wall rearing with the thesis' mean bout lengths
   (107 / 24 / 21 frames) and ~10 % of frames each; the labels come from it.
2. What a crop of the animal shows is summarised per frame by a few observables of that
   script - body length (shorter when rearing or hunched), speed, distance to the nearest
   wall, heading jitter, heading - each corrupted by temporally correlated (AR(1)) noise, so
   a single frame is ambiguous and context helps.
3. A per-video nuisance process (lighting, fur, camera: 24 slow AR(1) channels plus a
   per-video offset) is mixed in, so generalising to a left-out video is needed.
4. A fixed random two-layer map (ReLU, like pooled CNN activations: non-negative, sparse)
   projects [observables, nuisance] to D dimensions, plus white noise; stored as float16.

The features are written into the real feature cache with ``FeatureWriter`` under backbone
``resnet50v2`` (weights ``none``), keyed on a placeholder "video" file per recording, so
``mbr-search run`` and ``load_split`` read them exactly as they read real embeddings.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from mbr_search.demo.script import BEHAVIOURS, Geometry, make_script

BACKBONE = "resnet50v2"
FPS = 10.0
N_NUISANCE = 24
HIDDEN = 96


def _ar1(rng: np.random.Generator, n: int, k: int, rho: float, sd: float) -> np.ndarray:
    """``k`` AR(1) channels of length ``n`` with stationary standard deviation ``sd``."""
    eps = rng.normal(0.0, sd * np.sqrt(1 - rho**2), size=(n, k))
    out = np.empty((n, k))
    out[0] = rng.normal(0.0, sd, size=k)
    for t in range(1, n):
        out[t] = rho * out[t - 1] + eps[t]
    return out


def observables(n_frames: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(frames, 6) noisy observables of one scripted animal and its (frames, 3) labels."""
    g = Geometry(160)
    s = make_script(n_frames, FPS, g, rng)
    lo, hi = g.inner(0.0)
    wall = np.minimum.reduce([s.x - lo, hi - s.x, s.y - lo, hi - s.y]) / (hi - lo)
    speed = np.hypot(np.diff(s.x, prepend=s.x[0]), np.diff(s.y, prepend=s.y[0])) / g.body
    jitter = np.abs(np.diff(s.heading, prepend=s.heading[0]))
    clean = np.stack(
        [
            (1.0 - s.length) / 0.45,  # 0 walking, ~0.44 grooming, up to 1 rearing
            speed / 0.1,
            wall / 0.5,
            jitter / 0.2,
            np.sin(s.heading),
            np.cos(s.heading),
        ],
        axis=1,
    )
    noise = _ar1(rng, n_frames, clean.shape[1], rho=0.8, sd=0.3)
    return clean + noise, s.labels()


def write_dataset(
    out: Path,
    cache_dir: Path,
    *,
    videos: int = 17,
    frames: int = 6600,
    dim: int = 2048,
    n_train: int = 12,
    seed: int = 0,
) -> Path:
    """Write ``out/dataset.yaml`` (+ labels and placeholder videos) and the features into
    ``cache_dir``; returns the manifest path."""
    from mbr_search.config.embed import EmbedSettings
    from mbr_search.features.cache import FeatureWriter
    from mbr_search.features.embeddings import entry_inputs, entry_settings

    out.mkdir(parents=True, exist_ok=True)
    (out / "labels").mkdir(exist_ok=True)
    (out / "video").mkdir(exist_ok=True)
    settings = EmbedSettings(BACKBONE, weights="none", fps=FPS)
    proj_rng = np.random.default_rng(10_000 + seed)  # the "CNN": same for every video
    n_obs = 6 + N_NUISANCE
    w1 = proj_rng.normal(0.0, 1.0 / np.sqrt(n_obs), size=(n_obs, HIDDEN))
    b1 = proj_rng.normal(0.0, 0.3, size=HIDDEN)
    w2 = proj_rng.normal(0.0, 1.0 / np.sqrt(HIDDEN), size=(HIDDEN, dim))
    b2 = proj_rng.normal(-0.2, 0.3, size=dim)
    entries = []
    for i in range(videos):
        vid = f"synth{i + 1:02d}"
        rng = np.random.default_rng([seed, i])
        obs, labels = observables(frames, rng)
        nuisance = _ar1(rng, frames, N_NUISANCE, rho=0.995, sd=0.6)
        nuisance += rng.normal(0.0, 0.8, size=N_NUISANCE)  # per-video offset
        hidden = np.maximum(np.concatenate([obs, nuisance], axis=1) @ w1 + b1, 0.0)
        video = out / "video" / f"{vid}.placeholder"
        video.write_text(f"synthetic features only (no video): {vid} seed {seed}\n")
        label_path = out / "labels" / f"{vid}.csv"
        header = "frame," + ",".join(BEHAVIOURS)
        rows = np.column_stack([np.arange(frames), labels])
        np.savetxt(label_path, rows, fmt="%d", delimiter=",", header=header, comments="")
        with FeatureWriter(
            cache_dir,
            backbone=BACKBONE,
            video_id=vid,
            settings=entry_settings(settings, FPS),
            inputs=entry_inputs(video, None),
            n_frames=frames,
            dim=dim,
            extra={"source_frames": frames, "synthetic": True},
        ) as writer:
            for start in range(0, frames, 1024):
                block = hidden[start : start + 1024] @ w2 + b2
                block = np.maximum(block, 0.0) + rng.normal(0.0, 0.05, size=block.shape)
                writer.write(start, block.astype(np.float32))
            writer.commit()
        entries.append(
            {
                "id": vid,
                "split": "train" if i < n_train else "test",
                "video": f"video/{vid}.placeholder",
                "labels": f"labels/{vid}.csv",
            }
        )
    manifest = {
        "name": "synthetic_thesis_scale",
        "description": f"SYNTHETIC features: {videos} videos x {frames} frames x {dim}-d at "
        f"{FPS:g} fps, {n_train} train / {videos - n_train} test (benchmarks/_synthetic.py)",
        "fps": FPS,
        "behaviours": list(BEHAVIOURS),
        "labels": {"format": "frame_csv"},
        "videos": entries,
    }
    path = out / "dataset.yaml"
    path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    return path


def study_yaml(
    dataset: Path, cache_dir: Path, space: str | Path, *, name: str, extra: str = ""
) -> str:
    """A study on the synthetic set (embeddings backbone, weights none, 10 fps)."""
    return f"""\
name: {name}
dataset: {dataset}
behaviours: [{", ".join(BEHAVIOURS)}]
fps: {FPS:g}
features:
  backbone: {BACKBONE}
  weights: none
space: {space}
cache_dir: {cache_dir}
{extra}"""
