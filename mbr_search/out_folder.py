"""Output folders: checked before the work that fills them, and owned by one study.

``evaluate`` and ``report`` default to ``reports/<name>/``, where ``<name>`` is the study
file's name: two Optuna studies run from one study file (``--study-name A``, ``B``) would
share it, and the second would silently replace the first's ``results.json`` and
``model/``. The first command that writes a folder leaves the study name in
:data:`OWNER_FILE`; a command for another study refuses the folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from mbr_search._atomic import write_text_atomic
from mbr_search.errors import OutputError

#: The owner marker: one line, the Optuna study name the folder was written for.
OWNER_FILE = ".mbr-search-study"
#: What evaluate writes there; a folder evaluated before markers existed is owned by it.
_RESULTS = "results.json"


def writable_folder(folder: Path, option: str) -> Path:
    """``folder`` created if missing; an :class:`OutputError` (one line, exit 2) when it
    names a file or cannot be created. Called before any long work or any storage write,
    so a wrong path costs nothing."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(
            f"{option} {folder}: is an existing file, not a folder. "
            "Fix: give a folder path (or move the file away)."
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"{option} {folder}: cannot create the folder ({exc.strerror or exc}). "
            "Fix: choose a folder you can write."
        ) from None
    return folder


def folder_owner(folder: Path) -> str | None:
    """The study a folder was written for: its marker, else its ``results.json``'s
    ``study_name``; None for a new or foreign folder."""
    marker = folder / OWNER_FILE
    try:
        if marker.is_file():
            return marker.read_text(encoding="utf-8").strip() or None
        results = folder / _RESULTS
        if results.is_file():
            found = json.loads(results.read_text(encoding="utf-8")).get("study_name")
            return found if isinstance(found, str) and found else None
    except (OSError, ValueError, AttributeError):
        return None  # unreadable: the command's own reader reports it, in one line
    return None


def check_folder(folder: Path, study_name: str, option: str = "--out") -> Path:
    """Refuse, without writing anything, a ``folder`` that names a file, lies on a
    read-only filesystem or holds another study's outputs (it would be overwritten)."""
    if folder.exists() and not folder.is_dir():
        raise OutputError(
            f"{option} {folder}: is an existing file, not a folder. "
            "Fix: give a folder path (or move the file away)."
        )
    owner = folder_owner(folder)
    if owner is not None and owner != study_name:
        raise OutputError(
            f"{option} {folder}: this folder was written for study '{owner}'; writing study "
            f"'{study_name}' there would overwrite its results.json and model/. "
            f"Fix: pass --out another folder, e.g. --out {folder.parent / study_name}."
        )
    existing = next((p for p in (folder, *folder.absolute().parents) if p.exists()), None)
    if existing is not None and not os.access(existing, os.W_OK):
        raise OutputError(
            f"{option} {folder}: {existing} is not writable (read-only folder or "
            "filesystem). Fix: choose a folder you can write."
        )
    return folder


def mark_folder(folder: Path, study_name: str) -> None:
    """Record ``study_name`` as the owner of ``folder`` (created if missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / OWNER_FILE, study_name + "\n", fix="choose a folder you can write")


def claim_folder(folder: Path, study_name: str, option: str = "--out") -> Path:
    """:func:`check_folder`, then create and mark it now: for a command whose next step is
    long work that ends in writing there (evaluate's retraining).

    Writing the marker doubles as the write test: a read-only folder or filesystem fails
    here, before any retraining, with one line.
    """
    check_folder(folder, study_name, option)
    writable_folder(folder, option)
    # Rewritten every time, even when already ours: the write test must run every time.
    mark_folder(folder, study_name)
    return folder
