"""The one check for ids and names that become file or folder names.

A video id becomes ``<id>.csv`` in evaluate's output, a study name becomes
``reports/<name>/``: a value such as ``../../x`` or ``/etc`` would then write outside
the folder the user chose. Every such value passes :func:`plain_name` when its file is
loaded, so nothing downstream has to think about it.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

from mbr_search.errors import ConfigError

#: Longest name most filesystems take for one path component (ext4, APFS, NTFS: 255 bytes);
#: ``.csv`` or ``_to_label_boris.xlsx`` is added to some, so leave room for a suffix.
MAX_NAME_BYTES = 200


def name_problem(value: object) -> str | None:
    """What makes ``value`` unusable as one plain file name, or None when it is fine."""
    if not isinstance(value, str):
        return f"is {type(value).__name__}, not text"
    if not value.strip():
        return "is empty"
    if "\0" in value or any(ord(c) < 32 for c in value):
        return "holds a control character"
    if "/" in value or "\\" in value:
        return "holds a path separator ('/' or '\\')"
    if value in (".", "..") or value.startswith(".."):
        return "starts with '..' (a parent folder)"
    # A drive ("C:") or any other form one OS reads as more than one component.
    if PureWindowsPath(value).drive or len(PurePosixPath(value).parts) != 1:
        return "is not one path component"
    if value != value.strip():
        return "starts or ends with a space"
    if len(value.encode("utf-8")) > MAX_NAME_BYTES:
        return f"is longer than {MAX_NAME_BYTES} bytes"
    return None


def plain_name(value: object, what: str, source: Path | str) -> str:
    """``value`` when it is a plain file name; else a :class:`ConfigError` naming
    ``source`` (the file or option it came from), ``what`` (its key) and the fix."""
    problem = name_problem(value)
    if problem is None:
        return str(value)
    shown = repr(value) if len(repr(value)) <= 80 else repr(value)[:77] + "..."
    raise ConfigError(
        f"{source}: {what} {shown} {problem}; it becomes a file or folder name, so it "
        "must be a plain name. Fix: use letters, digits, '-', '_' or '.' (e.g. rat01, my_study)."
    )
