"""Outputs land whole or not at all: temp name + rename, full disks, --out, file modes."""

from __future__ import annotations

import os
import stat
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _evaluated import Evaluated
from _mounts import fill, tmpfs
from conftest import RAT08_POSE, run_cli

from mbr_search.features import cache
from mbr_search.predict.boris import boris_events, bout_rows, write_boris_xlsx, write_bouts_csv

STEM = "8DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered"


def _rows() -> list[tuple[str, int, int, float, float]]:
    rng = np.random.default_rng(0)
    binary = (rng.random((20_000, 3)) > 0.5).astype(np.uint8)  # many bouts: a big sheet
    return bout_rows(binary, ["social", "nonsocial", "aggression"], 10.0)


def test_full_disk_leaves_no_half_written_file_and_keeps_the_old_one(tmp_path: Path) -> None:
    from mbr_search._atomic import write_text_atomic
    from mbr_search.errors import OutputError

    with tmpfs(tmp_path / "small") as small:
        old_csv = small / "v_bouts.csv"
        old_csv.write_text("behaviour,start_frame\nold,1\n")
        filler = fill(small)
        rows = _rows()
        writers = (
            (old_csv, lambda p: write_bouts_csv(p, rows)),
            (small / "v_boris.xlsx", lambda p: write_boris_xlsx(p, boris_events(rows))),
            (small / "v.json", lambda p: write_text_atomic(p, "{}" * 100_000)),
        )
        for target, write in writers:
            with pytest.raises(OutputError) as err:
                write(target)
            message = str(err.value)
            assert message.startswith(f"{target}: the disk is full; nothing was written")
            assert "Fix: free disk space" in message and "\n" not in message
        assert old_csv.read_text() == "behaviour,start_frame\nold,1\n"  # untouched
        assert sorted(p.name for p in small.iterdir()) == ["filler.bin", "v_bouts.csv"]
        filler.unlink()
        write_boris_xlsx(small / "v_boris.xlsx", boris_events(rows))
        with zipfile.ZipFile(small / "v_boris.xlsx") as zf:
            assert zf.testzip() is None


def test_atomic_path_keeps_the_suffix_and_cleans_up_on_error(tmp_path: Path) -> None:
    from mbr_search._atomic import atomic_path

    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    target = tmp_path / "frames.csv.gz"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.endswith("frames.csv.gz")
        assert not target.exists()  # nothing under the real name until the rename
        pd.DataFrame({"a": [1, 2]}).to_csv(tmp, index=False)  # gzip, inferred from suffix
    assert pd.read_csv(target)["a"].tolist() == [1, 2]
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "x.csv") as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames.csv.gz"]


def test_file_modes_follow_the_umask_without_changing_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_umask(_mask: int) -> int:
        raise AssertionError("os.umask changes the mask of every thread of the process")

    previous = os.umask(0o027)
    try:
        monkeypatch.setattr(os, "umask", no_umask)
        cache.write_text_atomic(tmp_path / "manifest.json", "{}")
        write_bouts_csv(tmp_path / "b.csv", [])
    finally:
        monkeypatch.undo()
        os.umask(previous)
    for name in ("manifest.json", "b.csv"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o640


def test_predict_out_naming_an_existing_file(tmp_path: Path) -> None:
    # --out is checked first, before the model folder is even opened.
    taken = tmp_path / "results.csv"
    taken.write_text("keep me\n")
    for out in (taken, taken / "sub"):
        res = run_cli("predict", str(tmp_path / "model"), str(RAT08_POSE), "--out", str(out))
        assert res.returncode == 2, res.stderr
        line = res.stderr.strip()
        assert len(line.splitlines()) == 1 and "Traceback" not in line
        assert f"--out {out}:" in line and "Fix: " in line
    assert taken.read_text() == "keep me\n"


@pytest.mark.slow
def test_predict_on_a_full_disk_leaves_nothing_half_written(
    evaluated: Evaluated, tmp_path: Path
) -> None:
    with tmpfs(tmp_path / "small") as small:
        out = small / "pred"
        out.mkdir()
        filler = fill(small)
        filler.unlink()
        # Room for the bouts but not the 1,500-row frames CSV: where predict left 999 rows.
        (small / "filler.bin").write_bytes(b"\0" * (1024 * 1024 - 60 * 1024))
        res = run_cli("predict", str(evaluated.out / "model"), str(RAT08_POSE), "--out", str(out))
        assert res.returncode == 2, res.stderr
        line = res.stderr.strip().splitlines()[-1]
        assert line.startswith(f"mbr-search: error: {out / STEM}_frames.csv: the disk is full")
        assert "Traceback" not in res.stderr
        assert list(out.iterdir()) == []  # no partial CSV, no temp file
    taken = tmp_path / "taken.csv"
    taken.write_text("keep me\n")  # with a real model too, --out FILE is one line, exit 2
    res = run_cli("predict", str(evaluated.out / "model"), str(RAT08_POSE), "--out", str(taken))
    assert res.returncode == 2 and "is an existing file, not a folder" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and taken.read_text() == "keep me\n"
