"""Which pose augmentation a study uses (``features.augment``): copies and transforms.

Whether a trial augments is its family's ``augment`` hyperparameter (searchable like any
other, for the Keras sequence families); this section says *how*. Transforming keypoints is
:mod:`mbr_search.features.augment`, making augmented training videos
:mod:`mbr_search.features.augmented`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from mbr_search.config._schema import Section
from mbr_search.errors import ConfigError
from mbr_search.jsondoc import JSONObject

#: Noise above one body length would scatter the keypoints beyond the animal's outline.
MAX_NOISE = 1.0
#: More copies only repeat the same transforms at a multiple of the training cost.
MAX_COPIES = 10


@dataclass(frozen=True)
class AugmentSettings:
    """Per training video, ``copies`` augmented copies, each one rigid transform of the
    whole recording (a random rotation about the arena centre and/or a mirror image), a
    random order of the animals, and Gaussian noise of ``noise`` body lengths (standard
    deviation per coordinate) on every keypoint."""

    copies: int = 1
    rotate: bool = True
    reflect: bool = True
    swap_identities: bool = True
    noise: float = 0.02

    def as_dict(self) -> JSONObject:
        return asdict(self)


def parse_augment(sec: Section) -> AugmentSettings:
    """``features.augment``: a mapping of the fields above (each optional)."""
    defaults = AugmentSettings()
    settings = AugmentSettings(
        copies=sec.integer("copies", defaults.copies),
        rotate=sec.flag("rotate", defaults.rotate),
        reflect=sec.flag("reflect", defaults.reflect),
        swap_identities=sec.flag("swap_identities", defaults.swap_identities),
        noise=sec.number("noise", defaults.noise),
    )
    sec.finish()
    if not 1 <= settings.copies <= MAX_COPIES:
        raise sec.fail(
            "copies", f"is {settings.copies}, must be 1..{MAX_COPIES} (each copy is one more "
            "pass over the training videos). Fix: use 1-3 copies.",
        )  # fmt: skip
    if not 0.0 <= settings.noise <= MAX_NOISE:
        raise sec.fail(
            "noise", f"is {settings.noise:g} body lengths, must be 0..{MAX_NOISE:g}. Fix: use "
            "a small value such as 0.02 (2 % of the body length), or 0 for none.",
        )  # fmt: skip
    if not (settings.rotate or settings.reflect or settings.swap_identities or settings.noise):
        raise ConfigError(
            f"{sec.file}: {sec.path}: every transform is off (rotate, reflect, "
            "swap_identities false, noise 0), so the copies would equal the videos. Fix: "
            "switch one on, or remove features.augment."
        )
    return settings
