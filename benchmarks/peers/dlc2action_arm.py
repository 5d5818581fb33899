"""The DLC2Action arms, run in DLC2Action's own environment (benchmarks/peers/setup.sh).

    benchmarks/peers/.venv-dlc2action/bin/python benchmarks/peers/dlc2action_arm.py \\
        --work DIR --mode default|search [--epochs 50] [--trials 8] [--cpu-budget S]
        [--continue-training | --predict-only]

Reads ``WORK/prep/split.json`` and ``WORK/prep/annotations`` (written by run.py), writes
``WORK/dlc2action_MODE/probs.npz`` (``test/VIDEO`` and ``oof/VIDEO``: (frames, 3) at 10 fps),
``meta.json`` and ``guard.json`` (the label guard's counts).

Everything goes through DLC2Action's documented project interface
(``dlc2action.project.Project``):

- data type ``dlc_track`` (DeepLabCut multi-animal pose, written as DLC's own ``.h5``),
  ``interactive: true``: one clip per video, ``individual1+individual2``, with its pair
  features (each rat's kinematics plus ``inter_distance``), as DLC2Action does social
  behaviour;
- annotation type ``boris`` (BORIS event tables, ``Subject`` = that pair clip): its ``csv``
  type ignores ``interactive`` and built 3 clips per video against the input store's 1, so
  every training segment carried another clip's labels (issue 21; WHY.md says why
  ``boris`` and not the other fixes). Its ``csv`` defaults are kept for the filters that
  ``boris`` turns on (``filter_background``, ``filter_annotated``, ``filter_visibility``:
  false), and ``min_frames_action: 0`` (every Caltech bout, even 1 frame, is a label);
- single-label (``exclusive: true``; frames of none of the three behaviours are ``other``);
- DLC2Action has no frame-rate option for pose, so the 30 fps pose is subsampled by 3 here
  (frames 0, 3, 6, ...: the 10 fps frames every arm is scored on).

**Label guard** (``label_guard.py``): when DLC2Action builds its training and validation
sets (``BehaviorDataset.partition_train_test_val``), the arm compares the class counts
DLC2Action reports for each with the counts computed from the Caltech files, cut into its
segments, and checks that its input and annotation stores hold the same segments in the same
order. A mismatch, or more than 5 % of the labelled frames at -100, stops the arm before the
first epoch; the counts go to ``guard.json`` and ``meta.json``.

Split: training on 12 of the 15 training videos, validation (DLC2Action's own, for its
metrics and best epoch, and the out-of-fold data for the F1 threshold) on 3
(``partition_method: file``); the 5 test videos are predicted with
``run_prediction(data_path=...)`` only.

- ``default``: ``run_episode`` with DLC2Action's defaults (ms_tcn3, kinematic features,
  len_segment 128, overlap 96, batch 64, lr 1e-3, 50 epochs, augmentation in training),
  unplaced keypoints at likelihood 0 and ``likelihood_threshold: 0.3`` (not its benchmarks'
  0.8: see ``LIKELIHOOD_THRESHOLD`` and WHY.md); a checkpoint every epoch; the epoch with
  the best validation F1 (its default metric, macro) is loaded for ``run_prediction`` (its
  default ``augment_n=10``).
- ``search``: its Optuna search, the call ``run_default_hyperparameter_search`` makes
  (``run_hyperparameter_search`` over ``options.model_hyperparameters["ms_tcn3"]``, metric
  f1, best 3 epochs averaged, Hyperband pruning, overlap 0, batch 32, 50 epochs per trial),
  stopped at ``--trials`` or at ``--cpu-budget`` CPU seconds (the trial running then
  finishes), then ``run_episode(load_search=...)`` at 50 epochs and the prediction above.

Seeds: ``random``, ``numpy`` and ``torch`` are seeded with 0 before each episode, and the
search's Optuna sampler is a ``TPESampler(seed=0)`` (DLC2Action creates its study without a
seed; the arm passes one in).
"""

from __future__ import annotations

import os

for _k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_k] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import pickle  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)
torch.set_num_interop_threads(1)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import label_guard  # noqa: E402

BEHAVIOURS = ("social", "nonsocial", "aggression")
CLASSES = ("other", *BEHAVIOURS)
STEP = 3
N_VAL = 3
SEED = 0
PAIR = "individual1+individual2"
#: its benchmarks use 0.8, on pose whose placed keypoints mostly score above it. Here the
#: placed keypoints score 0.46 / 0.66 / 0.80 (10th / 50th / 90th percentile): 0.8 would drop
#: 90 % of them. 0.3 (the package's rat dataset setting) drops 1.4 % of them and every
#: missing one (likelihood 0, see write_pose); WHY.md says why this departs from 0.8.
LIKELIHOOD_THRESHOLD = 0.3
RAT_DIR = Path(__file__).resolve().parents[3] / "shared" / "data" / "rat_social"
#: DLC2Action cuts its dataset paths at the first "." (``dataset_path.split(".")[0]`` in
#: ``Project``), so a project under ``benchmarks/.work`` writes its feature pickles into
#: ``benchmarks/``: its projects live in a dot-free scratch folder outside the repository.
PROJECTS = Path(os.environ.get("PEERS_DLC2ACTION_PROJECTS", "/tmp/peers_dlc2action"))


def projects_dir(arm: str) -> Path:
    """The arm's DLC2Action scratch folder: its pose and BORIS files (``data``) and its
    projects (``projects``); absolute, no "." anywhere in it."""
    path = (PROJECTS / arm).resolve()
    if "." in str(path):
        raise SystemExit(
            f"{path}: DLC2Action needs a projects path without '.' (it splits paths at the "
            "first dot); set PEERS_DLC2ACTION_PROJECTS to such a folder"
        )
    return path


def read_dlc_csv(path: Path) -> pd.DataFrame:
    """A multi-animal DLC CSV with its 4 header rows as column levels, one row per frame."""
    head = pd.read_csv(path, header=None, nrows=4, index_col=0)
    data = pd.read_csv(path, header=None, skiprows=4, index_col=0)
    data.columns = pd.MultiIndex.from_arrays(
        [head.iloc[i].to_numpy() for i in range(4)],
        names=["scorer", "individuals", "bodyparts", "coords"],
    )
    return data.reset_index(drop=True).astype(np.float64)


def write_pose(split: dict, root: Path) -> tuple[list[float], dict]:
    """Every video's pose at 10 fps as DLC's own multi-animal .h5; the canvas size and what
    the likelihood threshold will keep.

    A keypoint the tracker did not place (x, y empty) gets likelihood 0. These files give
    many such points likelihood 1.0 (46 % of them; the rest NaN), and DLC2Action's
    ``dlc_track`` reader turns empty x, y into 0 while keeping that likelihood, so without
    this they would pass any threshold and sit at the image corner (0, 0)."""
    hi = np.zeros(2)
    kept = placed = missing_kept = total = 0
    for vid, path in split["pose"].items():
        df = read_dlc_csv(Path(path)).iloc[::STEP].iloc[: split["frames_10fps"][vid]]
        df = df.reset_index(drop=True)
        coords = df.columns.get_level_values("coords")
        x = df.loc[:, coords == "x"].to_numpy()
        lik = df.loc[:, coords == "likelihood"].to_numpy()
        lik = np.where(np.isnan(x), 0.0, np.nan_to_num(lik, nan=0.0))
        df.loc[:, coords == "likelihood"] = lik
        ok = lik >= LIKELIHOOD_THRESHOLD
        total += x.size
        placed += int((~np.isnan(x)).sum())
        kept += int((ok & ~np.isnan(x)).sum())
        missing_kept += int((ok & np.isnan(x)).sum())
        folder = root / ("data_test" if vid in split["test"] else "data_train")
        folder.mkdir(parents=True, exist_ok=True)
        df.to_hdf(folder / f"{vid}DLC.h5", key="df_with_missing", mode="w")
        hi = np.maximum(hi, [np.nanmax(df.loc[:, coords == c].to_numpy()) for c in ("x", "y")])
    check = {
        "keypoint_values": total,
        "placed_by_the_tracker": round(placed / total, 4),
        "kept_by_likelihood_threshold": round(kept / total, 4),
        "placed_but_dropped": round((placed - kept) / max(placed, 1), 4),
        "missing_but_kept": missing_kept,
    }
    if missing_kept:
        raise SystemExit(f"pose check: {missing_kept} missing keypoints would pass the threshold")
    return [float(np.ceil(hi[0])), float(np.ceil(hi[1]))], check


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


def write_boris(csv_path: Path, dest: Path) -> int:
    """A BORIS event table (what its ``boris`` annotation type reads: 15 lines of header,
    then Time / FPS / Subject / Behavior / Status; START at the first frame, STOP at the
    frame after the last) from run.py's interval CSV (start, end exclusive, behavior). FPS 1
    and Time in frames: frame numbers stay exact. Returns the number of bouts."""
    bouts = pd.read_csv(csv_path)
    lines = ["Observation id,rats", *[f"# header line {i}" for i in range(2, 16)]]
    lines.append("Time,FPS,Subject,Behavior,Status")
    events = []
    for start, end, behaviour in bouts[["start", "end", "behavior"]].itertuples(index=False):
        events += [(int(start), 0, behaviour, "START"), (int(end), 1, behaviour, "STOP")]
    for t, _, behaviour, status in sorted(events):
        lines.append(f"{t},1,{PAIR},{behaviour},{status}")
    dest.write_text("\n".join(lines) + "\n")
    return len(bouts)


def caltech_truth(split: dict) -> dict[str, np.ndarray]:
    """Class per 10 fps frame of every training video, from the Caltech files themselves."""
    return label_guard.caltech_truth(
        split["train"], split["frames_10fps"], RAT_DIR, BEHAVIOURS, STEP
    )


class Guard:
    """Wraps ``BehaviorDataset.partition_train_test_val``: every time DLC2Action builds its
    training / validation sets, compare its counts with the Caltech files' and stop on a
    problem. The first check's numbers are kept for the JSON."""

    def __init__(
        self, truth: dict[str, np.ndarray], fit: list[str], val: list[str], path: Path
    ) -> None:
        self.truth, self.fit, self.val, self.path = truth, fit, val, path
        self.records: list[dict] = []
        #: off for prediction (its datasets hold other videos than the split file names)
        self.active = True

    def install(self) -> None:
        from dlc2action.data.dataset import BehaviorDataset

        original = BehaviorDataset.partition_train_test_val
        guard = self

        def partition(dataset, *args, **kwargs):
            train, test, val = original(dataset, *args, **kwargs)
            if guard.active:
                guard.check(dataset, train, val)
            return train, test, val

        BehaviorDataset.partition_train_test_val = partition

    def check(self, dataset, train, val) -> None:
        store = dataset.annotation_store
        len_segment, step = int(store.len_segment), int(store.step)
        problems = label_guard.check_coordinates(
            dataset.input_store.get_original_coordinates(), store.get_original_coordinates()
        )
        record: dict = {
            "len_segment": len_segment,
            "step": step,
            "segments_input_store": len(dataset.input_store),
            "segments_annotation_store": len(store),
            "classes": {str(k): v for k, v in store.behaviors_dict().items()},
        }
        if [store.behaviors_dict()[k] for k in sorted(store.behaviors_dict())] != list(CLASSES):
            problems.append(f"class order {store.behaviors_dict()} is not {CLASSES}")
        for name, subset, vids in (("training", train, self.fit), ("validation", val, self.val)):
            expected = label_guard.segment_counts(
                [self.truth[v] for v in vids], len_segment, step, len(CLASSES)
            )
            reported = {int(k): int(v) for k, v in subset.count_classes().items()}
            problems += label_guard.check_counts(f"{name} set", expected, reported)
            record[name] = {
                "videos": vids,
                "expected_from_caltech": {str(k): v for k, v in expected.items()},
                "dlc2action_reports": {str(k): v for k, v in sorted(reported.items())},
                "ignored_fraction": round(label_guard.ignored_fraction(expected, reported), 5),
            }
        record["passed"] = not problems
        record["problems"] = problems
        self.records.append(record)
        self.path.write_text(json.dumps(self.records, indent=1))  # also if training is stopped
        print(f"LABEL GUARD {'passed' if not problems else 'FAILED'}: {json.dumps(record)}")
        label_guard.stop(problems)


def cpu_seconds() -> float:
    """CPU seconds of this process and of the children it has waited for (DLC2Action
    computes features in worker processes)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def seed_everything() -> None:
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)


def seeded_optuna(cpu_budget: float | None, log: list) -> None:
    """DLC2Action's ``run_hyperparameter_search`` calls ``optuna.create_study(direction,
    pruner)`` and ``study.optimize(..., n_trials)``: give that study a seeded TPE sampler
    and, with a CPU budget, a callback that stops it once the budget is spent."""
    import optuna
    from dlc2action.project import project as project_module

    create = optuna.create_study

    def create_study(*args, **kwargs):
        kwargs.setdefault("sampler", optuna.samplers.TPESampler(seed=SEED))
        study = create(*args, **kwargs)
        optimize = study.optimize

        def optimize_with_budget(func, *a, **kw):
            def budget(study, trial):
                spent = cpu_seconds()
                log.append(
                    {
                        "trial": trial.number,
                        "state": str(trial.state),
                        "value": trial.value,
                        "cpu_seconds_so_far": round(spent, 1),
                    }
                )
                if cpu_budget is not None and spent >= cpu_budget:
                    study.stop()

            kw["callbacks"] = [*(kw.get("callbacks") or []), budget]
            return optimize(func, *a, **kw)

        study.optimize = optimize_with_budget
        return study

    project_module.optuna.create_study = create_study


def best_epoch(project, episode: str) -> tuple[int, list[float]]:
    """The epoch with the best validation F1 (DLC2Action's own log of its validation
    videos; 1-based), and the whole log."""
    log = [float(x) for x in project._episode(episode).get_metric_log("val", "f1")]
    if not log:
        raise RuntimeError(f"{episode}: no validation f1 in DLC2Action's log")
    return int(np.nanargmax(log)) + 1, log


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--mode", choices=("default", "search"), required=True)
    parser.add_argument("--epochs", type=int, default=50, help="its default: 50")
    parser.add_argument("--search-epochs", type=int, default=50, help="per trial (its: 50)")
    parser.add_argument("--trials", type=int, default=150, help="its default: 150")
    parser.add_argument("--cpu-budget", type=float, default=None, help="search CPU seconds")
    parser.add_argument(
        "--drop-len-segment",
        action="store_true",
        help="search without general/len_segment (DLC2Action 1.0 crashed sampling it)",
    )
    parser.add_argument("--probe", action="store_true", help="the guard and 1 epoch, then stop")
    parser.add_argument(
        "--predict-only",
        action="store_true",
        help="no training: predict with the best epoch the (possibly stopped) episode logged",
    )
    parser.add_argument(
        "--continue-training",
        action="store_true",
        help="resume a stopped default episode from its last checkpoint up to --epochs "
        "(DLC2Action's continue_episode), then predict as --predict-only does",
    )
    parser.add_argument("--videos", type=int, default=0, help="smoke test: first N fit videos")
    parser.add_argument("--tag", default="", help="suffix of the arm's folder name")
    parser.add_argument(
        "--augment", type=int, default=10, help="run_prediction augment_n (its default: 10)"
    )
    args = parser.parse_args()
    from dlc2action.project import Project

    seed_everything()
    split = json.loads((args.work / "prep" / "split.json").read_text())
    args.work = args.work.resolve()
    arm_dir = args.work / f"dlc2action_{args.mode}{args.tag}"
    if args.continue_training:
        continue_training(args, split, arm_dir)
    if args.predict_only or args.continue_training:
        return predict_only(args, split, arm_dir)
    scratch = projects_dir(arm_dir.name)
    if scratch.exists():
        shutil.rmtree(scratch)
    root = scratch / "data"
    arm_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.process_time()
    val = split["folds"][0][:N_VAL]
    fit = [v for v in split["train"] if v not in val]
    if args.videos:
        fit, val = fit[: args.videos], val[:1]
        split["train"] = [*fit, *val]
        split["pose"] = {v: split["pose"][v] for v in (*fit, *val, *split["test"][:1])}
        split["test"] = split["test"][:1]
    canvas, pose_check = write_pose(split, root)
    print(f"POSE CHECK: {json.dumps(pose_check)}", flush=True)
    ann = root / "annotations"
    ann.mkdir(parents=True, exist_ok=True)
    bouts = {
        vid: write_boris(
            args.work / "prep" / "annotations" / f"{vid}_annotation.csv",
            ann / f"{vid}_boris.csv",
        )
        for vid in split["train"]
    }
    split_file = root / "split.txt"
    split_file.write_text(
        "Training videos:\n"
        + "\n".join(fit)
        + "\nValidation videos:\n"
        + "\n".join(val)
        + "\nTest videos:\n"
    )
    guard = Guard(caltech_truth(split), fit, val, arm_dir / "guard.json")
    guard.install()
    projects = scratch / "projects"
    projects.mkdir(parents=True)
    project = Project(
        "rats",
        data_type="dlc_track",
        annotation_type="boris",
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
                "annotation_suffix": "_boris.csv",
                "canvas_shape": canvas,
                "behaviors": list(CLASSES),
                "default_agent_name": PAIR,
                "likelihood_threshold": LIKELIHOOD_THRESHOLD,
                "min_frames_action": 0,
                # the csv type's defaults (boris turns these on; csv is the plain reader)
                "filter_annotated": False,
                "filter_background": False,
                "filter_visibility": False,
                "visibility_min_frac": 0,
            },
            "general": {"exclusive": True, "interactive": True, "num_cpus": 1},
            "training": {
                "partition_method": "file",
                "split_path": str(split_file),
                "num_epochs": epochs,
                "device": "cpu",
                "model_save_epochs": 1,  # every epoch: the best one is loaded for prediction
            },
        }
    )
    prep_cpu = time.process_time() - t0
    info: dict = {
        "canvas_shape": canvas,
        "validation_videos": val,
        "training_videos": fit,
        "annotation_type": "boris",
        "interactive": True,
        "likelihood_threshold": LIKELIHOOD_THRESHOLD,
        "pose_check": pose_check,
        "min_frames_action": 0,
        "seed": SEED,
        "bouts_written": bouts,
    }
    info["epochs"] = epochs
    (arm_dir / "meta_training.json").write_text(json.dumps(info, indent=1, default=str))
    episode = args.mode
    search_log: list = []
    if args.mode == "search":
        from dlc2action import options

        seeded_optuna(args.cpu_budget, search_log)
        space = dict(options.model_hyperparameters["ms_tcn3"])
        dropped = space.pop("general/len_segment", None) if args.drop_len_segment else None
        s0 = cpu_seconds()
        best = project.run_hyperparameter_search(
            search_name="search",
            search_space=space,
            metric="f1",
            n_trials=args.trials,
            best_n=3,
            parameters_update={
                "general": {"overlap": 0, "model_name": "ms_tcn3"},
                "training": {"num_epochs": args.search_epochs, "batch_size": 32},
            },
            prune=True,
            make_plots=False,
        )
        info["search"] = {
            "space": {k: str(v) for k, v in space.items()},
            "dropped": None if dropped is None else {"general/len_segment": str(dropped)},
            "best_parameters": {
                k: (v if isinstance(v, (int, float, str)) else str(v)) for k, v in best.items()
            },
            "cpu_seconds": round(cpu_seconds() - s0, 1),
            "cpu_budget": args.cpu_budget,
            "trials_asked": args.trials,
            "trials": search_log,
            "epochs_per_trial": args.search_epochs,
        }
        seed_everything()
        e0 = time.process_time()
        project.run_episode(
            episode, load_search="search", parameters_update={"training": {"num_epochs": epochs}}
        )
    else:
        e0 = time.process_time()
        project.run_episode(episode)
    info["episode_cpu_seconds"] = round(time.process_time() - e0, 1)
    guard.active = False
    info["label_guard"] = guard.records[0] if guard.records else None
    info["label_guard_checks"] = len(guard.records)
    (arm_dir / "guard.json").write_text(json.dumps(guard.records, indent=1))
    chosen, val_f1 = best_epoch(project, episode)
    info |= {"epochs": epochs, "best_epoch": chosen, "validation_f1_per_epoch": val_f1}
    if args.probe:
        (arm_dir / "meta.json").write_text(json.dumps(info, indent=1, default=str))
        print(f"PROBE one epoch: {info['episode_cpu_seconds']} cpu-s", flush=True)
        return 0
    predict(project, episode, chosen, args.augment, split, root, arm_dir, info)
    info["prep_cpu_seconds"] = round(prep_cpu, 1)
    (arm_dir / "meta.json").write_text(json.dumps(info, indent=1, default=str))
    print(f"done, {time.process_time() - t0:.0f} cpu-s", flush=True)
    return 0


def continue_training(args: argparse.Namespace, split: dict, arm_dir: Path) -> None:
    """Train a stopped episode on from its last checkpoint (model and optimizer state, every
    parameter as it was) up to ``--epochs``: DLC2Action's own ``continue_episode``. A
    checkpoint is saved every epoch, so this runs in parts across sessions. The label guard
    checks the datasets again if DLC2Action rebuilds them (``guard_continued.json``); the
    CPU seconds of each part are appended to ``meta_training.json``."""
    from dlc2action.project import Project

    info = json.loads((arm_dir / "meta_training.json").read_text())
    if args.epochs != info["epochs"]:
        raise SystemExit(
            f"--epochs {args.epochs}: the episode was started for {info['epochs']} epochs; "
            "continue it to the same number (its learning-rate schedule depends on it)"
        )
    scratch = projects_dir(arm_dir.name)
    guard = Guard(
        caltech_truth(split),
        info["training_videos"],
        info["validation_videos"],
        arm_dir / "guard_continued.json",
    )
    guard.install()
    project = Project("rats", projects_path=str(scratch / "projects"))
    seed_everything()
    t0 = time.process_time()
    try:
        project.continue_episode(args.mode, num_epochs=args.epochs, device="cpu", num_cpus=1)
    except TypeError as exc:
        # DLC2Action 1.0 writes its episode table after the last epoch with a pandas 2
        # idiom that pandas 3 refuses ("Invalid value '4' for dtype 'str'"): training,
        # its checkpoints and its validation log are complete by then, and prediction
        # reads only those.
        info["continue_episode_save_error"] = str(exc).splitlines()[0]
    guard.active = False
    info.setdefault("continued_cpu_seconds", []).append(round(time.process_time() - t0, 1))
    info["continued_guard_checks"] = len(guard.records)
    (arm_dir / "meta_training.json").write_text(json.dumps(info, indent=1, default=str))


def predict_only(args: argparse.Namespace, split: dict, arm_dir: Path) -> int:
    """Predict with an episode that was stopped before its last epoch (a checkpoint is saved
    every epoch): the best validation-F1 epoch among those it finished. meta.json records
    how many epochs ran."""
    from dlc2action.project import Project

    t0 = time.process_time()
    info = json.loads((arm_dir / "meta_training.json").read_text())
    scratch = projects_dir(arm_dir.name)
    tests = scratch / "data" / "data_test"
    split["test"] = [v for v in split["test"] if (tests / f"{v}DLC.h5").is_file()]  # --videos
    project = Project("rats", projects_path=str(scratch / "projects"))
    episode = args.mode
    chosen, val_f1 = best_epoch(project, episode)
    info |= {
        "epochs_completed": len(val_f1),
        "best_epoch": chosen,
        "validation_f1_per_epoch": val_f1,
        "stopped_early_by_harness": len(val_f1) < info["epochs"],
    }
    predict(project, episode, chosen, args.augment, split, scratch / "data", arm_dir, info)
    info["prediction_cpu_seconds"] = round(time.process_time() - t0, 1)
    (arm_dir / "meta.json").write_text(json.dumps(info, indent=1, default=str))
    print(f"done (predict only), {time.process_time() - t0:.0f} cpu-s", flush=True)
    return 0


def predict(
    project,
    episode: str,
    epoch: int,
    augment: int,
    split: dict,
    root: Path,
    arm_dir: Path,
    info: dict,
) -> None:
    """Validation and test predictions of ``episode`` at ``epoch`` -> probs.npz."""
    val = info["validation_videos"]
    preds = Path(project.project_path) / "results" / "predictions"
    for name in (f"{episode}_val", f"{episode}_test"):
        if (preds / name).exists():
            shutil.rmtree(preds / name)
    project.run_prediction(
        f"{episode}_val", [episode], load_epochs=[epoch], mode="val", augment_n=augment, force=True
    )
    project.run_prediction(
        f"{episode}_test",
        [episode],
        load_epochs=[epoch],
        data_path=str(root / "data_test"),
        augment_n=augment,
        force=True,
    )
    frames = split["frames_10fps"]
    v = full_prediction(preds / f"{episode}_val", val, frames)
    t = full_prediction(preds / f"{episode}_test", split["test"], frames)
    out = {f"oof/{k}": p for k, p in v["probs"].items()}
    out |= {f"test/{k}": p for k, p in t["probs"].items()}
    np.savez_compressed(arm_dir / "probs.npz", **out)
    info |= {
        "predicted_epoch": epoch,
        "uncovered_frames": {**v["uncovered_frames"], **t["uncovered_frames"]},
        "classes": t["classes"],
        "augment_n": augment,
        "threshold_data": f"DLC2Action's validation videos {val} (held out of its training)",
    }


if __name__ == "__main__":
    raise SystemExit(main())
