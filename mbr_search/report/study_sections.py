"""Report sections that come from the Optuna study alone: the search and its best trials."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mbr_search.report.document import (
    MISSING,
    Block,
    Cell,
    Figure,
    Section,
    Table,
    Text,
    num,
    row,
    seconds,
    slug,
    table,
    txt,
)
from mbr_search.report.study_data import FOLD_TABLE_TRIALS, StudyData, mean_scores
from mbr_search.search.record import TrialRecord

if TYPE_CHECKING:
    import plotly.graph_objects as go
    from optuna.trial import FrozenTrial

    from mbr_search.config.study import StudyConfig

#: Fewer complete trials than this give importances that mean nothing.
MIN_IMPORTANCE_TRIALS = 4
FIGURE_HEIGHT = 420
SKIPPED_NOTE = (
    f"{MISSING}: the behaviour had no positive frame in that fold's training or validation "
    "videos, so it has no PR-AUC there and is not counted (never as 0)."
)


def overview_section(data: StudyData, cfg: StudyConfig) -> Section:
    """Headline numbers: the best CV score beside the no-skill baseline, and the study."""
    from mbr_search.search.progress import finished_count

    best = data.best
    c = data.counts
    finished = finished_count(c)
    lift = (
        float(best.value) - data.baseline
        if data.baseline is not None and best.value is not None
        else None
    )
    rows = [
        row("Best trial", txt(f"#{best.number}", id="best-trial-number")),
        row("Best CV mean PR-AUC", num(best.value, id="best-cv-value")),
        row("Prevalence baseline (no-skill PR-AUC)", num(data.baseline, id="baseline-value")),
        row("Best minus baseline", num(lift)),
        row("CV metric", "mean PR-AUC over behaviours and folds (average precision)"),
        row("Behaviours", ", ".join(data.behaviours)),
        row(
            "Trials",
            f"{finished} finished: {c['COMPLETE']} complete, {c['PRUNED']} pruned; "
            f"{c['FAIL']} failed, {c['RUNNING']} running",
        ),
        row("Search training time (s)", seconds(data.train_seconds(), id="search-seconds")),
        row("Study", data.name),
        row("Storage", data.storage_display),
        row("Study file", data.record.study_file or str(cfg.path)),
        row("Dataset", f"{cfg.dataset.name} ({data.record.dataset or cfg.dataset.path})"),
        row("Features", data.record.backbone or cfg.backbone),
        row("Search space", f"{cfg.space.name} ({cfg.space.model})"),
        row("Cross-validation", _cv_text(data, cfg)),
        row("Sampler / pruner", f"{cfg.sampler.name} / {cfg.pruner.name}"),
    ]
    overrides = data.record.overrides
    if overrides:
        rows.append(row("Run with --set", " ".join(f"{k}={v}" for k, v in overrides)))
    blocks: list[Block] = [
        table("overview", "Study overview", ("", "value"), rows),
        Text(
            "The prevalence baseline is the PR-AUC of a classifier without skill (each "
            "validation video's share of positive frames), averaged as the objective averages."
        ),
        *_fold_prevalence(data),
    ]
    return Section("overview", "Overview", blocks)


def _fold_prevalence(data: StudyData) -> list[Table]:
    """Each fold's validation videos and prevalence per behaviour (as run stored them)."""
    if not data.fold_summaries:
        return []
    rows = [
        row(
            str(f.index),
            ", ".join(f.validation),
            *(
                num(f.prevalence.get(b), id=f"fold-prev-{f.index}-{slug(b)}")
                for b in data.behaviours
            ),
        )
        for f in data.fold_summaries
    ]
    return [
        table(
            "fold-prevalence",
            "Folds: validation videos and prevalence per behaviour",
            ("fold", "validation videos", *data.behaviours),
            rows,
            "Share of positive frames among the fold's labelled validation frames. Stratified "
            "folds (cv.stratify, the default for group_kfold) spread each behaviour as evenly "
            "as whole videos allow: a fold with very few positives scores mostly noise.",
        )
    ]


def _cv_text(data: StudyData, cfg: StudyConfig) -> str:
    grouped = cfg.cv.scheme == "group_kfold"
    strat = ", stratified" if grouped and cfg.cv.stratify else ""
    scheme = cfg.cv.scheme + (f" (k={cfg.cv.k}{strat})" if grouped else "")
    n = len(data.folds)
    limit = f", first {cfg.cv.max_folds} only" if cfg.cv.max_folds else ""
    return f"{scheme}: {n} folds{limit}, training videos only"


def best_config_section(data: StudyData, cfg: StudyConfig, best_config: str, ref: str) -> Section:
    """The winning hyperparameters and the command that re-runs them."""
    best = data.best
    params = TrialRecord.from_trial(best).params
    searched = set(best.params)
    rows = [
        row(name, txt(value), "searched" if name in searched else "fixed")
        for name, value in sorted(params.items())
    ]
    blocks: list[Block] = [
        table(
            "best-params",
            f"Hyperparameters of trial #{best.number}",
            ("parameter", "value", ""),
            rows,
        ),
        Text(
            f"`{best_config}` re-runs this configuration as a study of one trial: "
            f"`mbr-search run {best_config}`. Its CV score matches within training noise "
            "(the one trial draws another Keras seed)."
        ),
        Text(f"The search itself: `mbr-search run {ref}`."),
    ]
    return Section("best-config", "Best configuration", blocks)


def trials_section(data: StudyData) -> Section:
    """The top trials side by side, then fold-by-fold tables for the best few."""
    params = data.searched_params()
    headers = ["rank", "trial", "CV mean PR-AUC", *data.behaviours, "folds", "train s", *params]
    rows: list[tuple[Cell, ...]] = []
    for rank, t in enumerate(data.top, 1):
        means = mean_scores(t, data.behaviours)
        record = TrialRecord.from_trial(t)
        rows.append(
            row(
                rank,
                f"#{t.number}",
                num(t.value, id=f"trial-{t.number}-value"),
                *(num(means[b]) for b in data.behaviours),
                len(record.fold_scores),
                seconds(record.train_seconds),
                *(txt(t.params.get(p)) for p in params),
            )
        )
    blocks: list[Block] = [
        table(
            "top-trials",
            "Best complete trials",
            headers,
            rows,
            "Per-behaviour columns: PR-AUC averaged over the folds where it is defined.",
        )
    ]
    for t in data.top[:FOLD_TABLE_TRIALS]:
        blocks.append(fold_table(t, data))
    return Section("trials", "Best trials, fold by fold", blocks)


def fold_table(trial: FrozenTrial, data: StudyData) -> Table:
    """Per-behaviour PR-AUC in every fold of one trial, with fold and behaviour means."""
    folds = TrialRecord.from_trial(trial).fold_scores
    rows: list[tuple[Cell, ...]] = []
    for fold in sorted(folds, key=lambda f: int(f) if f.isdigit() else 0):
        scores = folds[fold]
        defined = [v for v in scores.values() if isinstance(v, int | float)]
        rows.append(
            row(
                fold,
                ", ".join(data.folds.get(fold, ())) or MISSING,
                *(
                    num(scores.get(b), id=f"fold-{trial.number}-{fold}-{slug(b)}")
                    for b in data.behaviours
                ),
                num(sum(defined) / len(defined) if defined else None),
            )
        )
    means = mean_scores(trial, data.behaviours)
    rows.append(row("all", "", *(num(means[b]) for b in data.behaviours), num(trial.value)))
    return table(
        f"folds-{trial.number}",
        f"Trial #{trial.number}: PR-AUC per fold (CV mean {num(trial.value).text})",
        ("fold", "validation videos", *data.behaviours, "mean"),
        rows,
        SKIPPED_NOTE + " The last cell is the trial's value: the mean over every defined "
        "(fold, behaviour) score.",
    )


def search_figures_section(data: StudyData, cfg: StudyConfig, ref: str) -> Section:
    """Optuna's standard plots of the search, labelled for this objective."""
    return Section(
        "search",
        "The search",
        [
            history_figure(data),
            intermediate_figure(data, cfg),
            importance_figure(data, ref),
            parallel_figure(data),
        ],
    )


def _style(fig: go.Figure, title: str, **axes: str) -> go.Figure:
    fig.update_layout(title=title, height=FIGURE_HEIGHT, margin={"t": 60, "b": 50})
    if "x" in axes:
        fig.update_xaxes(title_text=axes["x"])
    if "y" in axes:
        fig.update_yaxes(title_text=axes["y"])
    return fig


def history_figure(data: StudyData) -> Figure:
    import optuna.visualization as vis

    fig = vis.plot_optimization_history(data.study, target_name="CV mean PR-AUC")
    if data.baseline is not None:
        fig.add_hline(
            y=data.baseline,
            line_dash="dash",
            line_color="grey",
            annotation_text=f"prevalence baseline {data.baseline:.3f}",
            annotation_position="bottom right",
        )
    title = "Optimisation history (complete trials)"
    fig = _style(fig, title, x="trial", y="CV mean PR-AUC")
    if len(data.trials) <= 30:  # whole trial numbers, not 0.5 steps
        fig.update_xaxes(dtick=1)
    return Figure("history", title, fig)


def intermediate_figure(data: StudyData, cfg: StudyConfig) -> Figure:
    import optuna.visualization as vis

    reported = (
        "that fold's mean PR-AUC"
        if cfg.pruner.name == "wilcoxon"
        else "the running mean PR-AUC up to that fold"
    )
    title = "Intermediate values per fold (what the pruner saw)"
    if not any(t.intermediate_values for t in data.trials):
        return Figure("intermediate", title, None, "No trial reported an intermediate value.")
    fig = vis.plot_intermediate_values(data.study)
    fig = _style(fig, title, x="fold", y="reported value")
    fig.update_xaxes(dtick=1)
    return Figure(
        "intermediate",
        title,
        fig,
        f"After each fold a trial reports {reported}; pruned trials stop at their last fold.",
    )


def importance_figure(data: StudyData, ref: str) -> Figure:
    import optuna.visualization as vis

    title = "Hyperparameter importances"
    varied = _varied_params(data)
    n = len(data.ranked)
    if not varied:
        return Figure("importance", title, None, "No hyperparameter varied across trials.")
    if n < MIN_IMPORTANCE_TRIALS:
        return Figure(
            "importance",
            title,
            None,
            f"Importances need at least {MIN_IMPORTANCE_TRIALS} complete trials; this study "
            f"has {n}. Run more (`mbr-search run {ref} --trials N`) and report again.",
        )
    try:
        fig = vis.plot_param_importances(data.study, params=varied, target_name="CV PR-AUC")
    except (ValueError, RuntimeError, ZeroDivisionError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return Figure("importance", title, None, f"Importances could not be computed: {first}")
    rough = f" With only {n} complete trials they are rough." if n < 20 else ""
    return Figure(
        "importance",
        title,
        _style(fig, title),
        "Optuna's default importance evaluator (PED-ANOVA) on complete trials." + rough,
    )


def _varied_params(data: StudyData) -> list[str]:
    """Searched params that took more than one value among complete trials."""
    out = []
    for name in data.searched_params():
        values = {repr(t.params.get(name)) for t in data.ranked if name in t.params}
        if len(values) > 1:
            out.append(name)
    return out


def parallel_figure(data: StudyData) -> Figure:
    import optuna.visualization as vis

    title = "Parallel coordinates (complete trials)"
    params = data.searched_params()
    if not params:
        return Figure("parallel", title, None, "Nothing was searched: every value was fixed.")
    fig = vis.plot_parallel_coordinate(data.study, params=params, target_name="CV PR-AUC")
    return Figure("parallel", title, _style(fig, title))
