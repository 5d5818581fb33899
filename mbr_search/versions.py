"""The versions of Python and of the libraries that shape what mbr-search writes.

One list for every record that names versions: feature-cache manifests, ``results.json`` and
the report's versions table. Distributions are looked up by metadata, never imported, so
asking costs no TensorFlow start-up.
"""

from __future__ import annotations

import platform
from importlib import metadata

#: mbr-search itself, the numeric and search stack, every library that builds a model
#: (Keras/TensorFlow, keras-tcn, LightGBM) or a feature (OpenCV for embeddings, movement
#: for pose files), and plotly, which draws the report.
PACKAGES = (
    "mbr-search",
    "numpy",
    "pandas",
    "scipy",
    "scikit-learn",
    "optuna",
    "tensorflow",
    "keras",
    "keras-tcn",
    "lightgbm",
    "opencv-python-headless",
    "movement",
    "plotly",
)


def versions() -> dict[str, str]:
    """Python's version and each installed package of :data:`PACKAGES` (missing ones left
    out: an optional library that is not installed built nothing)."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out
