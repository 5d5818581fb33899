"""The cells of an XLSX workbook's first worksheet, read with the standard library.

Enough of Office Open XML for exported tables (BORIS's tabular events, our own BORIS
sheet): shared strings, inline strings (plain or rich text), numbers, booleans and cached
formula results. Every value comes back as text; the caller parses numbers.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from mbr_search.errors import DataError

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_COLUMN = re.compile(r"^([A-Z]+)")


def xlsx_rows(path: Path) -> list[tuple[int, list[str]]]:
    """``(sheet row number, cells)`` of every row of the first worksheet, in order."""
    try:
        with zipfile.ZipFile(path) as book:
            shared = _shared_strings(book)
            sheet = ElementTree.fromstring(book.read(_first_sheet(book)))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError) as exc:
        raise DataError(
            f"{path}: not a readable XLSX workbook ({' '.join(str(exc).split())[:120]}). "
            "Fix: re-export it from BORIS, or export CSV/TSV instead."
        ) from None
    rows = []
    for number, row in enumerate(sheet.iter(f"{_MAIN}row"), start=1):
        cells: list[str] = []
        for cell in row.iter(f"{_MAIN}c"):
            match = _COLUMN.match(cell.get("r", ""))
            column = _column_index(match[1]) if match else len(cells)
            cells += [""] * (column + 1 - len(cells))
            cells[column] = _value(cell, shared)
        rows.append((int(row.get("r", number)), cells))
    return rows


def _first_sheet(book: zipfile.ZipFile) -> str:
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    sheet = next(workbook.iter(f"{_MAIN}sheet"))
    rel_id = sheet.get(f"{_REL}id")
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    target = next(
        r.get("Target", "") for r in rels.iter(f"{_PKG}Relationship") if r.get("Id") == rel_id
    )
    return target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)


def _shared_strings(book: zipfile.ZipFile) -> list[str]:
    if "xl/sharedStrings.xml" not in book.namelist():
        return []
    root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
    return [_text(item) for item in root.iter(f"{_MAIN}si")]


def _text(node: ElementTree.Element) -> str:
    # Plain text is one <t>; rich text is runs <r><t>..</t></r> (phonetic <rPh> is not text).
    plain = node.find(f"{_MAIN}t")
    if plain is not None:
        return plain.text or ""
    return "".join(run.findtext(f"{_MAIN}t") or "" for run in node.findall(f"{_MAIN}r"))


def _value(cell: ElementTree.Element, shared: list[str]) -> str:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(f"{_MAIN}is")
        return _text(inline) if inline is not None else ""
    raw = cell.findtext(f"{_MAIN}v") or ""
    if kind == "s":
        return shared[int(raw)] if raw.strip().isdigit() and int(raw) < len(shared) else ""
    if kind == "b":
        return "TRUE" if raw.strip() == "1" else "FALSE"
    return raw


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1
