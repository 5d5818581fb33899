"""BORIS labels in (``labels.format: boris``), written from the real rat annotations.

The BORIS files are written here by code, in the column layouts BORIS itself writes
(``boris/export_observation.py``: v8+ tabular events, and the 7.x layout before it; the
``.boris`` project JSON with ``observations`` -> ``events`` and ``time offset``), from the
Caltech annotations bundled in ``datasets/rat_social_mini``; no file is made by hand.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import RAT_MINI

from mbr_search.config.dataset import load_dataset
from mbr_search.data.labels import LabelSource, read_labels
from mbr_search.data.resample import frame_indices
from mbr_search.errors import DataError
from mbr_search.predict.boris import boris_events, bout_rows, start_stop_events, write_boris_xlsx

BEHAVIOURS = ("social", "nonsocial", "aggression")
FPS = 30.0
N = 4500
MEDIA = "videos/rat{}.mp4"
V8_HEADER = [
    "Observation id", "Observation date", "Description", "Observation duration",
    "Observation type", "Source", "Time offset (s)", "Media duration (s)", "FPS", "Subject",
    "Behavior", "Behavioral category", "Behavior type", "Time", "Media file name",
    "Image index", "Image file path", "Comment",
]  # fmt: skip
OLD_HEADER = [
    "Time", "Media file path", "Total length", "FPS", "Subject", "Behavior",
    "Behavioral category", "Comment", "Status",
]  # fmt: skip

Event = tuple[float, str, str, str]  # (media time s, subject, behaviour, START/STOP/POINT)


def _truth(video_id: str) -> np.ndarray:
    """The real Caltech labels of one bundled video (the reference every BORIS copy meets)."""
    video = load_dataset(RAT_MINI).video(video_id)
    assert video.labels is not None
    return read_labels(video.labels, BEHAVIOURS, n_frames=N, fps=FPS).values


def _events(
    labels: np.ndarray, names: Sequence[str] = BEHAVIOURS, subject: str = ""
) -> list[Event]:
    """START/STOP pairs at frame times, rounded to 1 ms as BORIS shows them, by time."""
    out = []
    for b, f0, f1, _t0, _t1 in bout_rows(labels, list(names), FPS):
        out += [(round(f0 / FPS, 3), subject, b, "START"), (round(f1 / FPS, 3), subject, b, "STOP")]
    return sorted(out, key=lambda e: (e[0], e[3] == "START"))


def _v8_rows(observation: str, events: list[Event], offset: float = 0.0) -> list[list[Any]]:
    """BORIS v8+ tabular events: one header row, the status in 'Behavior type'."""
    media = MEDIA.format(observation)
    rows: list[list[Any]] = [V8_HEADER]
    for time, subject, behaviour, status in events:
        rows.append([
            observation, "2024-05-09 17:15:54", "", 150.0, "Media file(s)", f"player #1:{media}",
            offset, "150.000", "30.000", subject, behaviour, "social behaviour", status,
            round(time + offset, 3), media, round(time * FPS), "NA", "",
        ])  # fmt: skip
    return rows


def _old_rows(observation: str, events: list[Event], offset: float = 0.0) -> list[list[Any]]:
    """BORIS 7.x tabular events: a key/value block, then the header starting with 'Time'."""
    media = MEDIA.format(observation)
    rows: list[list[Any]] = [
        ["Observation id", observation], [""], ["Media file(s)"], [""], ["Player #1", media],
        [""], ["Observation date", "2020-01-31 10:00:00"], [""], ["Description", ""], [""],
        ["Time offset (s)", offset], [""], [""], OLD_HEADER,
    ]  # fmt: skip
    for time, subject, behaviour, status in events:
        rows.append([round(time + offset, 3), media, 150.0, 30, subject, behaviour, "", "", status])
    return rows


def _write_csv(path: Path, rows: list[list[Any]], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter=delimiter).writerows(rows)
    return path


def _write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    """BORIS writes XLSX through tablib, i.e. openpyxl (a dev dependency here)."""
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


def _project(observations: dict[str, tuple[list[Event], float]], codes: Sequence[str]) -> Any:
    """A ``.boris`` project: ethogram, subjects, and per observation events + time offset."""
    ethogram = {
        str(i): {"key": c[0], "code": c, "type": "State event", "description": "", "category": ""}
        for i, c in enumerate(codes)
    }
    ethogram[str(len(codes))] = {"key": "o", "code": "onset", "type": "Point event"}
    obs = {}
    for obs_id, (events, offset) in observations.items():
        media = MEDIA.format(obs_id)
        coded = [[round(t + offset, 3), s, b, "", "", round(t * FPS)] for t, s, b, _ in events]
        obs[obs_id] = {
            "type": "MEDIA", "date": "2024-05-09T17:15:54", "description": "",
            "time offset": offset, "file": {"1": [media], "2": []},
            "media_info": {"length": {media: 150.0}, "fps": {media: 30.0}}, "events": coded,
        }  # fmt: skip
    subjects = {str(i): {"key": str(i + 1), "name": f"individual{i + 1}"} for i in range(2)}
    return {
        "project_name": "rats", "project_format_version": "7.0", "time_format": "s",
        "behaviors_conf": ethogram,
        "subjects_conf": subjects,
        "observations": obs,
    }  # fmt: skip


def _read(path: Path, behaviours: Sequence[str] = BEHAVIOURS, **kw: Any) -> np.ndarray:
    kw.setdefault("observation", "rat01")
    src = LabelSource(path=path, format="boris", **kw)
    return read_labels(src, tuple(behaviours), n_frames=N, fps=FPS).values


def test_v8_tabular_exports_csv_tsv_xlsx_read_as_the_caltech_labels(tmp_path: Path) -> None:
    # Two observations in one export, each with its own time offset (honoured).
    truth = {v: _truth(v) for v in ("rat01", "rat08")}
    rows = _v8_rows("rat01", _events(truth["rat01"]), offset=3.5)
    rows += _v8_rows("rat08", _events(truth["rat08"]), offset=0.0)[1:]
    files = [
        _write_csv(tmp_path / "events.csv", rows),
        _write_csv(tmp_path / "events.tsv", rows, delimiter="\t"),
        _write_xlsx(tmp_path / "events.xlsx", rows),
    ]
    for path in files:
        for video, labels in truth.items():
            assert np.array_equal(_read(path, observation=video), labels), (path, video)
    assert truth["rat01"].sum() > 0 and truth["rat08"][:, 2].sum() == 1248


def test_pre_v8_tabular_export_with_its_header_block(tmp_path: Path) -> None:
    truth = _truth("rat02")
    path = _write_csv(tmp_path / "rat02.csv", _old_rows("rat02", _events(truth), offset=12.25))
    assert np.array_equal(_read(path, observation="rat02"), truth)
    xlsx = _write_xlsx(tmp_path / "rat02.xlsx", _old_rows("rat02", _events(truth)))
    assert np.array_equal(_read(xlsx, observation="rat02"), truth)


def test_boris_project_file_subjects_offsets_and_point_events(tmp_path: Path) -> None:
    truth = _truth("rat05")
    # social/nonsocial coded on individual1, aggression on individual2, and a point event
    # 'onset' at the first frame of every aggression bout.
    events = _events(truth[:, :2], BEHAVIOURS[:2], "individual1")
    events += _events(truth[:, 2:], BEHAVIOURS[2:], "individual2")
    onsets = [f0 for _b, f0, *_ in bout_rows(truth[:, 2:], ["a"], FPS)]
    events += [(round(f / FPS, 3), "individual2", "onset", "POINT") for f in onsets]
    events.sort(key=lambda e: (e[0], e[3] == "START"))
    project = _project(
        {"rat05": (events, 7.0), "rat01": (_events(_truth("rat01")), 0.0)}, BEHAVIOURS
    )
    path = tmp_path / "rats.boris"
    path.write_text(json.dumps(project))
    assert np.array_equal(_read(path, observation="rat05"), truth)
    assert np.array_equal(_read(path, observation="rat01"), _truth("rat01"))
    second = _read(path, observation="rat05", subject="individual2")
    assert np.array_equal(second[:, 2], truth[:, 2]) and second[:, :2].sum() == 0
    first = _read(path, observation="rat05", subject="individual1")
    assert np.array_equal(first[:, :2], truth[:, :2]) and first[:, 2].sum() == 0  # in ethogram
    point = _read(path, ("onset",), observation="rat05")[:, 0]
    assert np.flatnonzero(point).tolist() == onsets and len(onsets) > 1
    packed = tmp_path / "rats.boris.gz"
    packed.write_bytes(gzip.compress(path.read_bytes()))
    assert np.array_equal(_read(packed, observation="rat05"), truth)


@pytest.mark.parametrize("rate", [30.0, 10.0])
def test_the_predict_boris_sheet_reads_back_as_the_same_labels(tmp_path: Path, rate: float) -> None:
    """predict writes bout_rows -> boris_events -> _boris.xlsx at the model's fps."""
    truth = _truth("rat08")
    if rate != FPS:
        truth = truth[frame_indices(N, FPS, rate)]  # what a 10 fps model predicts on
    sheet = write_boris_xlsx(
        tmp_path / "rat08_boris.xlsx", boris_events(bout_rows(truth, list(BEHAVIOURS), rate))
    )
    src = LabelSource(path=sheet, format="boris", observation="rat08")
    back = read_labels(src, BEHAVIOURS, n_frames=len(truth), fps=rate)
    assert np.array_equal(back.values, truth)
    # A behaviour never predicted has no row in the sheet: labels.absent reads it as 0.
    truth[:, 2] = 0
    rows = bout_rows(truth, list(BEHAVIOURS), rate)
    write_boris_xlsx(sheet, boris_events(rows))
    with pytest.raises(DataError, match=r"\['aggression'\] not found"):
        read_labels(src, BEHAVIOURS, n_frames=len(truth), fps=rate)
    src = LabelSource(path=sheet, format="boris", absent=("aggression",))
    assert np.array_equal(read_labels(src, BEHAVIOURS, n_frames=len(truth), fps=rate).values, truth)


def _boris_dataset(folder: Path, rows: list[list[Any]]) -> Path:
    """The bundled rat manifest with every video's labels in one BORIS v8 export."""
    folder.mkdir(parents=True, exist_ok=True)
    _write_csv(folder / "all_events.csv", rows)
    text = RAT_MINI.read_text()
    text = text.replace("format: caltech\n  stream: S1", "format: boris\n  file: all_events.csv")
    text = re.sub(r", labels: annotations/\S+\}", "}", text)
    text = text.replace("pose: dlc/", f"pose: {RAT_MINI.parent}/dlc/")
    (folder / "dataset.yaml").write_text(text + "\n")
    return folder / "dataset.yaml"


def _all_videos(names: Sequence[str] = BEHAVIOURS, obs: str = "{}") -> list[list[Any]]:
    rows = [V8_HEADER]
    for video in load_dataset(RAT_MINI).videos:
        rows += _v8_rows(obs.format(video.id), _events(_truth(video.id), names))[1:]
    return rows


def test_a_boris_copy_of_the_rat_dataset_loads_the_same_labels(tmp_path: Path) -> None:
    copy = load_dataset(_boris_dataset(tmp_path, _all_videos()))
    for video in copy.videos:
        assert video.labels is not None and video.labels.observation == video.id
        got = read_labels(video.labels, BEHAVIOURS, n_frames=N, fps=FPS).values
        assert np.array_equal(got, _truth(video.id)), video.id


def test_run_stops_with_one_line_on_each_bad_boris_input(tmp_path: Path) -> None:
    from conftest import run_cli, write_tiny_study

    rows = _all_videos()
    lone_stop = [rows[0], *rows[2:]]  # rat01's first START removed
    cases = {
        "names": (_all_videos(("Social", "Non-social", "Aggression")), "do not match the study"),
        "observation": (_all_videos(obs="session_{}"), "no BORIS observation 'rat01'"),
        "stop": (lone_stop, "is a STOP with no START before it"),
    }
    for name, (table, expected) in cases.items():
        study = write_tiny_study(tmp_path / name, dataset=_boris_dataset(tmp_path / name, table))
        res = run_cli("run", str(study), "--trials", "1", "--storage", f"sqlite:///{tmp_path}/s.db")
        assert res.returncode == 2, res.stderr
        line = res.stderr.strip()
        assert len(line.splitlines()) == 1 and "Traceback" not in line, line
        assert line.startswith(f"mbr-search: error: {tmp_path / name / 'all_events.csv'}: ")
        assert expected in line
        print(line)


def _error(path: Path, **kw: Any) -> str:
    with pytest.raises(DataError) as info:
        _read(path, **kw)
    line = str(info.value)
    assert len(line.splitlines()) == 1 and line.startswith(f"{path}: ")
    return line


def test_boris_names_that_do_not_match_the_study_list_both(tmp_path: Path) -> None:
    truth = _truth("rat01")
    capitalised = ("Social", "Non-social", "Aggression")
    path = _write_csv(tmp_path / "e.csv", _v8_rows("rat01", _events(truth, capitalised)))
    line = _error(path)
    assert "do not match the study: ['social', 'nonsocial', 'aggression'] not found" in line
    assert "the study asks for ['social', 'nonsocial', 'aggression']" in line
    assert "the file has ['Aggression', 'Non-social', 'Social']" in line
    assert "labels.names" in line and "labels.absent" in line
    names = dict(zip(BEHAVIOURS, capitalised, strict=True))
    assert np.array_equal(_read(path, names=names), truth)
    # A behaviour never coded in a tabular export: an error unless labels.absent says so.
    only_social = _write_csv(
        tmp_path / "s.csv", _v8_rows("rat01", _events(truth[:, :1], ["social"]))
    )
    assert "['nonsocial', 'aggression'] not found" in _error(only_social)
    got = _read(only_social, absent=("nonsocial", "aggression"))
    assert np.array_equal(got[:, 0], truth[:, 0]) and got[:, 1:].sum() == 0
    project = tmp_path / "p.boris"
    events = _events(truth, capitalised)
    project.write_text(json.dumps(_project({"rat01": (events, 0.0)}, capitalised)))
    line = _error(project)
    assert "BORIS project file do not match the study" in line and "labels.absent" not in line


def test_boris_observation_matching_no_video_lists_the_observations(tmp_path: Path) -> None:
    events = _events(_truth("rat01"))
    rows = _v8_rows("rat01", events) + _v8_rows("rat02", events)[1:]
    for path in (
        _write_csv(tmp_path / "v8.csv", rows),
        _write_csv(tmp_path / "old.csv", _old_rows("rat01", events)),
        tmp_path / "p.boris",
    ):
        if path.suffix == ".boris":
            path.write_text(
                json.dumps(_project({"rat01": (events, 0), "rat02": (events, 0)}, BEHAVIOURS))
            )
        line = _error(path, observation="rat12")
        assert "no BORIS observation 'rat12' for this video; the file's observations are" in line
        assert "['rat01'" in line and "labels.observation" in line
    assert "subject 'individual3'" in _error(tmp_path / "v8.csv", subject="individual3")


def test_unpaired_boris_events_name_the_line_and_time(tmp_path: Path) -> None:
    rows = _v8_rows("rat01", _events(_truth("rat01")))
    first_start = next(i for i, r in enumerate(rows) if r[12] == "START")
    lone_stop = [*rows[:first_start], *rows[first_start + 1 :]]  # its STOP stays
    path = _write_csv(tmp_path / "stop.csv", lone_stop)
    behaviour = rows[first_start][10]
    stop = next(
        j for j in range(first_start + 1, len(rows)) if rows[j][10:13:2] == [behaviour, "STOP"]
    )
    line = _error(path)
    assert f"line {stop}: the event '{behaviour}' at {rows[stop][13]:g} s " in line
    assert "is a STOP with no START before it; no event is skipped" in line
    assert "Check/fix unpaired events" in line
    last_stop = max(i for i, r in enumerate(rows) if r[12] == "STOP")
    open_start = _write_csv(tmp_path / "start.csv", rows[:last_stop] + rows[last_stop + 1 :])
    assert "is a START with no STOP after it" in _error(open_start)
    sheet = _write_xlsx(tmp_path / "stop.xlsx", lone_stop)
    assert f"row {stop}: " in _error(sheet)


def test_an_aggregated_events_export_is_refused_with_the_export_to_use(tmp_path: Path) -> None:
    header = ["Observation id", "Subject", "Behavior", "Behavior type", "Start (s)", "Stop (s)"]
    rows: list[list[Any]] = [header]
    for b, _f0, _f1, t0, t1 in bout_rows(_truth("rat01"), list(BEHAVIOURS), FPS):
        rows.append(["rat01", "", b, "STATE", round(t0, 3), round(t1, 3)])
    line = _error(_write_csv(tmp_path / "aggregated.csv", rows))
    assert "no BORIS header row (with 'Time' and 'Behavior' columns) found" in line
    assert "Tabular events (not aggregated events)" in line


def test_start_stop_events_put_a_stop_before_a_start_at_the_same_instant() -> None:
    """The one BORIS START/STOP writer of predict's and suggest's sheets."""
    events = start_stop_events([("b", 1.0, 2.0, "n1"), ("a", 2.0, 3.00004, "n2")], "rat")
    assert events == [
        (1.0, "rat", "b", "", "n1"),
        (2.0, "rat", "b", "", "n1"),
        (2.0, "rat", "a", "", "n2"),
        (3.0, "rat", "a", "", "n2"),
    ]
