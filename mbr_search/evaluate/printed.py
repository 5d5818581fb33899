"""The summary ``mbr-search evaluate`` prints: every model's estimate beside its score.

One line per model (each evaluated trial, the top-K mean, the selected ensemble) with its
estimate and test score, each with a 90 % interval over videos, and the in-sample number
beside them so an optimistic search value shows at a glance; then the paired differences,
the selected ensemble's members and weights, and the human ceiling. Read from the typed
:class:`~mbr_search.evaluate.results.Results`, never from raw JSON.
"""

from __future__ import annotations

from pathlib import Path

from mbr_search.evaluate.results import (
    EnsembleResult,
    ModelResult,
    Results,
    Settings,
    TrialResult,
)
from mbr_search.scoring.bootstrap import Interval


def model_label(model: ModelResult) -> str:
    """How evaluate and the report name a model: ``trial #3``, ``top-2 mean``, ``selected``."""
    if isinstance(model, TrialResult):
        return f"trial #{model.number}"
    if model.method == "selection":
        return "selected ensemble"
    return f"top-{len(model.members)} mean"


def cv_estimate(model: ModelResult) -> float | None:
    """The number to believe before any test video: the cross-fitted estimate for the
    selected ensemble, the pooled out-of-fold PR-AUC otherwise; files written before
    intervals existed fall back to a trial's search value or an ensemble's OOF PR-AUC."""
    if model.uncertainty is not None:
        return model.uncertainty.estimate
    return model.cv_value if isinstance(model, TrialResult) else model.oof_pr_auc


def estimate_kind(model: ModelResult) -> str:
    """How :func:`cv_estimate` was made, in words."""
    if model.uncertainty is None:  # a results.json from before intervals
        if isinstance(model, TrialResult):
            return "search value"
        return "out-of-fold (in-sample)" if model.method == "selection" else "pooled out-of-fold"
    return "cross-fitted" if model.uncertainty.kind == "cross_fitted" else "pooled out-of-fold"


def in_sample(model: ModelResult) -> float | None:
    """The diagnostic beside the estimate: a trial's search value (mean over folds, picked
    as the best of many), the selected ensemble's OOF PR-AUC after selection on it."""
    if isinstance(model, TrialResult):
        return model.cv_value
    return model.oof_pr_auc if model.method == "selection" else None


def test_score(model: ModelResult) -> tuple[float | None, Interval | None]:
    """Pooled mean test PR-AUC (of probabilities) and its interval, when known."""
    u = model.uncertainty
    if u is not None and u.test is not None:
        return u.test, u.test_interval
    return (None if model.test is None else model.test.raw.mean_pr_auc()), None


def _score(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:.3f}"


def _with_interval(value: float | None, interval: Interval | None) -> str:
    shown = _score(value)
    return shown if interval is None else f"{shown} {interval.show()}"


def model_line(model: ModelResult, behaviours: tuple[str, ...], cv_only: bool) -> str:
    block = model.oof if cv_only or model.test is None else model.test
    cells = []
    for b in behaviours:
        e = block.post.pooled[b]
        cells.append(f"{b} {_score(e.f1).strip()}/{_score(e.pr_auc).strip()}")
    est_iv = model.uncertainty.estimate_interval if model.uncertainty else None
    test, test_iv = test_score(model)
    shown_test = "test   n/a" if cv_only else f"test {_with_interval(test, test_iv)}"
    expected = model.uncertainty.expected_test if model.uncertainty else None
    if expected is not None and not cv_only:
        shown_test += f" expected {expected.show()}"
    diag = in_sample(model)
    extra = "" if diag is None else f"  (in-sample {_score(diag)})"
    return (
        f"  {model_label(model):<18} estimate {_with_interval(cv_estimate(model), est_iv)}  "
        f"{shown_test}{extra}   " + "  ".join(cells)
    )


def differences_lines(results: Results) -> list[str]:
    """``selected ensemble - trial #7 on test: +0.021 [0.004, 0.040] (selected better)``."""
    return [
        f"  {d.a} - {d.b} on {d.split}: {d.value:+.3f}"
        + ("" if d.interval is None else f" {d.interval.show()}")
        + f" ({d.verdict})"
        for d in results.differences
    ]


def members_line(selected: EnsembleResult, trials: tuple[TrialResult, ...]) -> str:
    """``#3 lstm x0.60 (CV 0.712, test 0.655), ...``: who the selected ensemble is."""
    by_number = {t.number: t for t in trials}
    parts = []
    for m in selected.members:
        trial = by_number.get(m)
        family = f" {trial.family}" if trial is not None and trial.family else ""
        cv = _score(trial.cv_value if trial else None)
        test = trial.test.post.mean_pr_auc() if trial and trial.test else None
        shown = f"CV {cv}" + ("" if test is None else f", test {_score(test)}")
        parts.append(f"#{m}{family} x{selected.weight(m):.2f} ({shown})")
    return "  selected ensemble members: " + ", ".join(parts)


def tta_line(settings: Settings) -> str:
    """How the test videos were predicted: with test-time augmentation (TTA) or not."""
    if settings.tta is None:
        return "TTA on the test videos: not recorded (a results.json from before it was)."
    if not settings.tta:
        return "Test videos predicted without test-time augmentation (TTA)."
    if settings.tta_views is None:
        return (
            "Test videos predicted plainly: TTA was on, but no model has a member trained on "
            "augmented copies."
        )
    return (
        f"Test videos predicted with test-time augmentation (TTA): {settings.tta_views} views "
        "each, for the members trained on augmented copies."
    )


def summary_text(results: Results, path: Path) -> str:
    """The lines evaluate prints after writing ``path`` (results.json)."""
    source = "out-of-fold" if results.cv_only else "test"
    lines = [
        f"Results: {path}  ({source}, post-processed; F1 / PR-AUC per behaviour)",
        "  estimate: mean PR-AUC of pooled out-of-fold probabilities (the selected ensemble: "
        "cross-fitted, each fold blended by a selection made without it); test: mean PR-AUC "
        "of pooled test probabilities; [90 % interval, bootstrap over videos]; expected: where a "
        "test set of that many videos was expected to score, from the out-of-fold "
        "predictions; in-sample: "
        "the search value, or OOF after selection on it (optimistic)",
    ]
    if not results.cv_only:
        lines.append(f"  {tta_line(results.settings)}")
    lines += [model_line(m, results.behaviours, results.cv_only) for m in results.models()]
    if results.differences:
        lines.append("  paired differences on the same videos:")
        lines += differences_lines(results)
    if results.selected is not None:
        lines.append(members_line(results.selected, results.trials))
    ceiling = results.human_ceiling
    if ceiling is not None:
        cells = [
            f"{b} {'n/a' if v.mean_f1 is None else format(v.mean_f1, '.3f')}"
            for b, v in ceiling.behaviours.items()
        ]
        lines.append(f"  {'raters':<18} " + "  ".join(cells) + "  (mean pairwise F1)")
    which = "the selected ensemble" if results.selected is not None else "the best trial"
    lines.append(f"Model for `mbr-search predict` ({which}): {path.parent / 'model'}")
    return "\n".join(lines)
