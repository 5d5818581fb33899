"""mbr-search: hyperparameter search for per-frame mouse behaviour classifiers."""

from __future__ import annotations

__version__ = "0.1.0"
