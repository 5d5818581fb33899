"""Settings shared by the peers benchmark's runner and scorer (``run.py``, ``scoring.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import rat_dataset  # noqa: E402

BEHAVIOURS = tuple(rat_dataset.BEHAVIOURS)
FPS, SOURCE_FPS = 10, 30
CV = {"scheme": "group_kfold", "k": 3}
SEED = 0
D2A_VENV = HERE / ".venv-dlc2action"
RUN_ARMS = ("simba_rf", "hgb_baseline", "dlc2action_default", "dlc2action_search")
#: quality-benchmark arms read, not re-run: (quality arm, model key in its results.json)
MBR_ARMS = {
    "mbr_auto_pose_ensemble": ("auto_pose", "selected_ensemble"),
    "mbr_auto_pose_best": ("auto_pose", "best_single"),
    "mbr_lstm_pose_ensemble": ("lstm_pose", "selected_ensemble"),
    "mbr_lstm_pose_best": ("lstm_pose", "best_single"),
    "mbr_gbdt_pose_ensemble": ("gbdt_pose", "selected_ensemble"),
    "mbr_tcn_pose_ensemble": ("tcn_pose", "selected_ensemble"),
}
THREADS = {
    k: "1"
    for k in (
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "NUMEXPR_NUM_THREADS",
        "TF_NUM_INTRAOP_THREADS",
        "TF_NUM_INTEROP_THREADS",
    )
}
