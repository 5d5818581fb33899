"""Figures from ``results.json`` and the per-frame CSVs evaluate saved."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mbr_search.evaluate.results import ModelResult
from mbr_search.report.document import Figure, slug
from mbr_search.report.results_data import ResultsFile, pooled_frames, read_frames, scored
from mbr_search.report.results_tables import entry, split_label

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: Points kept per PR curve and columns per ethogram: enough for the eye, small HTML.
CURVE_POINTS = 400
ETHOGRAM_COLUMNS = 3000
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")


def pr_curves_figure(results: ResultsFile) -> Figure:
    """Per-behaviour precision-recall curves of the rank-1 model (and the ensemble)."""
    from plotly.subplots import make_subplots

    behaviours = list(results.behaviours)
    models = [results.models()[0]]
    if results.ensemble is not None:
        models.append(results.models()[-1])
    split, _ = scored(models[0][1])
    title = f"Precision-recall curves ({split_label(split)}, pooled frames)"
    fig = make_subplots(rows=1, cols=len(behaviours), subplot_titles=behaviours)
    drawn = 0
    for col, b in enumerate(behaviours, 1):
        prevalence = None
        for i, (label, model) in enumerate(models):
            curve = _curve(results, model, b)
            if curve is None:
                continue
            recall, precision, prevalence = curve
            ap = entry(model, "post", b).pr_auc
            name = f"{label} (PR-AUC {ap:.3f})" if ap is not None else label
            fig.add_scatter(
                x=recall,
                y=precision,
                mode="lines",
                name=f"{b}: {name}",
                row=1,
                col=col,
                line={"color": COLOURS[i % len(COLOURS)], "dash": "solid" if i == 0 else "dot"},
            )
            drawn += 1
        if prevalence is None:
            fig.add_annotation(
                text="no positive frame", x=0.5, y=0.5, showarrow=False, row=1, col=col
            )
        else:
            fig.add_scatter(
                x=[0, 1],
                y=[prevalence, prevalence],
                mode="lines",
                row=1,
                col=col,
                name=f"{b}: no skill ({prevalence:.3f})",
                line={"color": "grey", "dash": "dash"},
            )
    if not drawn:
        return Figure("pr-curves", title, None, "No behaviour has a positive frame to draw.")
    fig.update_xaxes(title_text="recall", range=[0, 1])
    fig.update_yaxes(title_text="precision", range=[0, 1.02])
    fig.update_layout(title=title, height=420, legend={"orientation": "h", "y": -0.25})
    return Figure("pr-curves", title, fig)


def _curve(
    results: ResultsFile, model: ModelResult, behaviour: str
) -> tuple[np.ndarray, np.ndarray, float] | None:
    """(recall, precision, prevalence) from the saved per-frame probabilities when present,
    else from the curve stored in results.json."""
    from sklearn.metrics import precision_recall_curve

    _, numbers = scored(model)
    pooled = pooled_frames(results, numbers.files, behaviour)
    if pooled is not None and pooled[0].any():
        y, p = pooled
        precision, recall, _ = precision_recall_curve(y, p)
        keep = _decimate(len(recall), CURVE_POINTS)
        return recall[keep], precision[keep], float(y.mean())
    stored = (numbers.pr_curve or {}).get(behaviour)
    prevalence = entry(model, "post", behaviour).prevalence
    if stored is None or prevalence is None:
        return None
    return np.asarray(stored.recall), np.asarray(stored.precision), prevalence


def _decimate(n: int, points: int) -> np.ndarray:
    if n <= points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, points).round().astype(int))


def confusion_figure(results: ResultsFile) -> Figure:
    """The thesis' confusion matrices (Figures 5.1-5.3) of the rank-1 model."""
    from plotly.subplots import make_subplots

    label, model = results.models()[0]
    split, _ = scored(model)
    behaviours = list(results.behaviours)
    title = f"Confusion matrices, {label} ({split_label(split)}, after post-processing)"
    fig = make_subplots(rows=1, cols=len(behaviours), subplot_titles=behaviours)
    for col, b in enumerate(behaviours, 1):
        (tn, fp), (fn, tp) = entry(model, "post", b).confusion
        # The thesis' layout: rows predicted 1/0, columns true 1/0 ([[TP, FP], [FN, TN]]).
        fig.add_heatmap(
            z=[[tp, fp], [fn, tn]],
            x=["true 1", "true 0"],
            y=["predicted 1", "predicted 0"],
            row=1,
            col=col,
            text=[[f"TP {tp}", f"FP {fp}"], [f"FN {fn}", f"TN {tn}"]],
            texttemplate="%{text}",
            colorscale="Blues",
            showscale=False,
        )
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title=title, height=360)
    return Figure("confusion", title, fig)


def ethogram_figures(results: ResultsFile) -> list[Figure]:
    """True against predicted bouts along each video, one strip per behaviour."""
    label, model = results.models()[0]
    split, numbers = scored(model)
    files = numbers.files
    figures = []
    for video in sorted(files):
        key = f"ethogram-{slug(video)}"
        title = f"Ethogram of {video}: true against {label} ({split_label(split)})"
        columns = read_frames(results, files[video])
        if columns is None:
            figures.append(Figure(key, title, None, f"{files[video]} is missing."))
            continue
        figures.append(Figure(key, title, _ethogram(columns, results, title)))
    return figures


def _ethogram(columns: dict[str, np.ndarray], results: ResultsFile, title: str) -> go.Figure:
    import plotly.graph_objects as go

    rows: list[np.ndarray] = []
    names: list[str] = []
    levels: list[int] = []
    for i, b in enumerate(results.behaviours):
        for kind in ("true", "pred"):
            values = columns.get(f"{b}_{kind}")
            if values is None:
                continue
            rows.append(np.asarray(values, dtype=np.int8))
            names.append(f"{b} {'true' if kind == 'true' else 'predicted'}")
            levels.append(i + 1)
    z = np.stack(rows).astype(np.int16) if rows else np.zeros((0, 0), np.int16)
    z = z * np.asarray(levels, dtype=np.int16)[:, None]  # one colour per behaviour
    n = z.shape[1]
    step = max(1, int(np.ceil(n / ETHOGRAM_COLUMNS)))
    if step > 1:  # a bout must survive downsampling: keep the max of each bin
        pad = (-n) % step
        z = np.pad(z, ((0, 0), (0, pad))).reshape(z.shape[0], -1, step).max(axis=2)
    time = columns.get("time_s")
    t0 = float(time[0]) if time is not None and len(time) else 0.0
    x = t0 + np.arange(z.shape[1]) * step / results.fps
    k = len(results.behaviours)
    scale = [[0.0, "#ffffff"]]
    for i in range(k):
        colour = COLOURS[i % len(COLOURS)]
        scale += [[(i + 0.5) / k, colour], [(i + 1) / k, colour]]
    scale[1][0] = 1e-6  # 0 stays white, every behaviour level gets its colour
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=x,
            y=names,
            zmin=0,
            zmax=k,
            colorscale=scale,
            showscale=False,
            hovertemplate="%{y}<br>%{x:.1f} s<extra></extra>",
            ygap=2,
        )
    )
    fig.update_xaxes(title_text="time (s)")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title=title, height=120 + 28 * len(names), margin={"l": 160})
    return fig


def postprocess_figure(results: ResultsFile) -> Figure:
    """Frame and segmental F1 before and after post-processing (rank-1 model)."""
    import plotly.graph_objects as go

    label, model = results.models()[0]
    split, _ = scored(model)
    title = f"Post-processing effect, {label} ({split_label(split)})"
    fig = go.Figure()
    b = results.behaviours
    for metric, name, colour in (
        ("f1", "F1", COLOURS[0]),
        ("segmental_f1", "segmental F1", COLOURS[2]),
    ):
        for stage, word, pattern in (("raw", "before", ""), ("post", "after", "/")):
            fig.add_bar(
                x=b,
                y=[getattr(entry(model, stage, x), metric) for x in b],
                name=f"{name} {word}",
                marker_pattern_shape=pattern,
                marker_color=colour,
                opacity=0.55 if stage == "raw" else 1.0,
            )
    fig.update_layout(title=title, barmode="group", height=380, yaxis={"range": [0, 1]})
    return Figure("postprocess", title, fig)


def ceiling_figure(results: ResultsFile) -> Figure | None:
    """Raters' mean F1 against each other beside the model's against them."""
    import plotly.graph_objects as go

    ceiling = results.human_ceiling
    if ceiling is None:
        return None
    b = list(results.behaviours)
    title = "Human ceiling: frame F1 between raters and of the model against them"
    fig = go.Figure()
    fig.add_bar(x=b, y=[ceiling.behaviours[x].mean_f1 for x in b], name="rater vs rater")
    fig.add_bar(x=b, y=[ceiling.model.behaviours[x].mean_f1 for x in b], name="model vs raters")
    fig.update_layout(title=title, barmode="group", height=360, yaxis={"range": [0, 1]})
    return Figure("human-ceiling", title, fig)
