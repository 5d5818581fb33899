"""CLI holes of issue 22: output folders owned by one study and checked before the work,
numbers that overflow, --workers bounded by the machine, and a copyable closing hint.

Every refusal must be exit 2 with one line, no traceback, and nothing created in the
storage or the output folders.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import subprocess
from pathlib import Path

import pytest
from _mounts import remount_read_only, tmpfs
from conftest import run_cli, write_tiny_study

from mbr_search.errors import UsageError
from mbr_search.out_folder import OWNER_FILE, claim_folder, folder_owner

#: One fold, one epoch: the cheapest trial the tiny study can run.
ONE_FOLD = "cv: {scheme: leave_one_video_out, max_folds: 1, promote: 0}"


def _one_line_refusal(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    for needle in needles:
        assert needle in lines[0], lines[0]


def _tiny(folder: Path) -> Path:
    study = write_tiny_study(folder)
    text = study.read_text()
    line = next(ln for ln in text.splitlines() if ln.startswith("cv:"))
    study.write_text(text.replace(line, ONE_FOLD))
    return study


@pytest.fixture(scope="module")
def two_studies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """One study file run as two Optuna studies (--study-name A and B) in one storage."""
    folder = tmp_path_factory.mktemp("two")
    study = _tiny(folder)
    url = f"sqlite:///{folder}/two.db"
    env = {"MBR_SEARCH_HOME": str(folder / "home")}
    outputs = {}
    for name in ("A", "B"):
        result = run_cli("run", str(study), "--trials", "1", "--no-progress", "--storage", url,
                         "--study-name", name, env=env)  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        outputs[name] = result.stdout
    return {"study": study, "url": url, "env": env, "stdout": outputs}


# --- output folders --------------------------------------------------------------------


def test_claim_folder_marks_refuses_another_study_and_reads_old_results(tmp_path: Path) -> None:
    out = claim_folder(tmp_path / "r" / "x", "A")
    assert (out / OWNER_FILE).read_text() == "A\n" and folder_owner(out) == "A"
    claim_folder(out, "A")  # the same study again: fine
    with pytest.raises(UsageError) as err:
        claim_folder(out, "B")
    message = str(err.value)
    assert f"{out}" in message and "'A'" in message and "'B'" in message and "Fix:" in message
    legacy = tmp_path / "legacy"  # evaluated before markers existed
    legacy.mkdir()
    (legacy / "results.json").write_text('{"study_name": "A"}')
    with pytest.raises(UsageError, match="was written for study 'A'"):
        claim_folder(legacy, "B")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="is an existing file, not a folder"):
        claim_folder(tmp_path / "file", "A")


@pytest.mark.slow
def test_evaluate_and_report_never_overwrite_another_studys_folder(
    two_studies: dict[str, object],
) -> None:
    study, url, env = str(two_studies["study"]), str(two_studies["url"]), two_studies["env"]
    common = ["--storage", url, "--top", "1", "--no-importance"]
    first = run_cli("evaluate", study, *common, "--study-name", "A", env=env)  # type: ignore[arg-type]
    assert first.returncode == 0, first.stderr[-3000:]
    out = Path("reports") / "tiny"
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.rglob("*") if p.is_file()}
    assert out / "results.json" in before and (out / OWNER_FILE).read_text() == "A\n"
    second = run_cli("evaluate", study, *common, "--study-name", "B", env=env)  # type: ignore[arg-type]
    _one_line_refusal(second, str(out), "'A'", "'B'", "Fix:")
    assert "retraining" not in second.stderr
    report_b = run_cli("report", study, "--storage", url, "--study-name", "B", env=env)  # type: ignore[arg-type]
    _one_line_refusal(report_b, str(out), "'A'")
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.rglob("*") if p.is_file()}
    assert after == before
    report_a = run_cli("report", study, "--storage", url, "--study-name", "A", env=env)  # type: ignore[arg-type]
    assert report_a.returncode == 0, report_a.stderr[-3000:]


@pytest.mark.slow
def test_out_naming_a_file_fails_before_any_work(two_studies: dict[str, object]) -> None:
    study, url, env = str(two_studies["study"]), str(two_studies["url"]), two_studies["env"]
    blocker = Path("blocker")
    blocker.write_text("keep me")
    auth = ["--storage", url, "--study-name", "A"]
    evaluate = run_cli("evaluate", study, *auth, "--top", "1", "--out", str(blocker), env=env)  # type: ignore[arg-type]
    _one_line_refusal(evaluate, "--out blocker", "existing file")
    assert "retraining" not in evaluate.stderr
    report = run_cli("report", study, *auth, "--out", str(blocker), env=env)  # type: ignore[arg-type]
    _one_line_refusal(report, "--out blocker", "existing file")
    assert blocker.read_text() == "keep me"


@pytest.mark.slow
def test_report_into_a_read_only_filesystem_is_one_line(
    two_studies: dict[str, object], tmp_path: Path
) -> None:
    study, url, env = str(two_studies["study"]), str(two_studies["url"]), two_studies["env"]
    with tmpfs(tmp_path / "ro") as mount:
        (mount / "old").mkdir()
        remount_read_only(mount)
        for out in (mount / "old", mount / "new"):
            result = run_cli("report", study, "--storage", url, "--study-name", "A",
                             "--out", str(out), env=env)  # type: ignore[arg-type]  # fmt: skip
            _one_line_refusal(result, str(out), "Fix:")


def test_run_artifacts_naming_a_file_creates_no_storage(tmp_path: Path) -> None:
    study = _tiny(tmp_path)
    (tmp_path / "afile").write_text("x")
    db = tmp_path / "art.db"
    result = run_cli("run", str(study), "--trials", "1", "--artifacts", str(tmp_path / "afile"),
                     "--storage", f"sqlite:///{db}")  # fmt: skip
    _one_line_refusal(result, "--artifacts", "existing file")
    assert not db.exists()


# --- numbers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--set", "seed=99999999999999999999"], "seed: 99999999999999999999 is too large"),
        (["--set", "seed=20001"], "use a seed from 0 to 20000"),
        (["--set", "seed=-1"], "seed: must be >= 0"),
        (["--timeout", "nan"], "--timeout nan"),
        (["--timeout", "inf"], "--timeout inf"),
        (["--workers", "100000"], "--force-workers"),
    ],
    ids=["seed-huge", "seed-over", "seed-negative", "timeout-nan", "timeout-inf", "workers"],
)
def test_bad_numbers_exit_2_before_the_storage_is_touched(
    tmp_path: Path, args: list[str], needle: str
) -> None:
    study = _tiny(tmp_path)
    db = tmp_path / "n.db"
    result = run_cli("run", str(study), "--trials", "1", "--storage", f"sqlite:///{db}", *args)
    _one_line_refusal(result, needle)
    assert not db.exists()  # no database, so no empty study either


def test_workers_are_bounded_by_the_cores_unless_forced() -> None:
    from mbr_search.cli._run import WORKERS_PER_CORE, _check_workers

    limit = WORKERS_PER_CORE * (os.cpu_count() or 1)
    _check_workers(limit, False)
    _check_workers(limit + 1, True)
    with pytest.raises(UsageError, match=f"more than {WORKERS_PER_CORE} per CPU core"):
        _check_workers(limit + 1, False)


# --- the closing hint ------------------------------------------------------------------


@pytest.mark.slow
def test_the_closing_hint_keeps_storage_and_study_name_and_works(
    two_studies: dict[str, object],
) -> None:
    stdout = str(two_studies["stdout"]["A"])  # type: ignore[index]
    hint = next(ln for ln in stdout.splitlines() if ln.startswith("See more: "))
    commands = [c.strip() for c in hint.removeprefix("See more: ").split("|")]
    assert len(commands) == 3
    for command in commands:
        words = shlex.split(command)
        assert words[1] in ("evaluate", "report", "dashboard")
        assert words[2] == str(two_studies["study"])
        assert words[words.index("--storage") + 1].endswith("two.db")
        assert words[words.index("--study-name") + 1] == "A"
    report = shlex.split(commands[1])
    result = run_cli(*report[1:], env=two_studies["env"])  # type: ignore[arg-type]
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Report of study 'A'" in result.stdout


def test_two_different_passwords_on_the_command_line_are_refused_before_anything_runs() -> None:
    """One variable carries the password a re-exec moves out of argv: --storage and
    --warm-start holding two different ones would leave one visible in `ps`."""
    import argparse

    import pytest

    from mbr_search.cli._common import move_password_out_of_argv
    from mbr_search.errors import UsageError

    args = argparse.Namespace(
        storage="postgresql://mbr:first@127.0.0.1:5432/a",
        warm_start="pilot@postgresql://mbr:second@127.0.0.1:5432/b",
        argv=["run", "s"],
    )
    with pytest.raises(UsageError, match="two different passwords"):
        move_password_out_of_argv(args)
