"""A self-contained model directory: everything ``mbr-search predict`` needs, nothing pickled.

Layout::

    model.json            manifest, written last (its presence marks a complete directory)
    standardiser.npz      per-feature mean and std of all training videos
    m<k>_<group>.keras    one Keras model per member k and output group

``model.json`` holds the behaviours, the frame rate, the backbone and its feature settings
(pose: keypoint names, body axis, likelihood threshold, animals; CNN: backbone, weights,
crop, whether crops were centred with pose), the feature dimension, the decision thresholds
and post-processing, and per member its hyperparameters and which behaviour columns each
``.keras`` file predicts. An ensemble has several members whose probabilities are averaged.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mbr_search.errors import DataError
from mbr_search.evaluate.postprocess import PostProcess
from mbr_search.features.cache import write_text_atomic
from mbr_search.training.sequences import Standardiser

MANIFEST = "model.json"
STANDARDISER = "standardiser.npz"
FORMAT = "mbr-search-model"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Group:
    """One ``.keras`` file and the behaviour columns (indices) it outputs, in order."""

    file: str
    columns: tuple[int, ...]


@dataclass(frozen=True)
class Member:
    """One trained configuration (a trial); an ensemble has several."""

    trial: int | None
    params: dict[str, Any]
    groups: tuple[Group, ...]

    @property
    def seq_len(self) -> int:
        return int(self.params["seq_len"])

    @property
    def batch_size(self) -> int:
        return int(self.params.get("batch_size", 16))


@dataclass(frozen=True)
class ModelDir:
    """A loaded (or about to be saved) model directory."""

    path: Path
    behaviours: tuple[str, ...]
    fps: float | None
    backbone: str
    #: pose: {"keypoints", "axis", "likelihood_threshold", "individuals", "feature_version"};
    #: CNN: {"backbone", "weights", "crop": {...}, "fps", "uses_pose"}
    features: dict[str, Any]
    feature_dim: int
    #: frame rate of the training videos (inputs default to it when unique), else None
    source_fps: float | None
    members: tuple[Member, ...]
    thresholds: dict[str, float]
    postprocess: dict[str, PostProcess]
    standardiser: Standardiser
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def threshold_list(self) -> list[float]:
        return [self.thresholds[b] for b in self.behaviours]

    @property
    def postprocess_list(self) -> list[PostProcess]:
        return [self.postprocess[b] for b in self.behaviours]


def _manifest(model: ModelDir) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "behaviours": list(model.behaviours),
        "fps": model.fps,
        "backbone": model.backbone,
        "features": model.features,
        "feature_dim": model.feature_dim,
        "source_fps": model.source_fps,
        "thresholds": {b: float(model.thresholds[b]) for b in model.behaviours},
        "postprocess": {b: model.postprocess[b].as_dict() for b in model.behaviours},
        "members": [
            {
                "trial": m.trial,
                "params": m.params,
                "groups": [{"file": g.file, "columns": list(g.columns)} for g in m.groups],
            }
            for m in model.members
        ],
        "info": model.info,
    }


def save(model: ModelDir, nets: Sequence[Sequence[Any]] | None = None) -> Path:
    """Write ``model`` to ``model.path``: ``nets[k][j]`` is member k's group j Keras model.

    With ``nets`` None the ``.keras`` files must already be in place (an ensemble copies
    its members' files first). The manifest is written last.
    """
    folder = model.path
    folder.mkdir(parents=True, exist_ok=True)
    if nets is not None:
        for member, member_nets in zip(model.members, nets, strict=True):
            for group, net in zip(member.groups, member_nets, strict=True):
                net.save(folder / group.file)
    for member in model.members:
        for group in member.groups:
            if not (folder / group.file).is_file():
                raise DataError(f"{folder / group.file}: model file missing; not saved.")
    np.savez(
        folder / STANDARDISER,
        mean=model.standardiser.mean.astype(np.float32),
        std=model.standardiser.std.astype(np.float32),
    )
    write_text_atomic(folder / MANIFEST, json.dumps(_manifest(model), indent=2, default=str))
    return folder


def load(path: Path) -> ModelDir:
    """Read a model directory's manifest and standardiser (not the Keras models)."""
    folder = Path(path).expanduser()
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        hint = (
            " (it holds results.json: give its model/ folder)"
            if (folder / "results.json").is_file()
            else ""
        )
        raise DataError(
            f"{folder}: not a model directory, no {MANIFEST}{hint}. Fix: give the model folder "
            "written by `mbr-search evaluate`, e.g. reports/STUDY/model."
        )
    try:
        raw = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"{manifest_path}: unreadable ({exc}). Fix: re-run evaluate.") from exc
    if raw.get("format") != FORMAT or raw.get("format_version") != FORMAT_VERSION:
        raise DataError(
            f"{manifest_path}: format {raw.get('format')!r} v{raw.get('format_version')} is not "
            f"{FORMAT} v{FORMAT_VERSION}. Fix: re-run `mbr-search evaluate` with this version."
        )
    try:
        with np.load(folder / STANDARDISER, allow_pickle=False) as npz:
            scaler = Standardiser(np.asarray(npz["mean"]), np.asarray(npz["std"]))
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(f"{folder / STANDARDISER}: unreadable ({exc}).") from exc
    behaviours = tuple(raw["behaviours"])
    members = tuple(
        Member(
            m.get("trial"),
            dict(m["params"]),
            tuple(Group(g["file"], tuple(int(c) for c in g["columns"])) for g in m["groups"]),
        )
        for m in raw["members"]
    )
    return ModelDir(
        path=folder,
        behaviours=behaviours,
        fps=raw.get("fps"),
        backbone=str(raw["backbone"]),
        features=dict(raw["features"]),
        feature_dim=int(raw["feature_dim"]),
        source_fps=raw.get("source_fps"),
        members=members,
        thresholds={b: float(raw["thresholds"][b]) for b in behaviours},
        postprocess={b: PostProcess.from_dict(raw["postprocess"][b]) for b in behaviours},
        standardiser=scaler,
        info=dict(raw.get("info", {})),
    )


def load_nets(model: ModelDir) -> list[list[Any]]:
    """The Keras models, ``[member][group]``, loaded for inference only (not compiled)."""
    import keras

    import mbr_search.models.layers
    import mbr_search.models.losses  # noqa: F401  (registers the weighted loss)

    custom: dict[str, Any] = {}
    try:
        from tcn import TCN

        custom["TCN"] = TCN
    except ImportError:  # pragma: no cover - keras-tcn is a dependency
        pass
    nets: list[list[Any]] = []
    for member in model.members:
        loaded = []
        for group in member.groups:
            file = model.path / group.file
            try:
                loaded.append(keras.saving.load_model(file, custom_objects=custom, compile=False))
            except (OSError, ValueError) as exc:
                raise DataError(f"{file}: cannot load the Keras model ({exc}).") from exc
        nets.append(loaded)
    return nets


def copy_members(sources: Sequence[ModelDir], target: Path) -> tuple[Member, ...]:
    """Copy each source's single member into ``target`` under new file names (ensembles)."""
    target.mkdir(parents=True, exist_ok=True)
    members = []
    for k, source in enumerate(sources):
        for member in source.members:
            groups = []
            for group in member.groups:
                name = f"m{k}_{group.file.split('_', 1)[-1]}"
                shutil.copyfile(source.path / group.file, target / name)
                groups.append(Group(name, group.columns))
            members.append(Member(member.trial, member.params, tuple(groups)))
    return tuple(members)


def replace_dir(target: Path, source: Path) -> None:
    """Make ``target`` a copy of model directory ``source`` (only replaces a model dir)."""
    if target.exists():
        if not (target / MANIFEST).is_file():
            raise DataError(
                f"{target}: exists and is not a model directory; not overwritten. Fix: move "
                "it away or choose another --out."
            )
        shutil.rmtree(target)
    shutil.copytree(source, target)
