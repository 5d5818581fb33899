"""The label mask, reader by reader and in the losses and scores: a frame nobody labelled is
UNLABELLED (-1), never a negative (issue 23). The per-family trials are in
tests/test_label_mask_families.py, the suggest round trip in tests/test_label_roundtrip.py."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import RAT_MINI, run_cli, write_tiny_study
from sklearn.metrics import average_precision_score

from mbr_search.data.labels import LabelSource, read_labels
from mbr_search.errors import DataError
from mbr_search.predict.boris import start_stop_events, write_boris_xlsx
from mbr_search.scoring.bootstrap import pooled_mean_pr_auc
from mbr_search.scoring.labelled import UNLABELLED, known
from mbr_search.training.fit import labelled_sequences
from mbr_search.training.frame_trainer import labelled_frames
from mbr_search.training.scores import pr_auc
from mbr_search.training.sequences import Batchable, class_weights, packed_targets

U = UNLABELLED


def test_frame_csv_empty_cells_are_unlabelled_not_negative(tmp_path: Path) -> None:
    csv = tmp_path / "labels.csv"
    csv.write_text("frame,groom,rear\n0,1,0\n1,,\n2,0,\n3,,1\n")
    got = read_labels(LabelSource(csv, "frame_csv"), ("groom", "rear"), n_frames=4, fps=10)
    assert got.values.tolist() == [[1, 0], [U, U], [0, U], [U, 1]]
    # a blank line has no frame number: still refused (it would shift later frames)
    csv.write_text("groom\n0\n\n1\n")
    with pytest.raises(DataError, match=r"row 1 is empty \(line 3\).*empty cell in a row"):
        read_labels(LabelSource(csv, "frame_csv"), ("groom",), n_frames=3, fps=10)


def test_caltech_frames_in_no_interval_of_the_stream_are_unlabelled(tmp_path: Path) -> None:
    txt = tmp_path / "annot.txt"
    txt.write_text(
        "Caltech Behavior Annotator - Annotation File\n\nConfiguration file:\nbase\tz\n"
        "social\ts\n\nS1:\tstart\tend\ttype\n-----\n   \t1\t3\tbase\n   \t4\t5\tsocial\n"
        "   \t8\t9\tbase\n"
    )
    got = read_labels(LabelSource(txt, "caltech"), ("social",), n_frames=0, fps=30).values[:, 0]
    assert got.tolist() == [0, 0, 0, 1, 1, U, U, 0, 0]
    # the bundled streams cover every frame: nothing there is unlabelled
    annot = RAT_MINI.parent / "annotations" / "1_annot.txt"
    full = read_labels(LabelSource(annot, "caltech"), ("social",), n_frames=0, fps=30).values
    assert known(full).all()


def test_intervals_outside_the_trial_window_are_unlabelled(tmp_path: Path) -> None:
    table = tmp_path / "iv.csv"
    table.write_text(
        "ID,Experimenter,from,to,type\nv,a,1.0,1.2,Start/End\nv,a,2.9,3.0,Start/End\n"
        "v,a,0.0,0.5,groom\nv,a,1.5,2.0,groom\nv,b,1.5,2.0,groom\nv,a,3.5,3.9,groom\n"
    )
    src = LabelSource(table, "intervals", recording="v", sep=",", window_type="Start/End")
    got = read_labels(src, ("groom",), n_frames=40, fps=10)
    inside = np.arange(40)[known(got.values[:, 0])]
    assert inside.tolist() == list(range(10, 31))
    assert got.values[15:21, 0].tolist() == [1] * 6 and got.values[0, 0] == U
    assert (got.per_rater["a"][:10] == U).all() and got.per_rater["a"][35, 0] == U
    missing = LabelSource(table, "intervals", recording="v", sep=",", window_type="Trial")
    with pytest.raises(DataError, match=r"no 'Trial' rows \(labels.window_type\).*Fix:"):
        read_labels(missing, ("groom",), n_frames=40, fps=10)


def _sheet(path: Path, bouts: list[tuple[str, float, float, str]]) -> LabelSource:
    write_boris_xlsx(path, start_stop_events(bouts))
    return LabelSource(path, "boris", absent=("rear",))


def test_boris_observed_spans_mark_the_labelled_frames(tmp_path: Path) -> None:
    src = _sheet(
        tmp_path / "s.xlsx",
        [("observed", 1.0, 2.0, ""), ("observed", 3.0, 3.5, ""), ("groom", 1.2, 1.5, "")],
    )
    got = read_labels(src, ("groom", "rear"), n_frames=40, fps=10).values
    assert np.flatnonzero(known(got[:, 0])).tolist() == [*range(10, 20), *range(30, 35)]
    assert np.flatnonzero(got[:, 0] == 1).tolist() == [12, 13, 14]
    assert (got[10:20, 1] == 0).all()  # observed, never coded: a labelled negative
    # without an observed span every frame was observed (the BORIS files of before)
    plain = _sheet(tmp_path / "p.xlsx", [("groom", 1.2, 1.5, "")])
    assert known(read_labels(plain, ("groom", "rear"), n_frames=40, fps=10).values).all()


def test_boris_event_outside_the_observed_span_is_refused(tmp_path: Path) -> None:
    src = _sheet(tmp_path / "s.xlsx", [("observed", 1.0, 2.0, ""), ("groom", 1.8, 2.5, "")])
    match = r"s.xlsx: row \d+: the event 'groom' at 1.8 s reaches outside the observed spans "
    with pytest.raises(DataError, match=match + r".* shorter than its events\. Fix: widen"):
        read_labels(src, ("groom", "rear"), n_frames=40, fps=10)


def test_boris_project_observation_time_interval_marks_the_labelled_frames(
    tmp_path: Path,
) -> None:
    """BORIS 8 can limit an observation to part of the media: its 'observation time
    interval' (media seconds; the events carry the time offset, [0, 0] is the whole media)."""
    events = [[5.0 + 1.2, "", "groom", "", ""], [5.0 + 1.5, "", "groom", "", ""]]
    observation = {"events": events, "time offset": 5.0, "observation time interval": [1.0, 2.0]}
    project = {
        "behaviors_conf": {"0": {"code": "groom", "type": "State event"}},
        "subjects_conf": {},
        "observations": {"v": observation},
    }
    path = tmp_path / "p.boris"
    path.write_text(json.dumps(project))
    src = LabelSource(path, "boris", observation="v")
    got = read_labels(src, ("groom",), n_frames=40, fps=10).values[:, 0]
    assert np.flatnonzero(known(got)).tolist() == list(range(10, 20))
    assert np.flatnonzero(got == 1).tolist() == [12, 13, 14]
    observation["observation time interval"] = [0, 0]  # the whole media: every frame
    path.write_text(json.dumps(project))
    assert known(read_labels(src, ("groom",), n_frames=40, fps=10).values).all()
    observation["observation time interval"] = [1.3, 0]  # from 1.3 s to the end
    path.write_text(json.dumps(project))
    with pytest.raises(DataError, match=r"events\[0\]: the event 'groom' at 1.2 s reaches "
                       r"outside the observed spans \('observation time interval'\)"):  # fmt: skip
        read_labels(src, ("groom",), n_frames=40, fps=10)


def test_losses_weights_and_scores_skip_unlabelled_frames() -> None:
    y = np.array([[[1], [0], [U], [U], [0], [1]]], dtype=np.int8)
    data = Batchable(np.zeros((1, 6, 2), np.float16), y, np.ones((1, 6), bool), (("v", 0),))
    packed = packed_targets(data, [0])
    assert packed[0, :, 0].tolist() == [1, 0, 0, 0, 0, 1]  # targets stay 0/1
    assert packed[0, 2:4, 1].tolist() == [0.0, 0.0]  # no weight: not in the loss
    w_neg, w_pos = class_weights(y, data.mask)
    assert (w_neg[0], w_pos[0]) == (1.0, 1.0)  # 2 positives, 2 negatives: N = 4, not 6
    exclusive = packed_targets(data, [0], exclusive=True)
    assert exclusive[0, 2:4, 1].tolist() == [0.0, 0.0]
    probs = np.array([0.9, 0.1, 0.95, 0.99, 0.2, 0.7])
    labels = y[0, :, 0]
    assert pr_auc(labels, probs) == pytest.approx(
        average_precision_score([1, 0, 0, 1], [0.9, 0.1, 0.2, 0.7])
    )
    flipped = labels.copy()
    flipped[[2, 3]] = U
    assert pooled_mean_pr_auc({"v": labels[:, None]}, {"v": probs[:, None]}) == pytest.approx(
        pr_auc(labels, probs)
    )
    frames = labelled_frames(np.arange(12.0).reshape(6, 2), labels, weighted=True)
    assert frames.y.tolist() == [1, 0, 0, 1] and frames.x[:, 0].tolist() == [0, 2, 8, 10]


def test_sequences_without_a_labelled_frame_are_not_trained_on() -> None:
    y = np.full((3, 4, 1), U, dtype=np.int8)
    y[1, 2] = 1  # one labelled frame in the middle sequence
    data = Batchable(np.arange(24.0).reshape(3, 4, 2), y, np.ones((3, 4), bool), ())
    x, targets = labelled_sequences(data.x, packed_targets(data, [0]))
    assert x.shape == (1, 4, 2) and x[0, 0, 0] == 8.0 and targets[0, 2].tolist() == [1.0, 0.5]
    full = Batchable(data.x, np.zeros((3, 4, 1), np.int8), data.mask, ())
    assert labelled_sequences(full.x, packed_targets(full, [0]))[0].shape == (3, 4, 2)


def test_a_training_video_labelled_nowhere_is_refused_in_one_line(tmp_path: Path) -> None:
    labels = tmp_path / "rat01.csv"
    rows = "\n".join(f"{i},,," for i in range(4500))
    labels.write_text("frame,social,nonsocial,aggression\n" + rows + "\n")
    text = RAT_MINI.read_text().replace("pose: dlc/", f"pose: {RAT_MINI.parent}/dlc/")
    text = text.replace(
        "labels: annotations/1_annot.txt}", f"labels: {{file: {labels}, format: frame_csv}}}}"
    )
    text = text.replace("labels: annotations/", f"labels: {RAT_MINI.parent}/annotations/")
    manifest = tmp_path / "dataset.yaml"
    manifest.write_text(text)
    study = write_tiny_study(tmp_path, dataset=manifest)
    ran = run_cli("run", str(study), "--trials", "1", "--storage", f"sqlite:///{tmp_path}/s.db")
    assert ran.returncode == 2, ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in ran.stderr
    assert f"{labels}: video 'rat01' has no labelled frame" in lines[0]
    assert "Fix: label at least one stretch of it" in lines[0]
