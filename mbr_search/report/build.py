"""``build_report``: the one core function behind ``mbr-search report``.

It reads the study (and ``results.json`` when ``mbr-search evaluate`` wrote one into the same
folder), lays the report out once as a :class:`Document`, and writes ``report.html``,
``report.md``, ``best_config.yaml`` (+ ``best_space.yaml``) atomically. TensorFlow is never
imported: the report only reads numbers and draws them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import mbr_search.report.ensemble_tables as etab
import mbr_search.report.explain_sections as xs
import mbr_search.report.results_figures as rfig
import mbr_search.report.results_tables as rtab
import mbr_search.report.study_sections as ss
from mbr_search.errors import MbrSearchError
from mbr_search.evaluate.printed import tta_line
from mbr_search.features.cache import write_text_atomic
from mbr_search.jsondoc import JSON
from mbr_search.report.best_config import write_best_config
from mbr_search.report.document import Block, Document, Section, Text, row, table, txt
from mbr_search.report.render import render_html, render_markdown
from mbr_search.report.results_data import RESULTS_FILE, ResultsFile, load_results, scored
from mbr_search.report.study_data import (
    StudyData,
    effective_overrides,
    fold_videos,
    load_study_data,
    study_ref,
)
from mbr_search.versions import versions

if TYPE_CHECKING:
    from mbr_search.config.study import StudyConfig
    from mbr_search.storage import StorageSpec


@dataclass(frozen=True)
class ReportPaths:
    """What ``build_report`` wrote; ``results`` is None for a CV-only report."""

    out_dir: Path
    html: Path
    markdown: Path
    best_config: Path
    best_space: Path
    results: Path | None
    best_number: int
    best_value: float
    baseline: float | None


def build_report(
    study_cfg: StudyConfig, *, storage_spec: StorageSpec, out_dir: Path
) -> ReportPaths:
    """Write the report of ``study_cfg``'s study in ``storage_spec`` into ``out_dir``.

    Raises :class:`~mbr_search.errors.StorageError` (storage or study missing),
    :class:`~mbr_search.errors.NoCompleteTrialError` and, for a ``results.json`` that
    cannot be used, :class:`~mbr_search.errors.DataError`. A missing ``results.json`` is
    not an error: the report then covers the cross-validation and says how to get test
    scores.
    """
    from plotly.offline import get_plotlyjs

    data = load_study_data(study_cfg, storage_spec)
    ref = study_ref(study_cfg)
    overrides = effective_overrides(study_cfg, data.record.overrides)
    cfg, notes = _effective_config(study_cfg, overrides)
    if cfg is not study_cfg:
        data = dataclasses.replace(data, folds=fold_videos(cfg, data.fold_summaries))
    results = load_results(out_dir, data.name, ref)
    out_dir.mkdir(parents=True, exist_ok=True)
    best = write_best_config(
        data.best, cfg, overrides=overrides, out_dir=out_dir, source_study=data.name
    )
    doc = _document(data, cfg, results, ref, str(out_dir / best.study_path.name), notes)
    html_path = out_dir / "report.html"
    md_path = out_dir / "report.md"
    write_text_atomic(html_path, render_html(doc, get_plotlyjs()))
    write_text_atomic(md_path, render_markdown(doc))
    return ReportPaths(
        out_dir=out_dir,
        html=html_path,
        markdown=md_path,
        best_config=best.study_path,
        best_space=best.space_path,
        results=results.path if results is not None else None,
        best_number=data.best.number,
        best_value=float(data.best.value or 0.0),
        baseline=data.baseline,
    )


def _effective_config(
    cfg: StudyConfig, overrides: dict[str, JSON]
) -> tuple[StudyConfig, list[str]]:
    """The study as the search ran it: its YAML with the ``--set`` values it ran with."""
    from mbr_search.config.study import load_study

    if overrides == dict(cfg.overrides):
        return cfg, []
    try:
        return load_study(
            str(cfg.path),
            overrides=overrides,
            storage=cfg.storage,
            study_name=cfg.study_name,
            cache_dir=cfg.cache_dir,
        ), []
    except MbrSearchError as exc:
        return cfg, [
            f"The search's --set values no longer apply to {cfg.path} ({exc}); "
            "the folds and best_config.yaml follow the YAML as it is now."
        ]


def _document(
    data: StudyData,
    cfg: StudyConfig,
    results: ResultsFile | None,
    ref: str,
    best_config: str,
    notes: list[str],
) -> Document:
    from mbr_search import __version__

    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    doc = Document(
        title=f"mbr-search report: {data.name}",
        subtitle=(
            f"{cfg.dataset.name} · {data.record.backbone or cfg.backbone} features · "
            f"{cfg.space.model.upper()} · written {now} by mbr-search {__version__}"
            + (f" · {cfg.description}" if cfg.description else "")
        ),
    )
    overview = ss.overview_section(data, cfg)
    overview.blocks += [Text(n) for n in notes]
    if results is None:
        overview.blocks.append(
            Text(
                f"No test scores yet (no `{RESULTS_FILE}` in this folder): run "
                f"`mbr-search evaluate {ref}` to retrain the best trials and score the test "
                f"videos, then `mbr-search report {ref}` again."
            )
        )
    elif results.best.number != data.best.number:
        overview.blocks.append(
            Text(
                f"`{RESULTS_FILE}` evaluated trial #{results.best.number} as the best, "
                f"but the study's best is now #{data.best.number} (trials were added since): "
                f"run `mbr-search evaluate {ref}` again for its test scores."
            )
        )
    if results is not None:  # what predict uses comes first, before the best single trial
        overview.blocks.insert(0, etab.predict_model_table(results))
    doc.sections.append(overview)
    if results is not None:
        doc.sections += _results_sections(results)
    doc.sections += [
        ss.best_config_section(data, cfg, best_config, ref),
        ss.trials_section(data),
        ss.search_figures_section(data, cfg, ref),
        _versions_section(results),
    ]
    return doc


def _results_sections(results: ResultsFile) -> list[Section]:
    split, _ = scored(results.best)
    head: list[Block] = []
    if results.results.cv_only:
        head.append(
            Text(
                "The dataset has no test video: the numbers below are out-of-fold validation "
                "scores, optimistic because thresholds and post-processing were tuned on them. "
                "Mark some videos `split: test` in the dataset manifest for a held-out estimate."
            )
        )
    else:
        head.append(Text(tta_line(results.results.settings)))
    head += [rtab.summary_table(results), etab.estimates_table(results)]
    head += [b for b in (etab.differences_table(results), etab.fidelity_text(results)) if b]
    head += [rfig.pr_curves_figure(results), *rtab.thesis_tables(results)]
    sections = [
        Section("results", "Test results" if split == "test" else "Out-of-fold results", head),
        Section(
            "errors",
            "Confusion matrices and ethograms",
            [
                rfig.confusion_figure(results),
                rtab.confusion_table(results),
                *rfig.ethogram_figures(results),
                rtab.per_video_table(results),
            ],
        ),
        Section(
            "postprocess",
            "Post-processing",
            [rfig.postprocess_figure(results), rtab.postprocess_table(results)],
        ),
    ]
    selection = etab.selection_table(results)
    if selection is not None:
        sections.insert(1, Section("ensemble-selection", "Ensemble selection", [selection]))
    ceiling: list[Block] = [
        b for b in (rtab.ceiling_table(results), rfig.ceiling_figure(results)) if b
    ]
    if ceiling:
        sections.append(Section("human-ceiling", "Human ceiling", ceiling))
    # what a lab reports per video, and what each behaviour's prediction rests on
    sections += [s for s in (xs.summaries_section(results), xs.importance_section(results)) if s]
    sections.append(Section("compute", "Compute time", [rtab.compute_table(results)]))
    return sections


def _versions_section(results: ResultsFile | None) -> Section:
    here = versions()
    there = results.results.versions if results is not None else {}
    names = list(dict.fromkeys([*here, *there]))
    headers = ["package", "this report"] + (["evaluate"] if there else [])
    rows = [row(n, txt(here.get(n)), *([txt(there.get(n))] if there else [])) for n in names]
    return Section(
        "versions",
        "Package versions",
        [table("versions", "Package versions", headers, rows)],
    )
