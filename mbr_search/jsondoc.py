"""Reading a JSON document back into typed objects, with one-line errors naming file and key.

``results.json`` and a model directory's ``model.json`` are read through :class:`Node`: a
value, the file it came from and its key path (``trials[0].test.post.pooled.social.f1``).
Every accessor checks the type it promises, so a missing or malformed value stops with one
:class:`~mbr_search.errors.DataError` line that names both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeAlias

from mbr_search.errors import DataError

#: A JSON value as ``json`` writes and reads it: what every ``to_json`` returns and every
#: :class:`Node` holds.
JSON: TypeAlias = dict[str, "JSON"] | list["JSON"] | str | int | float | bool | None
#: A JSON object: one ``to_json`` result.
JSONObject: TypeAlias = dict[str, JSON]


@dataclass(frozen=True)
class Node:
    """One value of a JSON document and where it sits."""

    value: JSON
    source: str
    key: str = ""

    def fail(self, problem: str) -> DataError:
        where = f" key '{self.key}'" if self.key else ""
        return DataError(f"{self.source}:{where} {problem}")

    def _wrong(self, expected: str) -> DataError:
        return self.fail(f"is {_shown(self.value)}, expected {expected}")

    def _child(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.key}[{key}]"
        return f"{self.key}.{key}" if self.key else key

    # containers
    def mapping(self) -> Mapping[str, JSON]:
        if not isinstance(self.value, Mapping):
            raise self._wrong("an object")
        return self.value

    def __getitem__(self, key: str) -> Node:
        """The required entry ``key`` of this object."""
        values = self.mapping()
        if key not in values:
            raise Node(None, self.source, self._child(key)).fail("is missing")
        return Node(values[key], self.source, self._child(key))

    def has(self, key: str) -> bool:
        return key in self.mapping()

    def nullable(self, key: str) -> Node | None:
        """The required entry ``key``, None when it is null."""
        node = self[key]
        return None if node.value is None else node

    def optional(self, key: str) -> Node | None:
        """The entry ``key``, None when it is absent or null."""
        values = self.mapping()
        if values.get(key) is None:
            return None
        return Node(values[key], self.source, self._child(key))

    def entries(self) -> list[tuple[str, Node]]:
        """(key, value) of every entry of this object, in file order."""
        return [
            (str(k), Node(v, self.source, self._child(str(k)))) for k, v in self.mapping().items()
        ]

    def elements(self) -> list[Node]:
        if not isinstance(self.value, list):
            raise self._wrong("a list")
        return [Node(v, self.source, self._child(i)) for i, v in enumerate(self.value)]

    # scalars
    def text(self) -> str:
        if not isinstance(self.value, str):
            raise self._wrong("a string")
        return self.value

    def integer(self) -> int:
        if not isinstance(self.value, int) or isinstance(self.value, bool):
            raise self._wrong("an integer")
        return self.value

    def number(self) -> float:
        if not isinstance(self.value, int | float) or isinstance(self.value, bool):
            raise self._wrong("a number")
        return float(self.value)

    def optional_rate(self) -> float | None:
        """A frame rate: None, or a number above 0 and at most 10,000 per second (1e308
        overflowed in the resampling; NaN compares false, so it fails here too)."""
        value = self.optional_number()
        if value is not None and not 0 < value <= 10_000:
            raise self._wrong("a frame rate above 0 and at most 10000")
        return value

    def optional_number(self) -> float | None:
        return None if self.value is None else self.number()

    def optional_integer(self) -> int | None:
        return None if self.value is None else self.integer()

    def boolean(self) -> bool:
        if not isinstance(self.value, bool):
            raise self._wrong("true or false")
        return self.value

    # shorthands for the common shapes
    def texts(self) -> tuple[str, ...]:
        return tuple(n.text() for n in self.elements())

    def integers(self) -> tuple[int, ...]:
        return tuple(n.integer() for n in self.elements())

    def numbers(self) -> tuple[float, ...]:
        return tuple(n.number() for n in self.elements())

    def optional_numbers_by_key(self) -> dict[str, float | None]:
        return {k: n.optional_number() for k, n in self.entries()}


def _shown(value: JSON) -> str:
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
