"""CPU thread budget for several TensorFlow worker processes on one machine.

Beside training because it sizes the thread pools that fitting runs on (``run --workers``
calls :func:`configure_threads` before TensorFlow starts); it has nothing to do with storage.
"""

from __future__ import annotations

import logging
import os

_log = logging.getLogger(__name__)


def cpu_count() -> int:
    """CPUs this process may run on (honours taskset/cgroup affinity, unlike os.cpu_count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def threads_per_worker(workers: int, cores: int | None = None) -> int | None:
    """Intra-op threads for each of ``workers`` local processes; None keeps TF's default.

    Measured here: TF's defaults are best for a single worker; with N workers sharing
    the cores, each should get cores // N so they do not oversubscribe the CPU.
    """
    if workers <= 1:
        return None
    return max(1, (cores if cores is not None else cpu_count()) // workers)


def configure_threads(workers: int) -> None:
    """Give TensorFlow ``cores // workers`` intra-op threads and one inter-op thread.

    Call it before TensorFlow runs its first op. With one worker nothing changes. The
    ``TF_NUM_*`` variables are set too (unless the user set them), so child processes and
    a TensorFlow imported later get the same budget.
    """
    intra = threads_per_worker(workers)
    if intra is None:
        return
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(intra))
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", str(intra))
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(
            int(os.environ["TF_NUM_INTRAOP_THREADS"])
        )
        tf.config.threading.set_inter_op_parallelism_threads(
            int(os.environ["TF_NUM_INTEROP_THREADS"])
        )
    except RuntimeError:
        # TensorFlow was already initialised by an earlier op: its thread pools are fixed.
        _log.warning(
            "TensorFlow already started; --workers %d cannot change its thread count", workers
        )
