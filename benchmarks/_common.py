"""Shared helpers of the benchmarks: machine description, atomic JSON, doc sections, timing.

Every benchmark writes ``benchmarks/results/<name>.json`` (atomically) and replaces its own
section of ``docs/benchmarks.md``, delimited by ``<!-- NAME:start -->`` / ``<!-- NAME:end -->``;
other sections (e.g. ``embed``, owned by another script) are left untouched.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shlex
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DOC = ROOT / "docs" / "benchmarks.md"
SHARED_DATA = ROOT.parent / "shared" / "data"
PYTHON = ".venv/bin/python"

_PACKAGES = (
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
    "psycopg2",
)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    return None


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[name] = metadata.version(name)
    return out


def machine() -> dict[str, Any]:
    """nproc, CPU model, RAM, OS and package versions of this machine."""
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "ram_gb": ram_gb(),
        "os": platform.platform(),
        "versions": versions(),
    }


def machine_line(m: Mapping[str, Any]) -> str:
    v = m["versions"]
    return (
        f"{m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, no GPU; Python {v['python']}, "
        f"TensorFlow {v.get('tensorflow', '?')}, Keras {v.get('keras', '?')}, "
        f"Optuna {v.get('optuna', '?')}, scikit-learn {v.get('scikit-learn', '?')}"
    )


def command(script: str) -> str:
    """The exact command line that ran this benchmark, relative to the repository."""
    return shlex.join([PYTHON, f"benchmarks/{script}", *sys.argv[1:]])


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def loadavg() -> float:
    return round(os.getloadavg()[0], 2)


def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON via a temp file and a rename (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, default=_jsonable)
            handle.write("\n")
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; results are meant to be read
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def replace_section(name: str, body: str, doc: Path = DOC) -> None:
    """Put ``body`` between ``<!-- name:start -->`` and ``<!-- name:end -->`` in ``doc``
    (appended when absent); the rest of the file is kept as it is."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    section = f"{start}\n{body.strip()}\n{end}"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Benchmarks\n"
    if start in text and end in text:
        head, rest = text.split(start, 1)
        text = head + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{doc.name}.", dir=doc.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, doc)


def core_version() -> dict[str, Any]:
    """The repository commit and whether mbr_search/ had uncommitted changes at the start."""
    import subprocess

    def git(*args: str) -> str:
        try:
            out = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return out.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD") or None,
        "core_uncommitted_changes": bool(git("status", "--porcelain", "--", "mbr_search")),
    }


def report_header(name: str, script: str, *, quick: bool) -> dict[str, Any]:
    """The fields every results JSON starts with."""
    return {
        "benchmark": name,
        "date": now(),
        "command": command(script),
        "code": core_version(),
        "quick": quick,
        "machine": machine(),
        "load_average_start": loadavg(),
    }


def finish(report: dict[str, Any], started: float) -> dict[str, Any]:
    report["load_average_end"] = loadavg()
    report["benchmark_wall_seconds"] = round(time.perf_counter() - started, 1)
    return report


def footer(report: Mapping[str, Any], json_name: str) -> str:
    """Machine, date, load and the command, for the end of a doc section."""
    quick = (
        " **(quick mode: smoke-test scale, not the reported benchmark)**"
        if report.get("quick")
        else ""
    )
    return (
        f"Machine: {machine_line(report['machine'])}. Run {report['date']}, load average "
        f"{report['load_average_start']:.1f} at start / {report['load_average_end']:.1f} at end "
        f"(shared machine: absolute times vary between runs; ratios are measured side by side "
        f"in one run). Wall time of the benchmark: {report['benchmark_wall_seconds']:.0f} s."
        f"{quick}{code_line(report)}\n\nReproduce: `{report['command']}` (raw numbers: "
        f"`benchmarks/results/{json_name}`)."
    )


def code_line(report: Mapping[str, Any]) -> str:
    code = report.get("code")
    if not code or not code.get("commit"):
        return ""
    dirty = code.get("core_uncommitted_changes")
    state = {True: ", with uncommitted changes in mbr_search/", False: "", None: ""}[dirty]
    return f" Code: commit {code['commit']}{state} (at the start of the run)."


def fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


@contextlib.contextmanager
def isolated_home(prefix: str) -> Iterator[Path]:
    """A throwaway MBR_SEARCH_HOME (storage, artifacts, cache) for one benchmark run."""
    old = os.environ.get("MBR_SEARCH_HOME")
    with tempfile.TemporaryDirectory(prefix=f"issue6-bench-{prefix}-") as tmp:
        os.environ["MBR_SEARCH_HOME"] = tmp
        try:
            yield Path(tmp)
        finally:
            if old is None:
                os.environ.pop("MBR_SEARCH_HOME", None)
            else:
                os.environ["MBR_SEARCH_HOME"] = old


@dataclass
class Meter:
    """Training epochs and CPU/wall seconds spent, accumulated over fits and trials."""

    epochs: int = 0
    fits: int = 0
    cpu_seconds: float = 0.0
    wall_seconds: float = 0.0
    per_fit: list[dict[str, Any]] = field(default_factory=list)


@contextlib.contextmanager
def count_epochs(meter: Meter) -> Iterator[Meter]:
    """Count every epoch trained by the lead's ``Objective`` (which records only the best
    epoch): ``fit_fold`` is wrapped where the objective looks it up, nothing else changes."""
    from mbr_search.search import objective as objective_module

    original = objective_module.fit_fold

    def counted(*args: Any, **kwargs: Any) -> Any:
        cpu, wall = time.process_time(), time.perf_counter()
        result = original(*args, **kwargs)
        meter.epochs += int(result.epochs_run)
        meter.fits += 1
        meter.cpu_seconds += time.process_time() - cpu
        meter.wall_seconds += time.perf_counter() - wall
        return result

    objective_module.fit_fold = counted  # type: ignore[assignment]
    try:
        yield meter
    finally:
        objective_module.fit_fold = original  # type: ignore[assignment]


def quiet_tensorflow() -> None:
    """Import TensorFlow without its start-up chatter on stderr (as the CLI does)."""
    import logging
    import warnings

    from mbr_search.cli._common import quiet_tensorflow as quiet_import

    quiet_import()
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")


def handle_sigterm() -> None:
    """Turn SIGTERM into SystemExit so temporary folders are removed on ``kill PID``."""
    import signal

    def _exit(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


def merge_entries(path: Path, report: dict[str, Any], key: str, id_key: str) -> dict[str, Any]:
    """Keep the entries of an earlier results file that this run did not redo (a run of a
    subset, e.g. one data set); under a lock, so two concurrent runs do not lose each other's
    entries. Each entry carries its own date and command."""
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with (Path(tempfile.gettempdir()) / f"mbr-bench-{path.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        ours = {e[id_key] for e in report[key]}
        kept: list[dict[str, Any]] = []
        if path.exists() and not report.get("quick"):
            try:
                old = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                old = {}
            if not old.get("quick"):
                kept = [e for e in old.get(key, []) if e.get(id_key) not in ours]
        report[key] = kept + report[key]
        write_json(path, report)
    return report
