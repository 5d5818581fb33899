"""Formatting shared by the benchmark sections of docs/benchmarks.md: numbers, tables,
verdicts and the provenance line under each section."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

Result = dict[str, Any]


def fmt(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def mib(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} MiB"


def table(head: str, rows: Iterable[str]) -> str:
    """A Markdown table from ``"a | b | c"`` strings."""
    rule = "|" + "---|" * (head.count("|") + 1)
    return "\n".join([f"| {head} |", rule, *(f"| {r} |" for r in rows)])


def signed_interval(iv: Result | None) -> str:
    """A difference's interval, ``+0.012 to +0.034`` (``—`` without one)."""
    return "—" if iv is None else f"{iv['low']:+.3f} to {iv['high']:+.3f}"


def yes(met: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "—"}[met]


def machine_line(m: Result) -> str:
    v = m.get("versions", {})
    ram = f", {m['ram_gb']} GB RAM" if m.get("ram_gb") else ""
    libs = ", ".join(
        f"{k} {v[k]}" for k in ("tensorflow", "keras", "optuna", "scikit-learn") if k in v
    )
    gpu = "a GPU" if m.get("gpu") else "no GPU"
    return f"{m['nproc']} cores ({m['cpu']}){ram}, {gpu}; Python {v.get('python', '?')}, {libs}"


#: a scratch folder of the machine that ran a benchmark, as its recorded command named it
_MACHINE_PATH = re.compile(r"(?<=\s)/(?:work|home|root|tmp|Users|mnt|var)/\S*")


def portable(command: str) -> str:
    """The recorded command as anyone can run it from the repository root: a scratch
    folder of the machine that ran it (``--work /work/qwork``) becomes ``DIR``."""
    return _MACHINE_PATH.sub("DIR", command)


def provenance(d: Result) -> str:
    """Date, commit, who measured, machine, load and the command, under each section."""
    code = d.get("code") or {}
    dirty = (
        ", with uncommitted changes in mbr_search/" if code.get("core_uncommitted_changes") else ""
    )
    note = f" ({code['note']})" if code.get("note") else ""
    how = f" Measured by {code['measured_by']}." if d.get("converted") else ""
    loads = " → ".join(fmt(x, 1) for x in d.get("load_average") or [] if x is not None)
    wall = (
        f" Wall time of the benchmark: {d['wall_seconds']:.0f} s." if d.get("wall_seconds") else ""
    )
    return (
        f"*Run {d['date']} at commit `{code.get('commit') or '?'}`{dirty}{note}.{how} Machine: "
        f"{machine_line(d['machine'])}. Load average {loads} (a shared machine: absolute times "
        f"vary between runs).{wall}*\n\n"
        f"Reproduce: `{portable(d['command'])}` — raw numbers: "
        f"`benchmarks/results/{d['benchmark']}.json`."
    )


def target_line(d: Result) -> str:
    t = d["target"]
    if t.get("value") is None:
        return f"No numeric target: {t['statement']}."
    return f"**Target: {t['statement']}. {t['verdict']}**"
