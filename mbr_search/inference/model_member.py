"""One member of a model directory (a trained trial): its family, hyperparameters, model
files, weight, window features and own standardiser; read and written only through
:mod:`mbr_search.inference.model_dir`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mbr_search._atomic import atomic_open
from mbr_search.errors import ConfigError, DataError
from mbr_search.inference.model_features import FrameWindows
from mbr_search.jsondoc import JSONObject, Node
from mbr_search.models import FAMILIES, MODEL_KEY, Params, get_family
from mbr_search.training.sequences import Standardiser

STANDARDISER = "standardiser.npz"


@dataclass(frozen=True)
class Group:
    """One ``.keras`` file and the behaviour columns (indices) it outputs, in order."""

    file: str
    columns: tuple[int, ...]

    def to_json(self) -> JSONObject:
        return {"file": self.file, "columns": list(self.columns)}

    @classmethod
    def from_json(cls, node: Node) -> Group:
        return cls(_file_name(node["file"]), node["columns"].integers())


@dataclass(frozen=True)
class Member:
    """One trained configuration (a trial); an ensemble has several."""

    trial: int | None
    #: the family's typed hyperparameters (``params.family`` names the family)
    params: Params
    groups: tuple[Group, ...]
    #: share of this member in an ensemble's weighted mean (ensemble selection)
    weight: float = 1.0
    #: window features added to the directory's base features; None: the base features
    windows: FrameWindows | None = None
    #: mean/std of this member's own (windowed) features; None: the directory's
    scaler: Standardiser | None = None

    @property
    def family(self) -> str:
        return self.params.family

    def scaler_file(self, index: int) -> str | None:
        return f"m{index}_{STANDARDISER}" if self.scaler is not None else None

    def to_json(self, index: int = 0) -> JSONObject:
        return {
            "trial": self.trial,
            "family": self.family,
            "params": self.params.to_dict(),
            "groups": [g.to_json() for g in self.groups],
            "weight": self.weight,
            "windows": self.windows.to_json() if self.windows else None,
            "standardiser": self.scaler_file(index),
        }

    @classmethod
    def from_json(cls, node: Node, folder: Path | None = None) -> Member:
        params = node["params"]
        family = node["family"].text() if node.has("family") else _family_of(params)
        try:
            typed = get_family(family).params.from_dict(params.mapping())
        except ConfigError as exc:
            raise params.fail(str(exc)) from None
        groups = tuple(Group.from_json(g) for g in node["groups"].elements())
        if not groups:
            raise node["groups"].fail("is empty")
        weight = node["weight"].number() if node.has("weight") else 1.0
        if not weight > 0:
            raise node["weight"].fail(f"is {weight}, must be > 0")
        windows = node.nullable("windows") if node.has("windows") else None
        scaler_node = node.nullable("standardiser") if node.has("standardiser") else None
        scaler = None
        if scaler_node is not None and folder is not None:
            scaler = read_standardiser(folder / _file_name(scaler_node))
        return cls(
            node["trial"].optional_integer(), typed, groups, weight,
            FrameWindows.from_json(windows) if windows is not None else None, scaler,
        )  # fmt: skip


def _family_of(params: Node) -> str:
    """The family of a member written before families were recorded: the one its params
    name (a trial record's :data:`~mbr_search.models.MODEL_KEY`), else the one family that
    declares every one of its hyperparameters."""
    if params.has(MODEL_KEY):
        return params[MODEL_KEY].text()
    names = set(params.mapping())
    fits = [name for name, f in FAMILIES.items() if names <= set(f.params.rules())]
    if len(fits) != 1:
        raise params.fail(
            f"names no model family and its hyperparameters fit {fits or 'none'} of "
            f"{sorted(FAMILIES)}"
        )
    return fits[0]


def write_standardiser(path: Path, scaler: Standardiser) -> None:
    with atomic_open(path, text=False) as handle:
        np.savez(handle, mean=scaler.mean.astype(np.float32), std=scaler.std.astype(np.float32))


def _file_name(node: Node) -> str:
    """A model file named in model.json: a plain name inside the model folder (a path
    such as '/etc/x' or '../x' would read a file outside it)."""
    from mbr_search.safe_names import name_problem

    name = node.text()
    problem = name_problem(name)
    if problem is not None:
        raise node.fail(f"{name!r} {problem}; a model file is named inside the model folder")
    return name


def read_standardiser(path: Path) -> Standardiser:
    from mbr_search.inference.model_files import check_model_file

    check_model_file(path)  # numpy's loader gives EOFError/BadZipFile tracebacks otherwise
    try:
        with np.load(path, allow_pickle=False) as npz:
            return Standardiser(np.asarray(npz["mean"]), np.asarray(npz["std"]))
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(f"{path}: unreadable ({exc}).") from exc
