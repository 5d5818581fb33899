"""``mbr-search embed``: CNN embeddings of every video of a dataset, or of one video.

    mbr-search embed my_dataset.yaml --backbone resnet50v2
    mbr-search embed --video a.mp4 --pose a_DLC.csv --backbone inception_resnet_v2 --out cache/

Finished videos are skipped on a re-run; ``--force`` recomputes them.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from mbr_search.errors import UsageError
from mbr_search.features.embed.backbones import BACKBONES

if TYPE_CHECKING:
    from mbr_search.config.embed import EmbedSettings


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``embed`` and its options."""
    parser = subparsers.add_parser(
        "embed",
        help="compute CNN frame embeddings (crop on the animal, pretrained backbone), cached",
        description=(
            "Crop every frame around the animal (from its pose), run a pretrained CNN and "
            "cache one float16 vector per frame. Videos already in the cache are skipped."
        ),
    )
    parser.add_argument("dataset", nargs="?", type=Path, help="dataset manifest (YAML)")
    parser.add_argument("--video", type=Path, help="embed this one video instead of a dataset")
    parser.add_argument("--pose", type=Path, help="its DeepLabCut pose file (with --video)")
    parser.add_argument("--video-id", help="id of --video in the cache (default: file stem)")
    parser.add_argument(
        "--source-fps", type=float, help="frame rate of --video (default: read from the file)"
    )
    parser.add_argument("--out", type=Path, help="cache folder for --video (same as --cache-dir)")
    parser.add_argument("--backbone", required=True, help=f"one of: {', '.join(BACKBONES)}")
    parser.add_argument(
        "--weights",
        default="imagenet",
        help="imagenet (default; downloaded once), none (random: tests) or a local weights file",
    )
    parser.add_argument(
        "--fps", default="10", help="rate of the embeddings (default 10; 'source': every frame)"
    )
    parser.add_argument("--crop-size", type=int, default=200, help="crop side in video pixels")
    parser.add_argument(
        "--keypoints", help="comma-separated keypoints whose centroid centres the crop "
        "(default: all; thesis: midbody)"
    )  # fmt: skip
    parser.add_argument("--likelihood-threshold", type=float, default=0.5)
    parser.add_argument(
        "--missing",
        default="full_frame",
        help="videos without usable pose: full_frame (default), centre or error",
    )
    parser.add_argument(
        "--length-tolerance",
        type=int,
        default=10,
        help="with --video: allowed difference between pose rows and video frames",
    )
    parser.add_argument("--cache-dir", type=Path, help="feature cache (default: per-user cache)")
    parser.add_argument("--force", action="store_true", help="recompute cached videos")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return parser


def settings_from_args(args: argparse.Namespace) -> EmbedSettings:
    """The embed settings the command line asks for (validated)."""
    from mbr_search.config.embed import CropSettings, EmbedSettings

    keypoints = None
    if args.keypoints is not None:
        keypoints = tuple(k.strip() for k in args.keypoints.split(",") if k.strip())
    crop = CropSettings(args.crop_size, keypoints, args.likelihood_threshold, args.missing)
    weights = args.weights
    if weights.lower() not in ("imagenet", "none") and not Path(weights).expanduser().is_file():
        raise UsageError(
            f"--weights {weights}: no such file. Fix: give imagenet, none or an existing "
            "weights file (.h5)."
        )
    return EmbedSettings(args.backbone, weights, crop, _fps(args.fps))


def run(args: argparse.Namespace) -> int:
    """Embed the dataset or the single video; print where each entry is."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from mbr_search.cli._common import quiet_tensorflow
    from mbr_search.features.embed.pipeline import embed_dataset, embed_video

    quiet_tensorflow(args.debug)
    from mbr_search.paths import cache_dir

    if args.batch_size < 1:
        raise UsageError(f"--batch-size {args.batch_size} must be >= 1. Fix: e.g. 32.")
    if args.length_tolerance < 0:
        raise UsageError(f"--length-tolerance {args.length_tolerance} must be >= 0.")
    settings = settings_from_args(args)
    progress = not args.no_progress

    if args.video is not None:
        if args.dataset is not None:
            raise UsageError("give either a dataset file or --video, not both.")
        if args.cache_dir is not None and args.out is not None and args.cache_dir != args.out:
            raise UsageError("--out and --cache-dir name different folders. Fix: give one.")
        root = args.out or args.cache_dir or cache_dir()
        if args.source_fps is not None and not args.source_fps > 0:
            raise UsageError(f"--source-fps {args.source_fps} must be > 0.")
        entry = embed_video(
            args.video.expanduser(),
            args.pose.expanduser() if args.pose is not None else None,
            settings,
            video_id=args.video_id or args.video.stem,
            source_fps=args.source_fps,
            cache_root=root.expanduser(),
            force=args.force,
            batch_size=args.batch_size,
            progress=progress,
            length_tolerance=args.length_tolerance,
        )
        print(f"{entry.array_path}  ({entry.n_frames} frames x {entry.dim})")
        return 0

    if args.dataset is None:
        raise UsageError("nothing to embed. Fix: give a dataset file or --video FILE.")
    for flag in ("pose", "video_id", "source_fps", "out"):
        if getattr(args, flag) is not None:
            raise UsageError(f"--{flag.replace('_', '-')} only goes with --video.")
    from mbr_search.config.dataset import load_dataset

    dataset = load_dataset(args.dataset)
    root = (args.cache_dir or cache_dir()).expanduser()
    entries = embed_dataset(
        dataset,
        settings,
        cache_root=root,
        force=args.force,
        batch_size=args.batch_size,
        progress=progress,
    )
    for video, entry in zip(dataset.videos, entries, strict=True):
        print(f"{video.id}: {entry.array_path}  ({entry.n_frames} frames x {entry.dim})")
    print(f"{len(entries)} videos embedded with {settings.backbone} in {root}")
    return 0


def _fps(text: str) -> float | None:
    if text.strip().lower() in ("source", "none", "all"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise UsageError(
            f"--fps {text!r} is not a number. Fix: e.g. --fps 10 or --fps source."
        ) from None
    if not value > 0:
        raise UsageError(f"--fps {text} must be > 0. Fix: e.g. --fps 10 or --fps source.")
    return value
