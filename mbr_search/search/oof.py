"""A trial's out-of-fold probabilities, read back from the artifact the objective stored
(one ``.npz`` of video -> (frames, behaviours) float16, saved without pickling)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mbr_search.errors import DataError

if TYPE_CHECKING:
    from optuna.artifacts import FileSystemArtifactStore


def load_oof_artifact(
    store: FileSystemArtifactStore, artifact_id: str, where: str
) -> dict[str, np.ndarray]:
    """Video -> float32 probabilities; DataError naming ``where`` (the artifact folder)
    when the artifact is gone or not a readable array file."""
    from optuna.artifacts import download_artifact
    from optuna.artifacts.exceptions import ArtifactNotFound

    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "oof.npz"
        try:
            download_artifact(artifact_store=store, file_path=str(file), artifact_id=artifact_id)
        except ArtifactNotFound:
            raise DataError(
                f"out-of-fold predictions (artifact {artifact_id}) not found in {where}. Fix: "
                "pass --artifacts DIR, the folder `mbr-search run` stored its artifacts in."
            ) from None
        try:
            with np.load(file, allow_pickle=False) as npz:
                return {k: np.asarray(npz[k], dtype=np.float32) for k in npz.files}
        except (OSError, ValueError) as exc:
            raise DataError(
                f"out-of-fold predictions (artifact {artifact_id}) in {where} are not a "
                f"readable .npz ({exc}). Fix: re-run the trial (a new study), or restore the "
                "artifact folder."
            ) from None
