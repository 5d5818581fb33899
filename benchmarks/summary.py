"""The targets of issue 6 at a glance, read from benchmarks/results/*.json (nothing is run).

    .venv/bin/python benchmarks/summary.py

Writes the ``summary`` section of docs/benchmarks.md.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as common


def load(name: str) -> dict[str, Any] | None:
    path = common.RESULTS / f"{name}.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return None if data.get("quick") else data


def search_row(d: dict[str, Any] | None) -> str:
    if d is None:
        return "| search efficiency | <= 20 % of the grid's compute | not run | — |"
    parts = []
    for ds in d["datasets"]:
        seeds = ds.get("seeds", [])
        if not seeds:
            continue
        ep = ", ".join(common.fmt(r["ratio_epochs"], 2) for r in seeds)
        cpu = ", ".join(common.fmt(r["ratio_seconds"], 2) for r in seeds)
        parts.append(f"{ds['dataset']}: epochs {ep}; CPU-s {cpu}")
    return (
        f"| search efficiency | <= 20 % of the grid's compute to reach 99 % of its best "
        f"| {'<br>'.join(parts)} | {d.get('target_met_seeds', '?')} runs |"
    )


def main() -> int:
    rows = [search_row(load("search_efficiency"))]
    tc = load("trial_cost")
    if tc:
        res = "; ".join(
            f"{r['dataset']}: {r['speedup']:.2f}x wall ({r['speedup_cpu']:.2f}x CPU), score "
            f"{r['score_thesis_protocol']:.3f} -> {r['score_mbr']:.3f}"
            + (
                f" (binary models reused: {r['speedup_mbr_binary']:.2f}x, score "
                f"{r['score_mbr_binary']:.3f})"
                if "speedup_mbr_binary" in r
                else ""
            )
            for r in tc["datasets"]
            if "speedup" in r
        )
        rows.append(
            f"| trial cost | >= 3x faster, equal or better score | {res} | {tc['verdict']} |"
        )
    mem = load("memory")
    if mem:
        rows.append(
            f"| memory | peak RSS <= 2 GB | {mem['peak_rss_gb']:.2f} GiB (2 folds), "
            f"{mem['peak_rss_gb_one_fold']:.2f} GiB (1 fold) | "
            f"{'met' if mem['meets_target'] else 'NOT met'} |"
        )
    wk = load("workers")
    if wk:
        res = "; ".join(
            f"{r['backend']} x{r['workers']}: {r['trials_per_hour']:.0f}/h" for r in wk["runs"]
        )
        rows.append(f"| workers | (none stated) | {res} | — |")
    bl = load("baseline")
    if bl:
        res = "; ".join(
            f"{m['name']}: {m['summary']['mean']:.3f}"
            for m in bl["models"].values()
            if "summary" in m
        )
        rows.append(f"| baseline | (comparison) | mean PR-AUC {res} | — |")
    body = (
        "## Summary of the targets (issue 6)\n\n"
        "Details, commands and caveats are in each benchmark's section of this file; every "
        "number was measured on this 2-core shared machine at the reduced scale stated there.\n\n"
        "| benchmark | target | measured | verdict |\n|---|---|---|---|\n" + "\n".join(rows)
    )
    common.replace_section("summary", body)
    print(body)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
