"""Steps several test modules take the same way: the ``--help`` lazy-import probe, reading a
Markdown table of a report, and ``run`` then ``evaluate`` of a study."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from conftest import run_cli

#: ``mbr-search --help`` in a fresh interpreter, after importing the modules named in
#: argv[1] (JSON); prints which of the modules named in argv[2] (JSON) it loaded.
_HELP_PROBE = """
import importlib, json, sys
from mbr_search.cli.main import main
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
try:
    main(["--help"])
except SystemExit:
    pass
print(json.dumps([m for m in json.loads(sys.argv[2]) if m in sys.modules]))
"""


def loaded_by_help(modules: Sequence[str], *, after_importing: Sequence[str] = ()) -> list[str]:
    """Which of ``modules`` a fresh ``mbr-search --help`` loads (after ``after_importing``):
    heavy libraries must stay lazy, so the tests expect none."""
    out = subprocess.run(
        [sys.executable, "-c", _HELP_PROBE, json.dumps(list(after_importing)),
         json.dumps(list(modules))],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return list(json.loads(out.strip().splitlines()[-1]))


def md_table(markdown: str, title_start: str) -> list[list[str]]:
    """Rows (header first) of the Markdown table whose bold title starts with ``title_start``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"**{title_start}"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return [rows[0], *rows[2:]]  # drop the | --- | line


def run_then_evaluate(
    study: Path, storage: str, out: Path, *, trials: int
) -> subprocess.CompletedProcess[str]:
    """``run`` ``trials`` trials of ``study``, then ``evaluate --top 1 --no-importance`` into
    ``out``; both must succeed. Returns evaluate's process."""
    ran = run_cli("run", str(study), "--trials", str(trials), "--storage", storage,
                  "--no-progress")  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    ev = run_cli("evaluate", str(study), "--top", "1", "--no-importance", "--storage", storage,
                 "--out", str(out))  # fmt: skip
    assert ev.returncode == 0, ev.stderr
    return ev
