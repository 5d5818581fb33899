from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mbr_search.config.cv import CVConfig
from mbr_search.config.dataset import load_dataset
from mbr_search.search.folds import imbalance, make_folds, video_counts

ids = st.lists(
    st.text("abcdefgh0123456789", min_size=1, max_size=6), min_size=2, max_size=14, unique=True
)


@given(ids, st.integers(0, 1000))
@settings(max_examples=200, deadline=None)
def test_leave_one_video_out_never_trains_on_the_validation_video(
    videos: list[str], seed: int
) -> None:
    folds = make_folds(videos, CVConfig("leave_one_video_out"), seed)
    assert len(folds) == len(videos)
    assert sorted(v for f in folds for v in f.validation) == sorted(videos)
    for f in folds:
        assert len(f.validation) == 1
        assert not set(f.train) & set(f.validation)
        assert set(f.train) | set(f.validation) == set(videos)


@given(ids, st.integers(2, 6), st.integers(0, 1000), st.sampled_from([None, 1, 2]))
@settings(max_examples=200, deadline=None)
def test_group_kfold_partitions_videos(
    videos: list[str], k: int, seed: int, max_folds: int | None
) -> None:
    assume(k <= len(videos))
    plain = CVConfig("group_kfold", k=k, stratify=False)
    full = make_folds(videos, plain, seed)
    assert len(full) == k
    assert sorted(v for f in full for v in f.validation) == sorted(videos)
    for f in full:
        assert f.validation and not set(f.train) & set(f.validation)
    assert make_folds(videos, plain, seed) == full  # seeded
    limited = make_folds(videos, replace(plain, max_folds=max_folds), seed)
    assert limited == full[: max_folds or k]


def _labels_for(videos: list[str], seed: int) -> dict[str, np.ndarray]:
    """Per-video labels of 3 behaviours; the rare one lives in a few videos only."""
    rng = np.random.default_rng(seed)
    out = {}
    for v in videos:
        frames = int(rng.integers(50, 400))
        prevalence = [0.3 * rng.random(), 0.1 * rng.random(), 0.2 * (rng.random() < 0.25)]
        out[v] = (rng.random((frames, 3)) < prevalence).astype(np.uint8)
    return out


@given(ids, st.integers(2, 6), st.integers(0, 1000))
@settings(max_examples=60, deadline=None)
def test_stratified_folds_keep_videos_whole_and_balance_better_than_a_permutation(
    videos: list[str], k: int, seed: int
) -> None:
    assume(k <= len(videos))
    labels = _labels_for(videos, seed)
    folds = make_folds(videos, CVConfig("group_kfold", k=k), seed, labels=labels)
    assert len(folds) == k
    assert sorted(v for f in folds for v in f.validation) == sorted(videos)  # whole videos
    for f in folds:
        assert not set(f.train) & set(f.validation)
        assert set(f.train) | set(f.validation) == set(videos)
    sizes = sorted(len(f.validation) for f in folds)
    assert sizes[-1] - sizes[0] <= 1
    assert make_folds(videos, CVConfig("group_kfold", k=k), seed, labels=labels) == folds
    counts = video_counts([labels[v] for v in videos])
    index = {v: i for i, v in enumerate(videos)}
    plain = make_folds(videos, CVConfig("group_kfold", k=k, stratify=False), seed)
    as_rows = [[index[v] for v in f.validation] for f in folds]
    assert (
        imbalance(counts, as_rows)
        <= imbalance(counts, [[index[v] for v in f.validation] for f in plain]) + 1e-12
    )


def test_a_behaviour_in_k_videos_lands_once_in_every_fold() -> None:
    """Aggression in 4 of 20 videos, 4 folds: each fold validates on exactly one of them,
    where random permutations often put two in one fold and none in another."""
    rng = np.random.default_rng(0)
    videos = [f"rat{i:02d}" for i in range(20)]
    rare = {"rat03", "rat07", "rat08", "rat15"}
    labels = {
        v: np.stack(
            [rng.random(300) < 0.4, rng.random(300) < (0.2 if v in rare else 0.0)], axis=1
        ).astype(np.uint8)
        for v in videos
    }
    for seed in range(5):
        folds = make_folds(videos, CVConfig("group_kfold", k=4), seed, labels=labels)
        assert sorted(len(rare & set(f.validation)) for f in folds) == [1, 1, 1, 1]
    spread = [
        sorted(len(rare & set(f.validation)) for f in make_folds(
            videos, CVConfig("group_kfold", k=4, stratify=False), seed
        ))
        for seed in range(20)
    ]  # fmt: skip
    assert any(s != [1, 1, 1, 1] for s in spread)


def test_stratified_folds_need_labels() -> None:
    from mbr_search.errors import ConfigError

    with pytest.raises(ConfigError, match="cv.stratify: false"):
        make_folds(["a", "b", "c"], CVConfig("group_kfold", k=2), 0)


def _manifest(folder: Path, videos: list[tuple[str, str]]) -> Path:
    """A dataset manifest listing ``(id, split)`` videos in that order, one pose file each."""
    entries = []
    for i, (vid, split) in enumerate(videos):
        (folder / f"{i}.csv").write_text("")
        entries.append({"id": vid, "split": split, "pose": f"{i}.csv"})
    path = folder / "dataset.yaml"
    path.write_text(yaml.safe_dump({"name": "gen", "fps": 10, "videos": entries}))
    return path


@given(
    st.lists(
        st.tuples(st.text("abcdefgh0123456789", min_size=1, max_size=6), st.booleans()),
        min_size=3, max_size=14, unique_by=lambda v: v[0],
    ),
    st.integers(2, 4),
    st.integers(0, 50),
    st.sampled_from([None, 1, 2]),
)  # fmt: skip
@settings(max_examples=100, deadline=None)
def test_test_videos_are_never_in_any_fold(
    videos: list[tuple[str, bool]], k: int, seed: int, max_folds: int | None
) -> None:
    """A generated manifest mixing train and test videos in any order: the folds are made
    from its train split the way the runner makes them, and no test video is in any fold."""
    split = [(vid, "test" if is_test else "train") for vid, is_test in videos]
    test_videos = {vid for vid, s in split if s == "test"}
    train_videos = [vid for vid, s in split if s == "train"]
    assume(test_videos and len(train_videos) >= k)
    with tempfile.TemporaryDirectory() as tmp:
        dataset = load_dataset(_manifest(Path(tmp), split))
    assert {v.id for v in dataset.videos} == test_videos | set(train_videos)
    ids = [v.id for v in dataset.split("train")]  # as run_study: load_split(study, "train")
    assert ids == train_videos
    for cfg in (
        CVConfig("leave_one_video_out", max_folds=max_folds),
        CVConfig("group_kfold", k=k, max_folds=max_folds, stratify=False),
    ):
        folds = make_folds(ids, cfg, seed)
        assert folds
        for f in folds:
            assert not (set(f.train) | set(f.validation)) & test_videos
            assert set(f.train) | set(f.validation) == set(train_videos)
        if max_folds is None:  # all folds: every training video is validated exactly once
            assert sorted(v for f in folds for v in f.validation) == sorted(train_videos)
