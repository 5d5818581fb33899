"""What every benchmark shares: its results file, the machine it ran on, RSS of a process.

A benchmark writes one ``benchmarks/results/NAME.json``: :func:`header` (command, date,
commit, machine, load) plus its own numbers, via :func:`write_result`. Everything else a
benchmark does is a call into the package (``mbr_search``) or its CLI.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
#: where results go; MBR_BENCH_RESULTS=DIR keeps smoke-test runs away from the real ones
RESULTS = Path(os.environ.get("MBR_BENCH_RESULTS") or ROOT / "benchmarks" / "results")
PYTHON = ".venv/bin/python"
#: the bundled real rat data (8 videos x 4,500 frames), for the fast benchmarks
RAT_MINI = ROOT / "datasets" / "rat_social_mini" / "dataset.yaml"
MIB = 2**20
PACKAGES = (
    "mbr-search",
    "tensorflow",
    "keras",
    "keras-tcn",
    "optuna",
    "scikit-learn",
    "numpy",
    "pandas",
    "SQLAlchemy",
    "psycopg2-binary",
)


def _first(path: str, prefix: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(prefix):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def machine() -> dict[str, Any]:
    """Cores, CPU model, RAM, OS and package versions of this machine."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions[name] = metadata.version(name)
    mem = _first("/proc/meminfo", "MemTotal")
    return {
        "nproc": os.cpu_count(),
        "cpu": _first("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "ram_gb": round(int(mem.split()[0]) / 1024**2, 1) if mem else None,
        "gpu": Path("/proc/driver/nvidia").exists(),
        "os": platform.platform(),
        "versions": versions,
    }


def git(*args: str, timeout: float = 10) -> str | None:
    """``git ARGS`` in the repository: its stripped output, or None when git fails (not
    installed, not a repository, an unknown commit, too slow)."""
    try:
        out = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def git_code() -> dict[str, Any]:
    """The commit the run started from, and whether mbr_search/ had uncommitted changes."""
    return {
        "commit": git("rev-parse", "--short", "HEAD") or None,
        "core_uncommitted_changes": bool(git("status", "--porcelain", "--", "mbr_search")),
        "measured_by": "this script",
    }


def snapshot(dest: Path, commit: str = "HEAD") -> dict[str, Any]:
    """Extract the committed ``mbr_search/`` (``git archive COMMIT``) into ``dest``: a child
    started with ``cwd=dest`` runs that code, not a working tree others are editing (its
    ``os.execv`` re-starts keep the cwd, so every process image runs the same code)."""
    import io
    import tarfile

    def git(*args: str) -> bytes:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, check=True).stdout

    commit = git("rev-parse", "--short", commit).decode().strip()
    tar = git("archive", "--format=tar", commit, "mbr_search")
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(dest, filter="data")
    return {
        "commit": commit,
        "core_uncommitted_changes": False,
        "measured_by": "this script, on a git-archive snapshot of mbr_search/ at the commit",
    }


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def header(name: str, **config: Any) -> dict[str, Any]:
    """The fields every results file starts with; ``config`` is the benchmark's settings."""
    script = Path(sys.argv[0]).name
    return {
        "benchmark": name,
        "schema": 2,
        "date": now(),
        "command": shlex.join([PYTHON, f"benchmarks/{script}", *sys.argv[1:]]),
        "code": git_code(),
        "machine": machine(),
        "load_average": [round(os.getloadavg()[0], 2)],
        "config": config,
    }


def write_result(report: dict[str, Any], started: float) -> Path:
    """Finish ``report`` (wall time, load at the end) and write it atomically."""
    from mbr_search.features.cache import write_text_atomic

    report["load_average"].append(round(os.getloadavg()[0], 2))
    report["wall_seconds"] = round(time.perf_counter() - started, 1)
    path = RESULTS / f"{report['benchmark']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(report, indent=1, default=_jsonable) + "\n")
    print(f"wrote {path}", flush=True)
    return path


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def cli(*args: str | Path, home: Path, timeout: float = 7200) -> str:
    """Run ``mbr-search ARGS`` in a child process with its own MBR_SEARCH_HOME; its stdout."""
    env = {**os.environ, "MBR_SEARCH_HOME": str(home), "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [sys.executable, "-m", "mbr_search", *map(str, args)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def demo_embedded(out: Path, cache: Path, *, videos: int, frames: int, home: Path) -> Path:
    """The package's synthetic open field (``mbr-search demo-data``), embedded by the real
    pipeline (``mbr-search embed``, ResNet50V2, random weights: 2,048-d float16 in ``cache``)."""
    cli("demo-data", out, "--videos", videos, "--frames", frames, "--fps", 10, home=home)
    manifest = out / "dataset.yaml"
    cli(
        "embed",
        manifest,
        "--backbone",
        "resnet50v2",
        "--weights",
        "none",
        "--fps",
        10,
        "--cache-dir",
        cache,
        "--no-progress",
        home=home,
    )
    return manifest


def write_yaml(path: Path, data: Mapping[str, Any]) -> Path:
    import yaml

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(dict(data), sort_keys=False), encoding="utf-8")
    return path


def proc_sample(pid: int) -> tuple[int, int] | None:
    """(VmRSS in bytes, process-image id) of ``pid``. The id is the randomised start of the
    heap and of argv (/proc/PID/stat fields 47-48): ``os.execv`` keeps the PID but maps a
    new image, so the id changes (VmHWM is no marker: the kernel updates it lazily)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    rss = next((line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")), 0)
    image = hash((stat[44], stat[45])) if len(stat) > 45 else 0
    return int(rss) * 1024, image


class RssSampler:
    """Sample ``pid`` every ``interval`` s on a thread: ``(unix time, VmRSS, image id)``."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        self.pid, self.interval = pid, interval
        self.samples: list[tuple[float, int, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            s = proc_sample(self.pid)
            if s is not None and s[0] >= 16 * 2**20:  # not mid-exec
                self.samples.append((time.time(), *s))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_measured(
    cmd: Sequence[str], env: Mapping[str, str], interval: float = 0.5, cwd: Path | None = None
) -> dict:
    """Run ``cmd``; its peak RSS over all its images (``ru_maxrss`` from ``wait4``: that
    process only), the sampled RSS and its output."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, env=dict(env), cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    with RssSampler(proc.pid, interval) as sampler:
        assert proc.stdout is not None
        output = proc.stdout.read().decode(errors="replace")
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{shlex.join(cmd)} failed ({proc.returncode}):\n{output[-3000:]}")
    return {
        "peak_rss_bytes": usage.ru_maxrss * 1024,  # Linux: kilobytes
        "seconds": round(time.perf_counter() - started, 1),
        "samples": sampler.samples,
        "output": output,
    }


class EpochCount:
    """An ``on_epoch(epoch, score)`` callback (``Objective``, ``fit_fold``): every epoch."""

    def __init__(self) -> None:
        self.epochs = 0

    def __call__(self, epoch: int, score: float | None) -> None:
        self.epochs += 1


def trim(videos: Sequence[Any], frames: int | None) -> list[Any]:
    """The first ``frames`` frames of each video (a view of the memory map, no copy)."""
    if frames is None:
        return list(videos)
    return [replace(v, features=v.features[:frames], labels=v.labels[:frames]) for v in videos]


def quiet_tensorflow() -> None:
    """Import TensorFlow without its start-up chatter (as the CLI does) and without
    retracing warnings (models are rebuilt on purpose here)."""
    from mbr_search.cli._common import quiet_tensorflow as quiet_import

    quiet_import()
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")


def search(
    study_cfg: Any,
    videos: Sequence[Any],
    folds: Sequence[Any],
    *,
    n_trials: int,
    stop: Callable[[list[dict[str, Any]]], bool] | None = None,
    enqueue: Sequence[dict[str, Any]] = (),
    reuse: Any | None = None,
) -> list[dict[str, Any]]:
    """Up to ``n_trials`` trials of the package's ``Objective`` with the study's own sampler
    and pruner (``build_sampler``, ``build_pruner``) in an in-memory Optuna study; per
    trial: state, value, params, fold scores, epochs run, CPU and wall seconds (also
    cumulative). ``stop(rows)`` is asked after every trial; ``reuse`` (``training.reuse``)
    replaces the objective's default sharing of models and sequences across trials."""
    import optuna

    from mbr_search.errors import TrialFailed
    from mbr_search.search.objective import Objective
    from mbr_search.search.record import TrialRecord
    from mbr_search.search.sampling import build_pruner, build_sampler

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    quiet_tensorflow()
    study = optuna.create_study(
        direction="maximize", sampler=build_sampler(study_cfg), pruner=build_pruner(study_cfg)
    )
    for params in enqueue:
        study.enqueue_trial(params)
    count = EpochCount()
    objective = Objective(study_cfg, videos, folds, on_epoch=count, reuse=reuse)
    rows: list[dict[str, Any]] = []
    cpu0, wall0 = time.process_time(), time.perf_counter()
    last = {"epochs": 0, "cpu": 0.0, "wall": 0.0}

    def record(st: Any, frozen: Any) -> None:
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        rec = TrialRecord.from_trial(frozen)
        rows.append(
            {
                "number": frozen.number,
                "state": frozen.state.name,
                "value": frozen.value,
                "params": rec.params,
                "folds_run": len(rec.fold_scores),
                "pruned_at": rec.pruned_at,
                "fold_scores": rec.fold_scores,
                "epochs": count.epochs - last["epochs"],
                "cpu_seconds": round(cpu - last["cpu"], 2),
                "wall_seconds": round(wall - last["wall"], 2),
                "cum_epochs": count.epochs,
                "cum_cpu_seconds": round(cpu, 2),
                "cum_wall_seconds": round(wall, 2),
            }
        )
        last.update(epochs=count.epochs, cpu=cpu, wall=wall)
        r = rows[-1]
        print(
            f"  trial {r['number']:3d} {r['state']:8s} {r['value'] or 0:.4f} epochs "
            f"{r['epochs']:3d} cpu {r['cpu_seconds']:6.1f}s (total {r['cum_epochs']} "
            f"epochs, {r['cum_cpu_seconds']:.0f} cpu-s)",
            flush=True,
        )
        if stop is not None and stop(rows):
            st.stop()

    study.optimize(
        objective, n_trials=n_trials, callbacks=[record], gc_after_trial=True, catch=(TrialFailed,)
    )
    return rows


def best(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The complete trial with the highest value."""
    done = [r for r in rows if r["state"] == "COMPLETE" and r["value"] is not None]
    return max(done, key=lambda r: r["value"]) if done else None
