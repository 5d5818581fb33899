"""The best-config report: ``report.html`` (plotly, self-contained), ``report.md`` and
``best_config.yaml``, from a study and, when present, what ``mbr-search evaluate`` wrote.

Public API::

    paths = build_report(study_cfg, storage_spec=resolve_storage(url), out_dir=Path(...))
"""

from __future__ import annotations

from mbr_search.report.build import ReportPaths, build_report

__all__ = ["ReportPaths", "build_report"]
