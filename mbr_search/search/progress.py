"""Live progress of a search: trials done/target, best mean PR-AUC, pruned and failed."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING

import optuna
from optuna.trial import TrialState

from mbr_search.search.record import PRUNED_AT

if TYPE_CHECKING:
    from tqdm import tqdm as Tqdm


def counts(study: optuna.Study) -> dict[str, int]:
    """Number of trials per state name (COMPLETE, PRUNED, FAIL, RUNNING, WAITING)."""
    out = {s.name: 0 for s in TrialState}
    for t in study.get_trials(deepcopy=False):
        out[t.state.name] += 1
    return out


def finished_count(c: Mapping[str, int]) -> int:
    """The trials a target counts in a :func:`counts` result: complete plus pruned."""
    return c["COMPLETE"] + c["PRUNED"]


def finished(study: optuna.Study) -> int:
    return finished_count(counts(study))


def best_value(study: optuna.Study) -> float | None:
    done = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
    # a trial pruned by value holds a partial mean, not a result (pruner.pruned_as)
    values = [t.value for t in done if t.value is not None and PRUNED_AT not in t.user_attrs]
    return max(values) if values else None


class ProgressBar:
    """A tqdm bar on stderr; silent when ``enabled`` is False (e.g. in CI logs)."""

    def __init__(self, study: optuna.Study, target: int, *, enabled: bool = True) -> None:
        self.study = study
        self.enabled = enabled
        self._bar: Tqdm | None = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(
                total=target, initial=min(finished(study), target), unit="trial",
                file=sys.stderr, dynamic_ncols=True, desc=study.study_name,
            )  # fmt: skip
            self.refresh()

    def fold_done(self, fold: int, n_folds: int) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(self._postfix() + f" fold {fold + 1}/{n_folds}")

    def refresh(self) -> None:
        if self._bar is None:
            return
        done = min(finished(self.study), self._bar.total)
        self._bar.n = done
        self._bar.set_postfix_str(self._postfix())

    def __call__(self, study: optuna.Study, trial: optuna.trial.FrozenTrial) -> None:
        self.refresh()

    def _postfix(self) -> str:
        c = counts(self.study)
        best = best_value(self.study)
        shown = f"{best:.3f}" if best is not None else "-"
        return f"best PR-AUC {shown} pruned {c['PRUNED']} failed {c['FAIL']}"

    def close(self) -> None:
        if self._bar is not None:
            self.refresh()
            self._bar.close()
