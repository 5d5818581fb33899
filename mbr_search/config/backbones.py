"""The registry of pretrained image backbones: one entry per ``keras.applications`` model.

Pure data (what a backbone is called, eats and gives back), so that a study file is
validated without importing Keras; building one is ``mbr_search.features.embed.backbones``.

Adding a backbone is one :class:`Backbone` line in :data:`BACKBONES`. Every backbone is built
with ``include_top=False, pooling="avg"`` so it maps an image to one vector per frame (the
thesis' §3.2 / §4.1 setup).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mbr_search.errors import UsageError


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
            "(new ones are one entry in mbr_search/config/backbones.py)."
        ) from None
