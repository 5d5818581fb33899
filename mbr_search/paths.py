"""Where mbr-search reads and writes by default.

Nothing is written to the current directory by surprise: studies live in a per-user data
folder and features in a per-user cache folder unless the user names other places.
``MBR_SEARCH_HOME`` moves both at once (tests point it at a temp dir).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

#: The repository root when running from a checkout or an editable install.
REPO_ROOT = Path(__file__).resolve().parents[1]
#: Where an installed wheel keeps the top-level studies/, search_spaces/ and datasets/
#: (copied there at build time by setup.py).
BUNDLED_PACKAGE_DIR = "_bundled"


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


def bundled_dir(kind: str) -> Path | None:
    """The shipped ``studies``, ``search_spaces`` or ``datasets`` folder.

    An installed wheel carries them as package data; an editable install or a checkout has
    them at the repository's top level (setup.py copies nothing into the source tree). A
    zipped install is not supported: datasets are read as real files."""
    packaged = resources.files("mbr_search") / BUNDLED_PACKAGE_DIR / kind
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged
    # pyproject.toml marks a checkout, so an installed copy never reads site-packages/<kind>.
    checkout = REPO_ROOT / kind
    if (REPO_ROOT / "pyproject.toml").is_file() and checkout.is_dir():
        return checkout
    return None


def search_roots(kind: str) -> list[Path]:
    """Folders searched for named studies or spaces: ``./<kind>`` first, then the shipped."""
    shipped = bundled_dir(kind)
    roots = [Path.cwd() / kind, *([shipped] if shipped is not None else [])]
    unique: list[Path] = []
    for root in roots:
        if root.resolve() not in [u.resolve() for u in unique]:
            unique.append(root)
    return unique
