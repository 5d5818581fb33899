"""Tables from ``results.json``: the thesis' per-behaviour tables and what a lab publishes."""

from __future__ import annotations

from typing import Any

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
from mbr_search.report.results_data import Results, scored

#: (label, ENTRY key) in the order of the thesis' Tables 5.1-5.3, then what it lacked.
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


def entry(model: dict[str, Any], stage: str, behaviour: str) -> dict[str, Any]:
    """Pooled metrics of one behaviour (``stage``: raw or post), {} when absent."""
    _, numbers = scored(model)
    pooled = ((numbers or {}).get(stage) or {}).get("pooled") or {}
    return pooled.get(behaviour) or {}


def cv_means(model: dict[str, Any], behaviour: str) -> float | None:
    folds = model.get("fold_scores") or {}
    values = [s.get(behaviour) for s in folds.values() if isinstance(s, dict)]
    defined = [float(v) for v in values if isinstance(v, int | float)]
    return sum(defined) / len(defined) if defined else None


def summary_table(results: Results) -> Table:
    """Per behaviour: prevalence (the no-skill PR-AUC), CV and test PR-AUC, final F1."""
    best = results.trials[0]
    split, _ = scored(best)
    ens = results.ensemble
    ceiling = results.data.get("human_ceiling") or {}
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
    if ceiling:
        headers += ["raters F1 (mean of pairs)", "model F1 vs raters"]
    rows = []
    for b in results.behaviours:
        e = entry(best, "post", b)
        frames, pos = e.get("frames"), e.get("positives")
        prevalence = (
            pos / frames if isinstance(pos, int) and isinstance(frames, int) and frames else None
        )
        cells = [
            txt(b),
            num(frames),
            num(pos),
            num(prevalence),
            num(cv_means(best, b)),
            num(e.get("pr_auc"), id=f"{split}-prauc-{slug(b)}"),
            num(e.get("precision")),
            num(e.get("recall")),
            num(e.get("f1"), id=f"{split}-f1-{slug(b)}"),
            num(e.get("segmental_f1")),
        ]
        if ens is not None:
            cells.append(num(entry(ens, "post", b).get("pr_auc"), id=f"ensemble-prauc-{slug(b)}"))
        if ceiling:
            human = (ceiling.get("behaviours") or {}).get(b) or {}
            model = ((ceiling.get("model") or {}).get("behaviours") or {}).get(b) or {}
            cells += [
                num(human.get("mean_f1"), id=f"human-f1-{slug(b)}"),
                num(model.get("mean_f1"), id=f"model-vs-raters-f1-{slug(b)}"),
            ]
        rows.append(tuple(cells))
    return table(
        "results-summary",
        f"Trial #{best.get('number')} (rank 1) on the {split_label(split)}, per behaviour",
        headers,
        rows,
        "Precision, recall and F1 at the threshold chosen on out-of-fold predictions, after "
        "post-processing. PR-AUC is threshold-free. A classifier without skill scores the "
        f"prevalence. {MISSING}: undefined (no positive frame, or nothing predicted).",
    )


def thesis_tables(results: Results) -> list[Table]:
    """One table per behaviour, metrics as rows and models as columns (Tables 5.1-5.3)."""
    models = results.models()
    out = []
    for b in results.behaviours:
        rows = [
            row(label, *(num(entry(m, "post", b).get(key)) for _, m in models))
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


def confusion_table(results: Results) -> Table:
    """Frame counts per behaviour and model, in sklearn's [[tn, fp], [fn, tp]] order."""
    rows = []
    for b in results.behaviours:
        for label, m in results.models():
            matrix: Any = entry(m, "post", b).get("confusion")
            if not is_2x2(matrix):
                rows.append(row(b, label, MISSING, MISSING, MISSING, MISSING))
                continue
            (tn, fp), (fn, tp) = matrix
            rows.append(row(b, label, num(tp), num(fp), num(fn), num(tn)))
    return table(
        "confusion",
        "Confusion matrices (frames, after post-processing)",
        ("behaviour", "model", "TP", "FP", "FN", "TN"),
        rows,
    )


def is_2x2(matrix: Any) -> bool:
    return (
        isinstance(matrix, list)
        and len(matrix) == 2
        and all(isinstance(r, list) and len(r) == 2 for r in matrix)
    )


def postprocess_table(results: Results) -> Table:
    """Scores before and after closing / opening / minimum bout length, per model."""
    rows = []
    for label, m in results.models():
        for b in results.behaviours:
            raw, post = entry(m, "raw", b), entry(m, "post", b)
            steps = (m.get("postprocess") or {}).get(b) or {}
            rows.append(
                row(
                    label,
                    b,
                    num((m.get("thresholds") or {}).get(b), 3),
                    num(steps.get("closing")),
                    num(steps.get("opening")),
                    num(steps.get("min_bout")),
                    num(raw.get("f1")),
                    num(post.get("f1")),
                    num(raw.get("segmental_f1")),
                    num(post.get("segmental_f1")),
                    num(raw.get("bouts_pred")),
                    num(post.get("bouts_pred")),
                    num(post.get("bouts_true")),
                )
            )
    split, _ = scored(results.trials[0])
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


def per_video_table(results: Results) -> Table:
    """Per video and behaviour: bouts and time, true against predicted (rank-1 model)."""
    best = results.trials[0]
    split, numbers = scored(best)
    per_video = ((numbers or {}).get("post") or {}).get("per_video") or {}
    rows = []
    for video in sorted(per_video):
        for b in results.behaviours:
            e = per_video[video].get(b) or {}
            rows.append(
                row(
                    video,
                    b,
                    num(e.get("frames")),
                    num(e.get("bouts_true")),
                    num(e.get("bouts_pred")),
                    num(e.get("seconds_true"), 1),
                    num(e.get("seconds_pred"), 1),
                    num(e.get("f1")),
                    num(e.get("segmental_f1")),
                    num(e.get("pr_auc")),
                )
            )
    return table(
        "per-video",
        f"Trial #{best.get('number')} per video ({split_label(split)})",
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


def ceiling_table(results: Results) -> Table | None:
    """Rater against rater beside the model against each rater (frame F1)."""
    ceiling = results.data.get("human_ceiling")
    if not ceiling:
        return None
    model = ceiling.get("model") or {}
    raters = [str(r) for r in ceiling.get("raters") or []]
    rows = []
    humans = ceiling.get("behaviours") or {}
    for b in ordered(results, humans):
        human = humans[b] or {}
        mine = (model.get("behaviours") or {}).get(b) or {}
        pairs = human.get("pairs") or {}
        vs = mine.get("vs_raters") or {}
        rows.append(
            row(
                b,
                "; ".join(f"{k}: {v:.3f}" for k, v in sorted(pairs.items()) if v is not None)
                or MISSING,
                num(human.get("mean_f1")),
                *(num(vs.get(r)) for r in raters),
                num(mine.get("mean_f1")),
            )
        )
    source = model.get("source", "test")
    return table(
        "human-ceiling",
        f"Human ceiling: frame F1 between raters and of trial #{model.get('trial')} "
        f"({'test' if source == 'test' else 'out-of-fold'}) against each rater",
        (
            "behaviour",
            "rater pairs",
            "raters mean",
            *(f"model vs {r}" for r in raters),
            "model mean",
        ),
        rows,
        f"Videos: {', '.join(ceiling.get('videos') or []) or MISSING} ({ceiling.get('split')}). "
        "A model within the raters' spread labels as well as another human would.",
    )


def ordered(results: Results, keyed: dict[str, Any]) -> list[str]:
    """The keys of ``keyed`` in the study's behaviour order, unknown ones last."""
    known = [b for b in results.behaviours if b in keyed]
    return known + sorted(set(keyed) - set(known))


def compute_table(results: Results) -> Table:
    """Compute time as a metric: search, retraining and prediction."""
    rows: list[tuple[Cell, ...]] = []
    for label, m in results.models():
        frames, predict = m.get("predict_frames"), m.get("predict_seconds")
        per_frame = (
            1000.0 * predict / frames
            if isinstance(frames, int) and frames and isinstance(predict, int | float)
            else None
        )
        rows.append(
            row(
                label,
                seconds(m.get("search_seconds")),
                seconds(m.get("train_seconds")),
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
