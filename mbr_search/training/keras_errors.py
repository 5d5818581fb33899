"""The one wording of a ``.keras`` file that Keras refused to load.

Keras's own messages advise ``safe_mode=False`` or ``enable_unsafe_deserialization()``
for a file with a ``Lambda`` layer: that runs the file's Python code, which is how a
model file from someone else takes over the machine. Our messages never pass it on, and
they stay one line (Keras's are several, with the whole layer config inside).
"""

from __future__ import annotations

import re
from pathlib import Path

#: Sentences of a Keras message that teach unsafe loading: never shown to the user.
_UNSAFE_ADVICE = re.compile(r"safe_mode|unsafe_deserialization|trust the source", re.IGNORECASE)
_LAMBDA = re.compile(r"\bLambda\b|Python lambda")
_MAX_DETAIL = 160


def keras_load_message(path: Path, exc: BaseException) -> str:
    """One line for ``path`` that Keras could not load, without Keras's unsafe advice."""
    text = " ".join(str(exc).split())
    if _LAMBDA.search(text):
        return (
            f"{path}: refused: the model holds a Lambda layer (Python code stored in the "
            "file), and mbr-search never runs code from a model file. Fix: use a model "
            "folder written by `mbr-search evaluate`, or retrain the model."
        )
    return f"{path}: cannot load the Keras model ({safe_detail(text)})."


def safe_detail(text: str) -> str:
    """``text`` without the sentences that advise unsafe loading, cut to a short line."""
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    kept = " ".join(s for s in sentences if not _UNSAFE_ADVICE.search(s)).strip()
    if len(kept) > _MAX_DETAIL:
        kept = kept[: _MAX_DETAIL - 3].rstrip() + "..."
    return kept or "not a model file Keras can read"
