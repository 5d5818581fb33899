"""The lab's own script, as a baseline arm: HistGradientBoosting on rolling-window pose
features, one classifier per behaviour.

Pose features per rat and per pair (the package's pose backbone), centred rolling
mean/std/min/max over 5, 15 and 45 frames at 30 fps; one ``HistGradientBoostingClassifier(
max_iter=300, learning_rate=0.1, class_weight="balanced", random_state=0)`` per behaviour,
trained on every ``STRIDE``-th training frame. Used by ``quality.py`` (nested yardstick),
``quality_fixed.py`` (the fixed split) and ``peers/hgb_baseline.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: the lab recipe's windows: 5, 15 and 45 frames at 30 fps
BASELINE_SECONDS = (5 / 30, 15 / 30, 45 / 30)
BASELINE_FPS = 30
#: every STRIDE-th training frame is fitted on (callers may lower the cost by raising it)
STRIDE = 2


def hgb_fit(x: np.ndarray, y: np.ndarray) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    clf = HistGradientBoostingClassifier(
        max_iter=300, learning_rate=0.1, class_weight="balanced", random_state=0
    )
    return clf.fit(x, y)


def hgb_models(
    videos: Sequence[Any], behaviours: Sequence[str], stride: int | None = None
) -> dict[int, Any]:
    """One classifier per behaviour with a positive frame, on every ``stride``-th frame."""
    step = STRIDE if stride is None else stride
    x = np.concatenate([np.asarray(v.features[::step], np.float32) for v in videos])
    y = np.concatenate([np.asarray(v.labels[::step]) for v in videos])
    print(f"[baseline] {len(behaviours)} models on {x.shape[0]} x {x.shape[1]}", flush=True)
    return {c: hgb_fit(x, y[:, c]) for c in range(len(behaviours)) if y[:, c].any()}


def hgb_probs(models: dict[int, Any], videos: Sequence[Any], n_behaviours: int) -> np.ndarray:
    x = np.concatenate([np.asarray(v.features, np.float32) for v in videos])
    probs = np.zeros((len(x), n_behaviours), np.float32)
    for c, clf in models.items():
        probs[:, c] = clf.predict_proba(x)[:, 1]
    return probs
