"""Reading what ``mbr-search evaluate`` wrote: ``results.json`` and the per-frame CSVs.

``results.json`` is read and checked by :meth:`mbr_search.evaluate.results.Results.read`
(schema: docs/usage.md, Evaluation results); a file that is not JSON, of another schema
version, of another study or missing a value is refused with one line naming the fix
(re-run evaluate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mbr_search.errors import DataError
from mbr_search.evaluate.results import (
    RESULTS_FILE,
    EnsembleResult,
    HumanCeiling,
    ModelResult,
    Results,
    ScoredBlock,
    TrialResult,
)

__all__ = ["RESULTS_FILE", "ResultsFile", "load_results", "pooled_frames", "read_frames", "scored"]


@dataclass(frozen=True)
class ResultsFile:
    """A checked ``results.json``, the folder its relative paths start from, and the
    per-frame CSVs read so far (each is used by several tables and figures)."""

    path: Path
    results: Results
    frames: dict[str, dict[str, np.ndarray] | None] = field(default_factory=dict, compare=False)

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def behaviours(self) -> tuple[str, ...]:
        return self.results.behaviours

    @property
    def trials(self) -> tuple[TrialResult, ...]:
        return self.results.trials

    @property
    def best(self) -> TrialResult:
        return self.results.trials[0]

    @property
    def ensemble(self) -> EnsembleResult | None:
        return self.results.ensemble

    @property
    def human_ceiling(self) -> HumanCeiling | None:
        return self.results.human_ceiling

    @property
    def fps(self) -> float:
        return self.results.fps

    def models(self) -> list[tuple[str, ModelResult]]:
        """(label, model) for every evaluated trial, best first, then the ensemble."""
        out: list[tuple[str, ModelResult]] = [(f"trial #{t.number}", t) for t in self.trials]
        if self.ensemble is not None:
            members = ", ".join(f"#{m}" for m in self.ensemble.members)
            out.append((f"ensemble ({members})", self.ensemble))
        return out


def scored(model: ModelResult) -> tuple[str, ScoredBlock]:
    """The split a model's numbers come from: test, or out-of-fold when there is no test."""
    if model.test is not None:
        return "test", model.test
    return "oof", model.oof


def load_results(out_dir: Path, study_name: str, study_ref: str) -> ResultsFile | None:
    """``out_dir/results.json`` for ``study_name``, or None when evaluate has not run."""
    path = out_dir / RESULTS_FILE
    if not path.is_file():
        return None
    try:
        results = Results.read(path, study_name=study_name)
    except DataError as exc:
        raise DataError(
            f"{exc}: re-run `mbr-search evaluate {study_ref} --out {out_dir}`"
        ) from None
    return ResultsFile(path, results)


def read_frames(results: ResultsFile, relative: str) -> dict[str, np.ndarray] | None:
    """One per-frame CSV as columns; None when the file is gone (the report says so)."""
    import pandas as pd

    if relative in results.frames:
        return results.frames[relative]
    path = results.root / relative
    columns: dict[str, np.ndarray] | None = None
    if path.is_file():
        try:
            frame = pd.read_csv(path)
        except (OSError, ValueError) as exc:
            raise DataError(f"{path}: unreadable per-frame CSV ({exc}): re-run evaluate") from None
        columns = {str(c): frame[c].to_numpy() for c in frame.columns}
    results.frames[relative] = columns
    return columns


def pooled_frames(
    results: ResultsFile, files: dict[str, str], behaviour: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """True labels and probabilities of ``behaviour`` over all videos in ``files``."""
    ys: list[np.ndarray] = []
    ps: list[np.ndarray] = []
    for video in sorted(files):
        columns = read_frames(results, files[video])
        if columns is None:
            return None
        true, prob = columns.get(f"{behaviour}_true"), columns.get(f"{behaviour}_prob")
        if true is None or prob is None:
            return None
        ys.append(true.astype(np.int8))
        ps.append(prob.astype(np.float64))
    if not ys:
        return None
    return np.concatenate(ys), np.concatenate(ps)
