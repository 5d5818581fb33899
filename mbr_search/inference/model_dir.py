"""A self-contained model directory: everything ``mbr-search predict`` needs, nothing pickled.

Layout::

    model.json            manifest, written last (its presence marks a complete directory)
    standardiser.npz      per-feature mean and std of all training videos (base features)
    m<k>_<group>.keras    one Keras model per member k and output group (.txt for gbdt)
    m<k>_standardiser.npz a member with window features: mean and std of its own features

``model.json`` holds the behaviours, the frame rate, the backbone and its feature settings
(pose: keypoint names, body axis, likelihood threshold, animals, the study's
``features.augment``, whose transforms TTA uses; CNN: backbone, weights, crop, whether
crops were centred with pose), the feature dimension, the decision thresholds
and post-processing, and per member its hyperparameters, its window features (the trial's
choice, with the frame rate they were counted at) and which behaviour columns each model
file predicts. An ensemble has several members whose probabilities are averaged; members
may differ in their window features, each standardised with its own statistics.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from mbr_search.errors import DataError
from mbr_search.features.cache import write_text_atomic
from mbr_search.inference.model_features import (
    CnnFeatures,
    Features,
    FrameWindows,
    PoseFeatures,
    features_from_json,
)
from mbr_search.inference.model_member import (
    STANDARDISER,
    Group,
    Member,
    read_standardiser,
    write_standardiser,
)
from mbr_search.jsondoc import JSON, JSONObject, Node
from mbr_search.safe_names import name_problem
from mbr_search.scoring.postprocess import PostProcess
from mbr_search.training.sequences import Standardiser

if TYPE_CHECKING:
    from mbr_search.training._trainer import Trainer

__all__ = [
    "CnnFeatures",
    "Features",
    "FrameWindows",
    "Group",
    "Member",
    "ModelDir",
    "ModelInfo",
    "PoseFeatures",
    "copy_members",
    "load",
    "load_nets",
    "replace_dir",
    "save",
]

MANIFEST = "model.json"
FORMAT = "mbr-search-model"
FORMAT_VERSION = 1
_REFIX = "Fix: re-run `mbr-search evaluate` with this version."


def _check_format(root: Node) -> None:
    values = root.mapping()
    found = (values.get("format"), values.get("format_version"))
    if found != (FORMAT, FORMAT_VERSION):
        raise root.fail(f"format {found[0]!r} v{found[1]} is not {FORMAT} v{FORMAT_VERSION}")


@dataclass(frozen=True)
class ModelInfo:
    """Where the model comes from (shown to people; ``predict`` does not need it)."""

    study: str
    dataset: str
    #: the trial; None for an ensemble
    trial: int | None
    cv_value: float
    train_videos: tuple[str, ...]
    #: an ensemble's member trials
    ensemble_of: tuple[int, ...] | None = None

    def to_json(self) -> JSONObject:
        out: JSONObject = {
            "study": self.study,
            "dataset": self.dataset,
            "trial": self.trial,
            "cv_value": self.cv_value,
            "train_videos": list(self.train_videos),
        }
        if self.ensemble_of is not None:
            out["ensemble_of"] = list(self.ensemble_of)
        return out

    @classmethod
    def from_json(cls, node: Node) -> ModelInfo:
        members = node.optional("ensemble_of")
        return cls(
            study=node["study"].text(),
            dataset=node["dataset"].text(),
            trial=node["trial"].optional_integer(),
            cv_value=node["cv_value"].number(),
            train_videos=node["train_videos"].texts(),
            ensemble_of=members.integers() if members is not None else None,
        )


@dataclass(frozen=True)
class ModelDir:
    """A loaded (or about to be saved) model directory."""

    path: Path
    behaviours: tuple[str, ...]
    fps: float | None
    backbone: str
    features: Features
    feature_dim: int
    #: frame rate of the training videos (inputs default to it when unique), else None
    source_fps: float | None
    members: tuple[Member, ...]
    thresholds: dict[str, float]
    postprocess: dict[str, PostProcess]
    standardiser: Standardiser
    info: ModelInfo

    @property
    def threshold_list(self) -> list[float]:
        return [self.thresholds[b] for b in self.behaviours]

    @property
    def postprocess_list(self) -> list[PostProcess]:
        return [self.postprocess[b] for b in self.behaviours]

    @property
    def pose_features(self) -> PoseFeatures:
        """The pose settings of a pose model (a CNN model is refused)."""
        if not isinstance(self.features, PoseFeatures):
            raise DataError(f"{self.path}: a {self.backbone} model has no pose feature settings.")
        return self.features

    @property
    def cnn_features(self) -> CnnFeatures:
        """The embedding settings of a CNN model (a pose model is refused)."""
        if not isinstance(self.features, CnnFeatures):
            raise DataError(f"{self.path}: a pose model has no embedding settings.")
        return self.features

    def to_json(self) -> JSONObject:
        """``model.json`` (everything but the path, the standardiser and the Keras files)."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "behaviours": list(self.behaviours),
            "fps": self.fps,
            "backbone": self.backbone,
            "features": self.features.to_json(),
            "feature_dim": self.feature_dim,
            "source_fps": self.source_fps,
            "thresholds": {b: float(self.thresholds[b]) for b in self.behaviours},
            "postprocess": {b: self.postprocess[b].as_dict() for b in self.behaviours},
            "members": [m.to_json(k) for k, m in enumerate(self.members)],
            "info": self.info.to_json(),
        }

    @classmethod
    def from_json(
        cls, data: JSON, *, path: Path, standardiser: Standardiser, source: str = MANIFEST
    ) -> ModelDir:
        """Check and read a parsed ``model.json``; every problem is one line naming the key."""
        root = Node(data, source)
        _check_format(root)
        behaviours = root["behaviours"].texts()
        for b in behaviours:  # predict and suggest name files after them
            if (problem := name_problem(b)) is not None:
                raise root["behaviours"].fail(f"behaviour {b!r} {problem}")
        model = cls(
            path=path,
            behaviours=behaviours,
            fps=root["fps"].optional_rate(),
            backbone=root["backbone"].text(),
            features=features_from_json(root["features"]),
            feature_dim=root["feature_dim"].integer(),
            source_fps=root["source_fps"].optional_rate(),
            members=tuple(Member.from_json(m, path) for m in root["members"].elements()),
            thresholds={b: root["thresholds"][b].number() for b in behaviours},
            postprocess={b: PostProcess.from_json(root["postprocess"][b]) for b in behaviours},
            standardiser=standardiser,
            info=ModelInfo.from_json(root["info"]),
        )
        model._check(root)
        return model

    def _check(self, root: Node) -> None:
        """What the fields must agree on: the backbone, the columns, the feature count."""
        if not self.members:
            raise root["members"].fail("is empty")
        pose_backbone = self.backbone == "pose"
        if pose_backbone != isinstance(self.features, PoseFeatures) or (
            isinstance(self.features, CnnFeatures) and self.features.embed.backbone != self.backbone
        ):
            raise root["features"].fail(f"does not match backbone '{self.backbone}'")
        n = len(self.behaviours)
        for k, member in enumerate(self.members):
            for j, group in enumerate(member.groups):
                if any(not 0 <= c < n for c in group.columns):
                    key = f"members[{k}].groups[{j}].columns"
                    raise Node(None, root.source, key).fail(f"must be behaviour indices 0..{n - 1}")
        if self.standardiser.mean.shape[-1:] != (self.feature_dim,):
            raise root["feature_dim"].fail(
                f"is {self.feature_dim} but {STANDARDISER} holds {self.standardiser.mean.shape}"
            )
        for k, member in enumerate(self.members):
            if member.windows is None or member.scaler is None:
                continue
            dim = member.windows.settings.out_dim(self.feature_dim)
            if member.scaler.mean.shape[-1:] != (dim,):
                raise Node(None, root.source, f"members[{k}].windows").fail(
                    f"give {dim} features but {member.scaler_file(k)} holds "
                    f"{member.scaler.mean.shape}"
                )


def save(model: ModelDir, nets: Sequence[Sequence[object]] | None = None) -> Path:
    """Write ``model`` to ``model.path``: ``nets[k][j]`` is member k's group j model, saved
    by its family's trainer (Keras ``.keras``, LightGBM text ``.txt``).

    With ``nets`` None the model files must already be in place (an ensemble copies
    its members' files first). The manifest is written last.
    """
    folder = model.path
    folder.mkdir(parents=True, exist_ok=True)
    if nets is not None:
        for member, member_nets in zip(model.members, nets, strict=True):
            trainer = member_trainer(model, member)
            for group, net in zip(member.groups, member_nets, strict=True):
                trainer.save(net, folder / group.file)
    for member in model.members:
        for group in member.groups:
            if not (folder / group.file).is_file():
                raise DataError(f"{folder / group.file}: model file missing; not saved.")
    write_standardiser(folder / STANDARDISER, model.standardiser)
    for k, member in enumerate(model.members):
        name = member.scaler_file(k)
        if name is not None and member.scaler is not None:
            write_standardiser(folder / name, member.scaler)
    write_text_atomic(folder / MANIFEST, json.dumps(model.to_json(), indent=2))
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
    source = str(manifest_path)
    try:
        _check_format(Node(raw, source))
    except DataError as exc:
        raise DataError(f"{exc}. {_REFIX}") from None
    scaler = read_standardiser(folder / STANDARDISER)
    try:
        return ModelDir.from_json(raw, path=folder, standardiser=scaler, source=source)
    except DataError as exc:
        raise DataError(f"{exc}. {_REFIX}") from None


def member_trainer(model: ModelDir, member: Member) -> Trainer:
    """The trainer of ``member``'s family: it saves, loads and predicts its files (building
    nothing: no model is compiled for that)."""
    from mbr_search.training.trainers import trainer_for

    return trainer_for(member.params, model.behaviours, n_features=model.feature_dim, seed=0)


def load_nets(model: ModelDir) -> list[list[object]]:
    """The models, ``[member][group]``, loaded for inference only (never unpickled)."""
    from mbr_search.inference.model_files import check_model_file

    # Every file checked before any native loader sees one: a damaged LightGBM text
    # aborted the process in C++, a damaged .keras read as "File not found".
    for member in model.members:
        for group in member.groups:
            check_model_file(model.path / group.file)
    nets: list[list[object]] = []
    for member in model.members:
        trainer = member_trainer(model, member)
        nets.append([trainer.load(model.path / group.file) for group in member.groups])
    return nets


def copy_members(
    sources: Sequence[ModelDir], target: Path, weights: Sequence[float] | None = None
) -> tuple[Member, ...]:
    """Copy each source's single member into ``target`` under new file names (ensembles),
    with ``weights[k]`` for source k (equal weights by default)."""
    target.mkdir(parents=True, exist_ok=True)
    members = []
    for k, source in enumerate(sources):
        for member in source.members:
            groups = []
            for group in member.groups:
                name = f"m{k}_{group.file.split('_', 1)[-1]}"
                shutil.copyfile(source.path / group.file, target / name)
                groups.append(Group(name, group.columns))
            weight = 1.0 if weights is None else float(weights[k])
            # The windows and own standardiser travel with the member (saved under its new
            # index by save()).
            members.append(replace(member, groups=tuple(groups), weight=weight))
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
