"""The summary ``mbr-search evaluate`` prints: every model's CV estimate beside its score.

One line per model (each evaluated trial, the top-K mean, the selected ensemble) with its
cross-validation estimate next to its test score, so an optimistic search value shows at a
glance; then the selected ensemble's members and weights, and the human ceiling. Read from
the typed :class:`~mbr_search.evaluate.results.Results`, never from raw JSON.
"""

from __future__ import annotations

from pathlib import Path

from mbr_search.evaluate.results import EnsembleResult, ModelResult, Results, TrialResult


def model_label(model: ModelResult) -> str:
    """How evaluate and the report name a model: ``trial #3``, ``top-2 mean``, ``selected``."""
    if isinstance(model, TrialResult):
        return f"trial #{model.number}"
    if model.method == "selection":
        return "selected ensemble"
    return f"top-{len(model.members)} mean"


def cv_estimate(model: ModelResult) -> float | None:
    """The model's cross-validation estimate: a trial's search value (mean over folds), an
    ensemble's PR-AUC of its averaged out-of-fold probabilities."""
    return model.cv_value if isinstance(model, TrialResult) else model.oof_pr_auc


def _score(value: float | None) -> str:
    return "  n/a" if value is None else f"{value:.3f}"


def model_line(model: ModelResult, behaviours: tuple[str, ...], cv_only: bool) -> str:
    block = model.oof if cv_only or model.test is None else model.test
    cells = []
    for b in behaviours:
        e = block.post.pooled[b]
        cells.append(f"{b} {_score(e.f1).strip()}/{_score(e.pr_auc).strip()}")
    test = "test   n/a" if cv_only else f"test {_score(block.post.mean_pr_auc())}"
    return (
        f"  {model_label(model):<18} CV {_score(cv_estimate(model))}  "
        f"OOF {_score(model.oof_pr_auc)}  {test}   " + "  ".join(cells)
    )


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


def summary_text(results: Results, path: Path) -> str:
    """The lines evaluate prints after writing ``path`` (results.json)."""
    source = "out-of-fold" if results.cv_only else "test"
    lines = [
        f"Results: {path}  ({source}, post-processed; F1 / PR-AUC per behaviour)",
        "  CV: the trial's search value (mean over folds) or the ensemble's out-of-fold "
        "PR-AUC; OOF: mean PR-AUC of pooled out-of-fold probabilities; test: mean PR-AUC",
    ]
    lines += [model_line(m, results.behaviours, results.cv_only) for m in results.models()]
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
