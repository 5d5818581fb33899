"""The mutation harness's parts: byte and table mutations, the shared world of good inputs
(a searched and evaluated LightGBM study of the bundled data), and the invariant check.

A case copies the good inputs into its own folder, mutates one file (or option), runs one
command in-process and checks the product's invariants, never a message: exit 0, or exit 2
with one ``mbr-search: error:`` line (argparse's own usage + error lines count as that);
no traceback, no other exit code; nothing written outside the case's output folders; the
shared study, its storage and its outputs unchanged.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import BUNDLED

from mbr_search.cli.main import main

#: A mutation of a file's bytes.
Mutate = Callable[[bytes], bytes]

TINY_GBDT = """\
name: tiny_gbdt
model: gbdt
params:
  num_leaves: {type: int, low: 4, high: 8}
fixed:
  max_rounds: 5
  early_stopping_rounds: 2
  frame_step: 4
"""


def study_text(dataset: Path, behaviours: str = "[social, nonsocial, aggression]") -> str:
    """A study of ``dataset`` whose one trial takes seconds: LightGBM, one fold."""
    return (
        f"name: bad\ndataset: {dataset}\nbehaviours: {behaviours}\nfps: 10\n"
        "features: {backbone: pose}\nspace: space.yaml\n"
        "cv: {scheme: leave_one_video_out, max_folds: 1, promote: 0}\n"
        "sampler: {name: random}\npruner: {name: none}\n"
        "training: {max_epochs: 1, patience: 1}\nseed: 0\n"
    )


# --- byte mutations ----------------------------------------------------------------------


def gunzip(data: bytes) -> bytes:
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def regzip(original: bytes, text: bytes) -> bytes:
    return gzip.compress(text, mtime=0) if original[:2] == b"\x1f\x8b" else text


def latin1_name(text: bytes) -> bytes:
    """A behaviour's name in Latin-1 where the file names one; else the file's first word
    (a header, a key) in Latin-1, so every file kind gets bytes that are not UTF-8."""
    if b"social" in text:
        return text.replace(b"social", "sóciäl".encode("latin-1"))
    first = re.search(rb"[A-Za-z]{2,}", text)
    assert first is not None, "no word to rewrite in Latin-1"
    return text[: first.start()] + "é".encode("latin-1") + text[first.start() + 1 :]


def on_text(fn: Callable[[str], str]) -> Mutate:
    """A mutation of the (un-gzipped) text, gzipped again when the file was."""
    return lambda data: regzip(data, fn(gunzip(data).decode("utf-8")).encode("utf-8"))


def on_rows(fn: Callable[[list[list[str]]], list[list[str]]], delimiter: str = ",") -> Mutate:
    def text(t: str) -> str:
        rows = list(csv.reader(io.StringIO(t), delimiter=delimiter))
        out = io.StringIO()
        csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(fn(rows))
        return out.getvalue()

    return on_text(text)


def generic() -> dict[str, Mutate]:
    """The mutations every file gets: empty, cut, junk, another encoding."""

    def cut(fraction: float) -> Mutate:
        return lambda d: regzip(d, gunzip(d)[: int(len(gunzip(d)) * fraction)])

    return {
        "empty": lambda d: b"",
        "cut_at_2pct": cut(0.02),
        "cut_at_half": cut(0.5),
        "cut_at_99pct": cut(0.99),
        "junk_bytes": lambda d: bytes(range(256)) * 4,
        "gzip_cut": lambda d: d[: len(d) // 2] if d[:2] == b"\x1f\x8b" else d[:-7],
        "utf16": lambda d: regzip(d, gunzip(d).decode("utf-8", "replace").encode("utf-16")),
        "latin1_name": lambda d: regzip(d, latin1_name(gunzip(d))),
        "nul_bytes": lambda d: regzip(d, gunzip(d)[:300] + b"\0" * 64 + gunzip(d)[300:]),
    }


def values(cell: str) -> dict[str, str]:
    """Bad numbers and a string, for a cell holding ``cell``."""
    del cell
    return {"nan": "nan", "inf": "inf", "negative": "-1", "huge": "1e308", "zero": "0",
            "string": "abc"}  # fmt: skip


# --- the world ---------------------------------------------------------------------------


@dataclass
class World:
    """Good inputs shared by every case (never written by a case)."""

    root: Path
    rat: Path  # copy of datasets/rat_social_mini
    oft: Path  # copy of datasets/sturman_oft_excerpts
    study: Path  # the LightGBM study of rat, searched (2 trials) and evaluated
    storage: str
    out: Path  # evaluate's output folder (model/ holds LightGBM text files)
    cache: Path
    snapshot: dict[str, str] = field(default_factory=dict)


def build_world(root: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """Copy the bundled data, search 2 trials and evaluate them (in-process, ~40 s)."""
    root.mkdir(parents=True, exist_ok=True)
    rat = shutil.copytree(BUNDLED / "rat_social_mini", root / "rat")
    oft = shutil.copytree(BUNDLED / "sturman_oft_excerpts", root / "oft")
    cache = root / "cache"
    monkeypatch.setenv("MBR_SEARCH_CACHE", str(cache))
    monkeypatch.setenv("MBR_SEARCH_HOME", str(root / "home"))
    (root / "space.yaml").write_text(TINY_GBDT)
    study = root / "bad.yaml"
    study.write_text(study_text(rat / "dataset.yaml"))
    storage = f"sqlite:///{root / 's.db'}"
    base = ["--storage", storage]
    assert main(["run", str(study), "--trials", "2", "--no-progress", *base]) == 0
    out = root / "ev"
    assert main(["evaluate", str(study), "--top", "1", "--out", str(out), *base]) == 0
    world = World(root, rat, oft, study, storage, out, cache)
    world.snapshot = snapshot(root)
    return world


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (but the feature cache, the home and SQLite's side files)
    with a hash of its content; the SQLite file by its trials, which a reader never changes."""
    found: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if rel.startswith(("cache", "home")) or path.is_dir() or rel.endswith(("-wal", "-shm")):
            continue
        if path.suffix == ".db":
            found[rel] = _trials(path)
        else:
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _trials(db: Path) -> str:
    import sqlite3

    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        rows = con.execute("SELECT trial_id, state FROM trials ORDER BY trial_id").fetchall()
        values = con.execute("SELECT trial_id, value FROM trial_values ORDER BY trial_id")
        return repr((rows, values.fetchall()))


# --- one case ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One mutated input and the command that reads it.

    ``prepare(case_dir, world)`` writes the case's inputs and returns the argv; outputs
    go to ``case_dir / "out"`` (and a SQLite file ``case_dir / "s.db"``)."""

    id: str
    prepare: Callable[[Path, World], list[str]]
    #: reason when another engineer's part of issue 22 must land first (xfail, not strict)
    pending: str | None = None
    #: "error": must be refused (exit 2); "same": must give the unmutated data's first trial
    #: value (a silently wrong result passes the other invariants); None: either is right
    expect: str | None = None
    #: run in a child process: the input once aborted the process in native code
    subprocess: bool = False

    def param(self) -> object:
        marks = [pytest.mark.xfail(strict=False, reason=self.pending)] if self.pending else []
        return pytest.param(self, id=self.id, marks=marks)


#: What a case folder may hold after the command (outputs, the storage, the inputs).
ALLOWED_NEW = ("out", "s.db", "s.db-wal", "s.db-shm", "s.db-journal", "s.db.lock", "s.db.artifacts")


def run_case(case: Case, world: World, case_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Run ``case`` and assert the invariants (the module docstring)."""
    case_dir.mkdir(parents=True)
    argv = case.prepare(case_dir, world)
    inputs = {p.name for p in case_dir.iterdir()}
    cwd_before = sorted(os.listdir("."))
    code, err = _execute(argv, case.subprocess, capsys)
    assert "Traceback" not in err, err[-3000:]
    assert code in (0, 2), f"exit {code}: {err[-3000:]}"
    if case.expect == "error":
        assert code == 2, f"accepted, must be refused: {err[-2000:]}"
    if case.expect == "same":
        assert code == 0 and _first_value(case_dir) == _first_value(world.root), err[-2000:]
    if code == 2:
        lines = [line for line in err.splitlines() if line.strip() and not line.startswith(" ")]
        errors = [line for line in lines if "error:" in line]
        assert len(errors) == 1, err[-3000:]
        assert errors[0].startswith(("mbr-search: error:", "mbr-search ")), err
        # the line names what is wrong: a file (of the case, the shared world, or an absolute
        # path the input pointed at), a flag, the storage or the study
        names = (str(case_dir), str(world.root), " /", "--", "argument", "storage '", "study '")
        assert any(n in errors[0] for n in names), f"names no file or option: {errors[0]}"
    # SQLite's side files of an input database are the storage's, like those of s.db
    new = {p.name for p in case_dir.iterdir() if not p.name.startswith("copy.db")} - inputs
    assert new <= set(ALLOWED_NEW), f"written outside the output folders: {new - set(ALLOWED_NEW)}"
    assert sorted(os.listdir(".")) == cwd_before, "written into the working folder"
    assert snapshot(world.root) == world.snapshot, "the shared study or its outputs changed"
    leftovers = [p for p in case_dir.rglob("*") if ".tmp" in p.name or p.name.startswith(".~")]
    assert not leftovers, f"half-written files left: {leftovers}"


def _execute(argv: list[str], child: bool, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Exit code and stderr of ``mbr-search argv``, in this process or a child."""
    if child:
        from conftest import run_cli

        done = run_cli(*argv, timeout=300)
        return done.returncode, done.stderr
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse: usage + one error line, exit 2
        code = exc.code if isinstance(exc.code, int) else 1
    return code, capsys.readouterr().err


def _first_value(folder: Path) -> float | None:
    import sqlite3

    with sqlite3.connect(f"file:{folder / 's.db'}?mode=ro", uri=True) as con:
        row = con.execute("SELECT value FROM trial_values ORDER BY trial_id LIMIT 1").fetchone()
    return None if row is None else float(row[0])


def copy_dataset(src: Path, dst: Path) -> Path:
    """A case's own dataset folder: the manifest copied, every data file a symlink to the
    shared copy (content-addressed cache: unchanged files are never recomputed)."""
    dst.mkdir(parents=True, exist_ok=True)
    for path in src.rglob("*"):
        target = dst / path.relative_to(src)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif path.suffix in (".yaml",):
            shutil.copyfile(path, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path)
    return dst


def mutate_file(path: Path, mutate: Mutate) -> None:
    """Replace ``path`` (a symlink to a shared file, or a copy) by its mutated bytes."""
    data = path.read_bytes()
    mutated = mutate(data)
    # a mutation that finds nothing to change would make its case pass without testing
    assert mutated != data, f"the mutation left {path.name} unchanged: fix the case"
    path.unlink()
    path.write_bytes(mutated)
