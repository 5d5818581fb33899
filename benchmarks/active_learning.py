"""Benchmark: does labelling the segments ``mbr-search suggest`` picks pay, against labelling
random segments of the same lengths?

Data and split: the full real rat data of ``benchmarks/rat_dataset.py`` (15 training videos,
5 test videos). Of the 15 training videos the first 5 (by id) start labelled, the other 10
unlabelled. In each of 3 rounds the current model predicts the unlabelled frames and

- **suggest** arm: the package's ranking (:func:`mbr_search.suggest.rank.rank`, the core of
  ``mbr-search suggest``, with its CLI defaults: 1-8 s segments, 2 s apart, spread over
  videos and behaviours) picks ``--n`` segments among frames not labelled yet; their true
  labels are added;
- **random** arm: the same number of segments with the same lengths, at random places in
  the unlabelled frames of the same 10 videos (``--seeds`` repetitions);

then the model is retrained on every labelled frame and scored on the 5 test videos (PR-AUC
per behaviour over all test frames, then the mean).

The learner (``--learner``), the same for both arms:

- ``auto_pose`` (default): what a user gets. Each retraining is the shipped ``auto_pose``
  search at a small budget (``--trials``) then ``evaluate --top 3``, through the CLI, on a
  manifest whose partly labelled videos are per-frame CSVs with empty cells where nobody
  labelled (``benchmarks/_al_search.py``); its model directory (the selected ensemble that
  ``predict`` and ``suggest`` use) predicts the pool and the test videos, its decision
  thresholds and member weights feed the ranking.
- ``gbdt``: the fixed learner of the first run (no search): the shipped
``studies/gbdt_pose.yaml`` pose features with window statistics over 1.5 s only (of its 0.5,
1.5 and 4.5 s: 470 features instead of 1,222) at 10 fps, an ensemble of 2 LightGBM boosters
per behaviour (seeds 0 and 1, 80 % bagging and feature fraction, 15 leaves, learning rate
0.2, 40 rounds, every 3rd labelled frame: sized for 2 shared cores), decision threshold 0.5
(formula 4.1 weights balance the classes), equal member weights: the members' spread is the
ensemble disagreement ``suggest`` reads.

  Partly labelled videos: the frame family sees each frame on its own (window statistics
  are computed over the whole video first), so training on a video's labelled rows only is
  exactly a label mask; no unlabelled frame is ever a negative.

    .venv/bin/python benchmarks/active_learning.py [--learner auto_pose|gbdt] [--trials 8]
        [--n 30 100] [--rounds 3] [--seeds 2] [--work DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import _bench
import numpy as np
import rat_dataset
import yaml
from _al_search import weighted

from mbr_search.training.sequences import Standardiser

START_LABELLED = 5
MEMBERS = (0, 1)
THRESHOLD = 0.5
#: one window of the shipped three (0.5, 1.5, 4.5 s): 470 features, not 1,222, so that 10
#: retrainings fit on 2 shared cores
WINDOW_SECONDS = (1.5,)
#: the frame trainer does not standardise (trees do not need it)
NO_SCALING = Standardiser(np.zeros(1, np.float32), np.ones(1, np.float32))
PARAMS = {
    "num_leaves": 15, "learning_rate": 0.2, "max_rounds": 40, "min_child_samples": 20,
    "feature_fraction": 0.8, "bagging_fraction": 0.8, "frame_step": 3,
}  # fmt: skip


def load_videos(work: Path) -> tuple[Any, list[Any], list[Any]]:
    """The study config and the training / test videos (window features, from the cache)."""
    from mbr_search.config.study import load_study
    from mbr_search.features.store import load_split

    manifest = rat_dataset.build_rat_dataset(work / "data")
    shipped = yaml.safe_load((_bench.ROOT / "studies" / "gbdt_pose.yaml").read_text("utf-8"))
    shipped |= {"name": "active_learning", "dataset": str(manifest)}
    shipped["features"] = {"backbone": "pose", "windows": {"seconds": list(WINDOW_SECONDS)}}
    shipped["space"] = str(_bench.ROOT / "search_spaces" / "gbdt_pose.yaml")
    path = _bench.write_yaml(work / "active_learning.yaml", shipped)
    study = load_study(str(path), cache_dir=work / "cache")
    return study, load_split(study, "train"), load_split(study, "test")


def labelled_part(video: Any, mask: np.ndarray) -> Any:
    """The labelled rows of ``video`` (its label mask applied; see the module docstring)."""
    return replace(video, features=np.asarray(video.features)[mask], labels=video.labels[mask])


def train(study: Any, videos: Sequence[Any], masks: Mapping[str, np.ndarray]) -> list[Any]:
    """One fitted trainer + boosters per member, on the labelled frames only."""
    from mbr_search.models.gbdt import GbdtParams
    from mbr_search.training.trainers import trainer_for

    parts = [labelled_part(v, masks[v.id]) for v in videos if masks[v.id].any()]
    members = []
    for seed in MEMBERS:
        params = GbdtParams.from_dict(dict(PARAMS))
        trainer = trainer_for(
            params, study.behaviours, n_features=parts[0].features.shape[1], seed=seed
        )
        rounds = {g.name: PARAMS["max_rounds"] for g in trainer.groups}
        t0 = time.perf_counter()
        members.append((trainer, trainer.fit_all(parts, NO_SCALING, rounds)))
        print(f"    member {seed}: {time.perf_counter() - t0:.0f} s", flush=True)
    return members


def member_probs(members: Sequence[Any], video: Any) -> np.ndarray:
    """(members, frames, behaviours) probabilities of one video."""
    return np.stack([trainer.predict(models, video, NO_SCALING) for trainer, models in members])


class GbdtLearner:
    """The fixed learner (module docstring): boosters on the labelled rows."""

    def __init__(self, work: Path) -> None:
        self.study, train_videos, self.test_videos = load_videos(work)
        self.behaviours = tuple(self.study.behaviours)
        self.train_videos = sorted(train_videos, key=lambda v: v.id)

    def train(self, masks: Mapping[str, np.ndarray]) -> list[Any]:
        return train(self.study, self.train_videos, masks)

    def member_probs(self, members: list[Any], video: Any) -> np.ndarray:
        return member_probs(members, video)

    def weights(self, members: list[Any]) -> list[float]:
        return [1.0 / len(members)] * len(members)

    def thresholds(self, members: list[Any]) -> list[float]:
        return [THRESHOLD] * len(self.behaviours)

    def describe(self, members: list[Any]) -> dict[str, Any]:
        return {"members": len(members), "params": PARAMS}


def test_score(learner: Any, model: Any, test: Sequence[Any], behaviours: Sequence[str]) -> dict:
    """Mean over behaviours of the test PR-AUC (all test frames pooled), and per behaviour,
    of the ensemble's weighted mean probability."""
    from mbr_search.training.scores import pr_auc

    weights = learner.weights(model)
    probs = np.concatenate([weighted(learner.member_probs(model, v), weights) for v in test])
    labels = np.concatenate([v.labels for v in test])
    per = {b: pr_auc(labels[:, c], probs[:, c]) for c, b in enumerate(behaviours)}
    scored = [v for v in per.values() if v is not None]
    rounded = {b: None if v is None else round(v, 4) for b, v in per.items()}
    return {"mean_pr_auc": round(float(np.mean(scored)), 4), "per_behaviour": rounded}


def suggested(
    learner: Any, model: Any, pool: Sequence[Any], masks: Mapping[str, np.ndarray], n: int
) -> list[tuple[str, int, int]]:
    """``(video, start, stop)`` of the segments ``suggest``'s ranking picks."""
    from mbr_search.suggest import Lengths
    from mbr_search.suggest.rank import rank

    probs = {v.id: learner.member_probs(model, v) for v in pool}
    behaviours = [str(c) for c in range(next(iter(probs.values())).shape[2])]
    settings = Lengths().settings(n, fps=10.0)
    picked = rank(
        probs, behaviours, learner.thresholds(model), learner.weights(model), settings,
        labelled={v.id: masks[v.id] for v in pool},
    )  # fmt: skip
    return [(g.video, g.start, g.stop) for g in picked]


def random_like(
    lengths: Sequence[int], pool: Sequence[Any], masks: Mapping[str, np.ndarray], rng: Any
) -> list[tuple[str, int, int]]:
    """Segments of the given lengths at random unlabelled places of the pool's videos."""
    out = []
    for length in lengths:
        for _attempt in range(200):  # an unlabelled place; after 200 tries any place
            video = pool[int(rng.integers(len(pool)))]
            start = int(rng.integers(0, max(1, video.n_frames - length)))
            if not masks[video.id][start : start + length].any() or _attempt == 199:
                out.append((video.id, start, start + length))
                break
    return out


def label(masks: dict[str, np.ndarray], segments: Sequence[tuple[str, int, int]]) -> None:
    for video, start, stop in segments:
        masks[video][start:stop] = True


def run_arm(arm: str, ctx: dict[str, Any], plan: Sequence[Sequence[int]] | None, seed: int) -> dict:
    """One arm over the rounds: the labelled frames and the test score after each round.
    ``plan`` (random arm) gives the segment lengths of each round; the suggest arm makes it."""
    learner, train_videos, test, n = ctx["learner"], ctx["train"], ctx["test"], ctx["n"]
    masks = {v.id: np.zeros(v.n_frames, dtype=bool) for v in train_videos}
    for v in train_videos[:START_LABELLED]:
        masks[v.id][:] = True
    pool = train_videos[START_LABELLED:]
    rng = np.random.default_rng(seed)
    rows, lengths = [], []
    members = ctx["start_members"]
    for r in range(ctx["rounds"]):
        started = time.perf_counter()
        if plan is None:
            segs = suggested(learner, members, pool, masks, n)
            lengths.append([b - a for _, a, b in segs])
        else:
            segs = random_like(plan[r], pool, masks, rng)
        label(masks, segs)
        members = learner.train(masks)
        score = test_score(learner, members, test, learner.behaviours)
        frames = int(sum(m.sum() for m in masks.values()))
        rows.append({"round": r + 1, "segments": len(segs), "labelled_frames": frames, **score,
                     "seconds": round(time.perf_counter() - started, 1)})  # fmt: skip
        print(f"  {arm} seed {seed} round {r + 1}: {frames} labelled frames, test PR-AUC "
              f"{score['mean_pr_auc']:.4f}", flush=True)  # fmt: skip
    return {"rows": rows, "lengths": lengths}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--n", type=int, nargs="+", default=[30, 100], help="segments per round, one run "
        "of both arms per value (30 100)",
    )  # fmt: skip
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--learner", choices=("auto_pose", "gbdt"), default="auto_pose",
        help="auto_pose: the shipped search + evaluate per round (default); gbdt: fixed boosters",
    )  # fmt: skip
    parser.add_argument("--trials", type=int, default=8, help="auto_pose: trials per search (8)")
    parser.add_argument("--seeds", type=int, default=2, help="repetitions of the random arm")
    parser.add_argument("--work", type=Path, help="work folder (default: a temp folder)")
    args = parser.parse_args()
    if not rat_dataset.available():
        print(rat_dataset.skip_message(), file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        run(args, args.work or Path(tmp))
    return 0


def run(args: argparse.Namespace, work: Path) -> None:
    """Start model, then per budget (``--n``) the suggest arm and the random seeds; the
    results file is rewritten after each random seed, so a run cut short keeps what it
    finished (``seeds_done`` per budget)."""
    started = time.perf_counter()
    config: dict[str, Any] = {"learner": args.learner, "n": args.n, "rounds": args.rounds,
                              "seeds": args.seeds, "start_labelled": START_LABELLED}  # fmt: skip
    if args.learner == "gbdt":
        config |= {"members": len(MEMBERS), "params": PARAMS, "threshold": THRESHOLD,
                   "window_seconds": WINDOW_SECONDS}  # fmt: skip
        learner: Any = GbdtLearner(work)
    else:
        from _al_search import TOP, SearchLearner

        config |= {"study": "studies/auto_pose.yaml", "trials": args.trials, "top": TOP}
        learner = SearchLearner(rat_dataset.build_rat_dataset(work / "data"), work, args.trials)
    report = _bench.header("active_learning", **config)
    train_videos, test = learner.train_videos, learner.test_videos
    masks = {v.id: np.arange(v.n_frames) < (v.n_frames if i < START_LABELLED else 0)
             for i, v in enumerate(train_videos)}  # fmt: skip
    members = learner.train(masks)
    start = test_score(learner, members, test, learner.behaviours)
    frames = int(sum(m.sum() for m in masks.values()))
    print(f"start: {frames} labelled frames, test PR-AUC {start['mean_pr_auc']:.4f}", flush=True)
    report |= {
        "videos": {"labelled_at_start": [v.id for v in train_videos[:START_LABELLED]],
                   "unlabelled_pool": [v.id for v in train_videos[START_LABELLED:]],
                   "test": [v.id for v in test]},
        "start": {"labelled_frames": frames, **start, "model": learner.describe(members)},
        "budgets": [],
    }  # fmt: skip
    for n in args.n:
        ctx = {"learner": learner, "train": train_videos, "test": test, "n": n,
               "rounds": args.rounds, "start_members": members}  # fmt: skip
        al = run_arm("suggest", ctx, None, 0)
        budget: dict[str, Any] = {"n": n, "suggest": al["rows"], "random": [], "seeds_done": 0}
        report["budgets"].append(budget)
        for seed in range(args.seeds):
            budget["random"].append(run_arm("random", ctx, al["lengths"], seed)["rows"])
            budget["seeds_done"] = seed + 1
            report["target"] = target(report["budgets"])
            # a copy of the load list: write_result appends the load at the end to it
            _bench.write_result({**report, "load_average": list(report["load_average"])}, started)


def target(budgets: Sequence[dict]) -> dict[str, Any]:
    """Met when, at every budget, the suggest arm's test PR-AUC after the last round is at
    least the mean of the random arm's (the same labelled frames, give or take overlaps)."""
    gains, parts = [], []
    for b in budgets:
        if not b["random"]:
            continue
        mine, other = (
            b["suggest"][-1]["mean_pr_auc"],
            float(np.mean([rows[-1]["mean_pr_auc"] for rows in b["random"]])),
        )
        gains.append(mine - other)
        parts.append(f"n={b['n']}: {mine - other:+.4f} (suggest {mine:.4f}, random {other:.4f})")
    met = bool(gains) and min(gains) >= 0
    return {
        "statement": "after the last round, labelling the suggested segments gives a test "
        "PR-AUC at least that of labelling random segments of the same lengths (mean over "
        "seeds), at every budget",
        "value": round(min(gains), 4) if gains else None,
        "met": met,
        "verdict": f"{'Met' if met else 'Not met'}: " + "; ".join(parts) + ".",
    }


if __name__ == "__main__":
    raise SystemExit(main())
