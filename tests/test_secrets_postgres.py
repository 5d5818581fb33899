"""Database passwords on a real PostgreSQL server: never in a process's arguments, and
``--password-file`` honoured by every command that opens the storage."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import with_user_ctrl_c

try:  # tests/ as a package (tests/__init__.py) or as plain rootdir-relative modules
    from tests._postgres import PASSWORD, TINY, PostgresServer
except ImportError:
    from _postgres import PASSWORD, TINY, PostgresServer  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.needs_postgres]


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["MBR_SEARCH_HOME"] = str(tmp_path / "home")
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env.pop("MBR_SEARCH_DB_PASSWORD", None)
    env.pop("MBR_SEARCH_DB_PASSWORD_FILE", None)
    return env


def _proc_files(name: str) -> dict[int, bytes]:
    """``/proc/PID/NAME`` of every process (one that ended meanwhile is left out)."""
    out: dict[int, bytes] = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                out[int(proc.name)] = (proc / name).read_bytes()
            except OSError:
                continue
    return out


def _cmdlines() -> dict[int, str]:
    """Every process's arguments, as ``ps`` shows them to any user."""
    return {
        pid: raw.replace(b"\0", b" ").decode(errors="replace")
        for pid, raw in _proc_files("cmdline").items()
    }


def _parents() -> dict[int, int]:
    """Every process's parent pid (``/proc/PID/stat``, field 4, after the command name)."""
    return {pid: int(raw.rsplit(b")", 1)[1].split()[1]) for pid, raw in _proc_files("stat").items()}


def _tree(root: int) -> set[int]:
    """``root`` and its descendants: the processes of this test's run. Other tests running
    beside it (pytest-xdist) may put a password in their own helpers' arguments."""
    parents, tree = _parents(), {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in tree and pid not in tree:
                tree.add(pid)
                grew = True
    return tree


def test_no_password_in_any_process_arguments_during_a_run(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = postgres_server.create_database("argv")
    assert PASSWORD in url
    cmd = [sys.executable, "-m", "mbr_search", "run", "lstm_pose", "--storage", url]
    cmd += ["--trials", "2", "--workers", "2", "--no-progress", *TINY]
    err_path = tmp_path / "stderr.txt"
    with err_path.open("w") as err:
        proc = subprocess.Popen(cmd, env=_env(tmp_path), cwd=tmp_path, stderr=err, text=True)
    seen: set[int] = set()
    leaks: list[str] = []
    deadline = time.monotonic() + 600
    # The password is in the arguments only until the CLI has parsed them and replaced
    # itself (before any heavy import); from the warning on, no process may show it.
    while "visible to every user" not in err_path.read_text() and proc.poll() is None:
        time.sleep(0.05)
    while proc.poll() is None and time.monotonic() < deadline:
        tree = _tree(proc.pid)
        for pid, line in _cmdlines().items():
            if pid not in tree:
                continue
            if "mbr_search" in line:
                seen.add(pid)
            if PASSWORD in line:
                leaks.append(line)
        time.sleep(0.2)
    assert proc.wait(timeout=60) == 0, err_path.read_text()
    assert not leaks, leaks[:3]
    assert len(seen) >= 2, "the --workers child was never seen running"
    assert "MBR_SEARCH_DB_PASSWORD" in err_path.read_text()


def test_password_file_works_for_every_command(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    postgres_server.create_database("pwfile")
    bare = postgres_server.url("pwfile", password=False)
    pwfile = tmp_path / "pw"
    pwfile.write_text(PASSWORD + "\n")
    auth = ["--storage", bare, "--password-file", str(pwfile)]
    steps = [
        ["init", "lstm_pose", *auth],
        ["run", "lstm_pose", "--trials", "1", "--no-progress", *auth, *TINY],
        ["report", "lstm_pose", *auth, *TINY, "--out", str(tmp_path / "rep")],
        [
            "evaluate",
            "lstm_pose",
            "--top",
            "1",
            "--no-importance",
            *auth,
            *TINY,
            "--out",
            str(tmp_path / "rep"),
        ],
        ["studies", *auth],
    ]
    for step in steps:
        result = subprocess.run(
            [sys.executable, "-m", "mbr_search", *step],
            env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert result.returncode == 0, (step[0], result.stderr[-2000:])
        assert PASSWORD not in result.stdout + result.stderr
    # ... and without it the same storage is refused with the fix, not a traceback.
    result = subprocess.run(
        [sys.executable, "-m", "mbr_search", "report", "lstm_pose", "--storage", bare, *TINY],
        env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr


def _watch_arguments(
    cmd: list[str], tmp_path: Path, *, serve_until: str | None = None
) -> tuple[int, str, list[str], int]:
    """Run ``cmd``, scanning its process tree's arguments from the password warning on
    until it exits (or, with ``serve_until``, until that text is on stdout; then Ctrl-C).
    Returns (exit code, stderr, leaked argument lines, how many scans saw it running)."""
    import signal

    err_path, out_path = tmp_path / "err.txt", tmp_path / "out.txt"
    with err_path.open("w") as err, out_path.open("w") as out:
        proc = subprocess.Popen(
            cmd, env=_env(tmp_path), cwd=tmp_path, stdout=out, stderr=err,
            preexec_fn=with_user_ctrl_c,  # the dashboard must see the Ctrl-C below
        )  # fmt: skip
    while "visible to every user" not in err_path.read_text() and proc.poll() is None:
        time.sleep(0.01)
    leaks: list[str] = []
    scans, deadline, stopped = 0, time.monotonic() + 300, False
    while proc.poll() is None and time.monotonic() < deadline:
        tree = _tree(proc.pid)
        lines = [line for pid, line in _cmdlines().items() if pid in tree]
        scans += any("mbr_search" in line for line in lines)
        leaks += [line for line in lines if PASSWORD in line]
        if serve_until and serve_until in out_path.read_text() and scans >= 5:
            proc.send_signal(signal.SIGINT)
            stopped = True
            break
        time.sleep(0.01)
    try:
        code = proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        # say which wait ran out and what the command printed, instead of a bare timeout
        proc.kill()
        proc.wait()
        why = "60 s after Ctrl-C" if stopped else "after the 300 s watch"
        output = err_path.read_text() + out_path.read_text()
        raise AssertionError(f"{cmd[3:5]} still running {why}: {output[-2000:]}") from None
    return code, err_path.read_text() + out_path.read_text(), leaks, scans


def test_no_password_in_process_arguments_of_every_storage_command(
    postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = postgres_server.create_database("argv_all")
    base = [sys.executable, "-m", "mbr_search"]
    commands = {
        "init": (["init", "lstm_pose", "--storage", url], None, (0,)),
        "studies": (["studies", f"--storage={url}"], None, (0,)),
        # No complete trial yet: report ends with exit 2, after the storage was opened.
        "report": (["report", "lstm_pose", "--storage", url, "--out", "rep"], None, (0, 2)),
        "dashboard": (
            ["dashboard", "lstm_pose", "--storage", url, "--port", "0"], "open http", (0,),
        ),
        # the password in --warm-start's URL: the run's own storage is SQLite; the source
        # study does not exist there, so run ends with exit 2 once it has opened that URL
        "run --warm-start": (
            ["run", "lstm_pose", "--trials", "1", "--storage", "sqlite:///own.db",
             "--warm-start", f"absent@{url}"], None, (2,),
        ),
    }  # fmt: skip
    for name, (args, serve_until, codes) in commands.items():
        folder = tmp_path / name
        folder.mkdir()
        code, output, leaks, scans = _watch_arguments(
            [*base, *args], folder, serve_until=serve_until
        )
        assert code in codes, (name, output[-2000:])
        assert "Traceback" not in output, (name, output[-2000:])
        assert "MBR_SEARCH_DB_PASSWORD" in output, (name, output[-2000:])
        assert PASSWORD not in output, name
        assert not leaks, (name, leaks[:3])
        assert scans >= 1, f"{name}: never seen running after the warning"
