"""Typed hyperparameters: one frozen dataclass per model family, checked in one place.

A field declares its default and its rule with :func:`param`; the search space loader reads
the rules to refuse a bad value when the YAML is loaded, and :meth:`Params.from_dict` turns
the flat mapping a trial records into the typed object the builders use.

:class:`Params` is family-neutral (rules, reading, writing); :class:`SequenceParams` adds what
every Keras sequence family shares. A trial records its family under :data:`MODEL_KEY` next
to the hyperparameters; ``from_dict`` accepts that key when it names the class's own family.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from mbr_search.errors import ConfigError
from mbr_search.models.heads import HEADS, SIGMOID

Check = Callable[[Any], bool]

#: The key under which a trial's recorded params name its family ("model" as in a space).
MODEL_KEY = "model"


@dataclass(frozen=True)
class ParamRule:
    """What values one hyperparameter accepts, in words and as a predicate."""

    name: str
    default: Any
    rule: str
    check: Check


def param(default: Any, rule: str, check: Check) -> Any:
    """A dataclass field with a default and a validation rule."""
    return dataclasses.field(default=default, metadata={"rule": rule, "check": check})


def integer(low: int, high: int | None = None) -> tuple[str, Check]:
    """The rule text and predicate of an integer in ``[low, high]``."""
    text = f"an integer >= {low}" if high is None else f"an integer in {low}..{high}"

    def ok(v: Any) -> bool:
        return (
            isinstance(v, int)
            and not isinstance(v, bool)
            and v >= low
            and (high is None or v <= high)
        )

    return text, ok


def fraction() -> tuple[str, Check]:
    return "a number in [0, 1)", lambda v: _is_number(v) and 0 <= v < 1


def share() -> tuple[str, Check]:
    """A fraction of rows or features to use: (0, 1]."""
    return "a number in (0, 1]", lambda v: _is_number(v) and 0 < v <= 1


def non_negative() -> tuple[str, Check]:
    return "a number >= 0", lambda v: _is_number(v) and v >= 0


def positive() -> tuple[str, Check]:
    return "a number > 0", lambda v: _is_number(v) and v > 0


def boolean() -> tuple[str, Check]:
    return "true or false", lambda v: isinstance(v, bool)


def one_of(*choices: str) -> tuple[str, Check]:
    return f"one of {list(choices)}", lambda v: v in choices


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def name_of_set() -> tuple[str, Check]:
    return (
        "'none' or a name of the study's features.window_sets",
        lambda v: isinstance(v, str) and bool(v),
    )


@dataclass(frozen=True)
class Params:
    """The hyperparameters of one model family; subclasses declare them with :func:`param`.

    ``windows`` is declared here because every family takes features: which of the study's
    window sets (``features.window_sets``) a trial adds to them, searchable like any other
    hyperparameter. The study checks the names against its sets when it is loaded.
    """

    family: ClassVar[str] = ""

    windows: str = param("none", *name_of_set())

    @classmethod
    def rules(cls) -> dict[str, ParamRule]:
        """Every hyperparameter of the family with its default and rule."""
        return {
            f.name: ParamRule(f.name, f.default, f.metadata["rule"], f.metadata["check"])
            for f in dataclasses.fields(cls)
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Self:
        """Defaults < ``values``; an unknown name or a value breaking its rule is refused.

        ``values`` may name the family under :data:`MODEL_KEY` (a trial's record does); it
        must be this class's family.
        """
        values = dict(values)
        model = values.pop(MODEL_KEY, cls.family)
        if model != cls.family:
            raise ConfigError(
                f"these hyperparameters are for model '{model}', not for {cls.family}."
            )
        rules = cls.rules()
        unknown = sorted(set(values) - set(rules))
        if unknown:
            raise ConfigError(
                f"{unknown} are not {cls.family} hyperparameters; valid: {sorted(rules)}."
            )
        for name, value in values.items():
            rule = rules[name]
            if not rule.check(value):
                raise ConfigError(f"{name}: value {value!r} is invalid; it must be {rule.rule}.")
        return cls(**{k: _as_declared(rules[k].default, v) for k, v in values.items()})

    def to_dict(self) -> dict[str, Any]:
        """The hyperparameters (without the family)."""
        return dataclasses.asdict(self)

    def record(self) -> dict[str, Any]:
        """What a trial records: the family under :data:`MODEL_KEY`, then every value."""
        return {MODEL_KEY: self.family, **self.to_dict()}


@dataclass(frozen=True)
class SequenceParams(Params):
    """Hyperparameters every Keras sequence family shares (thesis §3.3)."""

    seq_len: int = param(300, *integer(2))
    batch_size: int = param(16, *integer(1))
    learning_rate: float = param(1e-3, *positive())
    dropout: float = param(0.5, *fraction())
    #: one multi-label model instead of one binary model per behaviour (the thesis)
    multi_label: bool = param(False, *boolean())
    #: add augmented copies of the training videos (the study's features.augment) to each
    #: training fold and to retraining; never to validation or test frames
    augment: bool = param(False, *boolean())
    #: sigmoid: one probability per behaviour; softmax: one distribution over the
    #: behaviours plus "none" (mutually exclusive labels only; models/heads.py); softmax
    #: always trains one model over all behaviours, whatever multi_label says
    head: str = param(SIGMOID, *one_of(*HEADS))


def _as_declared(default: Any, value: Any) -> Any:
    # YAML and Optuna give 1 for a float field now and then; keep the declared type.
    if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value
