"""Safe YAML loading with messages that name the file and line."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from mbr_search.errors import ConfigError


def load_yaml_mapping(path: Path, what: str) -> dict[str, Any]:
    """Read ``path`` with ``yaml.safe_load`` and require a mapping at the top level."""
    if not path.is_file():
        raise ConfigError(f"{path}: {what} file not found. Fix: check the path.")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read {what} file ({exc}).") from exc
    try:
        data = yaml.safe_load(text)
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
        return yaml.safe_load(text)
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
