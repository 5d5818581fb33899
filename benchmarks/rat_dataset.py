"""A dataset manifest for the full real rat data (20 rat-pair videos in ../shared/data).

The bundled ``datasets/rat_social_mini`` holds 8 of these videos trimmed to 4,500 frames;
this writes a manifest with all 20 full-length videos, pointing at the files where they are
(nothing is copied). Same pose and label settings as the mini dataset.

    .venv/bin/python benchmarks/rat_dataset.py OUT_DIR      # writes OUT_DIR/dataset.yaml

Split: 15 training videos, 5 test videos (every 4th: 4, 8, 12, 16, 20), fixed in advance.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

RAT_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "rat_social"
VIDEO_NUMBERS = tuple(range(1, 21))
TEST_NUMBERS = (4, 8, 12, 16, 20)
BEHAVIOURS = ("social", "nonsocial", "aggression")
_POSE = "{n}DLC_dlcrnetms5_DLC_ratJan24shuffle1_5000_el_filtered.csv"


class MissingData(RuntimeError):
    """The shared real data is not on this machine."""


def available() -> bool:
    return (RAT_DIR / "dlc").is_dir() and (RAT_DIR / "annotations").is_dir()


def skip_message() -> str:
    return (
        f"skipped: the real rat data is not present at {RAT_DIR} "
        "(../shared/data/rat_social beside the repository)."
    )


def build_rat_dataset(
    out_dir: Path,
    *,
    numbers: tuple[int, ...] = VIDEO_NUMBERS,
    test_numbers: tuple[int, ...] = TEST_NUMBERS,
) -> Path:
    """Write ``out_dir/dataset.yaml`` for the given videos of ../shared/data/rat_social,
    ``test_numbers`` in the test split (the nested yardstick passes each outer fold's)."""
    if not available():
        raise MissingData(skip_message())
    videos = []
    for n in numbers:
        pose = RAT_DIR / "dlc" / _POSE.format(n=n)
        labels = RAT_DIR / "annotations" / f"{n}_annot.txt"
        if not pose.is_file() or not labels.is_file():
            raise MissingData(f"missing {pose} or {labels}")
        videos.append(
            {
                "id": f"rat{n:02d}",
                "split": "test" if n in test_numbers else "train",
                "pose": str(pose),
                "labels": str(labels),
            }
        )
    manifest = {
        "name": "rat_social_full",
        "description": "20 rat-pair videos (2 animals x 5 keypoints), full length; "
        "behaviours social / nonsocial / aggression. Files in ../shared/data/rat_social.",
        "licence": "MIT (Mouse-Behavior-Classifier-Train, DOI 10.6084/m9.figshare.30393298)",
        "fps": 30,
        "length_tolerance": 100,  # video 14: labels run 59 frames past the pose
        "behaviours": list(BEHAVIOURS),
        "pose": {"likelihood_threshold": 0.3, "axis": ["tail", "top"]},
        "labels": {"format": "caltech", "stream": "S1"},
        "videos": videos,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "dataset.yaml"
    path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for dataset.yaml")
    args = parser.parse_args()
    try:
        path = build_rat_dataset(args.out)
    except MissingData as exc:
        print(exc, file=sys.stderr)
        return 0
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
