"""The peers benchmark's section of docs/benchmarks.md: mbr-search beside DLC2Action and a
SimBA-style random forest on the same rat test videos, one scorer (benchmarks/peers/run.py)."""

from __future__ import annotations

from _fmt import Result, fmt, table

NAMES = {
    "mbr_auto_pose_ensemble": "mbr-search `auto_pose`, selected ensemble",
    "mbr_auto_pose_best": "mbr-search `auto_pose`, best single trial",
    "mbr_lstm_pose_ensemble": "mbr-search `lstm_pose`, selected ensemble",
    "mbr_lstm_pose_best": "mbr-search `lstm_pose`, best single trial",
    "mbr_gbdt_pose_ensemble": "mbr-search `gbdt_pose`, selected ensemble",
    "mbr_tcn_pose_ensemble": "mbr-search `tcn_pose`, selected ensemble",
    "hgb_baseline": "HistGradientBoosting + window features (`quality.py` baseline)",
    "dlc2action_default": "DLC2Action 1.0, default model and settings",
    "dlc2action_search": "DLC2Action 1.0, its own Optuna search",
    "simba_rf": "SimBA-style random forest (SimBA's feature recipe)",
}


def _scored(a: Result) -> bool:
    return a.get("mean_pr_auc") is not None


def _name(name: str, a: Result) -> str:
    if name in NAMES:
        return NAMES[name]
    base = next((n for n in NAMES if name.startswith(f"{n}_")), None)
    if base is None:
        return name
    meta = a.get("meta") or {}
    epochs = f"{meta.get('epochs', '?')} epochs"
    if meta.get("likelihood_threshold") is not None:
        return (
            f"{NAMES[base]} except `likelihood_threshold: {meta['likelihood_threshold']}` "
            f"(missing keypoints interpolated, not at (0, 0)), {epochs}"
        )
    return f"{NAMES[base]} — earlier, shorter run ({epochs})"


def _row(name: str, a: Result, behaviours: list[str]) -> str:
    what = _name(name, a)
    status = a.get("status", "")
    if not _scored(a):
        why = a.get("why") or a.get("log_tail", "")[-200:].replace("\n", " ").replace("|", "/")
        word = "not available yet" if status == "not available" else "not run"
        return f"{what} | {word}: {why} | — | — | — | — | — | —"
    per = a.get("per_behaviour", {})
    prs = " / ".join(fmt(per.get(b, {}).get("pr_auc")) for b in behaviours)
    f1 = fmt(a.get("mean_f1"), 2) if a.get("mean_f1") is not None else "—"
    seg = fmt(a.get("mean_segmental_f1"), 2) if a.get("mean_segmental_f1") is not None else "—"
    cpu = a.get("cpu_seconds")
    rss = a.get("peak_rss_mib")
    note = "" if status in ("ran", "scored here") else f" ({status})"
    return (
        f"{what}{note} | **{fmt(a['mean_pr_auc'])}** | {prs} | {f1} | {seg} | "
        f"{'—' if cpu is None else f'{cpu:,.0f}'} | {'—' if rss is None else f'{rss:,.0f}'} | "
        f"{a.get('date', '')[:16] or '—'}"
    )


def _chance(d: Result, behaviours: list[str]) -> str:
    """The no-skill reference: PR-AUC of a constant score is each behaviour's prevalence."""
    for a in d["arms"].values():
        per = a.get("per_behaviour") or {}
        if all(per.get(b, {}).get("prevalence") is not None for b in behaviours):
            prev = [per[b]["prevalence"] for b in behaviours]
            cells = " / ".join(fmt(p) for p in prev)
            return (
                f"No skill (a constant score) gives PR-AUC = prevalence: {cells} on these test "
                f"frames, mean **{sum(prev) / len(prev):.3f}**."
            )
    return ""


def headline(d: Result) -> str:
    scored = [(n, a) for n, a in d["arms"].items() if _scored(a)]
    best = sorted(scored, key=lambda x: -x[1]["mean_pr_auc"])[:4]
    return "mean test PR-AUC " + "; ".join(f"{n}: {a['mean_pr_auc']:.3f}" for n, a in best)


def peers(d: Result) -> str:
    cfg = d["config"]
    behaviours = cfg["behaviours"]
    order = []
    for n in NAMES:
        order += [k for k in d["arms"] if k == n or k.startswith(f"{n}_")]
    order += [n for n in d["arms"] if n not in order]
    rows = [_row(n, d["arms"][n], behaviours) for n in order]
    head = (
        "arm | mean PR-AUC | PR-AUC "
        + " / ".join(behaviours)
        + " | mean F1 (OOF threshold) | mean segmental F1 | CPU s | peak RSS MiB | run"
    )
    v = d.get("versions", {})
    d2a = v.get("dlc2action_venv") or {}
    main = v.get("main_venv") or {}
    d2a_line = ", ".join(f"{k} {x}" for k, x in d2a.items() if x) or "not installed"
    main_line = ", ".join(f"{k} {x}" for k, x in main.items())
    arms = d["arms"]
    notes = []
    for n in ("dlc2action_default", "dlc2action_search", "simba_rf"):
        a = arms.get(n, {})
        if a.get("command"):
            notes.append(f"- {NAMES[n]}: `{a['command']}` ({a.get('status')})")
    prose = f"""\
Is mbr-search better than what a lab would otherwise use? Every arm on the same 20
full-length rat-pair videos (`../shared/data/rat_social`), the fixed 15 train / 5 test split
of `benchmarks/rat_dataset.py`, behaviours {", ".join(behaviours)}, scored on the same
{cfg["fps"]} fps frames of the 5 test videos (every 3rd 30 fps frame) by one scorer
(scikit-learn, `benchmarks/peers/run.py`): pooled PR-AUC (average precision), F1 at the
threshold that maximises F1 on the arm's out-of-fold training-video predictions, and
segmental F1 (IoU ≥ 0.5, `mbr_search.evaluate.bouts`). CPU seconds and peak RSS are those
of the arm's own process tree (one thread per library: `OMP_NUM_THREADS=1`,
`torch.set_num_threads(1)`, `n_jobs=1`).

- **DLC2Action** runs in its own environment (`bash benchmarks/peers/setup.sh`), through its
  project interface: data type `dlc_track` (the DLC multi-animal pose, subsampled by 3 to
  10 fps: it has no frame-rate option), annotation type `csv` (the Caltech labels converted
  to start/end/behavior intervals by `run.py`), `interactive: true` (pair features),
  single-label with an `other` class, 12 training + 3 validation videos (its validation
  videos give the F1 threshold). Default arm: every other setting at its defaults
  (ms_tcn3), {cfg["epochs"]} epochs instead of its default 50 (one epoch costs ~50 CPU s,
  ~12 min of wall time on this loaded machine; 50 did not fit in the time there was).
  Search arm: its own Optuna search (TPE, Hyperband pruning, metric f1, best 3 epochs
  averaged) over its default ms_tcn3 space at mbr-search's budget of
  {cfg["trials"]} trials, {cfg["search_epochs"]} epoch(s) per trial, then one
  {cfg["epochs"]}-epoch episode with the best parameters. Both predict with
  `run_prediction(augment_n={cfg.get("augment_n", 10)})` (its default averages 10
  augmentations; fewer here for time when below 10). `run_default_hyperparameter_search`
  itself crashed in its first trial (it samples `general/len_segment` = 1024, then the data
  loader stacks 128- and 1024-frame pieces: "stack expects each tensor to be equal size"),
  so the arm makes the same call it makes — `run_hyperparameter_search` with the default
  space and its settings (overlap 0, batch 32) — minus that one parameter. torch is the
  PyPI build (CUDA libraries, run on the CPU): PyPI's torchvision does not load with the CPU
  build (`operator torchvision::nms does not exist`) and the CPU wheel index does not
  resolve here. Its `dlc_track` reader fills missing coordinates with 0 and its default
  `likelihood_threshold: 0` keeps them there, so a missing keypoint is a point at the
  image corner (15–78 % of the values per keypoint are missing in these files); the
  `likelihood_threshold: 0.3` row (mbr-search's dataset setting) has them interpolated
  instead. Its optimisation is not seeded (`optuna.create_study()` without a sampler
  seed): repeated searches differ.
- **SimBA-style random forest**: SimBA's two-animal feature recipe (its
  `feature_extractor_8bps_2_animals` battery plus the angle and cross distances of
  `feature_extractor_16bp`, mapped to 5 keypoints per rat; rolling median/mean/sum over
  fps/[2, 5, 6, 7.5, 15] frames) in `benchmarks/peers/simba_rf.py` — numpy/pandas, not the
  package's features — and one `RandomForestClassifier` per behaviour (SimBA's settings,
  `class_weight="balanced"`) with {cfg["trees"]} trees instead of SimBA's 2,000, `n_jobs=1`;
  threshold from grouped 3-fold out-of-fold predictions (the folds of the quality benchmark).
- **HistGradientBoosting baseline** (`benchmarks/peers/hgb_baseline.py`): the lab's script
  of `quality.py` (its functions, not a copy) on these {cfg["fps"]} fps frames: the package's
  pose features with centred rolling mean/std/min/max over 1/6, 0.5 and 1.5 s, one
  `HistGradientBoostingClassifier(max_iter=300, class_weight="balanced")` per behaviour,
  trained on every {cfg["fps"]} fps frame; threshold from the same grouped 3-fold
  out-of-fold predictions. Where it has not run here, the row is `quality.py`'s own 30 fps
  numbers, marked "from quality.json (different scorer)".
- **mbr-search** is not re-run: its per-frame test and out-of-fold probabilities are read
  from the quality benchmark's `mbr-search evaluate` folders and scored here. Its CPU
  seconds are search + evaluate of the whole study.

{table(head, rows)}

{_chance(d, behaviours)}

Versions — DLC2Action environment: {d2a_line}; main environment: {main_line}.
Setup: `{d.get("setup_command", "bash benchmarks/peers/setup.sh")}`.

The arms were run as (each writes its output to `benchmarks/.work/peers/ARM/`; the last
command only scores; {d.get("how_run", "")}):

{chr(10).join(f"    {c}" for c in d.get("arm_commands", []))}

{chr(10).join(notes)}"""
    return prose
