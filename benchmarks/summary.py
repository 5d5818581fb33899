"""Render all of docs/benchmarks.md from benchmarks/results/*.json (nothing is measured).

    .venv/bin/python benchmarks/summary.py           # rewrite docs/benchmarks.md
    .venv/bin/python benchmarks/summary.py --check   # exit 1 if the doc is out of date

The prose here is fixed; every number, verdict, date and commit comes from the JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

import _bench
import _sections_active
import _sections_peers
import _sections_quality
from _fmt import Result, fmt, provenance, table, yes
from _sections_efficiency import headline as efficiency_headline
from _sections_efficiency import search_efficiency
from _sections_runs import baseline, embed, long_run_memory, memory, workers
from _sections_search import trial_cost

DOC = _bench.ROOT / "docs" / "benchmarks.md"
TITLES = {
    "search_efficiency": "Search efficiency: the 81-point thesis grid vs multi-fidelity search",
    "trial_cost": "Trial cost: the thesis' protocol vs mbr-search's defaults",
    "memory": "Memory: peak RSS of a thesis-scale search",
    "long_run_memory": "Long runs: RSS of 200 trials, with and without process recycling",
    "workers": "Workers: trials per hour, 1 vs 2 workers, SQLite vs PostgreSQL",
    "baseline": "The model a lab would use instead: gradient boosting on window features",
    "embed": "Embedding speed (`mbr-search embed`)",
    "augmentation": "Pose augmentation: the same configurations with and without it",
    "quality": "Quality on unseen videos: shipped studies vs a lab's gradient boosting",
    "active_learning": "Active learning: suggested segments vs random segments",
    "peers": "Side by side with the peers: DLC2Action and a SimBA-style random forest",
}
QUICK = "**`--quick` run: a smoke test of the script at toy scale, not a measurement.**\n\n"


def headline(name: str, d: Result) -> str:
    """The measured numbers of one benchmark, in one cell of the summary table."""
    if name == "search_efficiency":
        return efficiency_headline(d)
    if name == "trial_cost":
        return "; ".join(
            f"{r['dataset']}: {r['speedup']:.2f}x, score {r['score_thesis_protocol']:.3f} → "
            f"{r['score_mbr']:.3f}"
            for r in d["datasets"]
            if "speedup" in r
        )
    if name == "memory":
        return f"{d['peak_rss_gb']:.2f} GiB (2 folds), {d['peak_rss_gb_one_fold']:.2f} GiB (1 fold)"
    if name == "long_run_memory":
        runs = [
            f"recycle-after {r['recycle_after']}: {r['peak_rss_mib']:,.0f} MiB" for r in d["runs"]
        ]
        return "; ".join(
            [*runs, f"stored, no recycling: {d['reference_no_recycling']['peak_mib']:,.0f} MiB"]
        )
    if name == "workers":
        return "; ".join(
            f"{r['backend']} x{r['workers']}: {r['trials_per_hour']:.0f}/h" for r in d["runs"]
        )
    if name == "quality":
        return _sections_quality.headline(d)
    if name == "augmentation":
        r = d["result"]
        return f"CV difference {fmt(r['mean_difference'], 3)}, {r['wins']}/{len(r['configs'])} wins"
    if name == "peers":
        return _sections_peers.headline(d)
    if name == "active_learning":
        return _sections_active.headline(d)
    if name == "baseline":
        means = [
            f"{m['name']}: {m['summary']['mean']:.3f}"
            for m in d["models"].values()
            if "summary" in m
        ]
        return "mean PR-AUC " + "; ".join(means)
    return "; ".join(f"{r['backbone']}: ratio {r['ratio']:.2f}" for r in d["results"])


RENDER: dict[str, Callable[[Result], str]] = {
    "search_efficiency": search_efficiency,
    "trial_cost": trial_cost,
    "memory": memory,
    "long_run_memory": long_run_memory,
    "workers": workers,
    "baseline": baseline,
    "embed": embed,
    "quality": _sections_quality.quality,
    "augmentation": _sections_quality.augmentation,
    "active_learning": _sections_active.active_learning,
    "peers": _sections_peers.peers,
}


def render(results: dict[str, Result | None]) -> str:
    rows, sections = [], []
    for name, title in TITLES.items():
        d, anchor = results.get(name), name.replace("_", "-")
        if d is None:
            rows.append(f"{name} | — | not run | — | —")
            sections.append(
                f"## {title}\n\nNo results yet: `{_bench.PYTHON} benchmarks/{name}.py`."
            )
            continue
        t, code = d["target"], d.get("code") or {}
        met = t.get("met_runs", yes(t.get("met")))
        when = f"{d['date'][:10]}, `{code.get('commit') or '?'}`"
        rows.append(
            f"[{name}](#{anchor}) | {t['statement']} | {headline(name, d)} | {met} | {when}"
        )
        quick = QUICK if d["config"].get("quick") else ""
        sections.append(
            f'<a id="{anchor}"></a>\n\n## {title}\n\n{quick}{RENDER[name](d)}\n\n{provenance(d)}'
        )
    intro = f"""\
# Benchmarks

<!-- Generated by benchmarks/summary.py from benchmarks/results/*.json: do not edit by hand. -->

Each benchmark is one script in `benchmarks/` that calls the package (or its CLI) and writes
`benchmarks/results/NAME.json`: the numbers, the exact command, the machine, the load and the
git commit it started from. This page is rendered from those files by
`{_bench.PYTHON} benchmarks/summary.py`. Every number was measured on a shared 2-core machine
without a GPU, at the reduced scale stated in each section. Results converted from an earlier
version of the scripts say so in their provenance line (date, commit, which script measured
them); their synthetic-data rows used a generator that has since been replaced by the
package's `mbr-search demo-data` + `mbr-search embed`, so a re-run will give different
synthetic numbers.

{table("benchmark | target | measured | met | measured (date, commit)", rows)}"""
    return "\n\n".join([intro, *sections]) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the doc is out of date")
    args = parser.parse_args()
    results = {}
    for name in TITLES:
        path = _bench.RESULTS / f"{name}.json"
        results[name] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
    text = render(results)
    if args.check:
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != text:
            print(f"{DOC} is out of date: run benchmarks/summary.py", file=sys.stderr)
            return 1
        return 0
    from mbr_search.features.cache import write_text_atomic

    write_text_atomic(DOC, text)
    print(f"wrote {DOC.relative_to(_bench.ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
