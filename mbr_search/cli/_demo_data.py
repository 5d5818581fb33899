"""``mbr-search demo-data OUT``: render a SYNTHETIC open-field dataset to try everything on.

mbr-search demo-data demo/ --videos 6 --frames 600
mbr-search embed demo/dataset.yaml --backbone resnet50v2 --weights none
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``demo-data`` and its options."""
    parser = subparsers.add_parser(
        "demo-data",
        help="render a synthetic open-field dataset (videos, pose, labels, manifest)",
        description=(
            "Render SYNTHETIC top-view open-field videos of a drawn mouse with scripted "
            "grooming, mid rearing and wall rearing bouts, with DeepLabCut-format pose, "
            "per-frame labels and a dataset manifest. Defaults match the thesis' 17 videos "
            "of 6,600 frames at 10 fps."
        ),
    )
    parser.add_argument("out", type=Path, help="folder to write into")
    parser.add_argument("--videos", type=int, default=17)
    parser.add_argument("--frames", type=int, default=6600, help="frames per video")
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--size",
        type=int,
        default=256,
        help="frame side in pixels (the thesis studies crop 200 px around the animal)",
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing set")
    return parser


def run(args: argparse.Namespace) -> int:
    """Write the dataset and say where its manifest is."""
    from mbr_search.demo.dataset import make_demo_dataset

    started = time.perf_counter()
    manifest = make_demo_dataset(
        args.out.expanduser(),
        videos=args.videos,
        frames=args.frames,
        fps=args.fps,
        seed=args.seed,
        size=args.size,
        overwrite=args.overwrite,
    )
    seconds = time.perf_counter() - started
    print(f"wrote a SYNTHETIC dataset of {args.videos} videos in {seconds:.1f} s: {manifest}")
    return 0
