"""The training videos as each trial sees them: with its window choice, memoised per choice.

A trial's ``windows`` hyperparameter names one of the study's window sets (or ``none``).
Each choice is computed once per process, from the cached base features (block by block,
cached on disk beside them, :func:`mbr_search.features.store.window_entry`), together with
its per-video moments for the folds' standardisers; every later trial with the same choice
reuses both. The augmenter of a choice is memoised too, so raw keypoints are read once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mbr_search.config.study import StudyConfig
from mbr_search.config.windows import WindowSettings
from mbr_search.features.augmented import Augmenter
from mbr_search.features.store import STUDY_WINDOWS, VideoData, WindowsArg, load_split
from mbr_search.features.windows import check_fits
from mbr_search.models import Params
from mbr_search.search.exclusive import check_exclusive_labels
from mbr_search.training.sequences import MomentCache, Standardiser


@dataclass(frozen=True)
class View:
    """The training videos with one window choice, their moments and their augmenter."""

    choice: str
    windows: WindowSettings | None
    #: video id -> video (for the base choice, the caller's own mapping)
    by_id: Mapping[str, VideoData]
    moments: MomentCache
    augmenter: Augmenter | None

    @property
    def videos(self) -> tuple[VideoData, ...]:
        return tuple(self.by_id.values())

    @property
    def dim(self) -> int:
        return int(self.videos[0].features.shape[1])

    def standardiser(self, video_ids: Sequence[str] | None = None) -> Standardiser:
        """Mean/std of ``video_ids`` (default: every training video)."""
        return self.moments.standardiser(video_ids or [v.id for v in self.videos])


class FeatureViews:
    """One :class:`View` per window choice of a study, built on first use."""

    def __init__(
        self,
        study: StudyConfig,
        base: Mapping[str, VideoData] | Sequence[VideoData],
        base_windows: WindowsArg = STUDY_WINDOWS,
    ) -> None:
        """``base``: the training videos as loaded, with ``base_windows`` (default: the
        study's fixed ``features.windows``, as :func:`load_split` loads them); a mapping
        by id is used as it is (the objective's own)."""
        self.study = study
        self._views: dict[str, View] = {}
        self._base = base if isinstance(base, Mapping) else {v.id: v for v in base}
        self._base_windows = study.windows if base_windows is STUDY_WINDOWS else base_windows
        check_window_sets(study, list(self._base.values()))
        check_exclusive_labels(study, list(self._base.values()))

    def get(self, choice: str) -> View:
        if choice not in self._views:
            self._views[choice] = self._build(choice)
        return self._views[choice]

    def for_params(self, params: Params) -> View:
        return self.get(params.windows)

    def _build(self, choice: str) -> View:
        windows = self.study.windows_for(choice)
        # The base as loaded when it has these windows (the search's "none"), else the
        # cached base features with this choice's windows.
        by_id = self._base if windows == self._base_windows else {
            v.id: v for v in load_split(self.study, "train", windows=windows)
        }  # fmt: skip
        augmenter = Augmenter(self.study, windows) if self.study.uses_pose_features else None
        return View(choice, windows, by_id, MomentCache(list(by_id.values())), augmenter)


def check_window_sets(study: StudyConfig, videos: Sequence[VideoData]) -> None:
    """Every window set fits every training video, checked before the first trial rather
    than when a trial picks it: a window longer than a video is one ConfigError."""
    fps = {v.id: study.fps or v.fps for v in study.dataset.videos}
    for _name, windows in study.window_sets:
        for video in videos:
            check_fits(windows, fps[video.id], video.n_frames, video.id)
