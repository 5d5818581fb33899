"""Check a model directory's model files before any native loader sees them.

LightGBM parses its text model in C++: a file cut in the middle of a tree, or with a tree
removed, aborted the whole process (``Log::Fatal`` on a size mismatch; exit 134, no
message). Keras reports a truncated, junk or empty ``.keras`` file as "File not found"
although it exists. Both are checked here in Python first, with the file named and the fix
said: re-run ``mbr-search evaluate`` (which writes the models again).
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from mbr_search.errors import DataError

#: Members every ``.keras`` archive that Keras 3 writes has.
KERAS_MEMBERS = ("config.json", "model.weights.h5")
#: LightGBM text model header keys the loader needs before the trees.
LIGHTGBM_HEADER = ("version=", "num_class=", "max_feature_idx=", "tree_sizes=")
#: Arrays of every ``.npz`` of a model directory: standardisers (the model's, a member's).
STANDARDISER_ARRAYS = ("mean.npy", "std.npy")
_TREE = re.compile(rb"^Tree=(\d+)\n", re.MULTILINE)
_END = b"end of trees"


def damaged(path: Path, what: str) -> DataError:
    return DataError(
        f"{path}: damaged model file ({what}). Fix: re-run `mbr-search evaluate` to write "
        "the model again (or restore the model folder as evaluate wrote it)."
    )


def check_model_file(path: Path) -> None:
    """Raise a DataError naming ``path`` when it is not a complete model file of its kind
    (``.keras``: Keras archive; ``.txt``: LightGBM text model; ``.npz``: standardiser);
    other kinds pass."""
    path = Path(path)
    if not path.is_file():
        raise DataError(
            f"{path}: model file missing. Fix: re-run `mbr-search evaluate` to write the "
            "model again."
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read the model file ({exc.strerror or exc}).") from None
    if path.suffix == ".keras":
        check_keras(path, data)
    elif path.suffix == ".txt":
        check_lightgbm(path, data)
    elif path.suffix == ".npz":
        check_npz(path, data, STANDARDISER_ARRAYS)


def check_keras(path: Path, data: bytes) -> None:
    """A ``.keras`` file is a zip holding a JSON ``config.json`` and a non-empty weights file,
    every member readable with its checksum."""
    if not data:
        raise damaged(path, "the file is empty")
    import io

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            missing = [m for m in KERAS_MEMBERS if m not in names]
            if missing:
                raise damaged(path, f"the Keras archive lacks {missing}")
            bad = archive.testzip()
            if bad is not None:
                raise damaged(path, f"member {bad} fails its checksum")
            config = json.loads(archive.read("config.json"))
            weights = archive.getinfo("model.weights.h5").file_size
    except zipfile.BadZipFile as exc:
        raise damaged(path, f"not a complete Keras archive: {exc}") from None
    except (ValueError, OSError, EOFError, zipfile.LargeZipFile) as exc:
        raise damaged(path, f"unreadable Keras archive: {exc}") from None
    if not isinstance(config, dict) or weights == 0:
        raise damaged(path, "config.json is not an object or the weights are empty")


def check_npz(path: Path, data: bytes, members: tuple[str, ...] = ()) -> None:
    """A numpy ``.npz`` archive, complete (every member passes its checksum), with
    ``members`` (numpy's loader raised EOFError or BadZipFile tracebacks on a cut file)."""
    import io

    if not data:
        raise damaged(path, "the file is empty")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            lacking = [m for m in members if m not in archive.namelist()]
            bad = archive.testzip()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise damaged(path, f"not a complete numpy archive: {exc}") from None
    if lacking:
        raise damaged(path, f"the archive lacks {lacking}")
    if bad is not None:
        raise damaged(path, f"member {bad} fails its checksum")


def check_lightgbm(path: Path, data: bytes) -> None:
    """A LightGBM text model: its header, as many ``Tree=`` blocks as ``tree_sizes`` lists,
    numbered in order, each of the size listed, then ``end of trees``."""
    if not data.startswith(b"tree\n"):
        raise damaged(path, "no LightGBM 'tree' header on the first line")
    end = data.find(_END)
    if end < 0:
        raise damaged(path, "no 'end of trees' line: the file is cut short")
    head_end = data.find(b"\nTree=")
    header = data[: head_end if head_end >= 0 else end].decode("utf-8", "replace")
    lacking = [key for key in LIGHTGBM_HEADER if f"\n{key}" not in header]
    if lacking:
        raise damaged(path, f"header lacks {[k.rstrip('=') for k in lacking]}")
    sizes_line = header.split("\ntree_sizes=", 1)[1].split("\n", 1)[0]
    try:
        sizes = [int(s) for s in sizes_line.split()]
    except ValueError:
        raise damaged(path, f"tree_sizes is not a list of numbers: {sizes_line[:60]!r}") from None
    starts = [(m.start(), int(m[1])) for m in _TREE.finditer(data, 0, end)]
    if [n for _, n in starts] != list(range(len(sizes))):
        raise damaged(
            path, f"{len(starts)} trees where tree_sizes lists {len(sizes)}, or out of order"
        )
    bounds = [s for s, _ in starts] + [end]
    for k, size in enumerate(sizes):
        if bounds[k + 1] - bounds[k] != size:
            raise damaged(path, f"tree {k} is {bounds[k + 1] - bounds[k]} bytes, not {size}")
    _check_trailer(path, header, data[end:])


def _check_trailer(path: Path, header: str, tail: bytes) -> None:
    """The parts after the trees that LightGBM's Python loader parses too (a cut last line
    crashed it with a segmentation fault), and the one class mbr-search's boosters have."""
    if "\nnum_class=1\n" not in header:
        # one binary booster per behaviour (models/gbdt.py): another count is an edit
        raise damaged(path, "num_class is not 1; mbr-search writes one binary booster each")
    text = tail.decode("utf-8", "replace")
    if "\nparameters:\n" in text and "\nend of parameters\n" not in text:
        raise damaged(path, "no 'end of parameters' line: the file is cut short")
    last = text.rstrip("\n").rsplit("\n", 1)[-1]
    if not last.startswith("pandas_categorical:") or not text.endswith("\n"):
        raise damaged(path, "no complete 'pandas_categorical' line at the end: it is cut short")
    try:
        json.loads(last.split(":", 1)[1])
    except ValueError:
        raise damaged(path, f"the last line {last[:40]!r} is cut short") from None
