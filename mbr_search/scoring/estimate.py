"""One model's score with its interval: what ``run`` prints for its best trial."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mbr_search.scoring.bootstrap import Interval, interval, pooled_mean_pr_auc


@dataclass(frozen=True)
class Estimate:
    """Pooled mean PR-AUC over some videos and its 90 % interval (None: < 2 videos)."""

    value: float
    interval: Interval | None
    videos: int

    @classmethod
    def of(
        cls, labels: Mapping[str, np.ndarray], probs: Mapping[str, np.ndarray], seed: int
    ) -> Estimate:
        """Scored on the videos of ``probs`` (each must be in ``labels``)."""
        mine = {v: labels[v] for v in probs}
        return cls(pooled_mean_pr_auc(mine, probs), interval(mine, probs, seed=seed), len(probs))

    def show(self) -> str:
        shown = f"{self.value:.4f}"
        if self.interval is not None:
            shown += f", 90 % interval {self.interval.show()} over {self.videos} videos"
        return shown
