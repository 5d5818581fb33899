"""The peers benchmark's --arms: only its own arm names are taken (each becomes a folder
under --work), anything else is a usage error that names the value and the fix."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "peers" / "run.py"


def test_an_unknown_or_path_like_arm_is_refused_before_anything_runs(tmp_path: Path) -> None:
    for bad in ("nonsense", "../../outside", "simba_rf,../x"):
        done = subprocess.run(
            [sys.executable, str(RUN), "--arms", bad, "--work", str(tmp_path / "w")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, done.stderr
        assert "unknown arm" in done.stderr and "Fix: name some of simba_rf" in done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "w").exists()
