"""The DLC2Action part of the peers section of docs/benchmarks.md: how its default arm and
its own Optuna search were run (settings, cost per epoch, validation curve), rendered from
benchmarks/results/peers.json."""

from __future__ import annotations

from _fmt import Result


def dlc2action_text(d: Result) -> str:
    cfg = d["config"]
    a = d["arms"].get("dlc2action_default") or {}
    meta = a.get("meta") or {}
    log = meta.get("validation_f1_per_epoch") or []
    curve = ""
    if log:
        curve = (
            f" Its validation F1 (macro over its 4 classes) by epoch: "
            f"{', '.join(f'{x:.3f}' for x in log)}."
        )
    per_epoch = ""
    training = a.get("training") or {}
    untimed = a.get("untimed_epochs")
    timed = untimed[0] - 1 if untimed else a.get("epochs_completed")
    if training.get("cpu_seconds") and timed:
        per_epoch = (
            f" Training cost {training['cpu_seconds']:,.0f} CPU s for "
            f"{'its first ' if untimed else ''}{timed} epochs (dataset building included, "
            f"~{training['cpu_seconds'] / timed:,.0f} CPU s an epoch); "
            f"prediction {a['prediction']['cpu_seconds']:,.0f} CPU s."
        )
        if untimed:
            per_epoch += (
                f" Epochs {untimed[0]}–{untimed[1]} were trained on from its checkpoint "
                f"(`dlc2action_arm.py --continue-training`) without the harness's clock: "
                f"{a.get('untimed_note') or 'not recorded'}."
            )
    pc = meta.get("pose_check") or {}
    kept = (
        f" — {100 * pc['kept_by_likelihood_threshold']:.1f} % of the keypoint values kept, "
        f"{100 * pc['placed_but_dropped']:.1f} % of the placed ones dropped"
        if pc
        else ""
    )
    return f"""\
- **DLC2Action** runs in its own environment (`bash benchmarks/peers/setup.sh`) through its
  project interface: data type `dlc_track` (the DLC multi-animal pose, subsampled by 3 to
  {cfg["fps"]} fps: it has no frame-rate option), annotation type `boris` (the Caltech labels
  written as BORIS event tables whose subject is the pair clip), `interactive: true` (one
  clip per video, `individual1+individual2`, with its pair features), single-label with an
  `other` class, 12 training + 3 validation videos (its validation videos choose the epoch
  and give the F1 threshold). `benchmarks/peers/WHY.md` says why `boris`: its `csv` type
  ignores `interactive`, which is what broke the earlier rows. Settings: its defaults
  (ms_tcn3, kinematic features, segments of 128 frames with overlap 96, batch 64, lr 0.001,
  its training augmentation) with {cfg["epochs"]} epochs (its default), a checkpoint every
  epoch and the epoch with the best validation F1 used for prediction,
  `likelihood_threshold: {meta.get("likelihood_threshold", "—")}` with every keypoint the
  tracker did not place written with likelihood 0 (not its benchmarks' 0.8: here 0.8 would
  drop 90 % of the placed keypoints, and these files give half the unplaced ones likelihood
  1.0, which its reader turns into points at (0, 0); `WHY.md`){kept},
  `min_frames_action: 0` (every Caltech bout is a label), prediction
  with `augment_n={cfg["augment_n"]}` (its default), and Python, NumPy and torch seeded
  with 0.{per_epoch}{curve}
- **DLC2Action's own search** (`dlc2action_arm.py --mode search`): the call its
  `run_default_hyperparameter_search` makes — `run_hyperparameter_search` over its default
  ms_tcn3 space, metric F1, best 3 epochs averaged, Hyperband pruning, overlap 0, batch 32,
  {cfg["search_epochs"]} epochs a trial, up to {cfg["search_trials"]} trials — with a seeded
  TPE sampler and a CPU budget (`--cpu-budget`; by default mbr-search `auto_pose`'s search
  CPU seconds in the quality benchmark, for {cfg.get("mbr_trials")} trials), checked when a
  trial ends, so the search overshoots it by up to one trial.
  {_search_text(d)}"""


def _search_text(d: Result) -> str:
    """What DLC2Action's search did: its trials, its CPU against the budget, its choice."""
    a = d["arms"].get("dlc2action_search") or {}
    search = (a.get("meta") or {}).get("search")
    if not search:
        return (
            "It has not run here: at 50 epochs a trial one DLC2Action trial was expected to "
            "cost more than that whole budget."
        )
    trials = search.get("trials") or []
    states: dict[str, int] = {}
    for t in trials:
        state = str(t.get("state", "")).removeprefix("TrialState.").lower()
        states[state] = states.get(state, 0) + 1
    counts = ", ".join(f"{n} {k}" for k, n in sorted(states.items()))
    best = ", ".join(
        f"`{k}` {f'{v:.3g}' if isinstance(v, float) else v}"
        for k, v in (search.get("best_parameters") or {}).items()
    )
    episode = (a.get("meta") or {}).get("episode_cpu_seconds")
    tail = f"; the episode with them cost {episode:,.0f} CPU s" if episode else ""
    return (
        f"Measured: its search ran {len(trials)} trial(s) ({counts}) in "
        f"{search['cpu_seconds']:,.0f} CPU s against the budget of "
        f"{search.get('cpu_budget') or 0:,.0f} CPU s (`auto_pose`'s search CPU seconds in the "
        f"quality benchmark's run then; its re-run in this table took "
        f"{d['config'].get('search_cpu_budget') or 0:,.0f}), and chose {best or 'its defaults'}; "
        f"then one episode with those parameters at {a.get('epochs')} epochs (its default; "
        f"best validation epoch {a.get('best_epoch')}){tail}."
    )
