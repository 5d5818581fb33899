"""Memory of a long search in one process: RSS after each of 200 small trials.

Keras + Optuna in one long process is known to leak (graphs and layer names pile up); the
objective clears the Keras session and collects garbage after every trial. This benchmark
measures whether that holds RSS flat: it runs N real (small) trials on the bundled rat data
in one process and records the resident set size after each.

    .venv/bin/python benchmarks/long_run_memory.py            # 200 trials
    .venv/bin/python benchmarks/long_run_memory.py --quick    # 20 trials
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common

TINY_SPACE = """\
name: long_run
model: lstm
params:
  lstm_units: {type: int, low: 4, high: 16}
  learning_rate: {type: float, low: 1.0e-3, high: 1.0e-2, log: true}
fixed: {seq_len: 150, batch_size: 16, lstm_layers: 1, dropout: 0.1, multi_label: true}
"""


def rss_mb() -> float:
    """Current resident set size of this process (MiB), from /proc."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--trials", type=int, default=None)
    args = parser.parse_args()
    n_trials = args.trials or (20 if args.quick else 200)
    started = time.perf_counter()
    report = _common.report_header(
        "long_run_memory", "benchmarks/long_run_memory.py", quick=args.quick
    )
    _common.quiet_tensorflow()
    import optuna

    from mbr_search.config.study import load_study
    from mbr_search.features.store import load_split
    from mbr_search.search.folds import make_folds
    from mbr_search.search.objective import Objective

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp, _common.isolated_home("longrun"):
        folder = Path(tmp)
        (folder / "space.yaml").write_text(TINY_SPACE)
        dataset = _common.ROOT / "datasets" / "rat_social_mini" / "dataset.yaml"
        (folder / "study.yaml").write_text(
            f"dataset: {dataset}\nfeatures: {{backbone: pose}}\nspace: space.yaml\nfps: 10\n"
            "cv: {scheme: group_kfold, k: 3, max_folds: 1}\n"
            "training: {max_epochs: 1, patience: 1}\npruner: {name: none}\n"
        )
        study_cfg = load_study(str(folder / "study.yaml"))
        videos = load_split(study_cfg, "train")
        folds = make_folds([v.id for v in videos], study_cfg.cv, study_cfg.seed)
        objective = Objective(study_cfg, videos, folds)
        study = optuna.create_study(
            direction="maximize",
            storage=f"sqlite:///{folder / 'long.db'}",
            sampler=optuna.samplers.RandomSampler(seed=0),
        )
        samples: list[float] = []
        baseline = rss_mb()

        def record(_study: optuna.Study, _trial: optuna.trial.FrozenTrial) -> None:
            samples.append(round(rss_mb(), 1))

        study.optimize(objective, n_trials=n_trials, callbacks=[record], gc_after_trial=True)
    warm = samples[min(9, len(samples) - 1)]  # after 10 trials: TF's one-off allocations are done
    growth = samples[-1] - warm
    per_100 = growth / max(len(samples) - 10, 1) * 100
    report.update(
        trials=len(samples),
        rss_before_mb=round(baseline, 1),
        rss_after_10_mb=warm,
        rss_final_mb=samples[-1],
        rss_peak_mb=max(samples),
        growth_after_warmup_mb=round(growth, 1),
        growth_per_100_trials_mb=round(per_100, 1),
        rss_mb_per_trial=samples,
    )
    _common.finish(report, started)
    _common.write_json(_common.RESULTS / "long_run_memory.json", report)
    head = ["trials", "RSS before", "RSS after 10 trials", "RSS at the end", "peak",
            "growth after the first 10", "per 100 trials"]  # fmt: skip
    row = [str(len(samples)), f"{baseline:.0f} MiB", f"{warm:.0f} MiB", f"{samples[-1]:.0f} MiB",
           f"{max(samples):.0f} MiB", f"{growth:+.0f} MiB", f"{per_100:+.1f} MiB"]  # fmt: skip
    table = "\n".join("| " + " | ".join(r) + " |" for r in (head, ["---"] * len(head), row))
    body = f"""## Long runs: memory of {len(samples)} trials in one process

Each trial builds, trains (1 epoch, 1 fold) and discards a small LSTM on the bundled rat data;
the objective calls `keras.backend.clear_session()` and `gc.collect()` after every trial.
That does not keep one process flat: Keras + TensorFlow still grow by the "per 100 trials"
figure below. `mbr-search run` therefore continues in a fresh process (`os.execv`, the study
resumes from its storage) every `--recycle-after` trials (default 50), which caps the growth
at about half the per-100 figure above the first trials' level.

{table}

{_common.footer(report, "long_run_memory.json")}
"""
    _common.replace_section("long_run_memory", body)
    print(body)


if __name__ == "__main__":
    main()
