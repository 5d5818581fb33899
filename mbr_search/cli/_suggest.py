"""``mbr-search suggest MODEL_DIR INPUT... --n 20 --out DIR``: which segments to label next."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mbr_search.cli._common import add_model_inputs, add_tta_option, quiet_tensorflow


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "suggest",
        help="rank segments of unlabelled recordings by how unsure the model is (label next)",
        description=(
            "Predict each INPUT (as predict does) with every member of the model and rank "
            "segments by ensemble disagreement and probabilities near each behaviour's "
            "threshold, spread over inputs and behaviours, none overlapping or closer than "
            "--gap-seconds. Writes segments.csv (with the reason for each), per input "
            "<name>_to_label_boris.xlsx (BORIS: Observations > Import observations), "
            "clips/*.mp4 when the video is there, and suggestions.json."
        ),
    )
    add_model_inputs(parser, "unlabelled files")
    parser.add_argument("--n", type=int, default=20, help="segments to suggest (default 20)")
    parser.add_argument("--min-seconds", type=float, default=1.0, help="shortest segment (1)")
    parser.add_argument("--max-seconds", type=float, default=8.0, help="longest segment (8)")
    parser.add_argument(
        "--gap-seconds", type=float, default=2.0,
        help="least time between two segments of one input (2)",
    )  # fmt: skip
    parser.add_argument(
        "--video", type=Path, action="append", default=[],
        help="video file of each pose INPUT, in order, for the clips (default: the video "
        "beside the pose file whose name starts the pose file's)",
    )  # fmt: skip
    add_tta_option(parser, " of each member before ranking (as predict)", "models")
    return parser


def run(args: argparse.Namespace) -> int:
    from mbr_search.inference import model_dir
    from mbr_search.inference.tta import resolve
    from mbr_search.predict import check_out_dir
    from mbr_search.predict.inputs import validate
    from mbr_search.suggest import Lengths, check_n, pair_videos, suggest_files

    # Cheap checks first, so a wrong input fails before TensorFlow is imported.
    check_out_dir(args.out)
    check_n(args.n)
    lengths = Lengths(args.min_seconds, args.max_seconds, args.gap_seconds)
    model = model_dir.load(args.model_dir)
    resolve(args.tta, model.backbone, f"the model in {model.path}")  # --tta on a CNN model
    inputs = [p.expanduser() for p in args.inputs]
    validate(model, inputs, args.pose or None)
    pair_videos(inputs, args.video or None)
    quiet_tensorflow(args.debug)
    result = suggest_files(
        args.model_dir, inputs, args.out, n=args.n, lengths=lengths, source_fps=args.fps,
        poses=args.pose or None, videos=args.video or None, cache_dir=args.cache_dir,
        tta=args.tta, echo=lambda msg: print(msg, file=sys.stderr, flush=True),
    )  # fmt: skip
    for s in result.suggestions:
        g = s.segment
        print(
            f"{s.rank:3d}. {g.video} {g.behaviour} {s.start_s:.1f}-{s.stop_s:.1f} s "
            f"score {g.score:.3f}: {g.reason}"
        )
    print(f"{args.out / 'segments.csv'}")
    if result.clips_note:
        print(result.clips_note)
    return 0
