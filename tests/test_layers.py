"""The package's layer order (docs/architecture.md), checked on every import statement.

A module may import its own package and the layers below it, never a layer above or a
sibling of its own layer: data flows down, nothing climbs back. Function-level and
TYPE_CHECKING imports count too, since they are how cycles hide.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mbr_search"

#: Lowest first. Names are the top-level subpackages (or modules) of mbr_search.
LAYERS: list[set[str]] = [
    {"errors", "paths", "versions", "__init__"},
    {"jsondoc"},
    {"_atomic", "safe_names", "scoring"},
    {"data", "storage", "models", "demo", "out_folder"},
    {"config"},
    {"features"},
    {"training"},
    {"search"},
    {"inference"},
    {"evaluate"},
    {"report", "predict"},
    {"suggest"},
    {"cli"},
    {"__main__"},
]


def _layer(top: str) -> int:
    for index, names in enumerate(LAYERS):
        if top in names:
            return index
    raise AssertionError(f"mbr_search.{top} is in no layer of tests/test_layers.py: add it")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "mbr_search":  # a submodule, or a name of the package itself
                found += [
                    (node.lineno, f"mbr_search.{_module_or_init(a.name)}") for a in node.names
                ]
            else:
                found.append((node.lineno, node.module))
    return [(line, name) for line, name in found if name.startswith("mbr_search.")]


def _module_or_init(name: str) -> str:
    is_module = (PACKAGE / name).is_dir() or (PACKAGE / f"{name}.py").is_file()
    return name if is_module else "__init__"


def _top(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def test_every_subpackage_has_a_layer() -> None:
    tops = {_top(p) for p in PACKAGE.rglob("*.py")}
    for top in tops:
        _layer(top)


def test_no_import_climbs_to_a_higher_or_sibling_layer() -> None:
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = _top(path)
        for line, name in _imports(path):
            target = name.split(".")[1]
            if target == own:
                continue
            if _layer(target) >= _layer(own):
                bad.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}")
    assert not bad, "imports against the layer order:\n" + "\n".join(bad)


def test_the_check_sees_a_climbing_import(tmp_path: Path) -> None:
    # The scanner itself must find function-level imports (the way cycles used to hide).
    src = tmp_path / "m.py"
    src.write_text("def f():\n    from mbr_search.cli.main import main\n")
    assert _imports(src) == [(2, "mbr_search.cli.main")]
