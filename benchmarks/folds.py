"""Benchmark: how evenly grouped folds spread each behaviour - a random permutation of the
videos (the old default), scikit-learn's StratifiedGroupKFold on a combined label, and the
package's greedy balancer (``search/folds.py``, the default now).

The 20 rat videos' Caltech labels (stream S1: social / nonsocial / aggression). Cases: all
20 videos in 5 folds (the nested yardstick's outer loop) and each outer fold's 16 training
videos in 3 folds (the shipped studies' inner CV), for seeds 0-19. Per behaviour and fold
split: the folds' prevalence relative to the behaviour's overall prevalence; reported: the
smallest such ratio (a fold starved of a behaviour) and the coefficient of variation.
Nothing is trained; labels only.

    .venv/bin/python benchmarks/folds.py
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import _bench
import numpy as np
import rat_dataset

SEEDS = range(20)
Splitter = Callable[[list[str], dict[str, np.ndarray], int, int], list[list[str]]]


def rat_labels(work: Path) -> dict[str, np.ndarray]:
    from mbr_search.config.dataset import load_dataset
    from mbr_search.data.labels import read_labels

    dataset = load_dataset(rat_dataset.build_rat_dataset(work, test_numbers=()))
    out = {}
    for video in dataset.videos:
        assert video.labels is not None
        labels = read_labels(video.labels, rat_dataset.BEHAVIOURS, n_frames=0, fps=video.fps)
        out[video.id] = labels.values
    return out


def random_split(
    ids: list[str], labels: dict[str, np.ndarray], k: int, seed: int
) -> list[list[str]]:
    from mbr_search.config.cv import CVConfig
    from mbr_search.search.folds import make_folds

    folds = make_folds(ids, CVConfig("group_kfold", k=k, stratify=False), seed)
    return [list(f.validation) for f in folds]


def greedy_split(
    ids: list[str], labels: dict[str, np.ndarray], k: int, seed: int
) -> list[list[str]]:
    from mbr_search.config.cv import CVConfig
    from mbr_search.search.folds import make_folds

    folds = make_folds(ids, CVConfig("group_kfold", k=k), seed, labels)
    return [list(f.validation) for f in folds]


def sgkf_split(ids: list[str], labels: dict[str, np.ndarray], k: int, seed: int) -> list[list[str]]:
    """StratifiedGroupKFold on frames, the class being the frame's behaviour combination
    (S1 is exclusive: base / social / nonsocial / aggression)."""
    from sklearn.model_selection import StratifiedGroupKFold

    y = np.concatenate([labels[v] for v in ids])
    combined = (y * (2 ** np.arange(y.shape[1]))).sum(axis=1)
    groups = np.concatenate([np.full(len(labels[v]), i) for i, v in enumerate(ids)])
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    return [
        sorted({ids[g] for g in np.unique(groups[test])})
        for _, test in splitter.split(np.zeros(len(y)), combined, groups)
    ]


def spread(folds: Sequence[Sequence[str]], labels: dict[str, np.ndarray]) -> np.ndarray:
    """(behaviours, 2): min fold prevalence / overall, and CV of the fold prevalences."""
    y_all = np.concatenate([labels[v] for f in folds for v in f])
    overall = y_all.mean(axis=0)
    prev = np.stack([np.concatenate([labels[v] for v in f]).mean(axis=0) for f in folds])
    return np.stack([prev.min(axis=0) / overall, prev.std(axis=0) / prev.mean(axis=0)], axis=1)


def measure(labels: dict[str, np.ndarray], outer: list[list[str]]) -> dict[str, object]:
    splitters: dict[str, Splitter] = {
        "random": random_split,
        "sgkf": sgkf_split,
        "greedy": greedy_split,
    }
    cases = [("outer 20 videos, k=5", sorted(labels), 5)]
    cases += [
        (f"inner {i}: 16 videos, k=3", sorted(set(labels) - set(test)), 3)
        for i, test in enumerate(outer)
    ]
    results: dict[str, object] = {}
    for name, split in splitters.items():
        rows = []
        started = time.process_time()
        for _, ids, k in cases:
            for seed in SEEDS:
                rows.append(spread(split(ids, labels, k, seed), labels))
        stacked = np.stack(rows)  # (cases x seeds, behaviours, 2)
        results[name] = {
            "min_ratio_mean": stacked[:, :, 0].mean(axis=0).round(3).tolist(),
            "min_ratio_worst": stacked[:, :, 0].min(axis=0).round(3).tolist(),
            "cv_mean": stacked[:, :, 1].mean(axis=0).round(3).tolist(),
            "cpu_seconds": round(time.process_time() - started, 2),
        }
    return {"cases": [c[0] for c in cases], "seeds": len(SEEDS), "splitters": results}


def main() -> int:
    if not rat_dataset.available():
        print(rat_dataset.skip_message(), file=sys.stderr)
        return 0
    started = time.perf_counter()
    work = _bench.ROOT / "benchmarks" / ".work" / "folds"
    labels = rat_labels(work)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import quality

    outer = [list(f) for f in quality.outer_folds(work)]
    report = _bench.header("folds", seeds=len(SEEDS), behaviours=list(rat_dataset.BEHAVIOURS))
    report |= measure(labels, outer)
    greedy, sgkf = report["splitters"]["greedy"], report["splitters"]["sgkf"]  # type: ignore[index]
    better = all(
        g >= s for g, s in zip(greedy["min_ratio_mean"], sgkf["min_ratio_mean"], strict=True)
    )
    report["target"] = {
        "statement": "the default splitter keeps every behaviour's weakest fold closer to its "
        "overall prevalence than a random permutation and than StratifiedGroupKFold",
        "value": greedy["min_ratio_mean"][-1],
        "met": better,
        "verdict": "greedy >= StratifiedGroupKFold on every behaviour"
        if better
        else "StratifiedGroupKFold ahead on some behaviour",
    }
    _bench.write_result(report, started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
