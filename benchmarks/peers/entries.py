"""The peers benchmark's results file, one entry per arm: an arm's measurement, meta, label
guard and scores read from its ``--work`` folder (``run_entry``), an earlier entry kept and
said to be from then (``carried``), the DLC2Action entries withdrawn because they trained on
misaligned labels (``withdrawn``), and every path made relative to the repository root
(``relative``) so the JSON and its page show commands anyone can run."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import _bench
from _common import D2A_VENV, MBR_ARMS, RUN_ARMS
from scoring import mbr_arm, read_npz, score


def relative(value: Any) -> Any:
    """``value`` with this machine's paths made relative to the repository root (and the
    DLC2Action venv's interpreter named as setup.sh makes it): the JSON and the page it
    renders show commands anyone can run from the root."""
    root = str(_bench.ROOT)
    if isinstance(value, str):
        return (
            value.replace(root + "/", "").replace(root, ".").replace(sys.executable, _bench.PYTHON)
        )
    if isinstance(value, dict):
        return {k: relative(v) for k, v in value.items()}
    if isinstance(value, list):
        return [relative(v) for v in value]
    return value


#: how the arms of this results file were run (the machine and its load)
HOW_RUN = (
    "DLC2Action's search, the forest's tree sweep and the lab's boosting script ran side by "
    "side at `c576860` on 2026-12-07 evening (nice 5, one thread each), beside the quality "
    "benchmark's re-run of the mbr-search studies on this split (`d2e621e`: the same package "
    "code; the commit only mended the benchmark's fold bookkeeping), 4 processes on 2 cores "
    "that nothing else used, so each got about half a core; CPU seconds are the comparable "
    "cost, wall times are not. DLC2Action's default arm is kept from 2026-12-07 morning: it "
    "ran alone among the peers on the then shared machine, was stopped after 19 of 50 epochs "
    "to leave time for prediction, then trained on from its epoch-19 checkpoint to 50 "
    "(afternoon; those 31 epochs untimed) and predicted again"
)

#: what the docs say of an arm that has no output here and none kept from an earlier run
NOT_RUN = {
    "dlc2action_search": "not run this session: at its defaults one trial is 50 epochs (about "
    "3,300 CPU s here at the default arm's 67 CPU s an epoch, ten times mbr-search's whole "
    "search budget), and the CPU this session "
    "had went to the default arm; `dlc2action_arm.py --mode search` implements it (its "
    "ms_tcn3 space, seeded TPE, Hyperband pruning, stopped at `--cpu-budget`)",
    "dlc2action_search_smoke": "a smoke test at toy size ran it end to end: 1 training and 1 "
    "validation video, 2 trials of 1 epoch, then 1 epoch with the best parameters; the label "
    "guard passed in every trial, including trials that sampled `len_segment` 512 and 2048 "
    "(the sampling that crashed on 2026-12-02, on the misaligned data). Not a measurement",
}


def first_guard(adir: Path) -> dict[str, Any] | None:
    """The first label-guard record of a DLC2Action arm: guard.json, or, for a training the
    harness stopped before the arm wrote it, the line the guard printed in the arm's log."""
    if (adir / "guard.json").is_file():
        records = json.loads((adir / "guard.json").read_text())
        return records[0] if records else None
    log = adir / "log.txt"
    if log.is_file():
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            for head in ("LABEL GUARD passed: ", "LABEL GUARD FAILED: "):
                if line.startswith(head):
                    return json.loads(line[len(head) :])
    return None


def untimed(m: dict[str, Any], adir: Path) -> None:
    """A training continued without the harness's clock (its CPU seconds not recorded):
    which epochs ``m["cpu_seconds"]`` leaves out, so no page shows it as the whole cost."""
    path = adir / "meta_training.json"
    meta = json.loads(path.read_text()) if path.is_file() else {}
    if None not in (meta.get("continued_cpu_seconds") or []):
        return
    timed = m.get("training", {}).get("timed_epochs") or meta.get("timed_epochs")
    m["untimed_epochs"] = [timed + 1, m["epochs_completed"]] if timed else None
    m["untimed_note"] = meta.get("continued_note")


def run_entry(
    arm: str, work: Path, truth: dict[str, np.ndarray], probs_out: dict[str, Any]
) -> dict[str, Any] | None:
    """An arm that ran into ``work`` (this run or an earlier one of this checkout): its
    measurement, meta, label guard and scores; None when it has no output there. Its test
    probabilities go to ``probs_out[arm]`` (for the paired differences)."""
    adir = work / arm
    mpath = adir / "measure.json"
    if not mpath.is_file():
        if (adir / "not_run.json").is_file():
            return {"status": "not run", **json.loads((adir / "not_run.json").read_text())}
        return None
    m = json.loads(mpath.read_text())
    m.pop("log_tail", None)
    meta_path = adir / "meta.json"
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    if not meta and (adir / "meta_training.json").is_file():
        meta = json.loads((adir / "meta_training.json").read_text())
    pred = adir / "measure_predict.json"
    if pred.is_file():  # training stopped by the harness, then predicted on its own
        p = json.loads(pred.read_text())
        m["training"] = {k: m[k] for k in ("command", "exit_code", "cpu_seconds", "wall_seconds")}
        m["prediction"] = {k: p[k] for k in ("command", "exit_code", "cpu_seconds", "wall_seconds")}
        m["cpu_seconds"] = round(m["cpu_seconds"] + p["cpu_seconds"], 1)
        m["peak_rss_mib"] = max(m["peak_rss_mib"], p["peak_rss_mib"])
        m["status"] = "ran" if p["exit_code"] == 0 else "failed"
        m["date"] = p["date"]
    guard = meta.pop("label_guard", None) or first_guard(adir)
    if isinstance(guard, dict):
        guard.pop("per_video", None)
    m["label_guard"] = guard
    m["meta"] = meta
    if "epochs" in meta:
        m["epochs"] = meta["epochs"]
        m["epochs_completed"] = meta.get("epochs_completed", meta["epochs"])
        m["best_epoch"] = meta.get("best_epoch")
        untimed(m, adir)
    probs = adir / "probs.npz"
    if m["status"] == "ran" and probs.is_file():
        test, oof = read_npz(probs)
        probs_out[arm] = test
        m |= score(truth, test, oof or None)
        for t in meta.get("tree_counts") or []:
            if (adir / f"probs_{t}.npz").is_file():
                tt, to = read_npz(adir / f"probs_{t}.npz")
                s = score(truth, tt, to or None)
                m.setdefault("per_tree_count", {})[str(t)] = {
                    "mean_pr_auc": s["mean_pr_auc"],
                    "oof_mean_pr_auc": meta["oof_mean_pr_auc_per_count"][str(t)],
                }
    elif m["status"] != "ran":
        m["why"] = "the arm failed; its log is " + str(adir / "log.txt")
    return relative(m)


def carried(arm: str, old: dict[str, Any], old_report: dict[str, Any]) -> dict[str, Any] | None:
    """An arm scored in the previous peers.json that did not run this time: kept, said to be
    from then (its date and commit), or None when it must not be kept (the DLC2Action arms
    that ran before the label guard trained on misaligned labels)."""
    if (
        old.get("status") in ("not run", "not available", "failed")
        or old.get("mean_pr_auc") is None
    ):
        return None
    if arm.startswith("dlc2action") and not old.get("label_guard"):
        return None
    entry = relative({k: v for k, v in old.items() if k not in ("log_tail", "log")})
    if entry.get("status") != "not re-run this session":
        entry["status_then"] = entry.get("status")
    entry["status"] = "not re-run this session"
    code = old.get("code") or {}
    entry["run_at"] = old.get("run_at") or {
        "date": old.get("date") or old_report.get("date"),
        "commit": code.get("commit"),
        "commit_note": None
        if code.get("commit")
        else f"not recorded by the arm; the peers.json that held it was written at "
        f"{(old_report.get('code') or {}).get('commit')}",
    }
    entry.setdefault("label_guard", None)
    if entry["label_guard"] is None:
        entry["label_guard_note"] = (
            "ran before the label guard existed; the labels it trained on (prep/truth.npz) "
            "pass the guard against the Caltech files now (label_guard_prep)"
        )
    if entry.get("source"):
        entry["source"] = os.path.relpath(entry["source"], _bench.ROOT)
    return entry


def withdrawn(old_report: dict[str, Any], arms: dict[str, Any]) -> list[dict[str, Any]]:
    """Earlier DLC2Action entries that are not kept, and why (no numbers: they were wrong).
    An entry that is this file's own arm again (same date) is not one of them."""
    current = {(n, a.get("date")) for n, a in arms.items()}
    out = [w for w in old_report.get("withdrawn") or [] if (w["arm"], w.get("date")) not in current]
    seen = {(w["arm"], w.get("date")) for w in out}
    for name, a in (old_report.get("arms") or {}).items():
        if (name, a.get("date")) in seen or (name, a.get("date")) in current:
            continue
        if (
            name.startswith("dlc2action")
            and a.get("mean_pr_auc") is not None
            and not a.get("label_guard")
        ):
            out.append(
                {
                    "arm": name,
                    "date": a.get("date"),
                    "why": "trained on labels of the wrong clips: DLC2Action's csv annotation "
                    "type ignores `interactive`, so it built 3 clips per video against the "
                    "input store's 1 pair clip, and BehaviorDataset pairs them by position "
                    "(issue 21); its scores said nothing about DLC2Action",
                }
            )
    return out


#: the files whose code decides an arm's numbers (its harness, the shared prep and guard, and
#: for the mbr-search arms the package and its shipped studies and spaces)
SHARED = [
    "benchmarks/peers/_common.py",
    "benchmarks/peers/label_guard.py",
    "benchmarks/rat_dataset.py",
]
DLC2ACTION = ["benchmarks/peers/dlc2action_arm.py", "benchmarks/peers/setup.sh", *SHARED]
ARM_FILES: dict[str, list[str]] = {
    "simba_rf": ["benchmarks/peers/simba_rf.py", *SHARED],
    "hgb_baseline": ["benchmarks/peers/hgb_baseline.py", "benchmarks/lab_hgb.py", *SHARED],
    "dlc2action_default": DLC2ACTION,
    "dlc2action_search": DLC2ACTION,
    "mbr": ["mbr_search", "studies", "search_spaces", "benchmarks/quality_fixed.py", *SHARED],
}


def changed_since(arm: str, entry: dict[str, Any]) -> list[str] | None:
    """The commits since the arm's own that touched the code deciding its numbers (``git log
    --oneline``), so a table of arms from different commits says what differs; None when the
    arm's commit is not recorded or git cannot tell."""
    commit = ((entry.get("code") or {}).get("commit")) or (entry.get("run_at") or {}).get("commit")
    if not commit:
        return None
    files = ARM_FILES["mbr" if arm.startswith("mbr_") else arm]
    out = _bench.git(
        "log", "--oneline", "--no-decorate", f"{commit}..HEAD", "--", *files, timeout=20
    )
    if out is None:
        return None
    return [line[:160] for line in out.splitlines()]


def peer_entries(
    work: Path,
    truth: dict[str, np.ndarray],
    previous: dict[str, Any],
    args: argparse.Namespace,
    test_probs: dict[str, Any],
) -> dict[str, Any]:
    """The peer arms' entries: from their outputs in ``work``, else kept from ``previous``."""
    arms: dict[str, Any] = {}
    for arm in RUN_ARMS:
        entry = run_entry(arm, work, truth, test_probs)
        if entry is None and arm in (previous.get("arms") or {}):
            entry = carried(arm, previous["arms"][arm], previous)
        arms[arm] = entry or {
            "status": "not run",
            "why": NOT_RUN.get(arm, "no output of this arm here and none kept from before"),
        }
        smoke = work / f"{arm}_smoke" / "meta.json"
        if arms[arm]["status"] == "not run" and smoke.is_file():
            meta = json.loads(smoke.read_text())
            arms[arm]["smoke_test"] = {
                "what": NOT_RUN.get(f"{arm}_smoke"),
                "trials": (meta.get("search") or {}).get("trials"),
                "label_guard_checks": meta.get("label_guard_checks"),
                "command": relative(
                    f"{D2A_VENV / 'bin' / 'python'} benchmarks/peers/dlc2action_arm.py --work "
                    f"{args.work} --mode search --videos 1 --epochs 1 --search-epochs 1 "
                    "--trials 2 --augment 1 --tag _smoke"
                ),
            }
    return arms


def mbr_entries(
    truth: dict[str, np.ndarray],
    quality: dict[str, Any],
    previous: dict[str, Any],
    args: argparse.Namespace,
    test_probs: dict[str, Any],
) -> dict[str, Any]:
    """The mbr-search models' entries, scored from the quality benchmark's evaluate folders."""
    arms: dict[str, Any] = {}
    for name in MBR_ARMS:
        entry = mbr_arm(name, args.quality_work, truth, quality, test_probs)
        if entry.get("source"):
            entry["source"] = os.path.relpath(entry["source"], _bench.ROOT)
        if entry.get("status") != "scored here":
            old = (previous.get("arms") or {}).get(name) or {}
            entry = carried(name, old, previous) or {
                "status": "not run",
                "why": "not scored by this scorer: the quality benchmark's fixed-split run "
                f"of `{MBR_ARMS[name][0]}` that left per-frame predictions in "
                f"`{args.quality_work}` did not include it (its own scores, from an earlier "
                "run, are in the fixed-split quality section; `benchmarks/quality_fixed.py "
                f"--arms {MBR_ARMS[name][0]}` re-runs it)",
            }
        arms[name] = relative(entry)
    return arms
