"""Scores from frame counts (pure): shared by the metrics, post-processing and the human
ceiling, which all count true/false positives and need the same undefined-as-None rule."""

from __future__ import annotations


def f1_score(tp: int, fp: int, fn: int) -> float | None:
    """Frame F1 from counts; None when there is neither a true nor a predicted positive."""
    denom = 2 * tp + fp + fn
    return 2 * tp / denom if denom else None


def ratio(num: int, den: int) -> float | None:
    """``num / den``, None when undefined (0/0 is no score, not 0)."""
    return num / den if den else None
