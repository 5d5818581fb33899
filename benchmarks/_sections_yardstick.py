"""The nested yardstick's section of docs/benchmarks.md (``quality.py``): outer scores pooled
over every test video, what evaluate estimated in each outer fold beside what the model
then scored, interval coverage, paired differences, and which search value tracks."""

from __future__ import annotations

from _fmt import Result, fmt, table, yes

MODEL_LABEL = {
    "best_single": "best single",
    "top_mean": "top-3 mean",
    "selected_ensemble": "selected ensemble",
    "baseline": "lab script",
}
ARM_ORDER = ("baseline", "gbdt_pose", "lstm_pose", "tcn_pose", "auto_pose", "mstcn_pose")


def _iv(iv: Result | None) -> str:
    return "—" if iv is None else f"{iv['low']:.3f}–{iv['high']:.3f}"


def _models_table(d: Result) -> str:
    rows = []
    for arm in ARM_ORDER:
        entry = d["arms"].get(arm)
        if entry is None:
            rows.append(f"{arm} | — | not run | | | | | | ")
            continue
        for name, m in entry["models"].items():
            p = m["pooled_outer"]
            per = " / ".join(fmt(v) for v in p["per_behaviour"])
            sd = "—" if m["outer_sd"] is None else f"{m['outer_sd']:.3f}"
            rows.append(
                f"{arm} | {MODEL_LABEL.get(name, name)} | **{fmt(p['mean'])}** "
                f"({_iv(p['interval'])}, {p['videos']} videos) | {per} | "
                f"{fmt(m['outer_mean'])} ± {sd} | {m['mean_gap']:+.3f} | "
                f"{fmt(m['mean_abs_gap'])} | {m['covered']}/{m['n_folds']} | "
                f"{m['covered_expected']}/{m['n_folds']}"
            )
    return table(
        "arm | model | outer, pooled (90 % interval) | social / nonsocial / aggression | "
        "outer mean ± sd over folds | mean estimate − outer | mean abs | interval covers | "
        "expected-test covers",
        rows,
    )


def _folds_table(d: Result, arm: str, name: str) -> str:
    m = d["arms"][arm]["models"][name]
    rows = [
        f"{r['fold']} | {fmt(r['estimate'])} ({r['kind']}) | {_iv(r['interval'])} | "
        f"{fmt(r['in_sample'])} | {fmt(r['outer'])} | {r['gap']:+.3f} | {yes(r['covered'])} | "
        f"{_iv(r['expected_test'])} | {yes(r['covered_expected'])}"
        for r in m["folds"]
    ]
    return table(
        "outer fold | estimate printed | its 90 % interval | in-sample | outer score | "
        "estimate − outer | covered | expected test range | covered",
        rows,
    )


def _tta_intro(t: Result) -> str:
    return (
        f"The same ensembles as `predict` gives them by default, with test-time augmentation "
        f"(`{t['source']}`, commit `{t['commit']}`). The printed estimate comes from "
        "out-of-fold predictions without TTA, so it sits below these scores by the mean gap "
        f"{t['mean_gap']:+.3f}:"
    )


def _tta_table(t: Result) -> str:
    rows = [
        f"{r['fold']} | {fmt(r['estimate'])} | {fmt(r['outer_plain'])} | {fmt(r['outer'])} | "
        f"{r['gap']:+.3f} | {yes(r['covered'])} | {yes(r['covered_expected'])}"
        for r in t["folds"]
    ]
    rows.append(
        f"mean abs | | | | {t['mean_abs_gap']:.3f} | {t['covered']}/{t['n_folds']} | "
        f"{t['covered_expected']}/{t['n_folds']}"
    )
    return table(
        "outer fold | estimate printed | outer, plain | outer, with TTA | estimate − outer "
        "(TTA) | interval covered | expected test range covered",
        rows,
    )


def _differences(d: Result) -> str:
    rows = [
        f"{x['a']} − {x['b']} | {x['videos']} | {x['value']:+.3f} | {_iv(x['interval'])} | "
        f"{x['verdict'].replace('a better', 'first better').replace('b better', 'second better')}"
        for x in d["differences"]
    ]
    if not rows:
        return "No pair of arms has scored the same videos yet."
    return table("difference | videos | value | 90 % interval (paired) | verdict", rows)


def _search_value(d: Result) -> str:
    s = d["search_value"]
    if not s["units"]:
        return "Search value: no unit with 3 evaluated trials yet."
    sp, gap = s["spearman_mean"], s["mean_abs_gap"]
    return (
        f"Which per-trial number tracks the outer score ({s['units']} units, the evaluated "
        f"trials of each): mean of per-fold PR-AUC (the search value) Spearman "
        f"{fmt(sp['cv_value'], 2)}, mean |value − outer| {fmt(gap['cv_value'])}; pooled "
        f"out-of-fold PR-AUC Spearman {fmt(sp['oof_pooled'], 2)}, mean |value − outer| "
        f"{fmt(gap['oof_pooled'])}."
    )


def yardstick(d: Result) -> str:
    cfg = d["config"]
    outer = "; ".join(f"{i}: {', '.join(f)}" for i, f in enumerate(cfg["outer_folds"]))
    budgets = sorted({a["budget_trials"] for a in d["arms"].values() if a["budget_trials"]})
    cpu = "; ".join(
        f"{a} {fmt(e['cpu_seconds'], 0)} CPU s over outer folds {e['outer_folds_run']} "
        f"(commit {', '.join(f'`{c}`' for c in e['commits'])})"
        for a, e in d["arms"].items()
    )
    parts = [
        "All 20 rat-pair videos; outer grouped 5-fold, stratified by the package's balancer "
        f"(seed {cfg['seed']}), so every video is a test video once (test videos per outer "
        f"fold: {outer}). Inside each outer fold every arm runs as a user runs it on the 16 "
        f"other videos: the shipped study, {', '.join(map(str, budgets)) or '—'} trials, "
        "then `mbr-search evaluate --top 3`; the lab script fits on every 6th 30 fps frame "
        "(cut from every 2nd for cost) and scores, like the arms, every 3rd. An outer "
        "score is mean PR-AUC over behaviours of the test probabilities pooled over videos.",
        _models_table(d),
    ]
    auto = d["arms"].get("auto_pose")
    if auto is not None and "selected_ensemble" in auto["models"]:
        parts += [
            "What `predict` uses (auto_pose's selected ensemble), fold by fold, as each "
            "unit's `evaluate` scored it (without TTA):",
            _folds_table(d, "auto_pose", "selected_ensemble"),
        ]
        tta = d.get("predict_with_tta")
        if tta:
            parts += [_tta_intro(tta), _tta_table(tta)]
    parts += ["Paired differences on the same videos:", _differences(d), _search_value(d)]
    parts.append(f"**Target: {d['target']['statement']}. {d['target']['verdict']}**")
    floor = _noise_floor(d)
    if floor:
        parts.append(floor)
    parts.append(
        f"CPU seconds so far: {cpu or '—'} (a unit resumed after a stop counts only the "
        f"process that finished it, so a resumed arm's total is a lower bound). Each unit "
        f"runs (and is resumed) with "
        f"`.venv/bin/python benchmarks/quality.py --arms ARM --folds K --budget "
        f"{', '.join(map(str, budgets)) or 'N'}`; the command below only assembled the units."
    )
    return "\n\n".join(parts)


def _noise_floor(d: Result) -> str:
    """The target's floor: how far a perfect estimate would miss one outer fold's score."""
    auto = d["arms"].get("auto_pose", {}).get("models", {}).get("selected_ensemble")
    floor = None if auto is None else auto.get("noise_floor")
    if floor is None:
        return ""
    level = fmt(auto["pooled_outer"]["mean"])
    return (
        f"The floor under that target: if the estimate were exactly the selected ensemble's "
        f"level over all {floor['pool_videos']} videos measured ({level}), "
        f"it would still miss the score of {floor['test_videos']} of those videos drawn at "
        f"random (an outer fold's test set) by {fmt(floor['mean_abs'])} on average (sd of "
        f"such a score {fmt(floor['sd'])}, {floor['draws']} draws). A mean |estimate - outer| "
        f"below that floor over 5 folds would be luck; near it, the estimate is as good as "
        f"{floor['test_videos']}-video test sets can show."
    )


def headline(d: Result) -> str:
    cells = []
    for arm in ARM_ORDER:
        entry = d["arms"].get(arm)
        if entry is None:
            continue
        name = "baseline" if arm == "baseline" else "selected_ensemble"
        m = entry["models"].get(name)
        if m is not None:
            cells.append(
                f"{arm} {fmt(m['pooled_outer']['mean'])} ({m['n_folds']} folds, "
                f"|gap| {fmt(m['mean_abs_gap'])})"
            )
    return "outer PR-AUC: " + ("; ".join(cells) or "none yet")


def folds(d: Result) -> str:
    names = {"random": "random permutation (before)", "sgkf": "StratifiedGroupKFold",
             "greedy": "greedy balancer (default)"}  # fmt: skip
    behaviours = d["config"]["behaviours"]
    rows = []
    for key, label in names.items():
        r = d["splitters"][key]
        cells = [
            f"{fmt(r['min_ratio_mean'][i], 2)} (worst {fmt(r['min_ratio_worst'][i], 2)}), "
            f"CV {fmt(r['cv_mean'][i], 2)}"
            for i in range(len(behaviours))
        ]
        rows.append(f"{label} | " + " | ".join(cells) + f" | {fmt(r['cpu_seconds'], 1)}")
    return (
        f"The 20 rat videos' labels; {len(d['cases'])} cases ({d['cases'][0]}, and each outer "
        f"fold's 16 training videos in 3 folds) × {d['seeds']} seeds. A cell: the weakest "
        "fold's prevalence as a share of the behaviour's overall prevalence, mean over "
        "cases and seeds (worst case), then the coefficient of variation of the folds' "
        "prevalences. Nothing is trained.\n\n"
        + table("splitter | " + " | ".join(behaviours) + " | CPU s (all cases)", rows)
        + f"\n\n**Target: {d['target']['statement']}. {d['target']['verdict']}.**"
    )


def folds_headline(d: Result) -> str:
    r = d["splitters"]
    rare = d["config"]["behaviours"][-1]
    shown = ", ".join(
        f"{label} {fmt(r[key]['min_ratio_mean'][-1], 2)}"
        for key, label in (("random", "random"), ("sgkf", "SGKF"), ("greedy", "greedy"))
    )
    return f"weakest fold's {rare} / overall: {shown}"


def readme_table(d: Result) -> str:
    """The README's yardstick table: per arm, what predict uses (and the best single trial)
    - the estimate evaluate printed beside the score on the outer fold's unseen videos."""
    rows = []
    k = len(d["config"]["outer_folds"])
    for arm in ARM_ORDER:
        entry = d["arms"].get(arm)
        if entry is None:
            continue
        for name in ("selected_ensemble", "best_single", "baseline"):
            m = entry["models"].get(name)
            if m is None:
                continue
            mean_est = sum(r["estimate"] for r in m["folds"]) / len(m["folds"])
            p = m["pooled_outer"]
            rows.append(
                f"{arm} | {MODEL_LABEL[name]} | {m['n_folds']} of {k} | "
                f"{fmt(mean_est)} | **{fmt(p['mean'])}** ({_iv(p['interval'])}, {p['videos']} "
                f"videos) | {m['mean_gap']:+.3f} | {m['covered']}/{m['n_folds']} | "
                f"{m['covered_expected']}/{m['n_folds']}"
            )
    return table(
        "arm | model | outer folds run | estimate printed (mean) | score on unseen videos, "
        "pooled (90 % interval) | estimate − score | interval covered | expected range covered",
        rows,
    )


def ensemble_pool(d: Result) -> str:
    rows = [f"{r['pool']} | {fmt(r['mean'])} | {r['studies']}" for r in d["curve"]]
    return (
        "Promotion replayed on the yardstick's `auto_pose` inner studies (8 trials each, all "
        "folds scored): the N best trials by their first fold's score are the candidates, "
        "and the cross-fitted estimate of the selection over them is recorded. Few trials "
        "per study reach full fidelity, so large pools rest on few studies.\n\n"
        + table("pool N | mean cross-fitted estimate | studies with N candidates", rows)
        + f"\n\n**{d['target']['statement']}: {d['target']['verdict']}.** The shipped "
        "`cv.ensemble_pool` is 6."
    )


def pool_headline(d: Result) -> str:
    return d["target"]["verdict"]
