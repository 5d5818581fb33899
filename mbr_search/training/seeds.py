"""Which models a trial trains and with which seeds: the same in the search and in retraining.

Every seed derives from the study seed and the trial number, so retraining a trial (or
re-running it from ``best_config.yaml``) builds the same initial weights and draws the same
batches as the search did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mbr_search.models import SequenceParams

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class OutputGroup:
    """One model and the behaviour columns it predicts."""

    name: str
    columns: tuple[int, ...]


def output_groups(behaviours: Sequence[str], multi_label: bool) -> list[OutputGroup]:
    """One multi-label model, or one binary model per behaviour (the thesis)."""
    if multi_label:
        return [OutputGroup("all", tuple(range(len(behaviours))))]
    return [OutputGroup(b, (i,)) for i, b in enumerate(behaviours)]


def trial_seed(study_seed: int, trial_number: int) -> int:
    """The Keras seed of one trial."""
    return study_seed * 100_003 + trial_number


def fold_seed(study_seed: int, trial_number: int, fold_index: int) -> int:
    """The batch-order seed of one trial's fold."""
    return trial_seed(study_seed, trial_number) + 7919 * fold_index


def build_group_models(
    params: SequenceParams,
    groups: Sequence[OutputGroup],
    n_features: int,
    seed: int,
    *,
    compile: bool = True,
) -> dict[str, keras.Model]:
    """Seed Keras, then build one compiled model per output group, in group order.

    The order matters: the seed fixes the initial weights of the sequence of models built
    after it, which is how the search and retraining start from the same weights.
    """
    import keras

    from mbr_search.models.build import build_model

    keras.utils.set_random_seed(seed)
    return {
        g.name: build_model(
            params, n_features=n_features, n_outputs=len(g.columns), compile=compile
        )
        for g in groups
    }
