"""The peers benchmark's section of docs/benchmarks.md, and the README's "Why mbr-search"
table: mbr-search beside DLC2Action, a SimBA-style random forest and the lab's gradient
boosting on the same rat test videos, one scorer (benchmarks/peers/run.py)."""

from __future__ import annotations

from _fmt import Result, fmt, table
from _sections_peers_dlc2action import dlc2action_text

NAMES = {
    "mbr_auto_pose_ensemble": "mbr-search `auto_pose`, selected ensemble",
    "mbr_auto_pose_best": "mbr-search `auto_pose`, best single trial",
    "mbr_lstm_pose_ensemble": "mbr-search `lstm_pose`, selected ensemble",
    "mbr_lstm_pose_best": "mbr-search `lstm_pose`, best single trial",
    "mbr_gbdt_pose_ensemble": "mbr-search `gbdt_pose`, selected ensemble",
    "mbr_tcn_pose_ensemble": "mbr-search `tcn_pose`, selected ensemble",
    "hgb_baseline": "the lab's HistGradientBoosting script (window features)",
    "simba_rf": "SimBA-style random forest (SimBA's two-animal features)",
    "dlc2action_default": "DLC2Action 1.0, its defaults (ms_tcn3)",
    "dlc2action_search": "DLC2Action 1.0, its own Optuna search",
}


def _scored(a: Result) -> bool:
    return a.get("mean_pr_auc") is not None


def _commit(a: Result) -> str:
    code = a.get("code") or {}
    run_at = a.get("run_at") or {}
    return code.get("commit") or run_at.get("commit") or "not recorded"


def _when(a: Result) -> str:
    run_at = a.get("run_at") or {}
    date = (run_at.get("date") or a.get("date") or "")[:10]
    this = "" if a.get("status") != "not re-run this session" else ", not re-run"
    return f"{date}, `{_commit(a)}`{this}"


def _what(name: str, a: Result) -> str:
    what = NAMES.get(name, name)
    if name.startswith("dlc2action") and a.get("epochs"):
        done, total = a.get("epochs_completed"), a["epochs"]
        stopped = (
            f"{done} of {total} epochs (stopped for time)" if done != total else f"{total} epochs"
        )
        what += f", {stopped}, best validation epoch {a.get('best_epoch')}"
    if name == "simba_rf":
        trees = (a.get("meta") or {}).get("trees")
        what += f", {trees} trees" if trees else ""
    return what


def _guard(a: Result) -> str:
    g = a.get("label_guard")
    if isinstance(g, dict):
        return "passed" if g.get("passed") else "**failed**"
    return "before the guard"


def _row(name: str, a: Result, behaviours: list[str]) -> str:
    per = a.get("per_behaviour", {})
    prs = " / ".join(fmt(per.get(b, {}).get("pr_auc")) for b in behaviours)
    f1 = fmt(a.get("mean_f1"), 2)
    seg = fmt(a.get("mean_segmental_f1"), 2)
    return (
        f"{_what(name, a)} | **{fmt(a['mean_pr_auc'])}** | {prs} | {f1} | {seg} | "
        f"{_cpu(a)} | {_guard(a)} | {_when(a)}"
    )


def _cpu(a: Result) -> str:
    """CPU seconds; a lower bound, saying which epochs it leaves out, when some ran untimed."""
    cpu, untimed = a.get("cpu_seconds"), a.get("untimed_epochs")
    if cpu is None:
        return "—"
    if untimed:
        return f"≥ {cpu:,.0f} (epochs {untimed[0]}–{untimed[1]} untimed)"
    return f"{cpu:,.0f}"


def _order(d: Result) -> list[str]:
    names = [n for n in NAMES if n in d["arms"]]
    return names + [n for n in d["arms"] if n not in names]


def chance(d: Result) -> float | None:
    """Mean prevalence of the behaviours on the test frames: a constant score's PR-AUC."""
    behaviours = d["config"]["behaviours"]
    for a in d["arms"].values():
        per = a.get("per_behaviour") or {}
        if all(per.get(b, {}).get("prevalence") is not None for b in behaviours):
            return sum(per[b]["prevalence"] for b in behaviours) / len(behaviours)
    return None


def _chance_line(d: Result) -> str:
    behaviours = d["config"]["behaviours"]
    for a in d["arms"].values():
        per = a.get("per_behaviour") or {}
        if all(per.get(b, {}).get("prevalence") is not None for b in behaviours):
            cells = " / ".join(fmt(per[b]["prevalence"]) for b in behaviours)
            return (
                f"No skill (a constant score) gives PR-AUC = prevalence: {cells} on these test "
                f"frames, mean **{chance(d):.3f}**."
            )
    return ""


def headline(d: Result) -> str:
    scored = [(n, a) for n, a in d["arms"].items() if _scored(a)]
    best = sorted(scored, key=lambda x: -x[1]["mean_pr_auc"])[:4]
    return "mean test PR-AUC " + "; ".join(f"{n}: {a['mean_pr_auc']:.3f}" for n, a in best)


def _counts(c: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v:,}" for k, v in c.items())


def _guard_text(d: Result) -> str:
    lines = []
    prep = d.get("label_guard_prep") or {}
    if prep:
        pos, cal = _positives(prep)
        lines.append(
            f"- Frame-level labels (`prep/truth.npz`, what the forest, the boosting script "
            f"and the scorer use): {prep['videos']} videos, {prep['frames']:,} frames at "
            f"{d['config']['fps']} fps, positives {pos}; the Caltech files after the frame "
            f"mapping: {cal} — {'passed' if prep.get('passed') else '**failed**'}."
        )
    for name in ("dlc2action_default", "dlc2action_search"):
        g = d["arms"].get(name, {}).get("label_guard")
        if not isinstance(g, dict):
            continue
        for part in ("training", "validation"):
            p = g[part]
            lines.append(
                f"- {NAMES[name]}, {part} set ({len(p['videos'])} videos, segments of "
                f"{g['len_segment']} every {g['step']} frames; classes -100 = ignored, "
                f"0 = other, 1-3 = the behaviours): expected from the Caltech files "
                f"{_counts(p['expected_from_caltech'])}; DLC2Action reports "
                f"{_counts(p['dlc2action_reports'])}; labelled frames ignored "
                f"{100 * p['ignored_fraction']:.1f} % — "
                f"{'passed' if g['passed'] else '**failed**'}."
            )
    return "\n".join(lines + _frame_guard_lines(d))


def _positives(guard: Result) -> tuple[str, str]:
    """A frame guard's positives per behaviour: as the arm sees them, and from Caltech."""

    def joined(key: str) -> str:
        return " / ".join(f"{x:,}" for x in guard[key])

    return joined("positives_per_behaviour"), joined("positives_per_behaviour_caltech")


def _frame_guard_lines(d: Result) -> list[str]:
    """The guards of the frame-level arms (forest, boosting) and of the mbr-search arms."""
    lines = []
    for name in _order(d):
        g = d["arms"][name].get("label_guard")
        if not isinstance(g, dict) or name.startswith("dlc2action"):
            continue
        verdict = "passed" if g.get("passed") else f"**failed** ({g.get('problems')})"
        if "positives_per_behaviour" in g:
            pos, cal = _positives(g)
            lines.append(
                f"- {NAMES.get(name, name)}: {g['videos']} videos, {g['frames']:,} frames it "
                f"trains on or is scored on, positives {pos}; Caltech {cal}, and a feature "
                f"row for every label row — {verdict}."
            )
        elif "check" in g:
            bad = g.get("mismatched_videos") or []
            lines.append(
                f"- {NAMES.get(name, name)}: {g['check']} ({g['test_videos']} test and "
                f"{g['out_of_fold_videos']} out-of-fold videos) — "
                f"{'passed' if g.get('passed') else f'**failed** on {bad}'}."
            )
    return lines


def _trees(d: Result) -> str:
    a = d["arms"].get("simba_rf") or {}
    per = a.get("per_tree_count")
    if not per:
        cfg = d["config"].get("trees")
        return (
            f"The forest's tree-count sweep (`--trees {cfg}`) is implemented but has not run: "
            "this session's CPU went to DLC2Action's default arm (one heavy job at a time on "
            "a shared machine), so the SimBA-style row is still the 40-tree run of 2026-12-02 "
            "(SimBA's default is 2,000 trees); whether more trees help is not measured."
            if a.get("status") == "not re-run this session"
            else ""
        )
    rows = [f"{t} | {fmt(v['oof_mean_pr_auc'])} | {fmt(v['mean_pr_auc'])}" for t, v in per.items()]
    return (
        "SimBA-style forest against its tree count (one warm-started forest per behaviour, "
        "grown through the counts; the count used above is the smallest whose out-of-fold "
        "score is within 0.005 of the best):\n\n"
        + table("trees | out-of-fold mean PR-AUC | test mean PR-AUC", rows)
    )


def _not_run(d: Result) -> str:
    out = []
    for name in _order(d):
        a = d["arms"][name]
        if not _scored(a):
            out.append(f"- {NAMES.get(name, name)}: {a.get('why') or a.get('status')}")
            if (a.get("smoke_test") or {}).get("what"):
                out[-1] += f". {a['smoke_test']['what'][0].upper()}{a['smoke_test']['what'][1:]}"
                out[-1] += f" (`{a['smoke_test']['command']}`)."
    return "\n".join(out)


def _pairs(d: Result) -> str:
    """The paired differences on the same test videos, with their intervals."""
    rows = []
    for r in d.get("paired_differences") or []:
        iv = r.get("interval") or {}
        span = f"{iv['low']:+.3f} to {iv['high']:+.3f}" if iv else "—"
        verdict = {"a better": "a ahead", "b better": "b ahead"}.get(r["verdict"], r["verdict"])
        rows.append(
            f"{NAMES.get(r['a'], r['a'])} | {NAMES.get(r['b'], r['b'])} | "
            f"**{r['value']:+.3f}** | {span} | {verdict}"
        )
    if not rows:
        return (
            "No paired differences: fewer than two arms have their per-frame test "
            "probabilities on the machine that scored this file."
        )
    return (
        "Paired differences (a − b) of pooled mean PR-AUC on the same test videos, with the "
        "90 % interval over 2,000 draws of the videos (`benchmarks/peers/pairs.py`). With 5 "
        "videos these intervals are rough; an interval that straddles zero is no evidence "
        "either way:\n\n" + table("a | b | a − b | 90 % interval | verdict", rows)
    )


def _withdrawn(d: Result) -> str:
    w = d.get("withdrawn") or []
    if not w:
        return ""
    arms = ", ".join(sorted({f"`{x['arm']}` ({(x.get('date') or '')[:10]})" for x in w}))
    return (
        f"Withdrawn: the earlier DLC2Action rows {arms}. {w[0]['why'][0].upper()}"
        f"{w[0]['why'][1:]}. Their numbers are not kept."
    )


def _aborted(d: Result) -> str:
    runs = d.get("aborted") or []
    return "\n".join(
        f"Stopped and not scored: `{r['arm']}` started {r['started']} at `{r['commit']}`, "
        f"{r['epochs_completed']} epochs: {r['why']}."
        for r in runs
    )


def _commits(d: Result) -> str:
    commits = d.get("commits") or []
    if len(commits) == 1:
        return f"Every scored arm ran from commit `{commits[0]}`." + _changes(d)
    return (
        f"The scored arms come from {len(commits)} different runs and commits "
        f"({', '.join(f'`{c}`' for c in commits)}; the run column says which): this table "
        "is **not** one run from one commit. Arms marked *not re-run* are kept from an "
        "earlier run, unchanged." + _changes(d)
    )


def _changes(d: Result) -> str:
    """Per scored arm, the commits since its own that touched the code deciding its numbers."""
    lines = []
    for name in _order(d):
        a = d["arms"][name]
        changed = a.get("code_changed_since")
        if not _scored(a) or changed is None:
            continue
        if not changed:
            lines.append(f"- {NAMES.get(name, name)}: none")
            continue
        subjects = "; ".join(c[:110] + ("…" if len(c) > 110 else "") for c in changed[:4])
        more = f" and {len(changed) - 4} more" if len(changed) > 4 else ""
        lines.append(f"- {NAMES.get(name, name)}: {len(changed)} ({subjects}{more})")
    if not lines:
        return ""
    return (
        " Commits since each arm's own that touched the code deciding its numbers (its "
        "harness, the shared preparation and guard; for mbr-search the package, studies and "
        "spaces; `code_changed_since` in the JSON):\n\n" + "\n".join(lines)
    )


def peers(d: Result) -> str:
    cfg = d["config"]
    behaviours = cfg["behaviours"]
    rows = [_row(n, d["arms"][n], behaviours) for n in _order(d) if _scored(d["arms"][n])]
    head = (
        "arm | mean PR-AUC | PR-AUC "
        + " / ".join(behaviours)
        + " | mean F1 (OOF threshold) | mean segmental F1 | CPU s | label guard"
        + " | run (date, commit)"
    )
    v = d.get("versions", {})
    d2a = v.get("dlc2action_venv") or {}
    main = v.get("main_venv") or {}
    d2a_line = ", ".join(f"{k} {x}" for k, x in d2a.items() if x) or "not installed"
    main_line = ", ".join(f"{k} {x}" for k, x in main.items())
    commands = "\n".join(f"    {c}" for c in d.get("arm_commands", []))
    return f"""\
Is mbr-search better than what a lab would otherwise use? Every arm on the same 20
full-length rat-pair videos (`../shared/data/rat_social`), the fixed 15 train / 5 test split
of `benchmarks/rat_dataset.py`, behaviours {", ".join(behaviours)}, scored on the same
{cfg["fps"]} fps frames of the 5 test videos (every 3rd 30 fps frame) by one scorer
(scikit-learn, `benchmarks/peers/run.py`): pooled PR-AUC (average precision), F1 at the
threshold that maximises F1 on the arm's out-of-fold training-video predictions, and
segmental F1 (IoU ≥ 0.5, `mbr_search.scoring.bouts`). CPU seconds are those of the arm's
own process tree (one thread per library). Before it trains, every arm passes a label guard
(`benchmarks/peers/label_guard.py`): the labels it is about to train on must match counts
computed straight from the Caltech files, and no more than 5 % of the labelled frames may be
ignored; otherwise it stops.

{dlc2action_text(d)}
- **SimBA-style random forest** (`benchmarks/peers/simba_rf.py`): SimBA's two-animal feature
  recipe (its `feature_extractor_8bps_2_animals` battery plus the angle and cross distances
  of `feature_extractor_16bp`, mapped to 5 keypoints per rat; rolling median/mean/sum over
  fps/[2, 5, 6, 7.5, 15] frames), one `RandomForestClassifier` per behaviour (SimBA's
  settings, `class_weight="balanced"`, `n_jobs=1`); threshold from grouped 3-fold
  out-of-fold predictions.
- **The lab's HistGradientBoosting script** (`benchmarks/peers/hgb_baseline.py`): the
  package's pose features with centred rolling mean/std/min/max over 1/6, 0.5 and 1.5 s, one
  `HistGradientBoostingClassifier(max_iter=300, class_weight="balanced")` per behaviour,
  trained on every {cfg["fps"]} fps frame; threshold from the same out-of-fold predictions.
- **mbr-search** is not re-run here: its per-frame test and out-of-fold probabilities are
  read from the quality benchmark's `mbr-search evaluate` folders and scored here; its CPU
  seconds are search + evaluate of the whole study.

{table(head, rows)}

{_chance_line(d)}

{_pairs(d)}

{_commits(d)}

Label guard counts:

{_guard_text(d)}

{_trees(d)}

Not in the table:

{_not_run(d)}

{_withdrawn(d)}

{_aborted(d)}

How it ran: {d.get("how_run", "")}.

Versions — DLC2Action environment: {d2a_line}; main environment: {main_line}.

Commands, from the repository root (each arm writes to `benchmarks/.work/peers/ARM/`; the
DLC2Action projects go to a scratch folder outside the repository, under the system's
temporary folder unless `PEERS_DLC2ACTION_PROJECTS` names another, because DLC2Action cuts
its paths at the first dot and `.work` has one; the last command only scores):

    {d.get("setup_command", "bash benchmarks/peers/setup.sh")}
{commands}"""


def readme_table(d: Result) -> str:
    """The README's "Why mbr-search" table: every scored arm of peers.json, best first."""
    scored = [(n, d["arms"][n]) for n in _order(d) if _scored(d["arms"][n])]
    scored.sort(key=lambda x: -x[1]["mean_pr_auc"])
    rows = []
    for n, a in scored:
        cell = _cpu(a)
        score = fmt(a["mean_pr_auc"])
        if n == "mbr_auto_pose_ensemble":
            score = f"**{score}**"
        rows.append(f"{_what(n, a)} | {score} | {cell} | {_when(a)}")
    for n in _order(d):
        a = d["arms"][n]
        if not _scored(a) and n.startswith("dlc2action"):
            rows.append(f"{NAMES[n]} | not run this session (docs/benchmarks.md, *peers*) | — | —")
    c = chance(d)
    if c is not None:
        rows.append(f"no skill (a constant score) | {c:.3f} | — | —")
    return table("tool (budget) | mean test PR-AUC | CPU s | run (date, commit)", rows)
