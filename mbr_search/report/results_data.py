"""Reading what ``mbr-search evaluate`` wrote: ``results.json`` and the per-frame CSVs.

The schema is documented in ``docs/usage.md`` (Evaluation results). Only what the report
draws is checked here; a file that is not JSON, of another schema version or of another
study is refused with one line naming the fix (re-run evaluate).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mbr_search.errors import DataError

RESULTS_FILE = "results.json"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Results:
    """A parsed ``results.json`` and the folder its relative paths start from."""

    path: Path
    data: dict[str, Any]
    #: per-frame CSVs already read (each is used by several tables and figures)
    frames: dict[str, dict[str, np.ndarray] | None] = field(default_factory=dict, compare=False)

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def behaviours(self) -> list[str]:
        return [str(b) for b in self.data.get("behaviours") or []]

    @property
    def trials(self) -> list[dict[str, Any]]:
        return list(self.data.get("trials") or [])

    @property
    def ensemble(self) -> dict[str, Any] | None:
        return self.data.get("ensemble") or None

    @property
    def cv_only(self) -> bool:
        return bool(self.data.get("cv_only"))

    @property
    def fps(self) -> float:
        value = self.data.get("fps")
        return float(value) if isinstance(value, int | float) and value > 0 else 1.0

    def models(self) -> list[tuple[str, dict[str, Any]]]:
        """(label, entry) for every evaluated trial, best first, then the ensemble."""
        out = [(f"trial #{t.get('number')}", t) for t in self.trials]
        if self.ensemble is not None:
            members = ", ".join(f"#{m}" for m in self.ensemble.get("members") or [])
            out.append((f"ensemble ({members})", self.ensemble))
        return out


def scored(entry: dict[str, Any]) -> tuple[str, dict[str, Any] | None]:
    """The split a model's numbers come from: test, or out-of-fold when there is no test."""
    if entry.get("test"):
        return "test", entry["test"]
    return "oof", entry.get("oof") or None


def load_results(out_dir: Path, study_name: str, study_ref: str) -> Results | None:
    """``out_dir/results.json`` for ``study_name``, or None when evaluate has not run."""
    path = out_dir / RESULTS_FILE
    if not path.is_file():
        return None
    fix = f"re-run `mbr-search evaluate {study_ref} --out {out_dir}`"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read ({exc}): {fix}") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg}): {fix}") from None
    if not isinstance(data, dict) or not isinstance(data.get("trials"), list):
        raise DataError(f"{path}: not an mbr-search results file (no 'trials' list): {fix}")
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        raise DataError(
            f"{path}: schema_version {version!r}, this report reads {SCHEMA_VERSION}: {fix} "
            "with this version of mbr-search"
        )
    found = data.get("study_name")
    if found != study_name:
        raise DataError(
            f"{path}: written for study '{found}', not '{study_name}': {fix}, or pass "
            "--out to the folder of this study's results"
        )
    return Results(path, data)


def read_frames(results: Results, relative: str) -> dict[str, np.ndarray] | None:
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
    results: Results, files: dict[str, str], behaviour: str
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
