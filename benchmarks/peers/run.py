"""Benchmark: mbr-search side by side with its peers on the same 20 rat videos (issue 14).

Arms, all on the fixed 15 train / 5 test split of ``benchmarks/rat_dataset.py``, behaviours
social / nonsocial / aggression, scored on the same 10 fps frames (every 3rd of 30 fps):

- ``dlc2action_default``: DLC2Action 1.0 (its own virtual environment, made by
  ``benchmarks/peers/setup.sh``), its default model and settings (``dlc2action_arm.py``);
- ``dlc2action_search``: DLC2Action's own Optuna search (``run_default_hyperparameter_search``)
  at mbr-search's trial budget, then one episode with the best parameters;
- ``simba_rf``: SimBA's two-animal feature recipe + scikit-learn random forest (``simba_rf.py``);
- ``hgb_baseline``: the lab's gradient-boosting script (``quality.py``'s recipe) on these
  10 fps frames, with out-of-fold probabilities from the same folds (``hgb_baseline.py``);
- ``mbr_*``: not re-run; their per-frame test (and out-of-fold) probabilities are read from
  the quality benchmark's ``mbr-search evaluate`` folders (``--quality-work``/eval/ARM).

One scorer (scikit-learn) for every arm: pooled PR-AUC over the 5 test videos, F1 at the
threshold that maximises F1 on the arm's out-of-fold training-video predictions, and
segmental F1 (``mbr_search.scoring.bouts``: IoU >= 0.5, one-to-one matching). CPU seconds
and peak RSS are those of each arm's child process (``wait4``).

    .venv/bin/python benchmarks/peers/run.py [--arms simba_rf,dlc2action_default,...]
        [--work DIR] [--quality-work /work/qwork] [--trees 200] [--epochs 50]

Each arm's raw output stays in ``--work``; ``--arms`` re-runs only those arms, and the
scoring always covers every arm whose output is there.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _bench
import label_guard
import rat_dataset
from _common import (
    BEHAVIOURS,
    CV,
    D2A_VENV,
    FPS,
    HERE,
    RUN_ARMS,
    SEED,
    SOURCE_FPS,
    THREADS,
)
from entries import HOW_RUN, changed_since, mbr_entries, peer_entries, withdrawn
from pairs import paired_differences

# ---------------------------------------------------------------- data (shared by all arms)


def fixed_folds(train: list[str], k: int, seed: int) -> list[list[str]]:
    """The peers' k folds of the training videos: a seeded permutation cut in k parts (the
    folds every peer arm has used since issue 14). Pinned here, not taken from
    ``mbr_search.search.folds``, whose default has since become a stratified deal."""
    order = np.random.default_rng(seed).permutation(len(train))
    return [[train[i] for i in part] for part in np.array_split(order, k)]


def prepare(work: Path) -> dict[str, Any]:
    """Split, folds, 10 fps truth (the package's own label reading: Caltech S1, 1-based
    inclusive, length tolerance of the dataset) and, for DLC2Action, one interval CSV of
    10 fps frames per video (its ``csv`` annotation type: start, end exclusive, behavior)."""
    from mbr_search.config.dataset import load_dataset
    from mbr_search.data.labels import read_labels
    from mbr_search.data.pose import read_pose
    from mbr_search.data.resample import frame_indices
    from mbr_search.features.store import _fit_length
    from mbr_search.scoring.bouts import bouts

    prep = work / "prep"
    manifest = rat_dataset.build_rat_dataset(prep / "rat")
    dataset = load_dataset(manifest)
    truth: dict[str, np.ndarray] = {}
    pose: dict[str, str] = {}
    source_frames: dict[str, int] = {}
    ann = prep / "annotations"
    ann.mkdir(parents=True, exist_ok=True)
    for video in dataset.videos:
        n_src = len(read_pose(video.pose).xy)  # the package's own pose reader
        raw = read_labels(video.labels, BEHAVIOURS, n_frames=n_src, fps=video.fps)
        raw = _fit_length(raw, n_src, dataset, video)
        idx = frame_indices(n_src, video.fps, FPS)
        truth[video.id] = raw.values[idx].astype(np.uint8)
        pose[video.id], source_frames[video.id] = str(video.pose), n_src
        rows = ["start,end,behavior"]
        for c, b in enumerate(BEHAVIOURS):
            rows += [f"{s},{e},{b}" for s, e in bouts(truth[video.id][:, c])]
        (ann / f"{video.id}_annotation.csv").write_text("\n".join(rows) + "\n")
    train = [v.id for v in dataset.split("train")]
    test = [v.id for v in dataset.split("test")]
    folds = fixed_folds(train, CV["k"], SEED)
    split = {
        "train": train,
        "test": test,
        "folds": folds,
        "pose": pose,
        "source_frames": source_frames,
        "frames_10fps": {k: len(v) for k, v in truth.items()},
        "behaviours": list(BEHAVIOURS),
    }
    guard = label_guard.frame_guard(
        "prep (truth.npz: the labels of every frame-level arm and of the scorer)",
        truth,
        {v: len(y) for v, y in truth.items()},
        rat_dataset.RAT_DIR,
        BEHAVIOURS,
        SOURCE_FPS // FPS,
    )
    guard.pop("per_video")
    split["label_guard"] = guard
    (prep / "split.json").write_text(json.dumps(split, indent=1))
    np.savez_compressed(prep / "truth.npz", **truth)
    return split


def load_truth(work: Path) -> dict[str, np.ndarray]:
    with np.load(work / "prep" / "truth.npz") as npz:
        return {k: npz[k] for k in npz.files}


# ---------------------------------------------------------------- running an arm, measured


def run_child(cmd: list[str], log: Path, cwd: Path | None = None) -> dict[str, Any]:
    """Run ``cmd`` (one thread per library); its CPU seconds, peak RSS and wall time from
    ``wait4`` (the process and the children it waited for). Output goes to ``log``."""
    env = {**os.environ, **THREADS, "PYTHONUNBUFFERED": "1"}
    log.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    return {
        "command": shlex.join(cmd),
        "exit_code": code,
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "wall_seconds": round(time.perf_counter() - started, 1),
        "log": str(log),
        "log_tail": log.read_text(encoding="utf-8", errors="replace")[-2500:],
    }


def run_arm(arm: str, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    here = HERE.relative_to(_bench.ROOT)
    predict_only = bool(getattr(args, "predict_only", False))
    resume = bool(getattr(args, "continue_training", False))
    if arm == "simba_rf":
        cmd = [sys.executable, str(here / "simba_rf.py"), "--work", str(work)]
        cmd += ["--trees", str(args.trees)]
    elif arm == "hgb_baseline":
        cmd = [sys.executable, str(here / "hgb_baseline.py"), "--work", str(work)]
    else:
        python = D2A_VENV / "bin" / "python"
        if not python.is_file():
            return {"status": "not run", "why": "run bash benchmarks/peers/setup.sh first"}
        mode = arm.removeprefix("dlc2action_")
        cmd = [str(python), str(here / "dlc2action_arm.py"), "--work", str(work)]
        cmd += ["--mode", mode, "--epochs", str(args.epochs), "--augment", str(args.augment)]
        if mode == "search":
            cmd += ["--search-epochs", str(args.search_epochs), "--trials", str(args.trials)]
            if args.cpu_budget:
                cmd += ["--cpu-budget", str(args.cpu_budget)]
        if resume:
            cmd += ["--continue-training"]
        elif predict_only:
            cmd += ["--predict-only"]
    # a continued training predicts too: its measure replaces the prediction's
    part = "_predict" if predict_only or resume else ""
    print(f"[{arm}] {shlex.join(cmd)}", flush=True)
    code = _bench.git_code()
    m = run_child(cmd, work / arm / f"log{part}.txt", cwd=_bench.ROOT)
    m["code"] = code
    m["status"] = "ran" if m["exit_code"] == 0 else "failed"
    m["date"] = _bench.now()
    (work / arm / f"measure{part}.json").write_text(json.dumps(m, indent=1))
    print(f"[{arm}] {m['status']}: {m['cpu_seconds']} cpu-s, {m['peak_rss_mib']} MiB", flush=True)
    return m


# ---------------------------------------------------------------- main


def peer_versions() -> dict[str, Any]:
    out: dict[str, Any] = {}
    python = D2A_VENV / "bin" / "python"
    if python.is_file():
        code = (
            "import json, importlib.metadata as m\n"
            "names = ['dlc2action', 'torch', 'torchvision', 'optuna', 'numpy', 'pandas']\n"
            "v = {}\n"
            "for n in names:\n"
            "    try: v[n] = m.version(n)\n"
            "    except Exception: v[n] = None\n"
            "print(json.dumps(v))"
        )
        done = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
        if done.returncode == 0:
            out["dlc2action_venv"] = json.loads(done.stdout)
    from importlib import metadata

    out["main_venv"] = {
        n: metadata.version(n) for n in ("scikit-learn", "scipy", "numpy", "pandas", "optuna")
    }
    return out


def arm_list(value: str) -> list[str]:
    """``--arms``: comma-separated names of RUN_ARMS ('' runs none, only scores). An arm's
    name becomes its folder under --work, so nothing else is taken."""
    chosen = [a.strip() for a in value.split(",") if a.strip()]
    unknown = [a for a in chosen if a not in RUN_ARMS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown arm {unknown[0]!r}. Fix: name some of {', '.join(RUN_ARMS)}, or pass "
            "--arms '' to only score the arms already run"
        )
    return chosen


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--arms", type=arm_list, default=",".join(RUN_ARMS), help="arms to (re-)run"
    )
    parser.add_argument("--work", type=Path, default=Path("benchmarks/.work/peers"))
    parser.add_argument(
        "--quality-work",
        type=Path,
        default=Path("../qwork"),
        help="the quality benchmark's work folder (its eval/ARM evaluate outputs)",
    )
    parser.add_argument("--trees", default="40,100,200,400", help="forest tree count(s)")
    parser.add_argument("--epochs", type=int, default=50, help="DLC2Action epochs (default 50)")
    parser.add_argument(
        "--search-epochs", type=int, default=50, help="epochs per search trial (its default 50)"
    )
    parser.add_argument("--trials", type=int, default=150, help="search trials (its default 150)")
    parser.add_argument(
        "--cpu-budget",
        type=float,
        default=0,
        help="DLC2Action search: stop starting trials after these CPU s (0: auto_pose's)",
    )
    parser.add_argument(
        "--augment", type=int, default=10, help="DLC2Action run_prediction augment_n (default 10)"
    )
    parser.add_argument(
        "--predict-only",
        action="store_true",
        help="DLC2Action arms: predict with the best epoch of a training the harness stopped",
    )
    parser.add_argument(
        "--continue-training",
        action="store_true",
        help="DLC2Action default arm: train a stopped episode on to --epochs, then predict",
    )
    return parser


def arm_commands(args: argparse.Namespace) -> list[str]:
    """The commands that (re-)run each arm, from the repository root."""
    return [
        f"{_bench.PYTHON} benchmarks/peers/run.py --arms dlc2action_default",
        f"{_bench.PYTHON} benchmarks/peers/run.py --arms dlc2action_default --predict-only"
        "  # after stopping its training: the best epoch so far",
        f"{_bench.PYTHON} benchmarks/peers/run.py --arms dlc2action_default "
        "--continue-training  # train a stopped episode on from its checkpoint, predict",
        f"{_bench.PYTHON} benchmarks/peers/run.py --arms dlc2action_search"
        f" --cpu-budget {args.cpu_budget:g}",
        f"{_bench.PYTHON} benchmarks/peers/run.py --arms simba_rf --trees {args.trees}",
        f"{_bench.PYTHON} benchmarks/peers/run.py --arms hgb_baseline",
        f"{_bench.PYTHON} benchmarks/peers/run.py --arms ''  # score only",
    ]


def main() -> int:
    args = build_parser().parse_args()
    if not rat_dataset.available():
        print(rat_dataset.skip_message(), file=sys.stderr)
        return 0
    started = time.perf_counter()
    os.chdir(_bench.ROOT)
    work = args.work.resolve()
    quality = {}
    for name in ("quality_fixed.json", "quality.json"):  # the fixed-split quality benchmark
        if (_bench.RESULTS / name).is_file():
            quality = json.loads((_bench.RESULTS / name).read_text("utf-8"))
            break
    auto = (quality.get("arms") or {}).get("auto_pose") or {}
    args.cpu_budget = args.cpu_budget or auto.get("search_cpu_seconds") or 0
    chosen = args.arms
    report = _bench.header(
        "peers",
        arms_run_now=chosen,
        trees=args.trees,
        epochs=args.epochs,
        search_epochs=args.search_epochs,
        search_trials=args.trials,
        search_cpu_budget=args.cpu_budget,
        search_cpu_budget_from="quality benchmark: auto_pose's search CPU s"
        if auto.get("search_cpu_seconds")
        else "--cpu-budget",
        mbr_trials=auto.get("budget_trials"),
        augment_n=args.augment,
        fps=FPS,
        cv=CV,
        behaviours=list(BEHAVIOURS),
        quality_work=str(args.quality_work),
        work=str(args.work),
    )
    report["command"] = shlex.join([_bench.PYTHON, "benchmarks/peers/run.py", *sys.argv[1:]])
    split = prepare(work)
    truth = load_truth(work)
    for arm in chosen:
        run_arm(arm, work, args)
    prev_path = _bench.RESULTS / "peers.json"
    previous = json.loads(prev_path.read_text("utf-8")) if prev_path.is_file() else {}
    test_probs: dict[str, Any] = {}
    arms = peer_entries(work, truth, previous, args, test_probs)
    arms |= mbr_entries(truth, quality, previous, args, test_probs)
    for name, entry in arms.items():
        if entry.get("mean_pr_auc") is not None:
            entry["code_changed_since"] = changed_since(name, entry)
    report |= {
        "split": {"train": split["train"], "test": split["test"], "folds": split["folds"]},
        "frames_10fps": split["frames_10fps"],
        "label_guard_prep": split["label_guard"],
        "versions": peer_versions(),
        "setup_command": "bash benchmarks/peers/setup.sh",
        "arm_commands": arm_commands(args),
        "how_run": HOW_RUN,
        "withdrawn": withdrawn(previous, arms),
        "aborted": [
            json.loads(f.read_text()) for f in sorted(work.glob("*_aborted_*/aborted.json"))
        ],
        "arms": arms,
        "paired_differences": paired_differences(truth, test_probs),
        "target": {
            "statement": "every peer run on the same 5 test videos, 10 fps frames, one scorer, "
            "label guard passed, from one commit",
            "value": None,
            "met": None,
        },
    }
    commits = {
        (a.get("code") or {}).get("commit") or (a.get("run_at") or {}).get("commit")
        for a in arms.values()
        if a.get("mean_pr_auc") is not None
    }
    report["commits"] = sorted(c or "not recorded" for c in commits)
    all_ran = all(arms[a].get("status") == "ran" for a in RUN_ARMS)
    report["target"]["met"] = all_ran and len(commits) == 1
    _bench.write_result(report, started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
