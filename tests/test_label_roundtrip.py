"""The active-learning loop with partly labelled videos and a sequence model (issue 23).

On the bundled rat data: four training and two test videos labelled only inside a trial
window; ``run`` an LSTM-only search (so the winner is a sequence model) and ``evaluate``
it; ``suggest`` segments of two more videos nobody labelled; label those segments from
the true annotations in the BORIS sheets ``suggest`` wrote (keep its ``observed`` spans,
replace its events by the true bouts inside them); ``run`` again with the two videos
added. Then: the new labels were read (each new video is labelled exactly on its
segments, with the true labels) and used (their folds, their frames in the fold scores),
and no unlabelled frame entered a loss or a metric: the winner's trial on a copy whose
labels outside the windows are flipped gives the same value, fold scores and out-of-fold
probabilities, bit for bit.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
from _partial_labels import BEHAVIOURS, FPS, partial_manifest, pose_file, truth
from conftest import run_cli
from optuna.artifacts import FileSystemArtifactStore

from mbr_search.config.study import load_study
from mbr_search.data._xlsx import xlsx_rows
from mbr_search.data.labels import OBSERVED_CODE
from mbr_search.data.resample import frame_indices
from mbr_search.features.store import load_split
from mbr_search.predict.boris import start_stop_events, write_boris_xlsx
from mbr_search.scoring.labelled import known
from mbr_search.search.folds import video_folds
from mbr_search.search.objective import Objective
from mbr_search.search.oof import load_oof_artifact
from mbr_search.search.record import FOLD_SCORES, OOF

pytestmark = pytest.mark.slow

START = ("rat01", "rat02", "rat05", "rat10", "rat08", "rat20")  # the last two: test split
POOL = ("rat11", "rat12")
SPACE = """\
name: lstm_only
model: lstm
params:
  lstm_units: {type: categorical, choices: [8, 12]}
fixed: {seq_len: 150, batch_size: 16, lstm_layers: 1, dropout: 0.0, learning_rate: 0.005,
        multi_label: true}
"""


def _folder(path: Path) -> Path:
    path.mkdir(parents=True)
    return path


def _study(folder: Path, name: str, manifest: Path) -> Path:
    (folder / "space.yaml").write_text(SPACE)
    path = folder / f"{name}.yaml"
    path.write_text(
        f"name: {name}\ndataset: {manifest}\nbehaviours: [social, nonsocial, aggression]\n"
        "fps: 10\nfeatures: {backbone: pose}\nspace: space.yaml\n"
        "cv: {scheme: group_kfold, k: 3, max_folds: 2, promote: 0}\n"
        "sampler: {name: tpe, n_startup_trials: 2}\npruner: {name: none}\n"
        "training: {max_epochs: 1, patience: 1}\nseed: 0\ntrials: 2\n"
    )
    return path


def _label_sheet(sheet: Path, video: str) -> list[tuple[int, int]]:
    """Replace the suggested events by the true bouts inside each ``observed`` span (what
    a person labelling the segments writes); returns the spans in source frames."""
    rows = xlsx_rows(sheet)
    header = [c.lower() for c in rows[0][1]]
    time, code = header.index("time"), header.index("code")
    starts = [float(r[time]) for _, r in rows[1:] if r[code] == OBSERVED_CODE]
    spans_s = list(zip(starts[::2], starts[1::2], strict=True))  # START, STOP alternate
    labels = truth(video)
    bouts: list[tuple[str, float, float, str]] = []
    spans = []
    for t0, t1 in spans_s:
        f0, f1 = math.floor(t0 * FPS + 0.5), math.floor(t1 * FPS + 0.5)
        spans.append((f0, f1))
        bouts.append((OBSERVED_CODE, t0, t1, "labelled"))
        for c, name in enumerate(BEHAVIOURS):
            inside = np.r_[0, labels[f0:f1, c], 0]
            edges = np.flatnonzero(np.diff(inside))
            for a, b in zip(edges[::2], edges[1::2], strict=True):
                bouts.append((name, (f0 + a) / FPS, (f0 + b) / FPS, ""))
    write_boris_xlsx(sheet, start_stop_events(bouts))
    return spans


def _search(study: Path, storage: str) -> optuna.Study:
    ran = run_cli("run", str(study), "--trials", "2", "--storage", storage, "--no-progress")
    assert ran.returncode == 0, ran.stderr
    return optuna.load_study(study_name=study.stem, storage=storage)


def _fixed_trial(study_path: Path, params: dict[str, object], store: Path) -> tuple[object, ...]:
    """The winner's parameters as one trial in this process: value, fold scores, OOF."""
    study = load_study(str(study_path))
    videos = load_split(study, "train")
    folds = video_folds(videos, study.cv, study.seed)
    store.mkdir(parents=True, exist_ok=True)
    artifacts = FileSystemArtifactStore(str(store))
    search = optuna.create_study(direction="maximize")
    search.enqueue_trial(params)
    search.optimize(Objective(study, videos, folds, artifact_store=artifacts), n_trials=1)
    trial = search.trials[0]
    oof = load_oof_artifact(artifacts, trial.user_attrs[OOF], str(store))
    return trial.value, trial.user_attrs[FOLD_SCORES], oof


def test_suggest_label_retrain_round_trip_with_a_sequence_winner(tmp_path: Path) -> None:
    storage = f"sqlite:///{tmp_path / 'studies.db'}"
    start = _folder(tmp_path / "start")
    first = _study(start, "partly", partial_manifest(start, "truth", START))
    winner = _search(first, storage).best_trial
    assert winner.params.get("model", "lstm") == "lstm" and "lstm_units" in winner.params
    ev = run_cli("evaluate", str(first), "--top", "1", "--no-importance", "--storage", storage,
                 "--out", str(tmp_path / "ev"))  # fmt: skip
    assert ev.returncode == 0, ev.stderr
    assert (tmp_path / "ev" / "results.json").is_file()
    # a partly labelled test video: its per-frame CSV leaves the unlabelled frames empty
    frames = pd.read_csv(next((tmp_path / "ev").rglob("*rat08*.csv")))
    assert frames["social_true"].isna().sum() == 600  # 10 fps: 300 + 300 outside the window
    # suggest on the two unlabelled videos, then label the segments through its sheets
    out = tmp_path / "next"
    pool = [pose_file(v) for v in POOL]
    res = run_cli("suggest", str(tmp_path / "ev" / "model"), *map(str, pool), "--n", "6",
                  "--out", str(out))  # fmt: skip
    assert res.returncode == 0, res.stderr
    segments = pd.read_csv(out / "segments.csv")
    names = {Path(p).name: v for p, v in zip(segments["input"], segments["video"], strict=True)}
    entries, spans = "", {}
    for video, pose in zip(POOL, pool, strict=True):
        sheet = out / f"{names[pose.name]}_to_label_boris.xlsx"
        spans[video] = _label_sheet(sheet, video)
        entries += (f"  - {{id: {video}, split: train, pose: {pose}, labels: {{format: boris, "
                    f"file: {sheet}, absent: [social, nonsocial, aggression]}}}}\n")  # fmt: skip
    again, flip = _folder(tmp_path / "again"), _folder(tmp_path / "flip")
    second = _study(again, "relabelled", partial_manifest(again, "truth", START, extra=entries))
    rerun = _search(second, storage)
    # the new labels were read: each new video is labelled exactly on its segments, truly
    config = load_study(str(second))
    by_id = {v.id: v for v in load_split(config, "train")}
    for video in POOL:
        labels = by_id[video].labels
        step = frame_indices(4500, FPS, 10)  # the source frame of each 10 fps frame
        inside = np.zeros(len(labels), dtype=bool)
        for f0, f1 in spans[video]:
            inside |= (step >= f0) & (step < f1)
        assert np.array_equal(known(labels).all(axis=1), inside) and inside.any()
        assert np.array_equal(labels[inside], truth(video)[step[inside]])
    # ... and used: the new videos are in the re-run's folds
    folded = {v for fold in rerun.user_attrs["folds"] for v in fold["validation"]}
    assert set(POOL) & folded
    # no unlabelled frame entered a loss or a metric: flip every label outside the windows
    flipped = _study(flip, "relabelled", partial_manifest(flip, "flipped", START, extra=entries))
    params = rerun.best_trial.params
    a = _fixed_trial(second, params, tmp_path / "a")
    b = _fixed_trial(flipped, params, tmp_path / "b")
    assert a[0] == b[0] and a[1] == b[1]
    assert all(np.array_equal(a[2][v], b[2][v]) for v in a[2])  # type: ignore[index]
