"""Several ``mbr-search run`` workers on one study in a real PostgreSQL server.

The study is the bundled ``lstm_pose`` cut down with ``--set`` so a trial takes seconds:
one epoch, one cross-validation fold.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from mbr_search.storage import open_storage, resolve_storage

try:  # tests/ as a package (tests/__init__.py) or as plain rootdir-relative modules
    from tests._postgres import PASSWORD, TINY, PostgresServer
except ImportError:
    from _postgres import PASSWORD, TINY, PostgresServer  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[1]
STUDY = "lstm_pose"
HEARTBEAT, GRACE = 1, 3
RUN = [sys.executable, "-m", "mbr_search", "run"]

pytestmark = [pytest.mark.slow, pytest.mark.needs_postgres]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["MBR_SEARCH_HOME"] = str(tmp_path / "home")
    env["HOME"] = str(tmp_path / "userhome")
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env["MBR_SEARCH_HEARTBEAT_INTERVAL"] = str(HEARTBEAT)
    env["MBR_SEARCH_GRACE_PERIOD"] = str(GRACE)
    env.pop("MBR_SEARCH_DB_PASSWORD", None)
    env.pop("MBR_SEARCH_DB_PASSWORD_FILE", None)
    env.update(extra)
    return env


def _cli(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mbr_search", *args],
        env=_env(tmp_path, **env),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _worker(tmp_path: Path, url: str, trials: int, log: Path, *extra: str) -> subprocess.Popen[str]:
    with log.open("w") as sink:
        return subprocess.Popen(
            [*RUN, STUDY, "--trials", str(trials), "--storage", url, *TINY, *extra],
            env=_env(tmp_path),
            cwd=tmp_path,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )


def _trials(url: str) -> list[optuna.trial.FrozenTrial]:
    storage = open_storage(resolve_storage(url), heartbeat_interval=None)
    return optuna.load_study(study_name=STUDY, storage=storage).get_trials(deepcopy=False)


def test_three_workers_survive_kill_9(postgres_server: PostgresServer, tmp_path: Path) -> None:
    url = postgres_server.create_database("workers")
    init = _cli(tmp_path, "init", STUDY, "--storage", url)
    assert init.returncode == 0, init.stderr
    # Warm the feature cache once, so three workers do not all compute pose features.
    warm = _cli(tmp_path, "run", STUDY, "--trials", "1", "--storage", url, *TINY)
    assert warm.returncode == 0, warm.stdout + warm.stderr

    target = 6  # the warm trial, then 5 by the workers: one of them the killed trial again
    logs = [tmp_path / f"worker{i}.log" for i in range(3)]
    workers = [_worker(tmp_path, url, target, log) for log in logs]
    victim = workers[0]
    started = time.monotonic()
    killed_at: float | None = None
    try:
        # Kill worker 0 when all three are inside a trial: its trial must be one of them.
        while time.monotonic() - started < 150:
            running = [t for t in _trials(url) if t.state == TrialState.RUNNING]
            if len(running) == 3:
                time.sleep(1.0)  # well inside the trial, past its first heartbeat
                victim.send_signal(signal.SIGKILL)
                killed_at = time.monotonic()
                break
            time.sleep(0.3)
        assert killed_at is not None, "never saw three trials running at once"
        codes = [w.wait(timeout=170) for w in workers[1:]]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
    victim.wait()
    outputs = [log.read_text(errors="replace") for log in logs]
    assert victim.returncode == -signal.SIGKILL
    assert codes == [0, 0], outputs[1:]

    trials = _trials(url)
    states = [t.state for t in trials]
    finished = [t for t in trials if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    assert len(finished) == target, states  # the count is reached, nothing counted twice
    assert TrialState.RUNNING not in states and TrialState.WAITING not in states, states
    from mbr_search.search.record import FAIL_REASON as ATTR_FAIL_REASON

    # The killed worker's trial is the one FAIL the objective did not explain itself.
    stale = [
        t for t in trials if t.state == TrialState.FAIL and ATTR_FAIL_REASON not in t.user_attrs
    ]
    assert len(stale) == 1, [(t.number, t.state, t.user_attrs) for t in trials]
    retried = [t for t in trials if t.system_attrs.get("failed_trial") == stale[0].number]
    assert len(retried) == 1 and retried[0].state in (TrialState.COMPLETE, TrialState.PRUNED)
    assert retried[0].params == stale[0].params  # the same configuration ran again
    # Every other failure is a surplus trial refused because the target was already met.
    others = [t for t in trials if t.state == TrialState.FAIL and t is not stale[0]]
    assert all("surplus" in t.user_attrs[ATTR_FAIL_REASON] for t in others), others
    # Wall-clock evidence for docs/reliability.md.
    print(f"\nkill->end {time.monotonic() - killed_at:.0f}s, states {[s.name for s in states]}")


def test_database_restart_mid_run(postgres_server: PostgresServer, tmp_path: Path) -> None:
    """The server is down for 3 s while a trial trains: the worker waits and carries on
    (finishes that trial, then starts and finishes the next one)."""
    url = postgres_server.create_database("restart")
    log = tmp_path / "worker.log"
    # Longer trials than elsewhere, so the outage falls inside one and beats fail.
    worker = _worker(tmp_path, url, 2, log, "--set", "training.max_epochs=6")
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if any(t.state == TrialState.RUNNING for t in _safe_trials(url)):
                break
            time.sleep(0.3)
        time.sleep(1.0)
        stopped = datetime.now()  # Optuna's trial times: local, naive, like this one
        postgres_server.restart(downtime=3 * HEARTBEAT)
        code = worker.wait(timeout=170)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    output = log.read_text(errors="replace")
    print(f"\nexit {code}; last lines: {output.strip().splitlines()[-3:]}")
    assert PASSWORD not in output
    # The outage hit this worker (its heartbeat or a storage call had to wait) ...
    assert "database unreachable" in output, output[-2000:]
    # ... and it neither died nor lost its heartbeat thread to a SQLAlchemy traceback.
    assert "sqlalchemy.exc" not in output and "psycopg2.OperationalError" not in output
    assert code == 0, output[-2000:]
    finished = [t for t in _trials(url) if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    assert len(finished) == 2
    # The outage began inside the first trial, and the worker went on to a new trial.
    first, second = finished
    assert first.datetime_start is not None and first.datetime_complete is not None
    assert first.datetime_start < stopped < first.datetime_complete, (first, stopped)
    assert second.datetime_start is not None and second.datetime_start > stopped


def _safe_trials(url: str) -> list[optuna.trial.FrozenTrial]:
    try:
        return _trials(url)
    except Exception:  # the study does not exist until the worker has created it
        return []


def test_password_never_leaks(postgres_server: PostgresServer, tmp_path: Path) -> None:
    """Grep every output, log, report, artifact and stored attribute for the password."""
    url = postgres_server.create_database("secrets")
    bare = postgres_server.url("secrets", password=False)
    texts: dict[str, str] = {}

    def record(name: str, result: subprocess.CompletedProcess[str]) -> None:
        texts[f"{name}.stdout"] = result.stdout
        texts[f"{name}.stderr"] = result.stderr

    record("init", _cli(tmp_path, "--debug", "init", STUDY, "--storage", url))
    # Progress bar forced on (not a TTY here), debug logging on, password inside the URL.
    run = _cli(tmp_path, "--debug", "run", STUDY, "--trials", "1", "--storage", url, *TINY)
    assert run.returncode == 0, run.stderr[-2000:]
    record("run", run)
    # Password from the environment with a user-only URL.
    env_run = _cli(
        tmp_path, "run", STUDY, "--trials", "1", "--storage", bare, *TINY,
        MBR_SEARCH_DB_PASSWORD=PASSWORD,
    )  # fmt: skip
    assert env_run.returncode == 0, env_run.stderr[-2000:]
    record("env_run", env_run)
    wrong = url.replace(PASSWORD, PASSWORD[::-1])
    for name, bad in {
        "wrong_password": wrong,
        "unreachable": url.replace(f":{postgres_server.port}/", ":1/"),
        "malformed": url.replace(f":{postgres_server.port}/", ":port/"),
        "unknown_scheme": url.replace("postgresql+psycopg2", "postgresq1"),
    }.items():
        result = _cli(tmp_path, "--debug", "run", STUDY, "--trials", "1", "--storage", bad, *TINY)
        assert result.returncode == 2, (name, result.stderr[-2000:])
        record(name, result)
        assert PASSWORD[::-1] not in result.stderr + result.stdout
    # Every command that reads the study: each must succeed (a failing one prints less).
    for command, extra in {
        "report": [STUDY, *TINY],
        "evaluate": [STUDY, "--top", "1", "--no-importance", *TINY],
        "studies": [],
    }.items():
        result = _cli(tmp_path, command, *extra, "--storage", url)
        assert result.returncode == 0, (command, result.stderr[-2000:])
        record(command, result)
    assert "lstm_pose" in texts["studies.stdout"]
    assert (tmp_path / "reports" / STUDY / "results.json").is_file()

    dashboard = subprocess.Popen(
        [sys.executable, "-m", "mbr_search", "dashboard", STUDY, "--storage", url, "--port", "0"],
        env=_env(tmp_path), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert dashboard.stdout is not None
        texts["dashboard.stdout"] = dashboard.stdout.readline() + dashboard.stdout.readline()
        assert "http://127.0.0.1:" in texts["dashboard.stdout"], texts["dashboard.stdout"]
        import urllib.request

        base = texts["dashboard.stdout"].split("http://", 1)[1].split("/", 1)[0]
        with urllib.request.urlopen(f"http://{base}/api/studies", timeout=20) as response:
            texts["dashboard.api"] = response.read().decode()
    finally:
        dashboard.terminate()
        texts["dashboard.stderr"] = dashboard.communicate(timeout=20)[1]

    for path in sorted(tmp_path.rglob("*")):
        if path.is_file() and path.stat().st_size < 50_000_000:
            texts[str(path.relative_to(tmp_path))] = path.read_bytes().decode("latin-1")
    storage = open_storage(resolve_storage(url), heartbeat_interval=None)
    for summary in storage.get_all_studies():
        study = optuna.load_study(study_name=summary.study_name, storage=storage)
        texts[f"db:{summary.study_name}"] = repr(
            (
                study.user_attrs,
                storage.get_study_system_attrs(summary._study_id),
                [(t.user_attrs, t.system_attrs) for t in study.trials],
            )
        )

    assert "***" in texts["wrong_password.stderr"]
    assert texts["run.stderr"] and "lstm_pose" in texts["run.stderr"] + texts["run.stdout"]
    leaks = [name for name, text in texts.items() if PASSWORD in text]
    assert not leaks, leaks
