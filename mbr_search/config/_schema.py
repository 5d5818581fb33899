"""A small reader for one YAML mapping that validates as it goes.

Each accessor names the file and the dotted key in its error, and ``finish()`` refuses
keys nobody asked for (with the nearest valid key), so a typo never passes silently.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from mbr_search.config._yaml import nearest
from mbr_search.errors import ConfigError

T = TypeVar("T")
_MISSING: Any = object()


class Section:
    """A view on one mapping of a YAML file at a dotted path."""

    def __init__(self, data: Any, file: Path, path: str = "") -> None:
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(
                f"{file}: '{path or '<top>'}' must be a mapping of keys, got {_show(data)}."
            )
        self.data: dict[str, Any] = data
        self.file = file
        self.path = path
        self._seen: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def fail(self, name: str, message: str) -> ConfigError:
        return ConfigError(f"{self.file}: {self.key(name)}: {message}")

    def has(self, name: str) -> bool:
        self._seen.add(name)
        return self.data.get(name) is not None

    def raw(self, name: str, default: Any = _MISSING) -> Any:
        self._seen.add(name)
        value = self.data.get(name)
        if value is None:
            if default is _MISSING:
                near = difflib.get_close_matches(name, [str(k) for k in self.data], 1, 0.6)
                hint = f" Found '{near[0]}': did you mean '{name}'?" if near else ""
                raise self.fail(name, f"required key is missing.{hint} Fix: add it.")
            return default
        return value

    def text(self, name: str, default: Any = _MISSING, choices: Sequence[str] | None = None) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str) or not value:
            raise self.fail(name, f"expected a non-empty string, got {_show(value)}.")
        if choices is not None and value not in choices:
            raise self.fail(
                name,
                f"'{value}' is not one of {list(choices)}; {nearest(value, choices)}"
                "Fix: use one of those.",
            )
        return value

    def integer(self, name: str, default: Any = _MISSING, minimum: int | None = None) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(name, f"expected an integer, got {_show(value)}.")
        if minimum is not None and value < minimum:
            raise self.fail(name, f"must be >= {minimum}, got {value}.")
        return value

    def number(
        self,
        name: str,
        default: Any = _MISSING,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(name, f"expected a number, got {_show(value)}.")
        value = float(value)
        if not math.isfinite(value):
            raise self.fail(name, f"must be a finite number, got {value}.")
        if minimum is not None and value < minimum:
            raise self.fail(name, f"must be >= {minimum}, got {value}.")
        if maximum is not None and value > maximum:
            raise self.fail(name, f"must be <= {maximum}, got {value}.")
        return value

    def flag(self, name: str, default: Any = _MISSING) -> Any:
        value = self.raw(name, default)
        if not isinstance(value, bool):
            raise self.fail(name, f"expected true or false, got {_show(value)}.")
        return value

    def seq(self, name: str, default: Any = _MISSING) -> Any:
        value = self.raw(name, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, list):
            raise self.fail(name, f"expected a list, got {_show(value)}.")
        return value

    def names(self, name: str, default: Any = _MISSING) -> Any:
        value = self.seq(name, default)
        if value is default and default is not _MISSING:
            return value
        for item in value:
            if not isinstance(item, str) or not item:
                raise self.fail(name, f"expected a list of names, found {_show(item)}.")
        if len(set(value)) != len(value):
            dupes = sorted({v for v in value if value.count(v) > 1})
            raise self.fail(name, f"duplicate entries {dupes}. Fix: list each once.")
        return tuple(value)

    def section(self, name: str) -> Section:
        self._seen.add(name)
        return Section(self.data.get(name), self.file, self.key(name))

    def mapping(self, name: str) -> dict[str, Any]:
        value = self.raw(name, {})
        if not isinstance(value, dict):
            raise self.fail(name, f"expected a mapping, got {_show(value)}.")
        return value

    def finish(self) -> None:
        """Refuse keys that were never read: they are typos or unsupported options."""
        unknown = [k for k in self.data if k not in self._seen]
        if unknown:
            name = str(unknown[0])
            raise self.fail(
                name,
                f"unknown key; {nearest(name, self._seen)}valid keys here: {sorted(self._seen)}.",
            )


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
