"""Tables from ``results.json``: the thesis' per-behaviour tables and what a lab publishes."""

from __future__ import annotations

from mbr_search.evaluate.results import MetricEntry, ModelResult, TrialResult
from mbr_search.report.document import (
    MISSING,
    Cell,
    Table,
    num,
    row,
    seconds,
    slug,
    table,
    txt,
)
from mbr_search.report.results_data import ResultsFile, scored

#: (label, MetricEntry field) in the order of the thesis' Tables 5.1-5.3, then what it lacked.
METRICS = (
    ("Binary accuracy", "accuracy"),
    ("Precision", "precision"),
    ("Recall", "recall"),
    ("F1", "f1"),
    ("AUC PRC (PR-AUC)", "pr_auc"),
    ("Segmental F1", "segmental_f1"),
)


def split_label(split: str) -> str:
    return "test videos" if split == "test" else "out-of-fold validation (optimistic)"


def split_word(split: str) -> str:
    return "test" if split == "test" else "out-of-fold"


def entry(model: ModelResult, stage: str, behaviour: str) -> MetricEntry:
    """Pooled metrics of one behaviour (``stage``: raw or post) on the model's split."""
    _, numbers = scored(model)
    return numbers.stage(stage).pooled[behaviour]


def cv_means(model: TrialResult, behaviour: str) -> float | None:
    values = [s.get(behaviour) for s in model.fold_scores.values()]
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None


def summary_table(results: ResultsFile) -> Table:
    """Per behaviour: prevalence (the no-skill PR-AUC), CV and test PR-AUC, final F1."""
    best = results.best
    split, _ = scored(best)
    ens = results.ensemble
    ceiling = results.human_ceiling
    headers = [
        "behaviour",
        "frames",
        "positives",
        "prevalence (no-skill PR-AUC)",
        "CV PR-AUC",
        f"{split_word(split)} PR-AUC",
        "precision",
        "recall",
        "F1",
        "segmental F1",
    ]
    if ens is not None:
        headers.append(f"ensemble {split_word(split)} PR-AUC")
    if ceiling is not None:
        headers += ["raters F1 (mean of pairs)", "model F1 vs raters"]
    rows = []
    for b in results.behaviours:
        e = entry(best, "post", b)
        cells = [
            txt(b),
            num(e.frames),
            num(e.positives),
            num(e.prevalence),
            num(cv_means(best, b)),
            num(e.pr_auc, id=f"{split}-prauc-{slug(b)}"),
            num(e.precision),
            num(e.recall),
            num(e.f1, id=f"{split}-f1-{slug(b)}"),
            num(e.segmental_f1),
        ]
        if ens is not None:
            cells.append(num(entry(ens, "post", b).pr_auc, id=f"ensemble-prauc-{slug(b)}"))
        if ceiling is not None:
            cells += [
                num(ceiling.behaviours[b].mean_f1, id=f"human-f1-{slug(b)}"),
                num(ceiling.model.behaviours[b].mean_f1, id=f"model-vs-raters-f1-{slug(b)}"),
            ]
        rows.append(tuple(cells))
    return table(
        "results-summary",
        f"Trial #{best.number} (rank 1) on the {split_label(split)}, per behaviour",
        headers,
        rows,
        "Precision, recall and F1 at the threshold chosen on out-of-fold predictions, after "
        "post-processing. PR-AUC is threshold-free. A classifier without skill scores the "
        f"prevalence. {MISSING}: undefined (no positive frame, or nothing predicted).",
    )


def thesis_tables(results: ResultsFile) -> list[Table]:
    """One table per behaviour, metrics as rows and models as columns (Tables 5.1-5.3)."""
    models = results.models()
    out = []
    for b in results.behaviours:
        rows = [
            row(label, *(num(getattr(entry(m, "post", b), key)) for _, m in models))
            for label, key in METRICS
        ]
        split, _ = scored(models[0][1])
        out.append(
            table(
                f"thesis-{slug(b)}",
                f"{b}: {split_label(split)}, pooled frames, after post-processing",
                ("metric", *(label for label, _ in models)),
                rows,
            )
        )
    return out


def confusion_table(results: ResultsFile) -> Table:
    """Frame counts per behaviour and model, in sklearn's [[tn, fp], [fn, tp]] order."""
    rows = []
    for b in results.behaviours:
        for label, m in results.models():
            (tn, fp), (fn, tp) = entry(m, "post", b).confusion
            rows.append(row(b, label, num(tp), num(fp), num(fn), num(tn)))
    return table(
        "confusion",
        "Confusion matrices (frames, after post-processing)",
        ("behaviour", "model", "TP", "FP", "FN", "TN"),
        rows,
    )


def postprocess_table(results: ResultsFile) -> Table:
    """Scores before and after closing / opening / minimum bout length, per model."""
    rows = []
    for label, m in results.models():
        for b in results.behaviours:
            raw, post = entry(m, "raw", b), entry(m, "post", b)
            steps = m.postprocess[b]
            rows.append(
                row(
                    label,
                    b,
                    num(m.thresholds[b], 3),
                    num(steps.closing),
                    num(steps.opening),
                    num(steps.min_bout),
                    num(raw.f1),
                    num(post.f1),
                    num(raw.segmental_f1),
                    num(post.segmental_f1),
                    num(raw.bouts_pred),
                    num(post.bouts_pred),
                    num(post.bouts_true),
                )
            )
    split, _ = scored(results.best)
    return table(
        "postprocess",
        f"Post-processing effect ({split_label(split)})",
        (
            "model",
            "behaviour",
            "threshold",
            "closing",
            "opening",
            "min bout",
            "F1 before",
            "F1 after",
            "seg. F1 before",
            "seg. F1 after",
            "bouts before",
            "bouts after",
            "true bouts",
        ),
        rows,
        "Sizes in frames, chosen on out-of-fold predictions (0: step off). Closing fills short "
        "gaps, opening removes short isolated runs, then bouts under the minimum are dropped.",
    )


def per_video_table(results: ResultsFile) -> Table:
    """Per video and behaviour: bouts and time, true against predicted (rank-1 model)."""
    best = results.best
    split, numbers = scored(best)
    per_video = numbers.post.per_video
    rows = []
    for video in sorted(per_video):
        for b in results.behaviours:
            e = per_video[video][b]
            rows.append(
                row(
                    video,
                    b,
                    num(e.frames),
                    num(e.bouts_true),
                    num(e.bouts_pred),
                    num(e.seconds_true, 1),
                    num(e.seconds_pred, 1),
                    num(e.f1),
                    num(e.segmental_f1),
                    num(e.pr_auc),
                )
            )
    return table(
        "per-video",
        f"Trial #{best.number} per video ({split_label(split)})",
        (
            "video",
            "behaviour",
            "frames",
            "true bouts",
            "predicted bouts",
            "true s",
            "predicted s",
            "F1",
            "segmental F1",
            "PR-AUC",
        ),
        rows,
    )


def ceiling_table(results: ResultsFile) -> Table | None:
    """Rater against rater beside the model against each rater (frame F1)."""
    ceiling = results.human_ceiling
    if ceiling is None:
        return None
    rows = []
    for b in results.behaviours:
        human, mine = ceiling.behaviours[b], ceiling.model.behaviours[b]
        pairs = "; ".join(f"{k}: {v:.3f}" for k, v in sorted(human.pairs.items()) if v is not None)
        rows.append(
            row(
                b,
                pairs or MISSING,
                num(human.mean_f1),
                *(num(mine.vs_raters[r]) for r in ceiling.raters),
                num(mine.mean_f1),
            )
        )
    source = ceiling.model.source
    return table(
        "human-ceiling",
        f"Human ceiling: frame F1 between raters and of trial #{ceiling.model.trial} "
        f"({'test' if source == 'test' else 'out-of-fold'}) against each rater",
        (
            "behaviour",
            "rater pairs",
            "raters mean",
            *(f"model vs {r}" for r in ceiling.raters),
            "model mean",
        ),
        rows,
        f"Videos: {', '.join(ceiling.videos) or MISSING} ({ceiling.split}). "
        "A model within the raters' spread labels as well as another human would.",
    )


def compute_table(results: ResultsFile) -> Table:
    """Compute time as a metric: search, retraining and prediction."""
    rows: list[tuple[Cell, ...]] = []
    for label, m in results.models():
        frames, predict = m.predict_frames, m.predict_seconds
        per_frame = 1000.0 * predict / frames if frames and predict is not None else None
        trial = m if isinstance(m, TrialResult) else None
        rows.append(
            row(
                label,
                seconds(trial.search_seconds if trial else None),
                seconds(trial.train_seconds if trial else None),
                seconds(predict),
                num(frames),
                num(per_frame, 3),
            )
        )
    return table(
        "compute",
        "Compute time",
        ("model", "search (CV) s", "retrain s", "predict s", "frames predicted", "ms per frame"),
        rows,
        "Predict time covers features to probabilities for every test video on this machine.",
    )
