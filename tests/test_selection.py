"""Ensemble selection: greedy with replacement on out-of-fold data only."""

from __future__ import annotations

import numpy as np
import pytest

from mbr_search.errors import UsageError
from mbr_search.evaluate.ensemble.selection import mean_pr_auc, select, weighted_probabilities

Videos = dict[str, np.ndarray]


def _cat(videos: Videos) -> np.ndarray:
    return np.concatenate([videos[v] for v in sorted(videos)])


def _labels(seed: int = 0) -> Videos:
    rng = np.random.default_rng(seed)
    return {f"v{i}": (rng.random((300, 2)) < 0.2).astype(np.uint8) for i in range(4)}


def _oof(seed: int, quality: float, labels: Videos) -> Videos:
    rng = np.random.default_rng(seed)
    return {
        v: ((quality * y + rng.random(y.shape)) / (1 + quality)).astype(np.float32)
        for v, y in labels.items()
    }


def test_selection_prefers_the_better_trial_and_weights_sum_to_one() -> None:
    labels = _labels()
    oof = {0: _oof(1, 0.2, labels), 1: _oof(2, 2.0, labels), 2: _oof(3, 0.5, labels)}
    sel = select(oof, labels, rounds=10)
    assert sel.members[0] == 1
    assert sum(sel.weights.values()) == pytest.approx(1.0)
    single = {t: mean_pr_auc(_cat(labels), _cat(p)) for t, p in oof.items()}
    assert sel.scores[0] == pytest.approx(max(single.values()))
    assert max(sel.scores) >= max(single.values()) - 1e-12  # never worse than the best single


def test_selection_combines_complementary_trials() -> None:
    # Trial 0 knows behaviour 0, trial 1 behaviour 1: together they beat either alone.
    labels = _labels(5)
    rng = np.random.default_rng(9)

    def knows(col: int) -> Videos:
        out = {}
        for v, y in labels.items():
            p = rng.random(y.shape)
            p[:, col] = y[:, col] + 0.3 * rng.random(len(y))
            out[v] = p
        return out

    a, b = knows(0), knows(1)
    sel = select({0: a, 1: b}, labels, rounds=6)
    assert set(sel.weights) == {0, 1}
    both = weighted_probabilities({0: a, 1: b}, sel.weights)
    y = _cat(labels)
    assert mean_pr_auc(y, _cat(both)) > max(mean_pr_auc(y, _cat(a)), mean_pr_auc(y, _cat(b)))


def test_selection_reads_only_the_videos_it_is_given() -> None:
    labels = _labels()
    oof = {0: _oof(1, 0.4, labels), 1: _oof(2, 0.6, labels)}
    first = select(oof, labels)
    # A test video's labels, scrambled, next to the OOF ones change nothing: selection
    # only scores videos present in every member's out-of-fold predictions.
    scrambled = (np.random.default_rng(3).random((300, 2)) < 0.5).astype(np.uint8)
    assert select(oof, {"test": scrambled, **labels}) == first


def test_selection_without_trials_is_a_clear_error() -> None:
    with pytest.raises(UsageError, match="at least one complete trial"):
        select({}, _labels())


def test_cross_fitted_selection_never_uses_a_folds_own_predictions() -> None:
    """Each fold's blend is chosen on the other folds only: scrambling every trial's
    predictions on one fold changes that fold's selection not at all, and its blended
    probabilities are exactly the other folds' weights applied to its own predictions."""
    from mbr_search.evaluate.ensemble.selection import cross_fitted

    both = [*_labels(3).values(), *_labels(4).values()]
    labels = {f"w{i}": y for i, y in enumerate(both)}
    oof = {t: _oof(10 + t, q, labels) for t, q in enumerate((0.3, 1.0, 1.5, 0.6))}
    folds = [("w0", "w1"), ("w2", "w3"), ("w4", "w5"), ("w6", "w7")]
    fit = cross_fitted(oof, labels, folds, rounds=8)
    rng = np.random.default_rng(0)
    for k, fold in enumerate(folds):
        rest = {t: {v: p[v] for v in p if v not in fold} for t, p in oof.items()}
        assert fit.selections[k] == select(rest, labels, rounds=8)
        scrambled = {
            t: {v: (rng.random(p[v].shape) if v in fold else p[v]) for v in p}
            for t, p in oof.items()
        }
        again = cross_fitted(scrambled, labels, folds, rounds=8)
        assert again.selections[k] == fit.selections[k]
        w = fit.selections[k].weights
        for v in fold:
            expected = sum(w[t] * oof[t][v].astype(np.float32) for t in w)
            np.testing.assert_allclose(fit.probs[v], expected, rtol=1e-6)
    assert sorted(fit.probs) == sorted(labels)


def test_cross_fitted_selection_refuses_folds_that_do_not_cover_the_videos() -> None:
    from mbr_search.errors import DataError
    from mbr_search.evaluate.ensemble.selection import cross_fitted

    labels = _labels()
    oof = {0: _oof(1, 1.0, labels), 1: _oof(2, 0.5, labels)}
    with pytest.raises(DataError, match="disjoint folds"):
        cross_fitted(oof, labels, [("v0", "v1")])
    with pytest.raises(DataError, match="disjoint folds"):
        cross_fitted(oof, labels, [("v0", "v1"), ("v1", "v2", "v3")])
