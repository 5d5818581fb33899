"""A progress bar for embedding: videos done, frames per second and time left."""

from __future__ import annotations

import sys
from types import TracebackType

from tqdm import tqdm


class Progress:
    """Frames are the unit (rate and ETA); the videos-done count rides along as a postfix."""

    def __init__(
        self, frames: int, videos: int, *, done_videos: int = 0, label: str, enabled: bool = True
    ) -> None:
        self.videos = videos
        self.done = done_videos
        self._bar = tqdm(
            total=frames,
            unit="frame",
            desc=f"embed {label}",
            disable=not enabled,
            file=sys.stderr,
            dynamic_ncols=True,
            smoothing=0.1,
        )
        self._show()

    def advance(self, frames: int) -> None:
        """Count ``frames`` more frames as embedded."""
        self._bar.update(frames)

    def video_done(self) -> None:
        """Count one more video as finished."""
        self.done += 1
        self._show()

    def _show(self) -> None:
        self._bar.set_postfix_str(f"videos {self.done}/{self.videos}", refresh=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._bar.close()
