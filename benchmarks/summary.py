"""Render all of docs/benchmarks.md from benchmarks/results/*.json (nothing is measured),
and the README's "Why mbr-search" table from benchmarks/results/peers.json.

    .venv/bin/python benchmarks/summary.py           # rewrite both
    .venv/bin/python benchmarks/summary.py --check   # exit 1 if either is out of date

The prose here is fixed; every number, verdict, date and commit comes from the JSON. A page
that would show a placeholder ("not available", TODO, ...) or an absolute path of the
machine that ran a benchmark is refused (exit 2), naming the JSON file and key it came from:
fix the results, not the page.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from typing import Any

import _bench
import _sections_active
import _sections_budget
import _sections_levers
import _sections_peers
import _sections_quality
import _sections_transfer
import _sections_tta
import _sections_yardstick
from _fmt import Result, fmt, provenance, table, yes
from _sections_efficiency import headline as efficiency_headline
from _sections_efficiency import search_efficiency
from _sections_runs import baseline, embed, long_run_memory, memory, workers
from _sections_search import trial_cost

DOC = _bench.ROOT / "docs" / "benchmarks.md"
README = _bench.ROOT / "README.md"
#: the README's peers table sits between these two lines
TABLE_START = (
    "<!-- peers table: rendered by benchmarks/summary.py from benchmarks/results/peers.json; "
    "do not edit by hand -->"
)
TABLE_END = "<!-- end of peers table -->"
#: the README's yardstick table (benchmarks/results/quality.json) sits between these two
YARDSTICK_START = (
    "<!-- yardstick table: rendered by benchmarks/summary.py from benchmarks/results/"
    "quality.json; do not edit by hand -->"
)
YARDSTICK_END = "<!-- end of yardstick table -->"
#: words that mean a number is missing, not measured
PLACEHOLDER = re.compile(
    r"not available|not yet available|\bTODO\b|\bTBD\b|\bplaceholder\b|to be filled|\bXXX\b",
    re.IGNORECASE,
)
#: an absolute path of a machine: /work, /home, /root, /tmp, /Users, /mnt, /var or C:\
ABSOLUTE = re.compile(r"(?<![\w.~/:-])(?:/(?:work|home|root|tmp|Users|mnt|var)/|[A-Za-z]:[\\/])")
TITLES = {
    "search_efficiency": "Search efficiency: the 81-point thesis grid vs multi-fidelity search",
    "trial_cost": "Trial cost: the thesis' protocol vs mbr-search's defaults",
    "memory": "Memory: peak RSS of a thesis-scale search",
    "long_run_memory": "Long runs: RSS of 200 trials, with and without process recycling",
    "workers": "Workers: trials per hour, 1 vs 2 workers, SQLite vs PostgreSQL",
    "baseline": "The model a lab would use instead: gradient boosting on window features",
    "embed": "Embedding speed (`mbr-search embed`)",
    "augmentation": "Pose augmentation: the same configurations with and without it",
    "quality": "Numbers that hold: the nested 20-video yardstick",
    "folds": "Stratified grouped folds: how evenly each behaviour is spread",
    "ensemble_pool": "Ensemble pool: how many promoted quick looks selection needs",
    "quality_fixed": "Quality on one fixed 15/5 split (smoke arm, superseded by the yardstick)",
    "active_learning": "Active learning: suggested segments vs random segments",
    "peers": "Side by side with the peers: DLC2Action and a SimBA-style random forest",
    "tta": "Test-time augmentation (issue 20)",
    "transfer": "Which pose features carry over to unseen videos (issue 20)",
    "levers": "Issue 20's levers, each with and without, on the yardstick's folds",
    "budget": "Trial budget: auto_pose's outer score against trials (issue 20)",
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
        return _sections_yardstick.headline(d)
    if name == "quality_fixed":
        return _sections_quality.headline(d)
    if name == "folds":
        return _sections_yardstick.folds_headline(d)
    if name == "ensemble_pool":
        return _sections_yardstick.pool_headline(d)
    if name == "augmentation":
        r = d["result"]
        return f"CV difference {fmt(r['mean_difference'], 3)}, {r['wins']}/{len(r['configs'])} wins"
    if name == "peers":
        return _sections_peers.headline(d)
    if name == "active_learning":
        return _sections_active.headline(d)
    if name == "tta":
        return _sections_tta.headline(d)
    if name == "transfer":
        return _sections_transfer.headline(d)
    if name == "levers":
        return _sections_levers.headline(d)
    if name == "budget":
        return _sections_budget.headline(d)
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
    "quality": _sections_yardstick.yardstick,
    "folds": _sections_yardstick.folds,
    "ensemble_pool": _sections_yardstick.ensemble_pool,
    "quality_fixed": _sections_quality.quality,
    "augmentation": _sections_quality.augmentation,
    "active_learning": _sections_active.active_learning,
    "peers": _sections_peers.peers,
    "tta": _sections_tta.tta,
    "transfer": _sections_transfer.transfer,
    "levers": _sections_levers.levers,
    "budget": _sections_budget.budget,
}


class DocError(Exception):
    """A rendered page would show a placeholder or a machine's path."""


def _keys(value: Any, needle: str, path: str = "") -> list[str]:
    """JSON key paths (``arms.simba_rf.command``) whose string value contains ``needle``."""
    if isinstance(value, str):
        return [path or "(top level)"] if needle in value else []
    if isinstance(value, dict):
        return [
            k for key, v in value.items() for k in _keys(v, needle, f"{path}.{key}".lstrip("."))
        ]
    if isinstance(value, list):
        return [k for i, v in enumerate(value) for k in _keys(v, needle, f"{path}[{i}]")]
    return []


def check_text(name: str, data: Result | None, text: str, where: str) -> None:
    """Raise :class:`DocError` if a line of ``text`` (rendered from results/NAME.json into
    ``where``) holds a placeholder or an absolute path of the machine."""
    for line in text.splitlines():
        for pattern, what in (
            (PLACEHOLDER, "a placeholder"),
            (ABSOLUTE, "an absolute path of the machine it ran on"),
        ):
            m = pattern.search(line)
            if m is None:
                continue
            start = max(line.rfind(" ", 0, m.start()), line.rfind("`", 0, m.start())) + 1
            end = min(
                (i for i in (line.find(c, m.end()) for c in " `|,;)") if i >= 0), default=len(line)
            )
            token = line[start:end]
            keys = (_keys(data, token) or _keys(data, m.group(0))) if data is not None else []
            source = (
                f"key {', '.join(keys[:4])}" if keys else "no key (the section's renderer wrote it)"
            )
            raise DocError(
                f"benchmarks/results/{name}.json, {source}: {where} would show {what} "
                f"({token!r}). Fix the results (re-run the arm, or record why it did not run) "
                f"instead of rendering it:\n    {line.strip()[:240]}"
            )


def readme_with_table(
    readme: str, table_text: str, start: str = TABLE_START, end: str = TABLE_END
) -> str:
    """``readme`` with the lines between ``start`` and ``end`` replaced."""
    if start not in readme or end not in readme:
        raise DocError(f"README.md: the table markers are missing ({start!r} ... {end!r})")
    head, rest = readme.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{table_text}\n{end}{tail}"


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
        body = RENDER[name](d)
        check_text(name, d, f"{rows[-1]}\n{body}", f"docs/benchmarks.md, section {name}")
        sections.append(f'<a id="{anchor}"></a>\n\n## {title}\n\n{quick}{body}\n\n{provenance(d)}')
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
    try:
        text = render(results)
        readme = README.read_text(encoding="utf-8")
        new_readme = readme
        if results.get("peers") is not None:
            peers_table = _sections_peers.readme_table(results["peers"])
            check_text("peers", results["peers"], peers_table, "README.md, the peers table")
            new_readme = readme_with_table(readme, peers_table)
        if results.get("quality") is not None:
            yard = _sections_yardstick.readme_table(results["quality"])
            check_text("quality", results["quality"], yard, "README.md, the yardstick table")
            new_readme = readme_with_table(new_readme, yard, YARDSTICK_START, YARDSTICK_END)
    except DocError as e:
        print(f"summary.py: refused: {e}", file=sys.stderr)
        return 2
    if args.check:
        stale = [
            str(path.relative_to(_bench.ROOT))
            for path, want in ((DOC, text), (README, new_readme))
            if not path.exists() or path.read_text(encoding="utf-8") != want
        ]
        if stale:
            print(f"{', '.join(stale)} out of date: run benchmarks/summary.py", file=sys.stderr)
            return 1
        return 0
    from mbr_search.features.cache import write_text_atomic

    write_text_atomic(DOC, text)
    print(f"wrote {DOC.relative_to(_bench.ROOT)}")
    if new_readme != readme:
        write_text_atomic(README, new_readme)
        print(f"wrote the tables of {README.relative_to(_bench.ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
