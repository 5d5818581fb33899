from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

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
    if k > len(videos):
        return
    full = make_folds(videos, CVConfig("group_kfold", k=k), seed)
    assert len(full) == k
    assert sorted(v for f in full for v in f.validation) == sorted(videos)
    for f in full:
        assert f.validation and not set(f.train) & set(f.validation)
    assert make_folds(videos, CVConfig("group_kfold", k=k), seed) == full  # seeded
    limited = make_folds(videos, CVConfig("group_kfold", k=k, max_folds=max_folds), seed)
    assert limited == full[: max_folds or k]


@given(ids, st.integers(0, 50))
@settings(max_examples=50, deadline=None)
def test_test_videos_are_never_in_any_fold(videos: list[str], seed: int) -> None:
    test_videos = {f"test_{v}" for v in videos[:2]}
    train_videos = videos  # the runner only ever passes the train split
    for scheme in ("leave_one_video_out", "group_kfold"):
        cfg = CVConfig(scheme, k=2)
        for f in make_folds(train_videos, cfg, seed):
            assert not (set(f.train) | set(f.validation)) & test_videos
