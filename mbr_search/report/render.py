"""Render a :class:`Document` as one self-contained HTML page or as GitHub Markdown."""

from __future__ import annotations

import html
import re

from mbr_search.report.document import Document, Figure, Table, Text
from mbr_search.storage import redact_url

_CODE = re.compile(r"`([^`]+)`")

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
       max-width: 1200px; padding: 1rem 2rem 4rem; color: #222; }
h1 { margin-bottom: 0.2rem; } .subtitle { color: #555; margin-top: 0; }
nav { margin: 1rem 0; } nav a { margin-right: 1rem; }
section { margin-top: 2.5rem; border-top: 1px solid #ddd; }
table { border-collapse: collapse; margin: 1rem 0 0.3rem; font-size: 0.9rem; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.4rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.55rem; text-align: left; }
td[data-value] { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f3f3f3; } tbody tr:nth-child(even) { background: #fafafa; }
.note { color: #555; font-size: 0.85rem; max-width: 60rem; }
figure { margin: 1.5rem 0; } figure.empty { border: 1px dashed #bbb; padding: 0.5rem 1rem; }
figure h3 { font-size: 1rem; margin: 0.2rem 0; }
code { background: #f3f3f3; padding: 0 0.2rem; }
.table-wrap { overflow-x: auto; }
"""


def _esc(text: str) -> str:
    """HTML-escaped, with any URL password replaced by *** (a --set value could hold one)."""
    return html.escape(redact_url(text))


def _inline(text: str) -> str:
    """Escape, then turn `backticks` into <code>."""
    return _CODE.sub(lambda m: f"<code>{m.group(1)}</code>", _esc(text))


def render_html(doc: Document, plotly_js: str) -> str:
    """The page: plotly.js inlined once in <head>, every figure a div drawn by it."""
    nav = " ".join(f'<a href="#{s.key}">{_esc(s.title)}</a>' for s in doc.sections)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(doc.title)}</title>",
        f"<style>{_CSS}</style>",
        # Inlined so the page works offline and from file://, with nothing fetched.
        f'<script type="text/javascript">{plotly_js}</script>',
        "</head><body>",
        f"<header><h1>{_esc(doc.title)}</h1>",
        f'<p class="subtitle">{_inline(doc.subtitle)}</p></header>',
        f"<nav>{nav}</nav>",
    ]
    for section in doc.sections:
        parts.append(f'<section id="{section.key}"><h2>{_esc(section.title)}</h2>')
        for block in section.blocks:
            if isinstance(block, Table):
                parts.append(_html_table(block))
            elif isinstance(block, Figure):
                parts.append(_html_figure(block))
            else:
                parts.append(f"<p>{_inline(block.text)}</p>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_table(t: Table) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in t.headers)
    body = []
    for r in t.rows:
        cells = []
        for c in r:
            attrs = f' id="{_esc(c.id)}"' if c.id else ""
            if c.value is not None:
                attrs += f' data-value="{c.value!r}"'
            cells.append(f"<td{attrs}>{_esc(c.text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    note = f'<p class="note">{_inline(t.note)}</p>' if t.note else ""
    return (
        f'<div class="table-wrap"><table id="table-{t.key}">'
        f"<caption>{_esc(t.title)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>{note}"
    )


def _html_figure(f: Figure) -> str:
    note = f'<figcaption class="note">{_inline(f.note)}</figcaption>' if f.note else ""
    if f.figure is None:
        return f'<figure id="figure-{f.key}" class="empty"><h3>{_esc(f.title)}</h3>{note}</figure>'
    div = f.figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=f"plot-{f.key}",
        config={"displaylogo": False, "responsive": True},
    )
    return f'<figure id="figure-{f.key}">{div}{note}</figure>'


def render_markdown(doc: Document) -> str:
    """The same sections and tables in GitHub-flavoured Markdown (figures: see the HTML)."""
    lines = [f"# {doc.title}", "", doc.subtitle, ""]
    lines.append(" · ".join(f"[{s.title}](#{_anchor(s.title)})" for s in doc.sections))
    lines.append("")
    for section in doc.sections:
        lines += [f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Table):
                lines += _md_table(block)
            elif isinstance(block, Figure):
                where = "in `report.html`" if block.figure is not None else block.note
                lines += [f"*Figure: {block.title}* — {where}", ""]
            elif isinstance(block, Text):
                lines += [block.text, ""]
    return redact_url("\n".join(lines).rstrip()) + "\n"


def _md_table(t: Table) -> list[str]:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ") or " "

    out = [f"**{t.title}**", ""]
    out.append("| " + " | ".join(cell(h) for h in t.headers) + " |")
    out.append("|" + "|".join(" --- " for _ in t.headers) + "|")
    for r in t.rows:
        out.append("| " + " | ".join(cell(c.text) for c in r) + " |")
    out.append("")
    if t.note:
        out += [t.note, ""]
    return out


def _anchor(title: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes."""
    return re.sub(r"[^\w\- ]", "", title.lower()).replace(" ", "-")
