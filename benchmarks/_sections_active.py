"""The active-learning benchmark's section of docs/benchmarks.md. Fixed prose; every number
comes from benchmarks/results/active_learning.json."""

from __future__ import annotations

import statistics
from typing import Any

from _fmt import Result, table, target_line


def _random_cells(budget: dict[str, Any], r: int) -> tuple[str, str, float]:
    """The random arm after round ``r``: labelled frames per seed, mean ± sd test PR-AUC."""
    rows = [seed[r] for seed in budget["random"]]
    scores = [row["mean_pr_auc"] for row in rows]
    sd = f" ± {statistics.stdev(scores):.3f}" if len(scores) > 1 else ""
    frames = " / ".join(f"{row['labelled_frames']:,}" for row in rows)
    return frames, f"{statistics.mean(scores):.3f}{sd}", statistics.mean(scores)


def headline(d: Result) -> str:
    parts = []
    for b in d["budgets"]:
        if b["random"]:
            _f, score, _m = _random_cells(b, len(b["suggest"]) - 1)
            parts.append(f"n={b['n']}: suggest {b['suggest'][-1]['mean_pr_auc']:.3f}, "
                         f"random {score}")  # fmt: skip
    return "test PR-AUC after the last round: " + "; ".join(parts)


def _budget_table(d: Result, b: dict[str, Any]) -> str:
    start = d["start"]
    rows = [
        f"start | {start['labelled_frames']:,} | {start['mean_pr_auc']:.3f} | "
        f"{start['labelled_frames']:,} | {start['mean_pr_auc']:.3f} | —"
    ]
    for r, row in enumerate(b["suggest"]):
        frames, score, mean = _random_cells(b, r)
        rows.append(
            f"round {row['round']} (+{row['segments']} segments) | {row['labelled_frames']:,} | "
            f"**{row['mean_pr_auc']:.3f}** | {frames} | **{score}** | "
            f"{row['mean_pr_auc'] - mean:+.3f}"
        )
    head = (
        "labels | labelled frames, suggest | test PR-AUC, suggest | labelled frames, random "
        "(per seed) | test PR-AUC, random (mean ± sd) | suggest − random"
    )
    per = b["suggest"][-1]["per_behaviour"]
    per_random = [seed[-1]["per_behaviour"] for seed in b["random"]]
    behaviours = ", ".join(
        f"{name} {v:.3f} vs {statistics.mean(x[name] for x in per_random):.3f}"
        for name, v in per.items()
        if v is not None
    )
    seeds = len(b["random"])
    return (
        f"**{b['n']} segments per round** ({seeds} random seed{'s' if seeds > 1 else ''}):\n\n"
        f"{table(head, rows)}\n\nPer behaviour after the last round, suggest vs random "
        f"(mean): {behaviours}. {_evidence(b)}"
    )


def _evidence(b: dict[str, Any]) -> str:
    """Whether the last round's difference is larger than the random arm's own spread."""
    last = [seed[-1]["mean_pr_auc"] for seed in b["random"]]
    if len(last) < 2:
        return "One random seed only: no spread to compare the difference with."
    gain = b["suggest"][-1]["mean_pr_auc"] - statistics.mean(last)
    sd = statistics.stdev(last)
    if abs(gain) > 2 * sd:
        word = "better" if gain > 0 else "worse"
        return (
            f"The difference ({gain:+.3f}) is more than twice the random arm's sd "
            f"({sd:.3f}): {word} than random here, though an sd from {len(last)} seeds and "
            "one start split is a rough yardstick."
        )
    return (
        f"The difference ({gain:+.3f}) is within twice the random arm's sd ({sd:.3f}): "
        "not evidence either way."
    )


def _learner(d: Result) -> str:
    """The learner's paragraph: the shipped search (``config.learner: auto_pose``) or the
    fixed boosters of the first run (no ``learner`` key)."""
    c = d["config"]
    if c.get("learner", "gbdt") == "auto_pose":
        return f"""\
The learner is what a user gets: each retraining is the shipped `studies/auto_pose.yaml`
search (LSTM, TCN, Transformer and LightGBM) at {c["trials"]} trials, then `evaluate --top
{c["top"]}`, both through the CLI, on a manifest whose partly labelled videos are per-frame
CSVs with empty cells where nobody labelled (a pool video without a labelled frame is left
out); the model directory it writes (the selected ensemble that `predict` and `suggest`
use) predicts the pool and the test videos, and its thresholds and member weights feed the
ranking. An unlabelled frame is never a negative, in any family (issue 23). Cut to fit 2
shared cores: {c["trials"]} trials per search (the shipped study runs 30), budget(s) n =
{", ".join(str(n) for n in c["n"])}, {c["rounds"]} rounds, {c["seeds"]} random seed(s);
every round is a fresh search on the labels so far."""
    p = c["params"]
    return f"""\
The model is fixed, not searched, so both arms get the same learner: the shipped
`studies/gbdt_pose.yaml` pose features at 10 fps with window statistics over
{", ".join(f"{w:g}" for w in c["window_seconds"])} s (of its 0.5, 1.5 and 4.5 s, to make the
retrainings affordable) and an ensemble of {c["members"]} LightGBM boosters per behaviour
(seeds 0-{c["members"] - 1}, bagging and feature fraction {p["bagging_fraction"]},
{p["num_leaves"]} leaves, learning rate {p["learning_rate"]}, {p["max_rounds"]} rounds,
training frame step {p["frame_step"]}: sized for 2 shared cores), threshold
{c["threshold"]}; the members' spread is the ensemble disagreement `suggest` reads. Partly
labelled videos train on their labelled frames only (the frame family sees each frame on its
own, its window statistics computed over the whole video first), so an unlabelled frame is
never a negative."""


def active_learning(d: Result) -> str:
    c = d["config"]
    budgets = [b for b in d["budgets"] if b["random"]]
    tables = "\n\n".join(_budget_table(d, b) for b in budgets)
    return f"""\
Does labelling the segments `mbr-search suggest` picks pay, against labelling random
segments of the same lengths? The full real rat data of `benchmarks/rat_dataset.py`: of the
15 training videos, {", ".join(d["videos"]["labelled_at_start"])} start labelled
({d["start"]["labelled_frames"]:,} frames at 10 fps) and the other 10 are the unlabelled pool;
the 5 test videos ({", ".join(d["videos"]["test"])}) only score. In each of {c["rounds"]}
rounds the current model predicts the pool and the package's ranking
(`mbr_search.suggest.rank.rank`, the core of `suggest`, with its CLI defaults: 1-8 s
segments, at least 2 s apart, spread over videos and behaviours, never on frames labelled
already) picks n segments, whose true labels are added; the random arm adds segments of the
same lengths at random unlabelled places of the pool. Then the model is retrained on every
labelled frame and scored on the test videos (PR-AUC per behaviour over all test frames,
then the mean over behaviours).

{_learner(d)}

{target_line(d)}

{tables}

One start split and one suggest run per budget: the random arm's spread over seeds (the sd
above) is the yardstick, and a difference smaller than it is not evidence either way."""
