"""A refused ``.keras`` file: one line, and never Keras's advice to load it unsafely."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mbr_search.errors import DataError
from mbr_search.training.keras_errors import keras_load_message, safe_detail

KERAS_LAMBDA_ADVICE = (
    "Requested the deserialization of a `Lambda` layer whose `function` is a Python lambda. "
    "This carries a potential risk of arbitrary code execution and thus it is disallowed by "
    "default. If you trust the source of the artifact, you can override this error by "
    "passing `safe_mode=False` to the loading function, or calling "
    "`keras.config.enable_unsafe_deserialization()."
)


def test_the_lambda_message_names_the_file_and_gives_no_unsafe_advice() -> None:
    message = keras_load_message(Path("m/m0_all.keras"), ValueError(KERAS_LAMBDA_ADVICE))
    assert message.startswith("m/m0_all.keras: refused: the model holds a Lambda layer")
    for unsafe in ("safe_mode", "unsafe_deserialization", "trust the source"):
        assert unsafe not in message
    assert "\n" not in message and "Fix:" in message


def test_other_keras_errors_lose_only_the_unsafe_sentences() -> None:
    text = "File format not recognised.\nIf you trust it, pass safe_mode=False. Check it."
    assert safe_detail(text) == "File format not recognised. Check it."
    long = keras_load_message(Path("x.keras"), OSError("a" * 1000))
    assert len(long) < 250 and long.endswith("...).")
    assert safe_detail("Pass `safe_mode=False`.") == "not a model file Keras can read"


@pytest.mark.slow
def test_real_lambda_layers_are_refused_in_one_line(tmp_path: Path) -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras = pytest.importorskip("keras")
    from mbr_search.training.sequence_trainer import SequenceTrainer

    def double(x: object) -> object:
        return x * 2  # type: ignore[operator]

    inp = keras.Input((4,))
    files = {
        "lambda.keras": keras.Model(inp, keras.layers.Lambda(lambda x: x * 2)(inp)),
        "named.keras": keras.Model(inp, keras.layers.Lambda(double)(inp)),
    }
    for name, model in files.items():
        model.save(tmp_path / name)
        with pytest.raises(DataError) as err:  # a TypeError (3 chained tracebacks) before
            SequenceTrainer.load(None, tmp_path / name)  # type: ignore[arg-type]
        message = str(err.value)
        assert message.startswith(f"{tmp_path / name}: refused: the model holds a Lambda")
        assert "safe_mode" not in message and "\n" not in message
