"""Search spaces: YAML files in ``search_spaces/`` describing what a trial may vary.

One schema for grids and Bayesian ranges::

    model: lstm                   # a family of mbr_search.models: lstm | tcn | transformer
    params:                       # searched
      seq_len: {type: categorical, choices: [300, 600, 1650]}
      learning_rate: {type: float, low: 1.0e-4, high: 1.0e-2, log: true}
      lstm_units: {type: int, low: 32, high: 256, step: 32}
    fixed:                        # not searched
      dropout: 0.5

A space whose params are all categorical is a grid (run with GridSampler by default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mbr_search.config._schema import Section
from mbr_search.config._yaml import load_yaml_mapping, nearest
from mbr_search.errors import ConfigError
from mbr_search.models import FAMILIES, family_of_param, get_family

PARAM_TYPES = ("categorical", "int", "float")


@dataclass(frozen=True)
class Param:
    """One searched hyperparameter."""

    name: str
    type: str
    choices: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False

    def suggest(self, trial: Any) -> Any:
        """Ask an Optuna trial for a value of this parameter."""
        if self.type == "categorical":
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.type == "int":
            return trial.suggest_int(
                self.name, int(self.low or 0), int(self.high or 0),
                step=int(self.step or 1), log=self.log,
            )  # fmt: skip
        return trial.suggest_float(
            self.name, float(self.low or 0.0), float(self.high or 0.0), step=self.step, log=self.log
        )


@dataclass(frozen=True)
class SearchSpace:
    """A validated search space."""

    name: str
    path: Path
    model: str
    params: tuple[Param, ...]
    fixed: tuple[tuple[str, Any], ...]

    @property
    def is_grid(self) -> bool:
        return all(p.type == "categorical" for p in self.params)

    def grid(self) -> dict[str, list[Any]]:
        """The GridSampler search space (only for grid spaces)."""
        return {p.name: list(p.choices) for p in self.params}

    def grid_size(self) -> int:
        return math.prod(len(p.choices) for p in self.params) if self.is_grid else 0

    def suggest(self, trial: Any) -> dict[str, Any]:
        """All hyperparameters for one trial: defaults < fixed < suggested."""
        values = {k: r.default for k, r in get_family(self.model).params.rules().items()}
        values.update(dict(self.fixed))
        for p in self.params:
            values[p.name] = p.suggest(trial)
        return values


def load_space(path: Path) -> SearchSpace:
    """Read and validate a search space YAML file."""
    root = Section(load_yaml_mapping(path, "search space"), path)
    name = root.text("name", path.stem)
    root.text("description", "")
    model = root.text("model", choices=sorted(FAMILIES))
    valid = sorted(get_family(model).params.rules())
    params_sec = root.section("params")
    params: list[Param] = []
    for pname in list(params_sec.data):
        _check_name(params_sec, pname, valid, model)
        params.append(_param(params_sec.section(pname), pname))
    params_sec.finish()
    fixed_sec = root.section("fixed")
    fixed: list[tuple[str, Any]] = []
    for pname in list(fixed_sec.data):
        _check_name(fixed_sec, pname, valid, model)
        fixed.append((pname, fixed_sec.raw(pname)))
        if pname in params_sec.data:
            raise fixed_sec.fail(pname, "is both searched (params) and fixed. Fix: keep one.")
    fixed_sec.finish()
    root.finish()
    space = SearchSpace(name, path, model, tuple(params), tuple(fixed))
    _check_values(space)
    return space


def _check_name(sec: Section, pname: str, valid: list[str], model: str) -> None:
    if pname in valid:
        return
    owners = family_of_param(pname)
    if owners:
        raise sec.fail(
            pname,
            f"belongs to the {' / '.join(owners)} family, not to {model}. Fix: remove it, "
            f"or set model: {owners[0]}; {model} takes {valid}.",
        )
    raise sec.fail(
        pname, f"unknown hyperparameter for a {model} space; {nearest(pname, valid)}valid: {valid}."
    )


def _param(sec: Section, name: str) -> Param:
    kind = sec.text("type", choices=PARAM_TYPES)
    if kind == "categorical":
        choices = sec.seq("choices")
        if not choices:
            raise sec.fail("choices", "is empty. Fix: list at least one value.")
        for c in choices:
            if not isinstance(c, str | int | float | bool) or c is None:
                raise sec.fail("choices", f"values must be numbers, strings or booleans: {c!r}.")
        sec.finish()
        return Param(name, kind, choices=tuple(choices))
    low = sec.number("low")
    high = sec.number("high")
    log = sec.flag("log", False)
    step = sec.number("step", None)
    if low > high:
        raise sec.fail("low", f"low ({low}) > high ({high}). Fix: swap them.")
    if log and low <= 0:
        raise sec.fail("low", f"log scale needs low > 0, got {low}. Fix: use a positive low.")
    if log and step is not None:
        raise sec.fail("step", "cannot combine step with log: true. Fix: drop one.")
    if step is not None and step <= 0:
        raise sec.fail("step", f"must be > 0, got {step}.")
    if kind == "int":
        for key, value in (("low", low), ("high", high), ("step", step)):
            if value is not None and not float(value).is_integer():
                raise sec.fail(key, f"an int parameter needs whole numbers, got {value}.")
    sec.finish()
    return Param(name, kind, low=low, high=high, step=step, log=log)


def _check_values(space: SearchSpace) -> None:
    """Values that would only fail deep inside training are refused here."""
    rules = get_family(space.model).params.rules()
    values: list[tuple[str, Any]] = list(space.fixed)
    for p in space.params:
        if p.type == "categorical":
            values.extend((p.name, c) for c in p.choices)
        else:
            for bound in (p.low, p.high):
                values.append((p.name, bound if p.type == "float" else int(bound or 0)))
    for name, value in values:
        rule = rules[name]
        if not rule.check(value):
            raise ConfigError(
                f"{space.path}: {name}: value {value!r} is invalid; it must be {rule.rule}."
            )
