"""A progress bar for embedding: videos done, frames per second and time left, and one line
up front: how many frames, and (once measured) about how long they will take here."""

from __future__ import annotations

import sys
import time
from types import TracebackType

from tqdm import tqdm

#: seconds of embedding before the rate is trusted for the up-front estimate
MEASURE_SECONDS = 5.0


class Progress:
    """Frames are the unit (rate and ETA); the videos-done count rides along as a postfix."""

    def __init__(
        self, frames: int, videos: int, *, done_videos: int = 0, label: str, enabled: bool = True
    ) -> None:
        self.videos = videos
        self.done = done_videos
        self.frames = frames
        self._embedded = 0
        self._started = time.perf_counter()
        self._estimated = False
        # Said whether or not the bar shows: on 2 CPU cores a dataset can take hours, and a
        # lab should know before it waits (README: expected times, a small first try).
        print(
            f"embed: {frames:,} frames of {videos - done_videos} video(s) to embed",
            file=sys.stderr,
            flush=True,
        )
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
        self._embedded += frames
        elapsed = time.perf_counter() - self._started
        if not self._estimated and elapsed >= MEASURE_SECONDS and self._embedded < self.frames:
            self._estimated = True
            print(estimate_line(self.frames, self._embedded, elapsed), file=sys.stderr, flush=True)

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


def estimate_line(total: int, done: int, elapsed: float) -> str:
    """``embed: measured 24.1 frames/s here: about 1 h 17 min for the 112,200 frames``."""
    rate = done / elapsed if elapsed > 0 else 0.0
    if rate <= 0:
        return "embed: no frame embedded yet; no estimate"
    left = (total - done) / rate
    minutes = round(left / 60)
    shown = (
        f"{minutes // 60} h {minutes % 60} min"
        if minutes >= 60
        else (f"{minutes} min" if left >= 60 else f"{left:.0f} s")
    )
    return (
        f"embed: measured {rate:.1f} frames/s here: about {shown} for the {total - done:,} "
        "frames left (finished videos stay cached if you stop)"
    )
