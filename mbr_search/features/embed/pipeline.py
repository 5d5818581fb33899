"""Video -> crop -> CNN -> float16 cache, with decoding overlapped with inference.

A background thread decodes, crops, resizes and preprocesses frames into batches while the
main thread runs the backbone on the previous batch (TensorFlow releases the GIL during
inference, OpenCV and NumPy during decoding and resizing). Every input is validated before
the model is built, so bad input fails in seconds rather than after hours of embedding.
"""

from __future__ import annotations

import contextlib
import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

import numpy as np

from mbr_search.config.embed import EmbedSettings
from mbr_search.errors import DataError
from mbr_search.features.cache import CacheEntry, FeatureWriter, find_entry
from mbr_search.features.embed.backbones import Backbone, build_model, has_gpu
from mbr_search.features.embed.crop import crop_square, full_square, resize_to
from mbr_search.features.embed.plan import Job, Plan, describe, prepare
from mbr_search.features.embed.progress import Progress
from mbr_search.features.embed.video import read_frames
from mbr_search.features.embeddings import entry_inputs, entry_settings

if TYPE_CHECKING:
    import keras

    from mbr_search.config.dataset import Dataset

#: What the decoding thread hands the model: (first frame, network input batch), None at
#: the end of a video, or the exception that stopped it.
_Item: TypeAlias = tuple[int, np.ndarray] | BaseException | None

#: Batches prepared ahead of the model; enough to hide a slow keyframe, small in memory.
_PREFETCH = 3


def embed_dataset(
    dataset: Dataset,
    settings: EmbedSettings,
    *,
    cache_root: Path,
    force: bool = False,
    batch_size: int = 32,
    progress: bool = True,
    model: keras.Model | None = None,
) -> list[CacheEntry]:
    """Embed every video of ``dataset`` (skipping valid cache entries unless ``force``).

    Returns the cache entries in the dataset's video order. ``model`` is an already built
    backbone (:func:`load_backbone` of the same settings) to reuse across calls.
    """
    jobs = []
    for video in dataset.videos:
        if video.video is None:
            raise DataError(
                f"{dataset.path}: video '{video.id}' has no video file, so it cannot get CNN "
                "embeddings. Fix: add 'video: <file>' to its entry, or use pose features."
            )
        jobs.append(
            Job(
                video.id,
                video.video,
                video.pose,
                video.fps,
                dataset.length_tolerance,
                f"length_tolerance in {dataset.path}",
                video.pose_format,
            )
        )
    return _embed_jobs(jobs, settings, cache_root, force, batch_size, progress, model)


def embed_video(
    video: Path,
    pose: Path | None,
    settings: EmbedSettings,
    *,
    video_id: str,
    source_fps: float | None,
    cache_root: Path,
    force: bool = False,
    batch_size: int = 32,
    progress: bool = True,
    length_tolerance: int = 10,
    model: keras.Model | None = None,
) -> CacheEntry:
    """Embed one video (``source_fps`` None: the rate stored in the video file).

    ``length_tolerance`` is how many frames pose rows and video frames may differ by;
    ``model`` as in :func:`embed_dataset`.
    """
    job = Job(video_id, video, pose, source_fps, length_tolerance, "--length-tolerance")
    return _embed_jobs([job], settings, cache_root, force, batch_size, progress, model)[0]


def load_backbone(settings: EmbedSettings) -> keras.Model:
    """Build the settings' backbone for this machine: mixed precision and XLA on GPU only."""
    gpu = has_gpu()
    model = build_model(settings.spec, settings.weights_kind, settings.weights_file, mixed=gpu)
    if not gpu:
        # Keras turns XLA on by default; on CPU it was measured slower than plain TF here.
        model.jit_compile = False
    return model


def _embed_jobs(
    jobs: Sequence[Job],
    settings: EmbedSettings,
    cache_root: Path,
    force: bool,
    batch_size: int,
    progress: bool,
    model: keras.Model | None = None,
) -> list[CacheEntry]:
    if batch_size < 1:
        raise DataError(f"batch size {batch_size} must be >= 1. Fix: e.g. --batch-size 32.")
    folder = cache_root / settings.backbone
    _check_writable(folder)
    entries: dict[int, CacheEntry] = {}
    plans: list[tuple[int, Plan]] = []
    for i, job in enumerate(jobs):
        if job.source_fps is not None and not force:
            hit = find_entry(
                cache_root,
                backbone=settings.backbone,
                video_id=job.video_id,
                settings=entry_settings(settings, job.source_fps),
                inputs=entry_inputs(job.video, job.pose),
            )
            if hit is not None:
                entries[i] = hit
                continue
        plan = prepare(job, settings)
        hit = None if force else _find(cache_root, settings, plan)
        if hit is not None:
            entries[i] = hit
        else:
            plans.append((i, plan))
    if plans:
        if model is None:
            model = load_backbone(settings)
        total = sum(p.n_out for _, p in plans)
        with Progress(
            total, len(jobs), done_videos=len(entries), label=settings.backbone, enabled=progress
        ) as bar:
            for i, entry in _run(plans, model, settings, cache_root, batch_size, bar):
                entries[i] = entry
    return [entries[i] for i in range(len(jobs))]


def _find(cache_root: Path, settings: EmbedSettings, plan: Plan) -> CacheEntry | None:
    return find_entry(
        cache_root,
        backbone=settings.backbone,
        video_id=plan.job.video_id,
        settings=plan.settings,
        inputs=entry_inputs(plan.job.video, plan.job.pose),
    )


def _run(
    plans: Sequence[tuple[int, Plan]],
    model: keras.Model,
    settings: EmbedSettings,
    cache_root: Path,
    batch_size: int,
    bar: Progress,
) -> Iterator[tuple[int, CacheEntry]]:
    """Embed the plans in order, yielding each committed entry as soon as it is complete."""
    spec = settings.spec
    batches: queue.Queue[_Item] = queue.Queue(maxsize=_PREFETCH)
    stop = threading.Event()
    producer = threading.Thread(
        target=_produce,
        args=([p for _, p in plans], spec, batch_size, batches, stop),
        name="mbr-embed-decode",
        daemon=True,
    )
    producer.start()
    writer: FeatureWriter | None = None
    started = time.perf_counter()
    try:
        for i, plan in plans:
            writer = FeatureWriter(
                cache_root,
                backbone=settings.backbone,
                video_id=plan.job.video_id,
                settings=plan.settings,
                inputs=entry_inputs(plan.job.video, plan.job.pose),
                n_frames=plan.n_out,
                dim=spec.dim,
                # source_frames: what the search core aligns the labels with
                extra={"source_frames": plan.info.n_frames, "embedding": describe(plan, settings)},
            )
            started = time.perf_counter()
            while True:
                item = batches.get()
                if isinstance(item, BaseException):
                    raise item
                if item is None:  # end of this video
                    break
                start, batch = item
                features = np.asarray(model.predict_on_batch(batch), dtype=np.float32)
                writer.write(start, features)
                bar.advance(len(batch))
            elapsed = time.perf_counter() - started
            writer.extra["embedding"]["seconds"] = round(elapsed, 3)
            writer.extra["embedding"]["frames_per_second"] = round(plan.n_out / elapsed, 2)
            entry = writer.commit()
            writer = None
            bar.video_done()
            yield i, entry
    finally:
        if writer is not None:
            writer.abort()
        stop.set()
        while producer.is_alive():
            with contextlib.suppress(queue.Empty):  # unblock a producer on a full queue
                batches.get(timeout=0.05)
        producer.join()


def _produce(
    plans: Sequence[Plan],
    spec: Backbone,
    batch_size: int,
    out: queue.Queue[_Item],
    stop: threading.Event,
) -> None:
    """Background worker: decoded, cropped, preprocessed batches; None after each video."""
    try:
        preprocess = spec.preprocess()
        side = spec.input_size
        for plan in plans:
            buffer = np.empty((batch_size, side, side, 3), dtype=np.uint8)
            filled, start = 0, 0
            for j, frame in enumerate(read_frames(plan.job.video, plan.indices)):
                if stop.is_set():
                    return
                buffer[filled] = _input_image(frame, plan, j, side)
                filled += 1
                if filled == batch_size:
                    if not _put(out, (start, _to_network(buffer, filled, preprocess)), stop):
                        return
                    start, filled = start + filled, 0
            if filled and not _put(out, (start, _to_network(buffer, filled, preprocess)), stop):
                return
            if not _put(out, None, stop):
                return
    except BaseException as exc:  # handed to the main thread, which raises it
        _put(out, exc, stop)


def _input_image(frame: np.ndarray, plan: Plan, j: int, side: int) -> np.ndarray:
    if frame.ndim == 2:
        frame = np.repeat(frame[:, :, None], 3, axis=2)
    if plan.centres is None:
        square = full_square(frame)
    else:
        cx, cy = plan.centres[j]
        square = crop_square(frame, float(cx), float(cy), plan.crop_size)
    return resize_to(square, side)


def _to_network(
    buffer: np.ndarray, n: int, preprocess: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    # OpenCV decodes BGR; keras.applications expect RGB before their own preprocess_input.
    rgb = buffer[:n, :, :, ::-1].astype(np.float32)
    return np.asarray(preprocess(rgb), dtype=np.float32)


def _put(out: queue.Queue[_Item], item: _Item, stop: threading.Event) -> bool:
    while not stop.is_set():
        try:
            out.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise DataError(
            f"{folder}: cannot write the feature cache ({exc.strerror}). Fix: choose a "
            "writable folder with --cache-dir or MBR_SEARCH_CACHE."
        ) from exc
