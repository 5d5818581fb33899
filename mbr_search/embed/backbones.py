"""The registry of pretrained image backbones: one entry per ``keras.applications`` model.

Adding a backbone is one :class:`Backbone` line in :data:`BACKBONES`. Every backbone is built
with ``include_top=False, pooling="avg"`` so it maps an image to one vector per frame (the
thesis' §3.2 / §4.1 setup).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from mbr_search.errors import DataError, UsageError

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class Backbone:
    """One pretrained CNN: how to build it, what it eats and what it gives back."""

    name: str
    #: attribute of ``keras.applications`` that builds the model
    constructor: str
    #: submodule of ``keras.applications`` whose ``preprocess_input`` matches the weights
    module: str
    #: square input side in pixels (the crop is resized to this)
    input_size: int
    #: length of the pooled feature vector
    dim: int
    #: file name Keras downloads the ImageNet no-top weights to (``~/.keras/models``)
    imagenet_file: str

    def preprocess(self) -> Callable[[np.ndarray], np.ndarray]:
        """The backbone's own ``preprocess_input`` (RGB float32 in, network input out)."""
        import keras

        fn: Callable[[np.ndarray], np.ndarray] = getattr(
            keras.applications, self.module
        ).preprocess_input
        return fn


BACKBONES: dict[str, Backbone] = {
    b.name: b
    for b in (
        Backbone(
            "resnet50v2", "ResNet50V2", "resnet_v2", 224, 2048,
            "resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
        ),
        Backbone(
            "inception_resnet_v2", "InceptionResNetV2", "inception_resnet_v2", 299, 1536,
            "inception_resnet_v2_weights_tf_dim_ordering_tf_kernels_notop.h5",
        ),
        Backbone(
            "efficientnet_v2_b0", "EfficientNetV2B0", "efficientnet_v2", 224, 1280,
            "efficientnetv2-b0_notop.h5",
        ),
        Backbone(
            "convnext_tiny", "ConvNeXtTiny", "convnext", 224, 768, "convnext_tiny_notop.h5",
        ),
        Backbone(
            "mobilenet_v3_small", "MobileNetV3Small", "mobilenet_v3", 224, 576,
            "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5",
        ),
    )
}  # fmt: skip


def get_backbone(name: str) -> Backbone:
    """The registry entry for ``name``; an unknown name lists the registry."""
    try:
        return BACKBONES[name]
    except KeyError:
        raise UsageError(
            f"unknown backbone '{name}'. Fix: use one of {sorted(BACKBONES)} "
            "(new ones are one entry in mbr_search/embed/backbones.py)."
        ) from None


def build_model(
    backbone: Backbone, weights: str, weights_file: Path | None = None, *, mixed: bool = False
) -> keras.Model:
    """Build ``backbone`` without its classifier, average-pooled, with the given weights.

    ``weights`` is ``"imagenet"``, ``"none"`` (random, for tests/benchmarks) or ``"file"``
    with ``weights_file`` the local weights. ``mixed`` builds it in mixed float16 (GPU).
    """
    import keras

    constructor = getattr(keras.applications, backbone.constructor)
    kwargs: dict[str, Any] = {
        "include_top": False,
        "pooling": "avg",
        "input_shape": (backbone.input_size, backbone.input_size, 3),
    }
    previous = keras.config.dtype_policy()
    if mixed:
        # The policy is read when layers are created; restore it so that models built later
        # in this process (the temporal classifiers) are not affected.
        keras.config.set_dtype_policy("mixed_float16")
    try:
        if weights == "imagenet":
            model = _build_imagenet(constructor, backbone, kwargs)
        else:
            model = constructor(weights=None, **kwargs)
            if weights == "file":
                assert weights_file is not None
                load_weights_file(model, backbone, weights_file)
    finally:
        keras.config.set_dtype_policy(previous)
    if int(model.output_shape[-1]) != backbone.dim:  # pragma: no cover - registry typo guard
        raise UsageError(
            f"backbone '{backbone.name}' gives {model.output_shape[-1]} features, the registry "
            f"says {backbone.dim}. Fix: correct its entry in mbr_search/embed/backbones.py."
        )
    return model


def _build_imagenet(constructor: Any, backbone: Backbone, kwargs: dict[str, Any]) -> Any:
    try:
        return constructor(weights="imagenet", **kwargs)
    except Exception as exc:  # keras.utils.get_file raises a bare Exception when offline
        text = str(exc)
        match = re.search(r"(https?://\S+?\.h5)", text)
        url = match.group(1) if match else "the Keras applications weights URL"
        if "URL fetch failure" in text or match:
            # keras: "URL fetch failure on <url>: <code> -- <reason>"; keep the reason only
            reason = _first_line(text).rsplit(" -- ", 1)[-1][:120]
            raise DataError(
                f"cannot download the ImageNet weights for {backbone.name} (offline? {reason})"
                f". Fix: fetch {url} on a machine with internet "
                f"and pass --weights /path/to/{backbone.imagenet_file} (or copy it to "
                "~/.keras/models/), or use --weights none for tests."
            ) from exc
        raise DataError(
            f"cannot load the ImageNet weights for {backbone.name}: {_first_line(text)}. "
            f"Fix: delete ~/.keras/models/{backbone.imagenet_file} (it may be truncated) "
            "and retry, or pass a local file with --weights."
        ) from exc


def load_weights_file(model: Any, backbone: Backbone, path: Path) -> None:
    """Load a local weights file into ``model``; refuse files of another architecture.

    Keras raises on a layer-count or variable mismatch, but its native ``.weights.h5``
    loader only *warns* when whole sub-blocks are absent, which would leave random weights
    in place silently, so warnings are treated as a refusal too.
    """
    if not path.is_file():
        raise UsageError(f"{path}: weights file not found. Fix: check the --weights path.")
    name = path.name.lower()
    if not name.endswith((".h5", ".hdf5", ".keras")):
        raise UsageError(
            f"{path}: unsupported weights file type. Fix: give a Keras .h5 / .weights.h5 "
            f"file of {backbone.name} without its top, e.g. {backbone.imagenet_file}."
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.load_weights(str(path))
            problem = None
        except (ValueError, KeyError, OSError, TypeError) as exc:
            problem = _first_line(str(exc))
    skipped = [w for w in caught if _is_skip_warning(str(w.message))]
    if problem is None and skipped:
        problem = _first_line(str(skipped[0].message))
    if problem is not None:
        raise DataError(
            f"{path}: not {backbone.name} weights without the classifier top "
            f"({problem[:160]}). Fix: pass the no-top weights of {backbone.name} "
            f"(e.g. {backbone.imagenet_file}) or choose the --backbone these weights belong to."
        )


def _is_skip_warning(message: str) -> bool:
    text = message.lower()
    return any(word in text for word in ("skipping", "could not be loaded", "mismatch"))


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "no details"


def has_gpu() -> bool:
    """True when TensorFlow sees a GPU (then mixed precision and XLA are used)."""
    try:
        import tensorflow as tf

        return bool(tf.config.list_physical_devices("GPU"))
    except Exception:  # any backend without TF, or a broken CUDA setup: treat as CPU
        return False
