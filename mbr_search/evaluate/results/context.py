"""What ``results.json`` is about: the dataset's split, the settings evaluate used and the
fidelity (folds) the ranked trials were scored on."""

from __future__ import annotations

from dataclasses import dataclass

from mbr_search.jsondoc import JSONObject, Node


@dataclass(frozen=True)
class DatasetInfo:
    """The dataset evaluated on and its split."""

    name: str
    path: str
    train_videos: tuple[str, ...]
    test_videos: tuple[str, ...]

    def to_json(self) -> JSONObject:
        return {
            "name": self.name,
            "path": self.path,
            "train_videos": list(self.train_videos),
            "test_videos": list(self.test_videos),
        }

    @classmethod
    def from_json(cls, node: Node) -> DatasetInfo:
        return cls(
            name=node["name"].text(),
            path=node["path"].text(),
            train_videos=node["train_videos"].texts(),
            test_videos=node["test_videos"].texts(),
        )


@dataclass(frozen=True)
class Settings:
    """How evaluate decided and scored (the same for every model in the file)."""

    top: int
    ensemble: bool
    threshold_rule: str
    postprocess_objective: str
    #: candidate window sizes in frames per post-processing step
    postprocess_grid_frames: dict[str, tuple[int, ...]]
    segmental_overlap: float
    cv_metric: str
    #: the test videos were predicted with test-time augmentation (``inference/tta.py``);
    #: None: not recorded (a results.json written before it was)
    tta: bool | None = None
    #: views per test video (the most, when videos differ) when some model averaged over
    #: them; None without TTA, or when no model had a member trained on augmented copies
    tta_views: int | None = None

    def to_json(self) -> JSONObject:
        return {
            "top": self.top,
            "ensemble": self.ensemble,
            "threshold_rule": self.threshold_rule,
            "postprocess_objective": self.postprocess_objective,
            "postprocess_grid_frames": {
                k: list(v) for k, v in self.postprocess_grid_frames.items()
            },
            "segmental_overlap": self.segmental_overlap,
            "cv_metric": self.cv_metric,
            "tta": self.tta,
            "tta_views": self.tta_views,
        }

    @classmethod
    def from_json(cls, node: Node) -> Settings:
        tta, views = node.optional("tta"), node.optional("tta_views")
        return cls(
            top=node["top"].integer(),
            ensemble=node["ensemble"].boolean(),
            threshold_rule=node["threshold_rule"].text(),
            postprocess_objective=node["postprocess_objective"].text(),
            postprocess_grid_frames={
                k: n.integers() for k, n in node["postprocess_grid_frames"].entries()
            },
            segmental_overlap=node["segmental_overlap"].number(),
            cv_metric=node["cv_metric"].text(),
            tta=None if tta is None else tta.boolean(),
            tta_views=None if views is None else views.integer(),
        )


@dataclass(frozen=True)
class Fidelity:
    """The folds every ranked trial was scored on, and the complete trials left out because
    they were scored on other (fewer) folds: they are never ranked against the others."""

    folds: tuple[str, ...]
    #: trial number -> the folds it was scored on
    left_out: dict[int, tuple[str, ...]]

    def to_json(self) -> JSONObject:
        return {
            "folds": list(self.folds),
            "left_out": {str(t): list(f) for t, f in self.left_out.items()},
        }

    @classmethod
    def from_json(cls, node: Node) -> Fidelity:
        left_out = {}
        for key, folds in node["left_out"].entries():
            if not key.isdigit():
                raise folds.fail(f"key {key!r} is not a trial number")
            left_out[int(key)] = folds.texts()
        return cls(folds=node["folds"].texts(), left_out=left_out)
