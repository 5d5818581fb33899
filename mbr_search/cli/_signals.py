"""SIGTERM handled like Ctrl-C.

A batch scheduler, ``kill``, ``docker stop`` or the ``--workers`` parent stop a process with
SIGTERM. Python's default is to die at once: the running trial stayed RUNNING in the study,
and the next ``run`` waited for its heartbeat grace period (about 2 minutes) before taking
over. Raised as a KeyboardInterrupt instead, it takes Ctrl-C's path: Optuna marks the
running trial failed, finished trials are kept, and the process exits with 143.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

EXIT_TERMINATED = 128 + signal.SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: stop like Ctrl-C, exit with 143."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    del signum, frame
    raise Terminated()


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`Terminated` in the main thread; the previous
    handler is restored after (the CLI also runs in-process, e.g. under tests)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
