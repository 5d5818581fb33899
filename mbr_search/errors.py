"""The error hierarchy.

Every error the user can cause is a subclass of :class:`MbrSearchError`; the CLI maps
them to exit codes in one place (``mbr_search.cli.main``). Messages are one line that
names the file, key or value at fault and says how to fix it.
"""

from __future__ import annotations


class MbrSearchError(Exception):
    """Root of all mbr-search errors. ``exit_code`` is what the CLI exits with."""

    exit_code = 1


class UsageError(MbrSearchError):
    """Bad input from the user: arguments, config files, data files. Exit code 2."""

    exit_code = 2


class ConfigError(UsageError):
    """A YAML file (study, search space, dataset) is malformed or inconsistent."""


class DataError(UsageError):
    """A data file (pose, labels, video, cached features) is missing or unusable."""


class StorageError(UsageError):
    """The Optuna storage URL is malformed, unreachable or not writable."""


class OutputError(UsageError):
    """An output file cannot be written (full disk, read-only folder, a file in the way)."""


class MissingFeaturesError(UsageError):
    """Features a study needs are not in the cache; the message names the command."""


class TrialFailed(MbrSearchError):
    """A single trial could not finish (NaN loss, out of memory). The search goes on."""


class NoCompleteTrialError(UsageError):
    """A study has no complete trial to evaluate or report on."""
