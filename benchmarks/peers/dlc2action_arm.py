"""The DLC2Action arms, run in DLC2Action's own environment (benchmarks/peers/setup.sh).

    benchmarks/peers/.venv-dlc2action/bin/python benchmarks/peers/dlc2action_arm.py \\
        --work DIR --mode default|search [--epochs N] [--trials 8] [--search-epochs N]

Reads ``WORK/prep/split.json`` and ``WORK/prep/annotations`` (written by run.py), writes
``WORK/dlc2action_MODE/probs.npz`` (``test/VIDEO`` and ``oof/VIDEO``: (frames, 3) at 10 fps).

Everything goes through DLC2Action's documented project interface
(``dlc2action.project.Project``): data type ``dlc_track`` (DeepLabCut multi-animal pose,
read from DLC's own ``.h5`` layout), annotation type ``csv`` (start / end / behavior
intervals, converted by run.py from the Caltech labels), ``interactive: true`` (features and
labels for the pair of rats, as DLC2Action does for social behaviour), single-label
(``exclusive: true``; frames of none of the three behaviours are its ``other`` class).
DLC2Action has no frame-rate option for pose, so the 30 fps pose is subsampled by 3 here
(frames 0, 3, 6, ...: the 10 fps frames every arm is scored on).

Split: training on 12 of the 15 training videos, validation (DLC2Action's own, for its
metrics, and the out-of-fold data for the F1 threshold) on 3 (``partition_method: file``);
the 5 test videos are predicted with ``run_prediction(data_path=...)`` only.

- ``default``: ``run_episode`` with every setting at DLC2Action's defaults (ms_tcn3,
  kinematic features, len_segment 128, overlap 96, batch 64, lr 1e-3, 50 epochs unless
  ``--epochs`` reduces it), then ``run_prediction`` (its default: 10 augmentations averaged).
- ``search``: ``run_default_hyperparameter_search`` (its Optuna TPE search with Hyperband
  pruning over ms_tcn3's default space, metric f1, best 3 epochs averaged) at ``--trials``,
  then ``run_episode(load_search=...)`` and ``run_prediction`` as above.
"""

from __future__ import annotations

import os

for _k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_k] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import pickle  # noqa: E402
import shutil  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

BEHAVIOURS = ("social", "nonsocial", "aggression")
STEP = 3
N_VAL = 3
PAIR = "individual1+individual2"


def read_dlc_csv(path: Path) -> pd.DataFrame:
    """A multi-animal DLC CSV with its 4 header rows as column levels, one row per frame."""
    head = pd.read_csv(path, header=None, nrows=4, index_col=0)
    data = pd.read_csv(path, header=None, skiprows=4, index_col=0)
    data.columns = pd.MultiIndex.from_arrays(
        [head.iloc[i].to_numpy() for i in range(4)],
        names=["scorer", "individuals", "bodyparts", "coords"],
    )
    return data.reset_index(drop=True).astype(np.float64)


def write_pose(split: dict, root: Path) -> list[float]:
    """Every video's pose at 10 fps as DLC's own multi-animal .h5; the canvas size."""
    hi = np.zeros(2)
    for vid, path in split["pose"].items():
        df = read_dlc_csv(Path(path)).iloc[::STEP].iloc[: split["frames_10fps"][vid]]
        df = df.reset_index(drop=True)
        folder = root / ("data_test" if vid in split["test"] else "data_train")
        folder.mkdir(parents=True, exist_ok=True)
        df.to_hdf(folder / f"{vid}DLC.h5", key="df_with_missing", mode="w")
        coords = df.columns.get_level_values("coords")
        hi = np.maximum(hi, [np.nanmax(df.loc[:, coords == c].to_numpy()) for c in ("x", "y")])
    return [float(np.ceil(hi[0])), float(np.ceil(hi[1]))]


def full_prediction(pred_dir: Path, vids: list[str], frames: dict[str, int]) -> dict:
    """{video: (frames, 3)} probabilities of the three behaviours from DLC2Action's
    prediction pickles ({clip: (classes, frames)}, 'classes', 'min_frames')."""
    out, uncovered = {}, {}
    for vid in vids:
        files = list(pred_dir.glob(f"{vid}_*prediction.pickle"))
        if len(files) != 1:
            raise RuntimeError(f"{vid}: expected one prediction file in {pred_dir}, got {files}")
        with open(files[0], "rb") as f:
            d = pickle.load(f)
        classes = d["classes"]
        arr = np.asarray(d[PAIR], dtype=np.float32)
        start = int(d["min_frames"][PAIR]) if "min_frames" in d else 0
        probs = np.zeros((frames[vid], len(BEHAVIOURS)), np.float32)
        names = {classes[k]: k for k in classes}
        for c, b in enumerate(BEHAVIOURS):
            row = arr[int(names[b])]
            n = min(len(row), frames[vid] - start)
            probs[start : start + n, c] = row[:n]
        uncovered[vid] = int((probs < 0).any(axis=1).sum())
        out[vid] = np.clip(probs, 0.0, 1.0)
    return {
        "probs": out,
        "uncovered_frames": uncovered,
        "classes": {str(k): v for k, v in classes.items()},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--mode", choices=("default", "search"), required=True)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--search-epochs", type=int, default=0)
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--probe", action="store_true", help="1 epoch, time it, stop")
    parser.add_argument(
        "--likelihood-threshold",
        type=float,
        default=None,
        help="data/likelihood_threshold (its default 0 keeps missing keypoints at (0, 0))",
    )
    parser.add_argument("--tag", default="", help="suffix of the arm's folder name")
    parser.add_argument(
        "--augment", type=int, default=10, help="run_prediction augment_n (its default: 10)"
    )
    args = parser.parse_args()
    from dlc2action.project import Project

    split = json.loads((args.work / "prep" / "split.json").read_text())
    arm_dir = args.work / f"dlc2action_{args.mode}{args.tag}"
    root = arm_dir / "data"
    arm_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.process_time()
    canvas = write_pose(split, root)
    ann = root / "annotations"
    ann.mkdir(parents=True, exist_ok=True)
    for vid in split["train"]:
        shutil.copy(args.work / "prep" / "annotations" / f"{vid}_annotation.csv", ann)
    val = split["folds"][0][:N_VAL]
    fit = [v for v in split["train"] if v not in val]
    split_file = root / "split.txt"
    split_file.write_text(
        "Training videos:\n"
        + "\n".join(fit)
        + "\nValidation videos:\n"
        + "\n".join(val)
        + "\nTest videos:\n"
    )
    projects = arm_dir / "projects"
    if projects.exists():
        shutil.rmtree(projects)
    projects.mkdir(parents=True)
    project = Project(
        "rats",
        data_type="dlc_track",
        annotation_type="csv",
        projects_path=str(projects),
        data_path=str(root / "data_train"),
        annotation_path=str(ann),
        copy=False,
    )
    epochs = 1 if args.probe else args.epochs
    project.update_parameters(
        {
            "data": {
                "data_suffix": "DLC.h5",
                "annotation_suffix": "_annotation.csv",
                "canvas_shape": canvas,
                "behaviors": ["other", *BEHAVIOURS],
                "default_agent_name": PAIR,
                "fps": 1,  # the CSV gives frame numbers, not seconds
            }
            | (
                {}
                if args.likelihood_threshold is None
                else {"likelihood_threshold": args.likelihood_threshold}
            ),
            "general": {"exclusive": True, "interactive": True, "num_cpus": 1},
            "training": {
                "partition_method": "file",
                "split_path": str(split_file),
                "num_epochs": epochs,
                "device": "cpu",
            },
        }
    )
    prep_cpu = time.process_time() - t0
    info: dict = {"canvas_shape": canvas, "validation_videos": val, "training_videos": fit}
    episode = args.mode
    if args.mode == "search":
        s0 = time.process_time()
        # run_default_hyperparameter_search("search", model_name="ms_tcn3", ...) crashes in
        # its first trial here when it samples general/len_segment != 128 (collate:
        # "stack expects each tensor to be equal size, but got [2, 128] ... [2, 1024]"), so
        # this is the same call it makes (run_hyperparameter_search with its default
        # ms_tcn3 space and its own settings: overlap 0, batch 32, metric f1, best 3 epochs,
        # Hyperband pruning) without that one parameter.
        from dlc2action import options

        space = dict(options.model_hyperparameters["ms_tcn3"])
        dropped = space.pop("general/len_segment", None)
        search_epochs = args.search_epochs or epochs
        best = project.run_hyperparameter_search(
            search_name="search",
            search_space=space,
            metric="f1",
            n_trials=args.trials,
            best_n=3,
            parameters_update={
                "general": {"overlap": 0, "model_name": "ms_tcn3"},
                "training": {"num_epochs": search_epochs, "batch_size": 32},
            },
            prune=True,
            make_plots=False,
        )
        info["search_space"] = {k: str(v) for k, v in space.items()}
        info["search_space_dropped"] = {"general/len_segment": str(dropped)}
        info["search"] = {
            "best_parameters": {
                k: (v if isinstance(v, (int, float, str)) else str(v)) for k, v in best.items()
            },
            "cpu_seconds": round(time.process_time() - s0, 1),
            "n_trials": args.trials,
            "epochs_per_trial": args.search_epochs or epochs,
        }
        project.run_episode(episode, load_search="search")
    else:
        e0 = time.process_time()
        project.run_episode(episode)
        info["episode_cpu_seconds"] = round(time.process_time() - e0, 1)
        if args.probe:
            print(f"PROBE one epoch: {info['episode_cpu_seconds']} cpu-s", flush=True)
            return 0
    preds = Path(project.project_path) / "results" / "predictions"
    project.run_prediction(f"{episode}_val", [episode], mode="val", augment_n=args.augment)
    project.run_prediction(
        f"{episode}_test", [episode], data_path=str(root / "data_test"), augment_n=args.augment
    )
    frames = split["frames_10fps"]
    v = full_prediction(preds / f"{episode}_val", val, frames)
    t = full_prediction(preds / f"{episode}_test", split["test"], frames)
    out = {f"oof/{k}": p for k, p in v["probs"].items()}
    out |= {f"test/{k}": p for k, p in t["probs"].items()}
    np.savez_compressed(arm_dir / "probs.npz", **out)
    info |= {
        "uncovered_frames": {**v["uncovered_frames"], **t["uncovered_frames"]},
        "classes": t["classes"],
        "epochs": epochs,
        "augment_n": args.augment,
        "likelihood_threshold": args.likelihood_threshold,
        "prep_cpu_seconds": round(prep_cpu, 1),
        "threshold_data": f"DLC2Action's validation videos {val} (held out of its training)",
    }
    (arm_dir / "meta.json").write_text(json.dumps(info, indent=1, default=str))
    print(f"done, {time.process_time() - t0:.0f} cpu-s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
