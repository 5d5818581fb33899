from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mbr_search.config.dataset import load_dataset
from mbr_search.config.study import CVConfig
from mbr_search.search.folds import make_folds

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
    full = make_folds(videos, CVConfig("group_kfold", k=k), seed)
    assert len(full) == k
    assert sorted(v for f in full for v in f.validation) == sorted(videos)
    for f in full:
        assert f.validation and not set(f.train) & set(f.validation)
    assert make_folds(videos, CVConfig("group_kfold", k=k), seed) == full  # seeded
    limited = make_folds(videos, CVConfig("group_kfold", k=k, max_folds=max_folds), seed)
    assert limited == full[: max_folds or k]


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
        CVConfig("group_kfold", k=k, max_folds=max_folds),
    ):
        folds = make_folds(ids, cfg, seed)
        assert folds
        for f in folds:
            assert not (set(f.train) | set(f.validation)) & test_videos
            assert set(f.train) | set(f.validation) == set(train_videos)
        if max_folds is None:  # all folds: every training video is validated exactly once
            assert sorted(v for f in folds for v in f.validation) == sorted(train_videos)
