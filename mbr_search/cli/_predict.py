"""``mbr-search predict MODEL_DIR INPUT... --out DIR``: label new recordings."""

from __future__ import annotations

import argparse
import sys

from mbr_search.cli._common import add_model_inputs, add_tta_option, quiet_tensorflow


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "predict",
        help="label new pose files or videos with a model folder written by evaluate",
        description=(
            "Compute the model's features for each INPUT (DeepLabCut pose files for pose "
            "models, videos for CNN models), predict every frame, apply the model's "
            "thresholds and post-processing, and write per input: <name>_frames.csv "
            "(probabilities and 0/1 labels), <name>_bouts.csv and <name>_boris.xlsx "
            "(bouts as events BORIS imports: Observations > Import observations)."
        ),
    )
    add_model_inputs(parser, "files to label")
    add_tta_option(parser, "", "models")
    return parser


def run(args: argparse.Namespace) -> int:
    from mbr_search.inference import model_dir
    from mbr_search.predict import check_out_dir, predict_files
    from mbr_search.predict.inputs import validate

    # Cheap checks first, so a wrong input fails before TensorFlow is imported.
    check_out_dir(args.out)
    model = model_dir.load(args.model_dir)
    from mbr_search.inference.tta import resolve

    resolve(args.tta, model.backbone, f"the model in {model.path}")  # --tta on a CNN model
    validate(model, [p.expanduser() for p in args.inputs], args.pose or None)
    quiet_tensorflow(args.debug)
    written = predict_files(
        args.model_dir, args.inputs, args.out, source_fps=args.fps, poses=args.pose or None,
        cache_dir=args.cache_dir, echo=lambda msg: print(msg, file=sys.stderr, flush=True),
        tta=args.tta,
    )  # fmt: skip
    for w in written:
        print(f"{w.source}: {w.n_frames} frames, {w.n_bouts} bouts")
        print(f"  {w.frames_csv}\n  {w.bouts_csv}\n  {w.boris_xlsx}")
    return 0
