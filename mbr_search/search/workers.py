"""Process supervision for ``mbr-search run``: ``--workers N`` on one machine, and recycling.

Worker 0 (the process the user started) creates the study once, spawns workers 1..N-1 with
its own arguments, runs its share, waits for them and prints the summary. Every worker
continues in a fresh process (``os.execv``, same PID) after ``recycle_after`` trials:
Keras + TensorFlow grow ~12 MiB per trial in one process and only a new process gives it
back. The study resumes from its storage, so nothing is lost across either.

Passwords never travel in arguments: a storage password reaches the children through
``$MBR_SEARCH_DB_PASSWORD`` (inherited), never their command line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace

from mbr_search.config.study import StudyConfig
from mbr_search.search.runner import RunOptions, RunSummary, run_study
from mbr_search.storage import StorageSpec

#: Arguments the parent adds for its children (hidden flags of ``mbr-search run``).
WORKER_FLAG = "--worker-index"
NO_SPAWN_FLAG = "--no-spawn"


def run_workers(
    study: StudyConfig,
    spec: StorageSpec,
    options: RunOptions,
    *,
    workers: int,
    argv: Sequence[str],
    spawn: bool = True,
) -> RunSummary:
    """Run this process's share of ``study`` (spawning the other workers when asked) and
    return the summary once every local worker has finished."""
    children: list[subprocess.Popen[bytes]] = []
    try:
        if workers > 1 and options.worker_index == 0 and spawn:
            _create_once(study, spec)
            children = [spawn_worker(argv, i) for i in range(1, workers)]
        summary = run_study(study, spec, options)
        if summary.recycle:
            replace_process(argv, with_children=bool(children))
        for child in children:
            child.wait()
        if children:  # the others' trials are in the storage now: summarise all of them
            summary = run_study(study, spec, replace(options, progress=False))
        return summary
    except BaseException:
        for child in children:
            child.terminate()
        raise


def _create_once(study: StudyConfig, spec: StorageSpec) -> None:
    # Create the schema and the study once, before the workers race to do it.
    from mbr_search.storage import load_or_create_study, open_storage

    load_or_create_study(
        open_storage(spec, heartbeat_interval=None),
        study_name=study.study_name,
        sampler=None,
        pruner=None,
    )


def spawn_worker(argv: Sequence[str], index: int) -> subprocess.Popen[bytes]:
    """Start worker ``index`` with this process's own arguments (its output is discarded:
    progress and the summary come from worker 0, failures are in the study)."""
    own = [a for a in argv if a != "--no-progress"]
    cmd = [sys.executable, "-m", "mbr_search", *own, WORKER_FLAG, str(index), "--no-progress"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def replace_process(argv: Sequence[str], *, with_children: bool) -> None:
    """Continue the same command in a fresh process (same PID, memory back to baseline).

    Worker 0 keeps its children (they recycle themselves) and does not spawn new ones.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    again = list(argv)
    if with_children and WORKER_FLAG not in again:
        again += [WORKER_FLAG, "0", NO_SPAWN_FLAG]
    os.execv(sys.executable, [sys.executable, "-m", "mbr_search", *again])
