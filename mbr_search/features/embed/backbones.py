"""Building a registered backbone in Keras, with ImageNet, local or random weights.

The registry itself (names, input sizes, dimensions) is :mod:`mbr_search.config.backbones`.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from mbr_search.config.backbones import BACKBONES, Backbone, get_backbone
from mbr_search.errors import DataError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    import keras

__all__ = ["BACKBONES", "Backbone", "build_model", "get_backbone", "has_gpu", "load_weights_file"]


def build_model(
    backbone: Backbone, weights: str, weights_file: Path | None = None, *, mixed: bool = False
) -> keras.Model:
    """Build ``backbone`` without its classifier, average-pooled, with the given weights.

    ``weights`` is ``"imagenet"``, ``"none"`` (random, for tests/benchmarks) or ``"file"``
    with ``weights_file`` the local weights. ``mixed`` builds it in mixed float16 (GPU).
    """
    import keras

    constructor = getattr(keras.applications, backbone.constructor)
    kwargs: dict[str, object] = {
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
            f"says {backbone.dim}. Fix: correct its entry in mbr_search/config/backbones.py."
        )
    return model


def _build_imagenet(
    constructor: Callable[..., keras.Model], backbone: Backbone, kwargs: dict[str, object]
) -> keras.Model:
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


def load_weights_file(model: keras.Model, backbone: Backbone, path: Path) -> None:
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
