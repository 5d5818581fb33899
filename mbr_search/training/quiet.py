"""TensorFlow's "triggered tf.function retracing" warning, muted on purpose.

Keras compiles one predict function per model, all from the same Python code, and
TensorFlow counts the traces of every such function together. Predicting with several
loaded models (evaluate's members and retrained ensembles, predict's and suggest's
ensembles) therefore looks to it like "creating @tf.function repeatedly in a loop", and it
prints a multi-line warning between our own lines, although each model traces only for its
first batch shape and its last, shorter batch. Its advice does not apply. The alternative,
eager calls (``model(x, training=False)``) that trace nothing, took 2.8x the time of
``model.predict`` for seven 32-unit LSTMs on 31 sequences of 300 frames (measured here on
CPU), so the one warning is filtered instead; every other TensorFlow message still shows.
"""

from __future__ import annotations

import logging

#: The phrase of TensorFlow's warning (tensorflow/python/eager/polymorphic_function).
RETRACING = "triggered tf.function retracing"
#: TensorFlow's Python logger (``tf.get_logger()``), which writes the warning.
TF_LOGGER = "tensorflow"


class RetracingFilter(logging.Filter):
    """Drops the retracing warning and lets every other record through."""

    def filter(self, record: logging.LogRecord) -> bool:
        return RETRACING not in record.getMessage()


def mute_retracing_warning() -> None:
    """Add :class:`RetracingFilter` to TensorFlow's logger, once (no TensorFlow import:
    the logger is the standard library's, found by name)."""
    logger = logging.getLogger(TF_LOGGER)
    if not any(isinstance(f, RetracingFilter) for f in logger.filters):
        logger.addFilter(RetracingFilter())
