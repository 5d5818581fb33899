"""Each model's estimate and test score with intervals, and paired differences between
models: the numbers ``evaluate`` asks a lab to believe (types in evaluate/results/uncertainty.py).

Pure: labels and probabilities in, typed results out; the bootstrap draws are seeded by
the study's seed, so a re-run prints the same intervals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from mbr_search.evaluate.results.uncertainty import Difference, EstimateKind, Uncertainty
from mbr_search.scoring.bootstrap import difference, interval, pooled_mean_pr_auc

Probs = Mapping[str, np.ndarray]


def uncertainty(
    kind: EstimateKind,
    estimate: tuple[Probs, Probs],
    test: tuple[Probs, Probs] | None,
    seed: int,
) -> Uncertainty:
    """``estimate`` and ``test`` are (labels, probabilities) by video."""
    labels, probs = estimate
    value = pooled_mean_pr_auc(labels, probs)
    est_interval = interval(labels, probs, seed=seed)
    if test is None or not test[1]:
        return Uncertainty(value, kind, est_interval)
    t_labels, t_probs = test
    return Uncertainty(
        value,
        kind,
        est_interval,
        pooled_mean_pr_auc(t_labels, t_probs),
        interval(t_labels, t_probs, seed=seed),
        interval(labels, probs, seed=seed, size=len(t_probs)),
    )


def differences(
    reference: tuple[str, Probs],
    others: Sequence[tuple[str, Probs]],
    labels: Probs,
    split: str,
    seed: int,
) -> tuple[Difference, ...]:
    """Each other model minus the reference, on the videos both scored, paired draws."""
    ref_name, ref_probs = reference
    out = []
    for name, probs in others:
        value, iv = difference(labels, probs, ref_probs, seed=seed)
        out.append(Difference(name, ref_name, "test" if split == "test" else "oof", value, iv))
    return tuple(out)
