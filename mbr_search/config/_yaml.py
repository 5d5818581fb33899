"""Safe YAML loading with messages that name the file and line."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from mbr_search.errors import ConfigError

_MERGE_TAG = "tag:yaml.org,2002:merge"


class DuplicateKeyError(yaml.YAMLError):
    """A mapping names the same key twice; ``first``/``second`` are 1-based line numbers."""

    def __init__(self, key: Any, first: int, second: int) -> None:
        super().__init__(f"key {key!r} is given twice (lines {first} and {second})")
        self.key = key
        self.first = first
        self.second = second


class TooLargeError(yaml.YAMLError):
    """A document whose aliases expand to more than ``limit`` values (an alias bomb)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"expands to more than {limit} values ({size})")
        self.size = size
        self.limit = limit


#: Most values a document may hold once its aliases are expanded. The largest shipped
#: file has a few hundred; a billion-laughs bomb of ten lines has 10**9, which ``str()``,
#: ``repr()`` or ``json.dumps`` (error messages, the study fingerprint) would build in full.
MAX_EXPANDED_VALUES = 100_000


def expanded_size(node: yaml.Node, limit: int = MAX_EXPANDED_VALUES) -> int:
    """How many values ``node`` holds with every alias expanded, counted without expanding:
    an alias is the same node object, so each node's size is computed once (memoised by
    id) and a shared node adds its size once per use. Stops counting past ``limit``."""
    sizes: dict[int, int] = {}

    def size(n: yaml.Node) -> int:
        known = sizes.get(id(n))
        if known is not None:
            return known
        sizes[id(n)] = limit + 1  # a node inside itself (a recursive alias) counts as too big
        total = 1
        if isinstance(n, yaml.SequenceNode):
            children: list[yaml.Node] = list(n.value)
        elif isinstance(n, yaml.MappingNode):
            children = [part for pair in n.value for part in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > limit:
                break
        sizes[id(n)] = total
        return total

    return size(node)


class StrictSafeLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses a key given twice in one mapping.

    Plain ``safe_load`` keeps the last value silently, which is how ``seed: 0`` ...
    ``seed: 3`` changes an experiment unnoticed. Keys brought in by a ``<<:`` merge may
    still be overridden: that is what merges are for.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _value in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable (complex) key: the base class reports it
                continue
            if first is not None:
                raise DuplicateKeyError(key, first, line)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_document(self, node: yaml.Node) -> Any:
        # Refused before any Python object exists: the graph of nodes is small even for a
        # bomb, only its expansion is not.
        size = expanded_size(node)
        if size > MAX_EXPANDED_VALUES:
            raise TooLargeError(size, MAX_EXPANDED_VALUES)
        return super().construct_document(node)


def strict_load(text: str) -> Any:
    """``yaml.safe_load`` semantics, but a duplicated key raises :class:`DuplicateKeyError`."""
    return yaml.load(text, Loader=StrictSafeLoader)


def load_yaml_mapping(path: Path, what: str) -> dict[str, Any]:
    """Read ``path`` with ``yaml.safe_load`` and require a mapping at the top level."""
    if not path.is_file():
        raise ConfigError(f"{path}: {what} file not found. Fix: check the path.")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read {what} file ({exc}).") from exc
    try:
        data = strict_load(text)
    except DuplicateKeyError as exc:
        raise ConfigError(
            f"{path}:{exc.second}: key '{exc.key}' is given twice (lines {exc.first} and "
            f"{exc.second}); YAML would silently keep the last one. Fix: delete one of them."
        ) from None
    except TooLargeError as exc:
        raise ConfigError(
            f"{path}: the YAML's aliases (*name) expand to more than {exc.limit} values, "
            f"which looks like an alias bomb. Fix: write the {what} file without deeply "
            "nested aliases."
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "syntax error"
        raise ConfigError(
            f"{path}{where}: YAML syntax error: {problem}. Fix: correct the YAML at that line."
        ) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML error: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path}: expected a mapping of keys at the top of the {what} file, "
            f"got {type(data).__name__}."
        )
    return data


def nearest(name: str, choices: Iterable[str]) -> str:
    """A 'did you mean' hint for ``name`` among ``choices`` (empty when nothing is close)."""
    options = sorted(choices)
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'? "
    return ""


def parse_scalar(text: str) -> Any:
    """Parse a ``--set key=value`` right-hand side as YAML (``3`` -> 3, ``[a,b]`` -> list)."""
    try:
        return strict_load(text)
    except DuplicateKeyError as exc:
        raise ConfigError(
            f"--set value {text!r}: key '{exc.key}' is given twice. Fix: give it once."
        ) from None
    except yaml.YAMLError:
        return text


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any], source: Path) -> None:
    """Set dotted keys (``training.max_epochs``) in ``data`` in place, creating sections."""
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        node: Any = data
        for part in parts[:-1]:
            child = node.get(part)
            if child is None:
                child = {}
                node[part] = child
            if not isinstance(child, dict):
                raise ConfigError(
                    f"--set {dotted}: '{part}' in {source} is not a section. "
                    "Fix: set a key inside a section, e.g. --set training.max_epochs=5."
                )
            node = child
        node[parts[-1]] = value
