"""The report's honest-estimate tables: every model's CV estimate beside its test score, and
the selected ensemble's members with their weights and scores.

A search value is picked as the maximum of many noisy looks, so it is optimistic; laying it
beside the held-out score shows by how much. Numbers come from the typed results.json
(:mod:`mbr_search.evaluate.results`), labels from :mod:`mbr_search.evaluate.printed`, so the
report and evaluate's printed summary name and estimate models alike.
"""

from __future__ import annotations

from mbr_search.evaluate.ensemble.selection import ROUNDS
from mbr_search.evaluate.printed import (
    cv_estimate,
    estimate_kind,
    in_sample,
    model_label,
    test_score,
)
from mbr_search.evaluate.results import EnsembleResult, ModelResult, TrialResult
from mbr_search.report.document import MISSING, Cell, Table, Text, num, row, table, txt
from mbr_search.report.results_data import ResultsFile
from mbr_search.scoring.bootstrap import Interval


def _key(model: ModelResult) -> str:
    """An element-id part per model: ``trial-3``, ``mean``, ``selected``."""
    if isinstance(model, TrialResult):
        return f"trial-{model.number}"
    return "selected" if model.method == "selection" else "mean"


def _test_mean(model: ModelResult) -> float | None:
    return None if model.test is None else model.test.post.mean_pr_auc()


def _gap(test: float | None, cv: float | None) -> float | None:
    return None if test is None or cv is None else test - cv


def _family(model: ModelResult, trials: dict[int, TrialResult]) -> str:
    if isinstance(model, TrialResult):
        return model.family or MISSING
    families = sorted({f for m in model.members if (f := trials[m].family) is not None})
    return ", ".join(families) or MISSING


def _interval(value: Interval | None, id: str) -> Cell:
    if value is None:
        return Cell(MISSING, None, id)
    return Cell(f"{value.low:.3f} – {value.high:.3f}", value.low, id)


def estimates_table(results: ResultsFile) -> Table:
    """One row per model: its estimate with interval, the in-sample number, test PR-AUC
    with interval, and test − estimate."""
    trials = {t.number: t for t in results.trials}
    rows = []
    for model in results.results.models():
        key, est = _key(model), cv_estimate(model)
        test, test_iv = test_score(model)
        est_iv = model.uncertainty.estimate_interval if model.uncertainty else None
        rows.append(
            row(
                model_label(model),
                _family(model, trials),
                num(est, id=f"cv-{key}"),
                txt(estimate_kind(model), id=f"kind-{key}"),
                _interval(est_iv, f"cv-interval-{key}"),
                num(in_sample(model), id=f"oof-{key}"),
                num(test, id=f"test-{key}"),
                _interval(test_iv, f"test-interval-{key}"),
                num(_gap(test, est), id=f"gap-{key}"),
            )
        )
    return table(
        "estimates",
        "Estimate beside the test score, every model (mean PR-AUC over behaviours)",
        ("model", "family", "estimate", "how", "90 % interval", "in-sample", "test PR-AUC",
         "test 90 % interval", "test − estimate"),
        rows,
        "Estimate: PR-AUC of all out-of-fold frames pooled; for the selected ensemble "
        "cross-fitted (each fold blended by a selection made on the other folds), the number "
        "to believe for what `predict` uses. In-sample: a trial's search value (the best of "
        "many noisy looks) or the selected ensemble's OOF PR-AUC after selection on those "
        "same predictions — both optimistic, shown only as diagnostics. Test: pooled test "
        "probabilities. Intervals: 90 %, bootstrap over whole videos. "
        f"{MISSING}: not available (no test video, or an older results.json).",
    )  # fmt: skip


def predict_model_table(results: ResultsFile) -> Table:
    """What ``mbr-search predict`` uses (the selected ensemble, else the rank-1 trial) and
    how good it is expected to be: the first thing a lab needs from the report."""
    res = results.results
    model: ModelResult = res.selected if res.selected is not None else res.trials[0]
    u = model.uncertainty
    test, test_iv = test_score(model)
    members = (
        ", ".join(f"#{m} ×{model.weight(m):.2f}" for m in model.members)
        if isinstance(model, EnsembleResult)
        else f"trial #{model.number} ({model.family or MISSING})"
    )
    rows = [
        row("Model", txt(model_label(model), id="predict-model")),
        row("Members", members),
        row(f"Estimate ({estimate_kind(model)})", num(cv_estimate(model), id="predict-estimate")),
        row("Its 90 % interval", _interval(u.estimate_interval if u else None, "predict-ci")),
        row("Test score", num(test, id="predict-test")),
        row("Test 90 % interval", _interval(test_iv, "predict-test-ci")),
        row(
            "Expected on a test set of this size",
            _interval(u.expected_test if u else None, "predict-expected"),
        ),
    ]
    return table(
        "predict-model",
        "The model `mbr-search predict` uses, and what to expect of it",
        ("", "value"),
        rows,
        "Mean PR-AUC over behaviours. The estimate comes from cross-validation only (for the "
        "selected ensemble: cross-fitted, see below); the test score from the held-out test "
        "videos. Intervals: 90 %, bootstrap over whole videos.",
    )


def differences_table(results: ResultsFile) -> Table | None:
    """Paired differences between models on the same test videos, with intervals."""
    diffs = results.results.differences
    if not diffs:
        return None
    rows = [
        row(
            f"{d.a} − {d.b}",
            d.split,
            num(d.value, id=f"diff-{i}"),
            _interval(d.interval, f"diff-interval-{i}"),
            d.verdict,
        )
        for i, d in enumerate(diffs)
    ]
    return table(
        "differences",
        "Paired differences on the same videos",
        ("models", "videos", "difference", "90 % interval", "verdict"),
        rows,
        "Both models scored on the same videos and resampled together, so the videos' own "
        "difficulty cancels. An interval that straddles zero is no evidence either way.",
    )


def selection_table(results: ResultsFile) -> Table | None:
    """The selected ensemble's members (trial, family, weight, CV, OOF, test), then itself."""
    selected = results.results.selected
    if selected is None:
        return None
    trials = {t.number: t for t in results.trials}
    rows = []
    for m in selected.members:
        trial = trials.get(m)
        rows.append(
            row(
                txt(f"#{m}", id=f"member-{m}"),
                txt(trial.family if trial else None),
                num(selected.weight(m), 2, id=f"member-weight-{m}"),
                num(trial.cv_value if trial else None, id=f"member-cv-{m}"),
                num(trial.oof_pr_auc if trial else None, id=f"member-oof-{m}"),
                num(_test_mean(trial) if trial else None, id=f"member-test-{m}"),
            )
        )
    rows.append(_ensemble_row(selected))
    rounds = len(selected.selection_scores) or ROUNDS
    return table(
        "selection",
        "Selected ensemble: members, weights and the score of each",
        ("member", "family", "weight", "CV (trial value)", "OOF pooled PR-AUC", "test PR-AUC"),
        rows,
        f"Greedy forward selection with replacement (Caruana et al. 2004) over {rounds} rounds "
        "on out-of-fold predictions only: a weight is the share of rounds that picked the "
        "trial. Test videos never enter the choice. `mbr-search predict` uses this ensemble.",
    )


def _ensemble_row(selected: EnsembleResult) -> tuple[Cell, ...]:
    return row(
        "selected ensemble",
        MISSING,
        num(1.0, 2),
        num(None),
        num(selected.oof_pr_auc, id="selected-oof"),
        num(_test_mean(selected), id="selected-test"),
    )


def fidelity_text(results: ResultsFile) -> Text | None:
    """Which trials evaluate left out because they were scored on fewer folds."""
    fidelity = results.results.fidelity
    if fidelity is None or not fidelity.left_out:
        return None
    shown = ", ".join(
        f"#{t} ({len(f)} fold{'s' if len(f) != 1 else ''})"
        for t, f in sorted(fidelity.left_out.items())
    )
    return Text(
        f"Ranked on {len(fidelity.folds)} folds ({', '.join(fidelity.folds)}). Left out for "
        f"lower fidelity, never ranked against a full score nor ensembled: {shown}."
    )
