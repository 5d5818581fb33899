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
segmental F1 (``mbr_search.evaluate.bouts``: IoU >= 0.5, one-to-one matching). CPU seconds
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
import rat_dataset
from _common import (
    BEHAVIOURS,
    CV,
    D2A_VENV,
    FPS,
    HERE,
    MBR_ARMS,
    RUN_ARMS,
    SEED,
    THREADS,
)
from scoring import baseline_arm, mbr_arm, read_npz, score

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
    from mbr_search.evaluate.bouts import bouts
    from mbr_search.features.store import _fit_length

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
    if arm == "simba_rf":
        cmd = [sys.executable, str(here / "simba_rf.py"), "--work", str(work)]
        cmd += ["--trees", str(args.trees)]
    elif arm == "hgb_baseline":
        cmd = [sys.executable, str(here / "hgb_baseline.py"), "--work", str(work)]
    else:
        python = D2A_VENV / "bin" / "python"
        if not python.is_file():
            return {"status": "not run", "why": f"{python} missing: run setup.sh first"}
        mode = arm.removeprefix("dlc2action_")
        cmd = [str(python), str(here / "dlc2action_arm.py"), "--work", str(work)]
        cmd += ["--mode", mode, "--epochs", str(args.epochs), "--augment", str(args.augment)]
        if mode == "search":
            cmd += ["--search-epochs", str(args.search_epochs), "--trials", str(args.trials)]
            if args.cpu_budget:
                cmd += ["--cpu-budget", str(args.cpu_budget)]
    print(f"[{arm}] {shlex.join(cmd)}", flush=True)
    m = run_child(cmd, work / arm / "log.txt", cwd=_bench.ROOT)
    m["status"] = "ran" if m["exit_code"] == 0 else "failed"
    m["date"] = _bench.now()
    meta = work / arm / "meta.json"
    if meta.is_file():
        m["meta"] = json.loads(meta.read_text())
    (work / arm / "measure.json").write_text(json.dumps(m, indent=1))
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arms", default=",".join(RUN_ARMS), help="arms to (re-)run")
    parser.add_argument("--work", type=Path, default=_bench.ROOT / "benchmarks" / ".work" / "peers")
    parser.add_argument("--quality-work", type=Path, default=Path("/work/qwork"))
    parser.add_argument("--trees", type=int, default=200, help="random-forest trees")
    parser.add_argument("--epochs", type=int, default=50, help="DLC2Action epochs (default 50)")
    parser.add_argument(
        "--search-epochs", type=int, default=50, help="epochs per search trial (its default 50)"
    )
    parser.add_argument(
        "--cpu-budget", type=float, default=0, help="DLC2Action search: stop after these CPU s"
    )
    parser.add_argument("--trials", type=int, default=0, help="0: quality.json's budget")
    parser.add_argument(
        "--augment", type=int, default=10, help="DLC2Action run_prediction augment_n (default 10)"
    )
    args = parser.parse_args()
    if not rat_dataset.available():
        print(rat_dataset.skip_message(), file=sys.stderr)
        return 0
    started = time.perf_counter()
    qpath = _bench.RESULTS / "quality.json"
    quality = json.loads(qpath.read_text("utf-8")) if qpath.is_file() else {}
    budget = (quality.get("config") or {}).get("budget") or 8
    args.trials = args.trials or budget
    chosen = [a.strip() for a in args.arms.split(",") if a.strip()]
    report = _bench.header(
        "peers",
        arms_run_now=chosen,
        trials=args.trials,
        trials_from="quality.json config.budget" if quality else "default 8 (no quality.json)",
        trees=args.trees,
        epochs=args.epochs,
        search_epochs=args.search_epochs or args.epochs,
        augment_n=args.augment,
        fps=FPS,
        cv=CV,
        behaviours=list(BEHAVIOURS),
        quality_work=str(args.quality_work),
        work=str(args.work),
    )
    report["command"] = shlex.join([_bench.PYTHON, "benchmarks/peers/run.py", *sys.argv[1:]])
    split = prepare(args.work)
    truth = load_truth(args.work)
    for arm in chosen:
        run_arm(arm, args.work, args)
    arms: dict[str, Any] = {}
    # earlier runs of an arm kept beside it, e.g. dlc2action_default_2ep (shorter training)
    extra = sorted(
        p.name
        for p in args.work.iterdir()
        if p.is_dir()
        and p.name not in RUN_ARMS
        and any(p.name.startswith(f"{a}_") for a in RUN_ARMS)
        and (p / "measure.json").is_file()
    )
    for arm in (*RUN_ARMS, *extra):
        mpath = args.work / arm / "measure.json"
        if not mpath.is_file():
            arms[arm] = {"status": "not run", "why": "not run yet"}
            continue
        m = json.loads(mpath.read_text())
        probs = args.work / arm / "probs.npz"
        if m["status"] == "ran" and probs.is_file():
            test, oof = read_npz(probs)
            m |= score(truth, test, oof or None)
        elif (args.work / arm / "not_run.json").is_file():
            m |= json.loads((args.work / arm / "not_run.json").read_text())
            m["status"] = "not run"
        arms[arm] = m
    for name in MBR_ARMS:
        arms[name] = mbr_arm(name, args.quality_work, truth, quality)
    if arms["hgb_baseline"].get("mean_pr_auc") is None:
        arms["hgb_baseline"] = baseline_arm(quality)  # not run here: quality.json's numbers
    report |= {
        "split": {"train": split["train"], "test": split["test"], "folds": split["folds"]},
        "frames_10fps": split["frames_10fps"],
        "versions": peer_versions(),
        "setup_command": "bash benchmarks/peers/setup.sh",
        "arm_commands": [
            f"{_bench.PYTHON} benchmarks/peers/run.py --arms simba_rf --trees {args.trees}",
            f"{_bench.PYTHON} benchmarks/peers/run.py --arms hgb_baseline",
            f"{_bench.PYTHON} benchmarks/peers/run.py --arms dlc2action_default "
            f"--epochs {args.epochs} --augment {args.augment}",
            f"{_bench.PYTHON} benchmarks/peers/run.py --arms dlc2action_search "
            f"--epochs {args.epochs} --search-epochs {args.search_epochs or args.epochs} "
            f"--augment {args.augment}",
            f"{_bench.PYTHON} benchmarks/peers/run.py --arms '' --trees {args.trees} "
            f"--epochs {args.epochs} --search-epochs {args.search_epochs or args.epochs} "
            f"--augment {args.augment}  # score only",
        ],
        "how_run": "simba_rf and the DLC2Action arms ran at the same time as separate "
        "processes, each one thread, on 2 cores shared with other heavy jobs (load average "
        "8-17); hgb_baseline ran on its own later, beside other benchmarks (load 3-8). CPU "
        "seconds are the comparable cost, wall times are not",
        "arms": arms,
        "target": {
            "statement": "every peer run on the same 5 test videos, 10 fps frames, one scorer",
            "value": None,
            "met": None,
        },
    }
    ran = [a for a in RUN_ARMS if arms[a].get("mean_pr_auc") is not None]
    mbr_here = [a for a in MBR_ARMS if arms[a].get("status") == "scored here"]
    # met: every peer arm and at least one mbr-search arm scored by this scorer
    report["target"]["met"] = (len(ran) == len(RUN_ARMS) and bool(mbr_here)) or None
    _bench.write_result(report, started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
