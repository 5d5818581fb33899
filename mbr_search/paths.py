"""Where mbr-search reads and writes by default.

Nothing is written to the current directory by surprise: studies live in a per-user data
folder and features in a per-user cache folder unless the user names other places.
``MBR_SEARCH_HOME`` moves both at once (tests point it at a temp dir).
"""

from __future__ import annotations

import os
from pathlib import Path

#: The repository root when running from a checkout or an editable install.
REPO_ROOT = Path(__file__).resolve().parents[1]


def home_dir() -> Path | None:
    value = os.environ.get("MBR_SEARCH_HOME")
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    """Per-user folder for the default SQLite storage and reports of record."""
    home = home_dir()
    if home is not None:
        return home / "data"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "mbr-search"


def cache_dir() -> Path:
    """Per-user folder for cached per-frame features (pose features, CNN embeddings)."""
    explicit = os.environ.get("MBR_SEARCH_CACHE")
    if explicit:
        return Path(explicit).expanduser()
    home = home_dir()
    if home is not None:
        return home / "cache"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mbr-search"


def search_roots(kind: str) -> list[Path]:
    """Folders searched for named studies or spaces: ``./<kind>`` first, then the repo's."""
    roots = [Path.cwd() / kind, REPO_ROOT / kind]
    unique: list[Path] = []
    for root in roots:
        if root.resolve() not in [u.resolve() for u in unique]:
            unique.append(root)
    return unique
