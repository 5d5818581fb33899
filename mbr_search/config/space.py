"""Search spaces: YAML files in ``search_spaces/`` describing what a trial may vary.

One schema for grids and Bayesian ranges::

    model: lstm                   # a family of mbr_search.models: gbdt | lstm | tcn | transformer
    params:                       # searched
      seq_len: {type: categorical, choices: [300, 600, 1650]}
      learning_rate: {type: float, low: 1.0e-4, high: 1.0e-2, log: true}
      lstm_units: {type: int, low: 32, high: 256, step: 32}
    fixed:                        # not searched
      dropout: 0.5

A space whose params are all categorical is a grid (run with GridSampler by default).

One search across families: ``model`` itself is searched, and ``params`` / ``fixed`` hold one
block per family, sampled define-by-run (``model`` first, then only that family's block;
its Optuna names are prefixed ``FAMILY.``, so ``lstm.learning_rate`` and
``gbdt.learning_rate`` never collide)::

    model: {choices: [lstm, gbdt]}
    params:
      lstm: {lstm_units: {type: int, low: 16, high: 96, log: true}}
      gbdt: {num_leaves: {type: int, low: 8, high: 128, log: true}}
    fixed:
      lstm: {multi_label: true}

Each block is validated against its own family's ``Params.rules()``: a hyperparameter of
another family is refused naming that family.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from mbr_search.config._schema import Section
from mbr_search.config._yaml import load_yaml_mapping, nearest
from mbr_search.errors import ConfigError
from mbr_search.jsondoc import JSON
from mbr_search.models import FAMILIES, MODEL_KEY, Family, Params, family_of_param, get_family

if TYPE_CHECKING:
    import optuna

#: A categorical choice, as Optuna stores one.
Choice: TypeAlias = bool | int | float | str | None

PARAM_TYPES = ("categorical", "int", "float")


@dataclass(frozen=True)
class Param:
    """One searched hyperparameter (``name`` is its Optuna name)."""

    name: str
    type: str
    choices: tuple[Choice, ...] = ()
    low: float | None = None
    high: float | None = None
    step: float | None = None
    log: bool = False

    def suggest(self, trial: optuna.Trial) -> Choice:
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
class FamilyBlock:
    """One family's part of a space: what is searched and what is fixed."""

    family: str
    #: searched; Optuna names are ``prefix + hyperparameter``
    params: tuple[Param, ...]
    #: (hyperparameter, value), not searched
    fixed: tuple[tuple[str, JSON], ...]
    #: ``"FAMILY."`` in a space that searches ``model``, else ""
    prefix: str = ""

    def key(self, p: Param) -> str:
        """The hyperparameter a searched :class:`Param` sets."""
        return p.name.removeprefix(self.prefix)

    def suggest(self, trial: optuna.Trial) -> dict[str, JSON]:
        """Defaults < fixed < suggested, with the family under ``model``."""
        return self.resolve({p.name: p.suggest(trial) for p in self.params})

    def resolve(self, sampled: Mapping[str, JSON]) -> dict[str, JSON]:
        """Every hyperparameter of the family: defaults < fixed < ``sampled`` (values by
        Optuna name; a param it lacks keeps its default), the family under ``model``."""
        values: dict[str, JSON] = {
            k: r.default for k, r in get_family(self.family).params.rules().items()
        }
        values.update(dict(self.fixed))
        values.update({self.key(p): sampled[p.name] for p in self.params if p.name in sampled})
        values[MODEL_KEY] = self.family
        return values


@dataclass(frozen=True)
class SearchSpace:
    """A validated search space: one family, or a searched choice of families."""

    name: str
    path: Path
    blocks: tuple[FamilyBlock, ...]
    #: ``model: {choices: [...]}``: the family is the first thing a trial suggests
    searches_model: bool = False

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(b.family for b in self.blocks)

    @property
    def model(self) -> str:
        """The family; for a searched choice, the choices joined by ``|``."""
        return "|".join(self.families)

    @property
    def model_param(self) -> Param:
        """The searched family, a categorical Optuna parameter named ``model``."""
        return Param(MODEL_KEY, "categorical", choices=self.families)

    @property
    def params(self) -> tuple[Param, ...]:
        """Every searched parameter under its Optuna name (a searched ``model`` first)."""
        first = (self.model_param,) if self.searches_model else ()
        return first + tuple(p for b in self.blocks for p in b.params)

    @property
    def fixed(self) -> tuple[tuple[str, JSON], ...]:
        """Every fixed value (``FAMILY.name`` in a space that searches ``model``)."""
        return tuple((b.prefix + k, v) for b in self.blocks for k, v in b.fixed)

    @property
    def is_grid(self) -> bool:
        return not self.searches_model and all(p.type == "categorical" for p in self.params)

    def grid(self) -> dict[str, list[Choice]]:
        """The GridSampler search space (only for grid spaces)."""
        return {p.name: list(p.choices) for p in self.params}

    def grid_size(self) -> int:
        return math.prod(len(p.choices) for p in self.params) if self.is_grid else 0

    def block(self, family: str) -> FamilyBlock:
        return next(b for b in self.blocks if b.family == family)

    def values_of(self, name: str) -> list[tuple[str, JSON]]:
        """(Optuna name or fixed key, value) for every value hyperparameter ``name`` can take
        beyond its default: each fixed value and each choice (for the study's checks)."""
        out: list[tuple[str, JSON]] = []
        for b in self.blocks:
            out += [(b.prefix + k, v) for k, v in b.fixed if k == name]
            for p in b.params:
                if b.key(p) == name:
                    values = p.choices if p.type == "categorical" else (p.low, p.high)
                    out += [(p.name, v) for v in values]
        return out

    def suggest(self, trial: optuna.Trial) -> dict[str, JSON]:
        """All hyperparameters for one trial, with its family under ``model``: defaults <
        fixed < suggested. A searched ``model`` is suggested first, then its block only."""
        if not self.searches_model:
            return self.blocks[0].suggest(trial)
        return self.block(str(self.model_param.suggest(trial))).suggest(trial)

    def suggest_params(self, trial: optuna.Trial) -> Params:
        """The typed hyperparameters of one trial (:meth:`suggest` read by its family)."""
        values = self.suggest(trial)
        return get_family(str(values[MODEL_KEY])).params.from_dict(values)

    def family_of(self, params: Mapping[str, JSON]) -> Family:
        """The family of a trial's recorded params (``model``; before it was recorded,
        the space's one family)."""
        if MODEL_KEY in params:
            return get_family(str(params[MODEL_KEY]))
        if self.searches_model:
            raise ConfigError(f"{self.path}: a trial's params do not name their model family.")
        return get_family(self.blocks[0].family)


def load_space(path: Path) -> SearchSpace:
    """Read and validate a search space YAML file."""
    root = Section(load_yaml_mapping(path, "search space"), path)
    name = root.text("name", path.stem)
    root.text("description", "")
    families, searched = _models(root)
    params_sec, fixed_sec = root.section("params"), root.section("fixed")
    if searched:
        _check_family_keys(params_sec, families)
        _check_family_keys(fixed_sec, families)
        blocks = tuple(
            _block(params_sec.section(f), fixed_sec.section(f), f, prefix=f"{f}.") for f in families
        )
    else:
        blocks = (_block(params_sec, fixed_sec, families[0], prefix=""),)
    params_sec.finish()
    fixed_sec.finish()
    root.finish()
    space = SearchSpace(name, path, blocks, searched)
    for block in blocks:
        _check_values(space, block)
    return space


def _models(root: Section) -> tuple[tuple[str, ...], bool]:
    """The family (``model: lstm``) or the searched families (``model: {choices: [...]}``)."""
    if not isinstance(root.raw("model"), dict):
        return (root.text("model", choices=sorted(FAMILIES)),), False
    sec = root.section("model")
    choices = sec.names("choices")
    if not choices:
        raise sec.fail("choices", "is empty. Fix: list at least one model family.")
    for family in choices:
        if family not in FAMILIES:
            raise sec.fail(
                "choices",
                f"unknown model family '{family}'; {nearest(family, sorted(FAMILIES))}"
                f"the registry has {sorted(FAMILIES)} (a new family is one module in "
                "mbr_search/models/ plus one FAMILIES entry).",
            )
    sec.finish()
    return tuple(choices), True


def _check_family_keys(sec: Section, families: tuple[str, ...]) -> None:
    """With ``model`` searched, ``params`` and ``fixed`` hold one block per family."""
    for key in sec.data:
        if key in families:
            continue
        if key in FAMILIES:
            raise sec.fail(
                key, f"is a block for {key}, which model.choices {list(families)} does not "
                "list. Fix: add it to model.choices, or remove the block.",
            )  # fmt: skip
        owners = family_of_param(str(key))
        if owners:
            blocks = [sec.key(o) for o in owners if o in families] or [sec.key(owners[0])]
            raise sec.fail(
                key, f"with model choices, hyperparameters go in one block per family. Fix: "
                f"move it under {' or '.join(blocks)}.",
            )  # fmt: skip
        raise sec.fail(
            key, f"unknown model family; {nearest(str(key), sorted(families))}blocks here are "
            f"named after model.choices {list(families)}.",
        )  # fmt: skip


def _block(params_sec: Section, fixed_sec: Section, family: str, prefix: str) -> FamilyBlock:
    valid = sorted(get_family(family).params.rules())
    params: list[Param] = []
    for pname in list(params_sec.data):
        _check_name(params_sec, pname, valid, family, nested=bool(prefix))
        params.append(_param(params_sec.section(pname), prefix + str(pname)))
    params_sec.finish()
    fixed: list[tuple[str, JSON]] = []
    for pname in list(fixed_sec.data):
        if pname == MODEL_KEY:  # a re-run trial's record names its family
            if fixed_sec.raw(pname) != family:
                raise fixed_sec.fail(
                    pname, f"is {fixed_sec.raw(pname)!r} but this block is for {family}."
                )
            fixed.append((pname, family))
            continue
        _check_name(fixed_sec, pname, valid, family, nested=bool(prefix))
        fixed.append((pname, fixed_sec.raw(pname)))
        if pname in params_sec.data:
            raise fixed_sec.fail(pname, "is both searched (params) and fixed. Fix: keep one.")
    fixed_sec.finish()
    return FamilyBlock(family, tuple(params), tuple(fixed), prefix)


def _check_name(sec: Section, pname: str, valid: list[str], model: str, nested: bool) -> None:
    if pname in valid:
        return
    owners = family_of_param(pname)
    if owners:
        fix = (
            f"move it to the {owners[0]} block"
            if nested
            else f"remove it, or set model: {owners[0]}"
        )
        raise sec.fail(
            pname,
            f"belongs to the {' / '.join(owners)} family, not to {model}. Fix: {fix}; "
            f"{model} takes {valid}.",
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


def _check_values(space: SearchSpace, block: FamilyBlock) -> None:
    """Values that would only fail deep inside training are refused here."""
    rules = get_family(block.family).params.rules()
    values: list[tuple[str, JSON]] = [kv for kv in block.fixed if kv[0] != MODEL_KEY]
    for p in block.params:
        if p.type == "categorical":
            values.extend((block.key(p), c) for c in p.choices)
        else:
            for bound in (p.low, p.high):
                values.append((block.key(p), bound if p.type == "float" else int(bound or 0)))
    for name, value in values:
        rule = rules[name]
        if not rule.check(value):
            where = f"{block.family}." if block.prefix else ""
            raise ConfigError(
                f"{space.path}: {where}{name}: value {value!r} is invalid; it must be {rule.rule}."
            )
