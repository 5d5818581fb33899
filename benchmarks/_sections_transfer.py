"""The feature-transfer benchmark's section of docs/benchmarks.md. Fixed prose; every
number comes from benchmarks/results/transfer.json (benchmarks/transfer.py)."""

from __future__ import annotations

from _fmt import Result, fmt, table

#: what each group holds (features/column_groups.py), for a reader of the table
HOLDS = {
    "posture": "egocentric keypoint coordinates",
    "distances": "inter-keypoint distances, body-length ratio",
    "speed": "centre, forward, sideways and per-keypoint speed, turning rate",
    "angles": "heading as cos and sin",
    "position": "position in the arena box, distance to the nearest wall",
    "missing keypoints": "which keypoints are missing",
    "pair features": "distance, relative position and heading, closest keypoints, approach",
}


def _interval(g: Result) -> str:
    iv = g["interval"]
    return "—" if iv is None else f"{iv['low']:+.3f} to {iv['high']:+.3f}"


def headline(d: Result) -> str:
    groups = d["result"]["groups"]
    top = ", ".join(f"{name} {g['drop']:+.3f}" for name, g in list(groups.items())[:2])
    return f"largest drops: {top}; {d['target']['verdict']}"


def transfer(d: Result) -> str:
    r = d["result"]
    rows = [
        f"{name} ({HOLDS.get(name, '')}) | {g['columns']} | **{g['drop']:+.3f}** | "
        f"{_interval(g)} | "
        + " / ".join(fmt(v) for v in g["per_behaviour"].values())
        + f" | {g['verdict']}"
        for name, g in r["groups"].items()
    ]
    behaviours = " / ".join(next(iter(r["groups"].values()))["per_behaviour"])
    head = (
        "feature group | columns (both rats) | drop of pooled mean PR-AUC | 90 % interval "
        f"(paired, over videos) | drop per behaviour ({behaviours}) | verdict"
    )
    return (
        "Which pose features carry over to videos the search never saw (issue 20, item 3)? "
        f"{d['scale'][0].upper()}{d['scale'][1:]}: each test video is predicted by its "
        "fold's ensemble as it is, then once per feature group with that group's columns "
        "permuted over the video's frames (`evaluate`'s permutation importance, one seeded "
        "draw per group and video; window features are recomputed from the permuted "
        f"columns). Unpermuted, the {r['videos']} videos score {fmt(r['plain_pooled'], 4)}, "
        "the yardstick units' outer score (the stored probabilities agree to "
        f"{fmt(r['plain_vs_recorded_max_abs'], 3)}). Nothing is trained; "
        f"{fmt(r['cpu_seconds'], 0)} CPU s.\n\n"
        + table(head, rows)
        + f"\n\n**{d['target']['statement']}: {d['target']['verdict']}.** A drop above zero "
        "means the ensembles use the group and it holds on new videos. Near zero, they gain "
        "nothing from it there (unused, or learnt on the training videos without carrying "
        "over); below zero, new videos would score better without it. A group another group stands "
        "in for (the heading beside the pair features' relative heading) shows a small drop "
        "even when its information is used. This measures the "
        "shipped feature set only: removing a group and searching again (and the egocentric, "
        "pair-relative and body-length-scaled alternatives the issue names) has not been "
        "run on the yardstick, so no feature set was changed."
    )
