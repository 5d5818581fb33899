"""Report sections from results.json's ``summaries`` and ``importance``: what a lab puts in a
paper (per test video, the true labels' numbers beside the model's) and which feature groups
a behaviour's prediction rests on (permutation importance on out-of-fold videos)."""

from __future__ import annotations

from mbr_search.evaluate.results import FeatureImportance, TestSummaries
from mbr_search.report.document import (
    Block,
    Cell,
    Figure,
    Section,
    Table,
    Text,
    num,
    row,
    slug,
    table,
)
from mbr_search.report.results_data import ResultsFile


def summaries_section(results: ResultsFile) -> Section | None:
    """A table per behaviour: video, true vs predicted total time, bouts and latency."""
    summaries = results.results.summaries
    if summaries is None:
        return None
    blocks: list[Block] = [
        Text(
            f"Per test video, the numbers of the true labels beside those of {summaries.model} "
            f"(the model in `model/`, after post-processing), as in `{summaries.file}`. Latency "
            "is the time to the first bout; a dash means no bout."
        )
    ]
    blocks += [_summary_table(summaries, b) for b in results.behaviours]
    return Section("summaries", "Per-video summaries", blocks)


def _summary_table(summaries: TestSummaries, behaviour: str) -> Table:
    headers = [
        "video", "total s (true)", "total s (predicted)", "% of time (true)",
        "% of time (predicted)", "bouts (true)", "bouts (predicted)", "latency s (true)",
        "latency s (predicted)",
    ]  # fmt: skip
    rows = []
    for r in (r for r in summaries.rows if r.behaviour == behaviour):
        key = f"summary-{slug(behaviour)}-{slug(r.video)}"
        rows.append(
            row(
                r.video,
                num(r.true.total_s, 2, id=f"{key}-total-true"),
                num(r.pred.total_s, 2, id=f"{key}-total-pred"),
                num(r.true.percent, 2),
                num(r.pred.percent, 2),
                num(r.true.bouts, id=f"{key}-bouts-true"),
                num(r.pred.bouts, id=f"{key}-bouts-pred"),
                num(r.true.latency_s, 2),
                num(r.pred.latency_s, 2),
            )
        )
    return table(
        f"summary-{slug(behaviour)}", f"{behaviour}: true vs predicted per test video",
        headers, rows,
    )  # fmt: skip


def importance_section(results: ResultsFile) -> Section | None:
    """Permutation importance per feature group and behaviour (a table and a bar chart)."""
    importance = results.results.importance
    if importance is None:
        return None
    title = "Explaining a behaviour: permutation importance"
    if importance.skipped is not None:
        return Section(
            "importance", title,
            [Text(f"Trial #{importance.trial} ({importance.family}): {importance.skipped}.")],
        )  # fmt: skip
    intro = Text(
        f"Trial #{importance.trial} ({importance.family}), on its out-of-fold videos with its "
        "fold models refitted: the drop of pooled out-of-fold PR-AUC when one feature "
        f"group's columns are shuffled over the frames of each video (mean of "
        f"{importance.repeats} seeded draws, ± their standard deviation). Larger: the "
        "prediction rests more on that group; near 0 or below: the other groups make up "
        "for it (correlated groups share their credit)."
    )
    return Section(
        "importance", title, [intro, _importance_table(importance, results.behaviours),
                              _importance_figure(importance, results.behaviours)],
    )  # fmt: skip


def _importance_table(importance: FeatureImportance, behaviours: tuple[str, ...]) -> Table:
    headers = ["feature group", "columns", *(f"{b} drop" for b in behaviours)]
    rows = [row("(unpermuted PR-AUC)", "", *(num(importance.baseline.get(b)) for b in behaviours))]
    for g in importance.groups:
        cells = []
        for b in behaviours:
            mean, spread = g.drop.get(b), g.std.get(b)
            cell = num(mean, id=f"importance-{slug(g.group)}-{slug(b)}")
            if mean is not None and spread is not None:
                cell = Cell(f"{cell.text} ± {spread:.4f}", cell.value, cell.id)
            cells.append(cell)
        rows.append(row(g.group, g.columns, *cells))
    return table(
        "importance", "Drop of out-of-fold PR-AUC per feature group (largest first)", headers,
        rows, note=(
            f"{importance.seconds:.1f} s to compute, {importance.fit_seconds:.1f} s of it "
            f"refitting the fold models (seed {importance.seed})"
        ),
    )  # fmt: skip


def _importance_figure(importance: FeatureImportance, behaviours: tuple[str, ...]) -> Figure:
    import plotly.graph_objects as go

    title = "Permutation importance: drop of out-of-fold PR-AUC"
    groups = [g.group for g in importance.groups][::-1]  # largest at the top
    fig = go.Figure()
    for b in behaviours:
        values = [g.drop.get(b) for g in importance.groups][::-1]
        errors = [g.std.get(b) for g in importance.groups][::-1]
        fig.add_bar(
            y=groups, x=values, name=b, orientation="h",
            error_x={"type": "data", "array": [e or 0.0 for e in errors]},
        )  # fmt: skip
    fig.update_layout(
        title=title, barmode="group", height=160 + 22 * len(groups) * max(1, len(behaviours)),
        margin={"l": 220}, xaxis={"title": {"text": "PR-AUC drop"}},
    )  # fmt: skip
    return Figure("importance-figure", title, fig)
