"""The trial-cost section of docs/benchmarks.md (search efficiency: _sections_efficiency.py).
Fixed prose; every number comes from the JSON."""

from __future__ import annotations

from _fmt import Result, table, target_line, yes


def trial_cost(d: Result) -> str:
    cfg, done = d["config"], [r for r in d["datasets"] if "speedup" in r]

    def met(r: Result) -> bool:
        return r["speedup"] >= d["target"]["value"] and r["score_mbr"] >= r["score_thesis_protocol"]

    rows = [
        f"{r['dataset']} | {r['folds']} | {r['seconds_thesis_protocol']:.0f} "
        f"({r['cpu_seconds_thesis_protocol']:.0f}) | {r['seconds_mbr']:.0f} "
        f"({r['cpu_seconds_mbr']:.0f}) | **{r['speedup']:.2f}x** ({r['speedup_cpu']:.2f}x) | "
        f"{r['score_thesis_protocol']:.4f} | {r['score_mbr']:.4f} | "
        f"{r['epochs_thesis_protocol']} / {r['epochs_mbr']} | "
        f"{r['models_built_thesis_protocol']} / {r['models_built_mbr']} | "
        f"{yes(met(r))}"
        for r in done
    ]
    binary = [
        f"{r['dataset']} | {r['seconds_thesis_protocol']:.0f} "
        f"({r['cpu_seconds_thesis_protocol']:.0f}) | {r['seconds_mbr_binary']:.0f} "
        f"({r['cpu_seconds_mbr_binary']:.0f}) | {r['speedup_mbr_binary']:.2f}x "
        f"({r['speedup_cpu_mbr_binary']:.2f}x) | {r['score_thesis_protocol']:.4f} | "
        f"{r['score_mbr_binary']:.4f} | {r['epochs_thesis_protocol']} / {r['epochs_mbr_binary']}"
        for r in done
    ]
    scales = [
        f"- **{r['dataset']}**: {r.get('scale') or r.get('skipped')}."
        + (f" Data: {r['data_note']}." if "data_note" in r else "")
        for r in d["datasets"]
    ]
    lower = [r["dataset"] for r in done if r["score_mbr"] < r["score_thesis_protocol"]]
    score = (
        f"the one multi-label model scored lower than three binary models on {len(lower)} of "
        f"{len(done)} data sets ({', '.join(lower)}), so the speed came at a price in score "
        "with these settings"
        if lower
        else "the one multi-label model scored at least as well as three binary models"
    )
    notes = f" Stored run: {d['notes']}." if d.get("notes") else ""
    head = (
        "data | folds | thesis protocol s (CPU) | mbr-search s (CPU) | speedup (CPU) | "
        "score thesis | score mbr | epochs thesis / mbr | models built thesis / mbr | target met"
    )
    head2 = (
        "data | thesis protocol s (CPU) | binary, reused s (CPU) | speedup (CPU) | "
        "score thesis | score binary reused | epochs thesis / binary reused"
    )
    scale_lines = "\n".join(scales)
    return f"""\
One trial of the thesis' best LSTM (Table 4.1, experiment 1: seq_len 300, 3 LSTM layers of
64/32/16 units, batch 8, dropout 0.5, Adam 1e-3), on the same folds and data, side by side
in one run. **Thesis protocol**: three binary models, each rebuilt and recompiled for every
fold (`build_group_models`), the fold's sequences (`cut`) held as float32. **mbr-search**:
the unchanged `Objective`, one multi-label model built once and reset between folds (initial
weights back, optimizer state zeroed), float16 sequences from the memory-mapped cache. Both
train with `fit_fold`, at most {cfg["max_epochs"]} epochs with patience {cfg["patience"]} (thesis:
50 / 5). Score = mean PR-AUC over behaviours and folds. Seconds = wall clock of the trial
(CPU seconds in brackets).{notes}

{target_line(d)}

{table(head, rows)}

{scale_lines}

Third arm, same run: mbr-search with `multi_label: false` (three binary models, each built
once per trial and reset between folds, float16): the gain from reuse alone, at the thesis'
model structure.

{table(head2, binary)}

Where the speedup comes from: three binary models train about three times the epochs of one
multi-label model (the epochs column), and every rebuild pays Keras' graph tracing again.
Where the score goes: {score}; `multi_label` is a searched choice in the Bayesian spaces
(`lstm_bayes`, `tcn_bayes`), so a search pays for binary models only where they win. The
"binary, reused" arm has the thesis' model structure and differs from the thesis arm only in
initial weights (one draw per trial, reset each fold, instead of a fresh draw per fold),
float16 instead of float32 inputs and batch order: the gap between those two arms is roughly
the noise of a single trial's score. Per-fold, per-behaviour scores of every arm are in the
JSON."""
