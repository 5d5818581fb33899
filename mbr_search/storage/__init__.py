"""Where studies live: SQLite (default), PostgreSQL/MySQL for many machines, or a journal file.

Public API::

    spec = resolve_storage(args.storage)            # StorageSpec(url, display, kind)
    storage = open_storage(spec)                    # heartbeats, retry of dead workers' trials
    study = load_or_create_study(storage, study_name=..., sampler=..., pruner=...)

``spec.url`` may hold a password: print ``spec.display`` and pass any text that could
contain a URL through :func:`redact_url`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from mbr_search import paths
from mbr_search.errors import StorageError
from mbr_search.storage._existing import (
    open_existing_storage,
    open_existing_study,
    require_existing_file,
)
from mbr_search.storage._open import GRACE_ENV, HEARTBEAT_ENV, open_storage, storage_error
from mbr_search.storage._rdb import retry_races, storage_cause, translate_error
from mbr_search.storage._url import (
    PASSWORD_ENV,
    PASSWORD_FILE_ENV,
    StorageSpec,
    default_sqlite_path,
    redact_url,
    resolve_storage,
    split_password,
)

if TYPE_CHECKING:
    import optuna

#: What the study's one objective is, as the dashboard labels it (Optuna's metric name).
OBJECTIVE_NAME = "mean PR-AUC"

__all__ = [
    "GRACE_ENV",
    "HEARTBEAT_ENV",
    "OBJECTIVE_NAME",
    "PASSWORD_ENV",
    "PASSWORD_FILE_ENV",
    "StorageSpec",
    "default_artifact_dir",
    "default_sqlite_path",
    "load_or_create_study",
    "open_existing_storage",
    "open_existing_study",
    "open_storage",
    "reap_stale_trials",
    "redact_url",
    "require_existing_file",
    "resolve_storage",
    "split_password",
    "storage_cause",
    "storage_error",
]

_log = logging.getLogger(__name__)


def load_or_create_study(
    storage: optuna.storages.BaseStorage | str,
    *,
    study_name: str,
    sampler: optuna.samplers.BaseSampler | None,
    pruner: optuna.pruners.BasePruner | None,
    direction: str = "maximize",
) -> optuna.Study:
    """Load ``study_name`` from ``storage`` or create it; safe when workers race to create.

    Raises :class:`StorageError` when the stored study optimises in the other direction
    or the database cannot be reached.
    """
    import optuna

    spec = _spec_of(storage)
    goal: Literal["minimize", "maximize"]
    if direction.lower() == "minimize":
        goal = "minimize"
    elif direction.lower() == "maximize":
        goal = "maximize"
    else:
        raise StorageError(f"study direction '{direction}' is unknown: use maximize or minimize")

    def create() -> optuna.Study:
        return optuna.create_study(
            storage=storage,
            study_name=study_name,
            sampler=sampler,
            pruner=pruner,
            direction=goal,
            load_if_exists=True,
        )

    try:
        study = retry_races(create, spec)
        stored = [d.name.lower() for d in study.directions]
    except StorageError:
        raise
    except Exception as exc:
        raise translate_error(exc, spec) from None
    if stored != [goal]:
        raise StorageError(
            f"study '{study_name}' in storage '{spec.display}' was created to "
            f"{'/'.join(stored)}, not {direction}: use another --study-name"
        )
    _name_the_objective(study, spec)
    return study


def _name_the_objective(study: optuna.Study, spec: StorageSpec) -> None:
    """The dashboard's axis and tables read "mean PR-AUC" instead of "Objective 0". A study
    made before this (or by plain Optuna) gets the name when ``run`` or ``init`` opens it."""
    import warnings

    from optuna.exceptions import ExperimentalWarning

    if study.metric_names == [OBJECTIVE_NAME]:
        return
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ExperimentalWarning)
            retry_races(lambda: study.set_metric_names([OBJECTIVE_NAME]), spec)
    except StorageError:
        raise
    except Exception as exc:
        raise translate_error(exc, spec) from None


def reap_stale_trials(study: optuna.Study) -> None:
    """Fail trials whose worker stopped sending heartbeats and re-queue their parameters.

    Optuna does this only when a worker starts a new trial; call it also before deciding
    that a study is finished, so a trial of a worker killed near the end is not left
    RUNNING forever.
    """
    import warnings

    import optuna
    from optuna.exceptions import ExperimentalWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)


def default_artifact_dir(spec: StorageSpec) -> Path:
    """Folder for Optuna artifacts (reports, plots) that the dashboard shows.

    File storages keep them beside the database/journal file (``<file>.artifacts``) so a
    study folder stays together; server storages use ``<data dir>/artifacts``.
    """
    path = spec.path
    if path is not None:
        return path.with_name(path.name + ".artifacts")
    return paths.data_dir() / "artifacts"


def _spec_of(storage: object) -> StorageSpec:
    # Only used to phrase errors; the URL is redacted before it can reach a message.
    url = getattr(storage, "url", None) or getattr(getattr(storage, "_backend", None), "url", None)
    if isinstance(url, str):
        kind = url.split(":", 1)[0].split("+", 1)[0]
        return StorageSpec(url=url, display=redact_url(url), kind=kind)
    return StorageSpec(url="", display=type(storage).__name__, kind="journal")
