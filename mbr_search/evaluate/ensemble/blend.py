"""The ensembles ``evaluate`` builds: the plain mean of the top trials, and the selected
one (greedy selection with replacement over every complete trial's out-of-fold
predictions, :mod:`mbr_search.evaluate.ensemble.selection`, with its cross-fitted estimate).
Each is decided on out-of-fold predictions, scored and saved like a trial."""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mbr_search.evaluate.ensemble.selection import (
    cross_fitted,
    same_videos,
    select,
    weighted_probabilities,
)
from mbr_search.evaluate.results import EnsembleResult, relative
from mbr_search.evaluate.runner import Outcome, TrialRunner
from mbr_search.evaluate.scores.decisions import decide
from mbr_search.inference.model_dir import copy_members, save

if TYPE_CHECKING:
    from optuna.trial import FrozenTrial

log = logging.getLogger(__name__)
Echo = Callable[[str], None]


def select_ensemble(
    runner: TrialRunner,
    trials: Sequence[FrozenTrial],
    outcomes: Sequence[Outcome],
    out_dir: Path,
    say: Echo,
) -> tuple[EnsembleResult, list[Outcome]]:
    """Ensemble selection over every complete trial's out-of-fold predictions; members
    outside the evaluated ones are evaluated too (returned as extra outcomes)."""
    from mbr_search.errors import DataError

    oof: dict[int, dict[str, np.ndarray]] = {}
    for trial in trials:
        try:
            oof[trial.number] = runner.load_oof(trial)
        except DataError as exc:  # an old trial without OOF predictions: not a candidate
            log.info("trial #%d left out of ensemble selection: %s", trial.number, exc)
    # The best trial's OOF videos are the reference: it is always a candidate, so the
    # selection is never worse on OOF than the best single trial.
    oof, other_videos = same_videos(oof, trials[0].number)
    picked = select(oof, runner.oof_labels(oof[trials[0].number]))
    shown = ", ".join(f"#{t} x{w:.2f}" for t, w in sorted(picked.weights.items()))
    apart = f" ({len(other_videos)} left out: other videos)" if other_videos else ""
    say(f"Ensemble selection over {len(oof)} trials' out-of-fold predictions{apart}: {shown}.")
    folds = runner.fold_groups(set(oof[trials[0].number]))
    crossfit = None
    if len(folds) >= 2:
        say(f"Cross-fitting the selection over {len(folds)} folds for an honest estimate...")
        crossfit = cross_fitted(oof, runner.oof_labels(oof[trials[0].number]), folds).probs
    have = {o.number: o for o in outcomes}
    extra = [
        runner.run(t, rank, oof[t.number])
        for rank, t in enumerate(trials, start=1)
        if t.number in picked.weights and t.number not in have
    ]
    members = [(have | {o.number: o for o in extra})[n] for n in picked.members]
    result = blend(
        runner, members, out_dir, say, weights=[picked.weights[n] for n in picked.members],
        name="selected", scores=picked.scores, estimate=crossfit,
    )  # fmt: skip
    return result, extra


def blend(
    runner: TrialRunner,
    outcomes: Sequence[Outcome],
    out_dir: Path,
    say: Echo,
    *,
    weights: Sequence[float] | None = None,
    name: str = "ensemble",
    scores: Sequence[float] = (),
    estimate: dict[str, np.ndarray] | None = None,
) -> EnsembleResult:
    """The (weighted) mean of the outcomes' probabilities, decided, scored and saved like a
    trial; equal weights: the plain mean of the top trials. ``estimate``: the cross-fitted
    probabilities to estimate from (selection), else the out-of-fold blend."""
    members = tuple(o.number for o in outcomes)
    w = dict(zip(members, weights or [1.0 / len(members)] * len(members), strict=True))
    if weights is None:
        say(f"Ensemble of trials {list(members)}: mean of probabilities.")
    oof = weighted_probabilities({o.number: o.oof_probs for o in outcomes}, w)
    decisions = decide(runner.oof_labels(oof), oof, runner.behaviours, runner.fps)
    folder = out_dir / name
    if folder.exists():
        shutil.rmtree(folder)
    oof_block = runner.scored_block(oof, decisions, folder / "oof", is_test=False)[0]
    test_block, predict_seconds, frames, test = None, None, 0, None
    if runner.test:
        test, predict_seconds = _blend_test(outcomes, w)
        frames = int(sum(len(p) for p in test.values()))
        test_block = runner.scored_block(test, decisions, folder / "test", is_test=True)[0]
    target = out_dir / f"model_{name}"
    if target.exists():
        shutil.rmtree(target)
    first = outcomes[0].model
    save(
        replace(
            first,
            path=target,
            members=copy_members([o.model for o in outcomes], target, [w[m] for m in members]),
            thresholds=decisions.thresholds,
            postprocess=decisions.postprocess,
            info=replace(first.info, trial=None, ensemble_of=members),
        )
    )
    return EnsembleResult(
        members=members,
        thresholds={b: float(t) for b, t in decisions.thresholds.items()},
        postprocess=dict(decisions.postprocess),
        oof=oof_block,
        test=test_block,
        predict_seconds=predict_seconds,
        predict_frames=frames,
        model_dir=relative(target, out_dir),
        method="mean" if weights is None else "selection",
        weights=None if weights is None else w,
        selection_scores=tuple(round(s, 6) for s in scores),
        oof_pr_auc=runner.oof_score(oof),
        uncertainty=runner.uncertainty(
            "oof" if estimate is None else "cross_fitted", estimate or oof, test
        ),
    )


def _blend_test(
    outcomes: Sequence[Outcome], weights: dict[int, float]
) -> tuple[dict[str, np.ndarray], float]:
    """The members' test probabilities blended, and the ensemble's predict time: the
    members were predicted separately, so their summed time plus the blending."""
    started = time.perf_counter()
    test = weighted_probabilities({o.number: o.test_probs for o in outcomes}, weights)
    member_seconds = sum(o.result.predict_seconds or 0.0 for o in outcomes)
    return test, round(member_seconds + (time.perf_counter() - started), 3)
