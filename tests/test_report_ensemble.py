"""The report and evaluate's printed summary show the selected ensemble (members, weights,
the score of each) and every model's CV estimate next to its test score.

Built from a typed results.json written and read back through ``Results`` (no training), so
what is checked is the file format and its rendering, fast.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _shared import md_table

from mbr_search.evaluate.results import (
    DatasetInfo,
    EnsembleResult,
    Fidelity,
    MetricEntry,
    Metrics,
    Results,
    ScoredBlock,
    Settings,
    TrialResult,
    Uncertainty,
)
from mbr_search.evaluate.results.uncertainty import Difference
from mbr_search.scoring.bootstrap import Interval
from mbr_search.scoring.postprocess import PostProcess

BEHAVIOURS = ("social", "nonsocial")


def _entry(pr_auc: float) -> MetricEntry:
    return MetricEntry(
        accuracy=0.9, precision=0.5, recall=0.5, f1=0.5, pr_auc=pr_auc,
        confusion=((80, 10), (5, 5)), frames=100, positives=10,
        segmental_precision=0.5, segmental_recall=0.5, segmental_f1=0.5, segment_hits=1,
        bouts_true=2, bouts_pred=2, seconds_true=1.0, seconds_pred=1.5,
    )  # fmt: skip


def _block(pr_auc: tuple[float, float], *, test: bool) -> ScoredBlock:
    pooled = {b: _entry(p) for b, p in zip(BEHAVIOURS, pr_auc, strict=True)}
    metrics = Metrics(pooled=pooled, per_video={"v": pooled})
    return ScoredBlock(metrics, metrics, {}, None, None if test else ("v",))


def _r(value: float) -> float:
    """As results.json stores it (6 digits), so a written file reads back equal."""
    return round(value, 6)


def _iv(low: float, high: float, videos: int) -> Interval:
    return Interval(_r(low), _r(high), videos=videos)


def _trial(number: int, rank: int, family: str, cv: float, oof: float, test: float) -> TrialResult:
    return TrialResult(
        number=number, rank=rank, cv_value=cv,
        fold_scores={"0": {b: cv for b in BEHAVIOURS}, "1": {b: cv for b in BEHAVIOURS}},
        params={"model": family}, epochs={"all": 3}, search_seconds=10.0, train_seconds=2.0,
        predict_seconds=0.5, predict_frames=100, thresholds={b: 0.5 for b in BEHAVIOURS},
        postprocess={b: PostProcess() for b in BEHAVIOURS},
        oof=_block((oof, oof), test=False), test=_block((test, test + 0.02), test=True),
        model_dir=f"trials/trial_{number}/model", oof_pr_auc=oof,
        uncertainty=Uncertainty(
            oof, "oof", _iv(oof - 0.06, oof + 0.06, 4),
            _r(test + 0.01), _iv(test - 0.04, test + 0.06, 2),
        ),
    )  # fmt: skip


def _ensemble(
    members: tuple[int, ...], weights: dict[int, float] | None, oof: float, test: float
) -> EnsembleResult:
    return EnsembleResult(
        members=members, thresholds={b: 0.5 for b in BEHAVIOURS},
        postprocess={b: PostProcess() for b in BEHAVIOURS},
        oof=_block((oof, oof), test=False), test=_block((test, test), test=True),
        predict_seconds=1.0, predict_frames=100,
        model_dir="model_selected" if weights else "model_ensemble",
        method="selection" if weights else "mean", weights=weights,
        selection_scores=(oof - 0.01, oof) if weights else (), oof_pr_auc=oof,
        # the selected ensemble's estimate is cross-fitted, below its in-sample OOF; the
        # plain mean has none, as in a results.json from before intervals
        uncertainty=Uncertainty(
            _r(oof - 0.05), "cross_fitted", _iv(oof - 0.1, oof, 4),
            test, _iv(test - 0.05, test + 0.05, 2),
        ) if weights else None,
    )  # fmt: skip


def _results() -> Results:
    # #4 (gbdt) is a selection member outside the top 2, so evaluate scored it as well.
    trials = (
        _trial(7, 1, "lstm", cv=0.74, oof=0.71, test=0.62),
        _trial(2, 2, "tcn", cv=0.72, oof=0.70, test=0.64),
        _trial(4, 3, "gbdt", cv=0.69, oof=0.68, test=0.66),
    )
    return Results(
        study="tiny", study_name="tiny", study_file="tiny.yaml", storage="sqlite:///s.db",
        dataset=DatasetInfo("rats", "d.yaml", ("v",), ("t",)), behaviours=BEHAVIOURS,
        fps=10.0, backbone="pose", baseline_pr_auc=0.1, created="2026-12-02T00:00:00+00:00",
        versions={"mbr-search": "0"}, cv_only=False,
        settings=Settings(
            2, True, "max F1", "F1", {"closing": (0, 2)}, 0.5, "mean PR-AUC", tta=True, tta_views=16
        ),
        trials=trials, ensemble=_ensemble((7, 2), None, oof=0.73, test=0.66),
        human_ceiling=None,
        selected=_ensemble((7, 4), {7: 0.6, 4: 0.4}, oof=0.75, test=0.68),
        fidelity=Fidelity(("0", "1"), {9: ("0",)}),
        differences=(
            Difference("selected ensemble", "trial #7", "test", 0.05, Interval(0.01, 0.09)),
            Difference("trial #2", "trial #7", "test", 0.02, Interval(-0.01, 0.05)),
        ),
    )  # fmt: skip


@pytest.fixture
def written(tmp_path: Path) -> Path:
    return _results().write(tmp_path / "results.json")


def _render(path: Path) -> tuple[str, str]:
    from mbr_search.report.build import _results_sections
    from mbr_search.report.document import Document
    from mbr_search.report.render import render_html, render_markdown
    from mbr_search.report.results_data import load_results

    loaded = load_results(path.parent, "tiny", "tiny")
    assert loaded is not None
    doc = Document("t", "s", _results_sections(loaded))
    return render_html(doc, ""), render_markdown(doc)


def test_results_json_keeps_the_estimates_and_reads_older_files(written: Path) -> None:
    again = Results.read(written)
    assert again == _results()
    # A file written before oof_pr_auc and fidelity existed still reads (as None).
    doc = json.loads(written.read_text())
    del doc["fidelity"], doc["selected_ensemble"]["oof_pr_auc"]
    for trial in doc["trials"]:
        del trial["oof_pr_auc"]
    old = Results.from_json(doc)
    assert old.fidelity is None and old.selected is not None
    assert old.selected.oof_pr_auc is None and old.trials[0].oof_pr_auc is None
    # ... and one written before it recorded test-time augmentation: not recorded
    assert (again.settings.tta, again.settings.tta_views) == (True, 16)
    del doc["settings"]["tta"], doc["settings"]["tta_views"]
    older = Results.from_json(doc).settings
    assert older.tta is None and older.tta_views is None


def test_report_shows_members_weights_and_the_score_of_each(written: Path) -> None:
    html, md = _render(written)
    members = md_table(md, "Selected ensemble: members")
    assert members[0] == [
        "member", "family", "weight", "CV (trial value)", "OOF pooled PR-AUC", "test PR-AUC",
    ]  # fmt: skip
    assert members[1:] == [
        ["#7", "lstm", "0.60", "0.7400", "0.7100", "0.6300"],
        ["#4", "gbdt", "0.40", "0.6900", "0.6800", "0.6700"],
        ["selected ensemble", "—", "1.00", "—", "0.7500", "0.6800"],
    ]
    assert 'id="member-weight-4" data-value="0.4"' in html
    assert 'id="member-test-7" data-value="0.63' in html
    assert 'id="selected-oof" data-value="0.75"' in html


def test_report_shows_the_estimate_next_to_the_test_score(written: Path) -> None:
    html, md = _render(written)
    table = md_table(md, "Estimate beside the test score")
    assert table[0] == [
        "model", "family", "estimate", "how", "90 % interval", "in-sample", "test PR-AUC",
        "test 90 % interval", "test − estimate",
    ]  # fmt: skip
    by_model = {r[0]: r for r in table[1:]}
    assert list(by_model) == [
        "trial #7", "trial #2", "trial #4", "top-2 mean", "selected ensemble",
    ]  # fmt: skip
    assert by_model["trial #7"][1:] == [
        "lstm", "0.7100", "pooled out-of-fold", "0.650 – 0.770", "0.7400", "0.6300",
        "0.580 – 0.680", "-0.0800",
    ]  # fmt: skip
    # an ensemble from an older file: its OOF PR-AUC, no interval, raw test mean
    assert by_model["top-2 mean"][1:] == [
        "lstm, tcn", "0.7300", "pooled out-of-fold", "—", "—", "0.6600", "—", "-0.0700",
    ]  # fmt: skip
    sel = by_model["selected ensemble"]
    assert sel[2:6] == ["0.7000", "cross-fitted", "0.650 – 0.750", "0.7500"]
    assert 'id="cv-selected" data-value="0.7"' in html and 'id="test-trial-2"' in html
    diffs = md_table(md, "Paired differences on the same videos")
    assert diffs[1] == ["selected ensemble − trial #7", "test", "0.0500", "0.010 – 0.090",
                        "selected ensemble better"]  # fmt: skip
    assert diffs[2][-1] == "no evidence"
    # the trial left out for lower fidelity is named
    assert "#9 (1 fold)" in md and "Ranked on 2 folds" in md


def test_printed_summary_puts_the_estimate_beside_test_for_every_model(written: Path) -> None:
    from mbr_search.cli._evaluate import summary

    lines = summary(written).splitlines()
    rows = {line.split("  estimate")[0].strip(): line for line in lines if "  estimate " in line}
    assert list(rows) == ["trial #7", "trial #2", "trial #4", "top-2 mean", "selected ensemble"]
    assert (
        "estimate 0.710 [0.650, 0.770]  test 0.630 [0.580, 0.680]  (in-sample 0.740)"
        in rows["trial #7"]
    )
    assert (
        "estimate 0.700 [0.650, 0.750]  test 0.680 [0.630, 0.730]  (in-sample 0.750)"
        in rows["selected ensemble"]
    )
    assert (
        "selected ensemble - trial #7 on test: +0.050 [0.010, 0.090] (selected ensemble "
        "better)" in summary(written)
    )
    assert "(no evidence)" in summary(written)
    members = next(line for line in lines if "selected ensemble members" in line)
    assert "#7 lstm x0.60 (CV 0.740, test 0.630)" in members
    assert "#4 gbdt x0.40 (CV 0.690, test 0.670)" in members


def test_report_opens_with_the_model_predict_uses_and_its_estimate(written: Path) -> None:
    from mbr_search.report.document import Document, Section
    from mbr_search.report.ensemble_tables import predict_model_table
    from mbr_search.report.render import render_html, render_markdown
    from mbr_search.report.results_data import load_results

    loaded = load_results(written.parent, "tiny", "tiny")
    assert loaded is not None
    doc = Document("t", "s", [Section("overview", "Overview", [predict_model_table(loaded)])])
    html, md = render_html(doc, ""), render_markdown(doc)
    rows = {r[0]: r[1] for r in md_table(md, "The model `mbr-search predict` uses")[1:]}
    assert rows["Model"] == "selected ensemble"
    assert rows["Members"] == "#7 ×0.60, #4 ×0.40"
    assert rows["Estimate (cross-fitted)"] == "0.7000"
    assert rows["Its 90 % interval"] == "0.650 – 0.750"
    assert rows["Test score"] == "0.6800"
    assert 'id="predict-estimate" data-value="0.7"' in html


def test_printed_summary_and_report_say_whether_test_videos_had_tta(written: Path) -> None:
    from dataclasses import replace

    from mbr_search.cli._evaluate import summary
    from mbr_search.evaluate.printed import tta_line

    said = "Test videos predicted with test-time augmentation (TTA): 16 views each"
    assert [line for line in summary(written).splitlines() if "TTA" in line] == [
        f"  {said}, for the members trained on augmented copies."
    ]
    html, md = _render(written)
    assert said in md and said in html
    settings = _results().settings
    assert "without test-time augmentation" in tta_line(replace(settings, tta=False))
    assert "predicted plainly" in tta_line(replace(settings, tta_views=None))
    assert "not recorded" in tta_line(replace(settings, tta=None, tta_views=None))
    # no test video: no line about how test videos were predicted
    cv_only = replace(_results(), cv_only=True).write(written.parent / "cv.json")
    assert "TTA" not in summary(cv_only)
