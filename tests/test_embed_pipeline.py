"""The embedding pipeline with a real CNN (ResNet50V2, random weights) on small inputs."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mbr_search.cli.main import main
from mbr_search.config.dataset import load_dataset
from mbr_search.config.embed import CropSettings, EmbedSettings, embed_command
from mbr_search.data.pose import read_pose
from mbr_search.data.resample import frame_indices
from mbr_search.errors import DataError
from mbr_search.features.embed.backbones import BACKBONES, build_model
from mbr_search.features.embed.crop import crop_centres, crop_square, resize_to
from mbr_search.features.embed.pipeline import embed_dataset, embed_video, load_backbone
from mbr_search.features.embed.video import read_frames
from mbr_search.features.embeddings import find_embedding

pytestmark = pytest.mark.slow

SETTINGS = EmbedSettings("resnet50v2", "none", CropSettings(size=64, keypoints=("midbody",)), 5.0)


@pytest.fixture(scope="module")
def model() -> Any:
    """One ResNet50V2 for the module: building it is the slow part, not the frames."""
    return load_backbone(SETTINGS)


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """Two synthetic 96 px videos of 40 frames at 10 fps, made by the CLI; the manifest."""
    out = tmp_path / "demo"
    argv = ["demo-data", str(out), "--videos", "2", "--frames", "40", "--size", "96"]
    assert main(argv) == 0
    return out / "dataset.yaml"


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def test_cached_rows_are_the_backbone_on_the_pose_centred_crops(
    demo: Path, tmp_path: Path, model: Any
) -> None:
    dataset = load_dataset(demo)
    cache = tmp_path / "cache"
    entries = embed_dataset(dataset, SETTINGS, cache_root=cache, progress=False, model=model)
    assert len(entries) == 2
    for video, entry in zip(dataset.videos, entries, strict=True):
        rows = entry.load()
        assert rows.dtype == np.float16 and rows.shape == (20, 2048)  # 40 frames 10 -> 5 fps
        assert entry.manifest["source_frames"] == 40
        assert entry.manifest["embedding"]["crop_mode"] == "crop"
        assert np.isfinite(rows).all() and float(np.std(rows, axis=0).mean()) > 0
        found = find_embedding(cache, video, SETTINGS)
        assert found is not None and found.array_path == entry.array_path
    # recompute three frames by hand: decode, crop on the midbody, resize, preprocess, predict
    video = dataset.videos[0]
    assert video.video is not None and video.pose is not None
    idx = frame_indices(40, 10.0, 5.0)[[0, 7, 19]]
    centres = crop_centres(read_pose(video.pose), SETTINGS.crop, 40).xy
    assert centres is not None
    crops = [
        resize_to(crop_square(frame, float(centres[i, 0]), float(centres[i, 1]), 64), 224)
        for i, frame in zip(idx, read_frames(video.video, idx), strict=True)
    ]
    batch = np.stack(crops)[..., ::-1].astype(np.float32)
    expected = np.asarray(model.predict_on_batch(SETTINGS.spec.preprocess()(batch)))
    cached = entries[0].load()[[0, 7, 19]].astype(np.float32)
    scale = float(np.abs(expected).max())
    np.testing.assert_allclose(cached, expected, rtol=1e-2, atol=2e-3 * scale)


def test_rerun_skips_force_recomputes_and_damage_is_repaired(
    demo: Path, tmp_path: Path, model: Any
) -> None:
    dataset = load_dataset(demo)
    cache = tmp_path / "cache"
    first = embed_dataset(dataset, SETTINGS, cache_root=cache, progress=False, model=model)
    stamps = [_stamp(e.array_path) for e in first]
    # no model passed: a re-run must not need one, because nothing is recomputed
    again = embed_dataset(dataset, SETTINGS, cache_root=cache, progress=False)
    assert [_stamp(e.array_path) for e in again] == stamps
    assert [e.manifest["created"] for e in again] == [e.manifest["created"] for e in first]

    forced = embed_dataset(
        dataset, SETTINGS, cache_root=cache, force=True, progress=False, model=model
    )
    assert all(_stamp(f.array_path) != s for f, s in zip(forced, stamps, strict=True))
    stamps = [_stamp(e.array_path) for e in forced]

    # a truncated array and a missing manifest are both "absent": recomputed, the rest kept
    broken = forced[0].array_path
    broken.write_bytes(broken.read_bytes()[:1000])
    forced[1].manifest_path.unlink()
    assert find_embedding(cache, dataset.videos[0], SETTINGS) is None
    assert find_embedding(cache, dataset.videos[1], SETTINGS) is None
    repaired = embed_dataset(dataset, SETTINGS, cache_root=cache, progress=False, model=model)
    for entry in repaired:
        assert entry.load().shape == (20, 2048)
    assert all(find_embedding(cache, v, SETTINGS) is not None for v in dataset.videos)
    assert not list(cache.rglob(".partial-*"))

    # an edited pose file is a different input: never a stale hit
    pose = dataset.videos[0].pose
    assert pose is not None
    pose.write_text(pose.read_text().replace(",0.9", ",0.8", 1))
    assert find_embedding(cache, dataset.videos[0], SETTINGS) is None
    assert find_embedding(cache, dataset.videos[1], SETTINGS) is not None


def test_videos_without_pose_follow_the_missing_setting(
    demo: Path, tmp_path: Path, model: Any
) -> None:
    video = demo.parent / "synthetic_01.mp4"
    cache = tmp_path / "cache"
    for missing in ("full_frame", "centre"):
        settings = EmbedSettings("resnet50v2", "none", CropSettings(64, None, 0.5, missing), 2.0)
        entry = embed_video(
            video, None, settings, video_id="v", source_fps=None, cache_root=cache,
            progress=False, model=model,
        )  # fmt: skip
        info = entry.manifest["embedding"]
        assert info["crop_mode"] == missing and info["frames_without_pose"] == entry.n_frames == 8
        assert entry.manifest["settings"]["crop"]["missing"] == missing
    refuse = EmbedSettings("resnet50v2", "none", CropSettings(64, None, 0.5, "error"), 2.0)
    with pytest.raises(DataError, match="no pose file.*crop.missing is 'error'"):
        embed_video(video, None, refuse, video_id="v", source_fps=None, cache_root=cache,
                    progress=False, model=model)  # fmt: skip


def test_pose_within_the_length_tolerance_is_fitted(demo: Path, tmp_path: Path, model: Any) -> None:
    pose = demo.parent / "synthetic_01DLC_synthetic.csv"
    lines = pose.read_text().splitlines(keepends=True)
    pose.write_text("".join(lines[:-2]))  # 38 rows for 40 frames
    entry = embed_video(
        demo.parent / "synthetic_01.mp4", pose, SETTINGS, video_id="v", source_fps=10.0,
        cache_root=tmp_path / "cache", progress=False, model=model, length_tolerance=2,
    )  # fmt: skip
    assert entry.n_frames == 20 and entry.manifest["embedding"]["pose_rows"] == 38


def test_the_printed_embed_command_writes_what_the_search_reads(demo: Path, tmp_path: Path) -> None:
    """demo-data -> the exact command the search core prints -> find_embedding hits."""
    settings = EmbedSettings("resnet50v2", "none", CropSettings(64, ("midbody",)), 2.0)
    cache = tmp_path / "cache"
    argv = shlex.split(embed_command(demo, settings, cache))
    assert main([*argv[1:], "--no-progress"]) == 0
    for video in load_dataset(demo).videos:
        entry = find_embedding(cache, video, settings)
        assert entry is not None and entry.n_frames == len(frame_indices(40, 10.0, 2.0))
        assert json.loads(entry.manifest_path.read_text())["dim"] == 2048


def test_real_open_field_video_end_to_end(shared_data: Path, tmp_path: Path) -> None:
    """The real 640x480, 30 fps DeepLabCut example video through the CLI, at 1 fps."""
    folder = shared_data / "openfield_video"
    video = folder / "m3v1mp4.mp4"
    pose = folder / "m3v1mp4_DLC_resnet50_openfieldOct30shuffle1_6000_from_ethome.csv"
    cache = tmp_path / "cache"
    argv = [sys.executable, "-m", "mbr_search", "embed", "--video", str(video), "--pose",
            str(pose), "--backbone", "resnet50v2", "--weights", "none", "--fps", "1",
            "--crop-size", "160", "--out", str(cache), "--no-progress"]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not [ln for ln in done.stderr.splitlines() if ln.startswith("[")]  # no FFmpeg noise
    array = Path(done.stdout.split()[0])
    manifest = json.loads(array.with_suffix(".json").read_text())
    assert manifest["source_frames"] == 2330
    assert manifest["n_frames"] == len(frame_indices(2330, 30.0, 1.0)) == 78
    assert manifest["embedding"]["crop_mode"] == "crop"
    assert manifest["embedding"]["keypoints"] == ["snout", "leftear", "rightear", "tailbase"]
    assert set(manifest["inputs"]) == {str(video), str(pose)}
    rows = np.load(array, mmap_mode="r", allow_pickle=False)
    assert rows.shape == (78, 2048) and np.isfinite(rows).all()
    # the crop follows the mouse: consecutive embeddings differ
    assert float(np.abs(np.diff(rows.astype(np.float32), axis=0)).mean()) > 0


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_every_registry_entry_builds_with_its_input_and_dim(name: str) -> None:
    spec = BACKBONES[name]
    built = build_model(spec, "none")
    assert built.input_shape == (None, spec.input_size, spec.input_size, 3)
    assert built.output_shape == (None, spec.dim)
    image = np.full((1, spec.input_size, spec.input_size, 3), 128.0, dtype=np.float32)
    out = np.asarray(built.predict_on_batch(spec.preprocess()(image)))
    assert out.shape == (1, spec.dim) and np.isfinite(out).all()


def test_a_local_weights_file_of_the_right_backbone_is_loaded(tmp_path: Path) -> None:
    """Both Keras weight formats load, and give exactly the saved model's features."""
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    spec = BACKBONES["mobilenet_v3_small"]
    source = build_model(spec, "none")
    native = tmp_path / "mine.weights.h5"
    source.save_weights(native)
    legacy = tmp_path / "mine_notop.h5"
    with h5py.File(legacy, "w") as handle:
        legacy_h5_format.save_weights_to_hdf5_group(handle, source)
    image = np.random.default_rng(0).uniform(0, 255, (2, 224, 224, 3)).astype(np.float32)
    expected = np.asarray(source.predict_on_batch(image))
    for file in (native, legacy):
        settings = EmbedSettings("mobilenet_v3_small", str(file))
        loaded = build_model(spec, settings.weights_kind, settings.weights_file)
        np.testing.assert_allclose(np.asarray(loaded.predict_on_batch(image)), expected, atol=1e-5)
