"""The report as a document (sections of text, tables, figures, code) rendered to HTML or Markdown.

The HTML page is one self-contained file: its style, the Plotly library (once), the
interactive figures and the small scripts that sort tables and drive the network
view are all inline, so the page works offline and can be mailed alone. The
Markdown report references PNG figures by relative path; its tables are written
here (no tabulate).
"""

import html
import math
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Text:
    """A paragraph of plain text."""

    text: str


@dataclass(frozen=True)
class TableBlock:
    """A table with a caption; cells are shown as formatted by :func:`cell`."""

    caption: str
    frame: pd.DataFrame


@dataclass(frozen=True)
class FigureBlock:
    """A PNG (path relative to the report) with a caption."""

    file: str
    caption: str


@dataclass(frozen=True)
class CodeBlock:
    """Preformatted text (JSON provenance), optionally folded away in HTML."""

    caption: str
    text: str
    language: str = "json"


@dataclass(frozen=True)
class InteractiveBlock:
    """An interactive figure (an HTML fragment that needs Plotly on the page) with a caption."""

    html: str
    caption: str


@dataclass(frozen=True)
class RawBlock:
    """An HTML fragment made by the report itself (the network view); left out of Markdown."""

    html: str


Block = Text | TableBlock | FigureBlock | CodeBlock | InteractiveBlock | RawBlock


@dataclass
class Section:
    """A titled section of the report."""

    title: str
    blocks: list[Block] = field(default_factory=list)


def cell(value: object) -> str:
    """One table cell: numbers to 4 significant digits, missing values as a dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, Integral):
        return str(int(value))
    if isinstance(value, Real):
        return f"{float(value):.4g}"
    return str(value)


def render_markdown(title: str, sections: list[Section]) -> str:
    """The report as GitHub-flavoured Markdown."""
    lines = [f"# {title}", ""]
    for section in sections:
        lines += [f"## {section.title}", ""]
        for block in section.blocks:
            lines += _markdown_block(block) + [""]
    return "\n".join(lines).rstrip() + "\n"


def _markdown_block(block: Block) -> list[str]:
    if isinstance(block, Text):
        return [block.text]
    if isinstance(block, TableBlock):
        return [f"*{block.caption}*", "", *markdown_table(block.frame)]
    if isinstance(block, FigureBlock):
        return [f"![{_markdown_escape(block.caption)}]({block.file})", "", f"*{block.caption}*"]
    if isinstance(block, InteractiveBlock | RawBlock):
        return ["(an interactive figure: see the HTML report)"]
    return [f"*{block.caption}*", "", f"```{block.language}", block.text, "```"]


def markdown_table(frame: pd.DataFrame) -> list[str]:
    """A pipe table; numbers right-aligned, text left-aligned."""
    headers = [_markdown_escape(str(column)) for column in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[column]) for column in frame.columns]
    rows = [[_markdown_escape(cell(value)) for value in row] for row in frame.itertuples(index=False)]
    rule = ["---:" if is_number else ":---" for is_number in numeric]
    return ["| " + " | ".join(line) + " |" for line in (headers, rule, *rows)]


def _markdown_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 1.5em auto; padding: 0 1em; color: #222; }
nav { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #ddd; padding: 0.4em 0; z-index: 10;
      font-size: 0.9em; }
nav a { margin-right: 1em; color: #1f5fa8; text-decoration: none; }
h2 { border-bottom: 2px solid #eee; padding-bottom: 0.2em; margin-top: 1.8em; }
.table-wrap { max-width: 100%; max-height: 28em; overflow: auto; margin: 0.2em 0 1.5em; width: fit-content; }
table { border-collapse: collapse; font-size: 0.88em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; white-space: nowrap; }
th { background: #f2f2f2; position: sticky; top: 0; cursor: pointer; user-select: none; }
th[aria-sort="ascending"]::after { content: " ▲"; } th[aria-sort="descending"]::after { content: " ▼"; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0 2em; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption, .table-caption { font-style: italic; color: #555; text-align: left; padding: 0.3em 0; }
.table-caption { margin: 1em 0 0; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
select { margin: 0.3em 0.5em 0.6em 0.3em; }
.path-line { font-family: monospace; }
"""

#: Sort a table by a click on its header (numbers numerically, by the cell's data-value).
_SORT_SCRIPT = r"""
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, column) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0], rows = Array.from(body.rows);
      var up = th.getAttribute('aria-sort') !== 'ascending';
      table.querySelectorAll('th').forEach(function (other) { other.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', up ? 'ascending' : 'descending');
      rows.sort(function (a, b) {
        var x = a.cells[column], y = b.cells[column];
        var p = parseFloat(x.dataset.value), q = parseFloat(y.dataset.value);
        var r = (!isNaN(p) && !isNaN(q)) ? p - q
          : x.textContent.localeCompare(y.textContent, undefined, {numeric: true});
        return up ? r : -r;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""


def render_html(title: str, sections: list[Section], *, scripts: tuple[str, ...] = ()) -> str:
    """The report as one HTML page: inline style, Plotly inlined once when a figure needs it, inline scripts."""
    needs_plotly = any(isinstance(block, InteractiveBlock | RawBlock) for s in sections for block in s.blocks)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_STYLE}</style>",
    ]
    if needs_plotly:
        from analysis.interactive import plotly_script

        parts.append(f'<script type="text/javascript">{plotly_script()}</script>')
    parts.append(f"</head><body><h1>{html.escape(title)}</h1>")
    links = " ".join(f'<a href="#{_anchor(s.title)}">{html.escape(s.title)}</a>' for s in sections)
    parts.append(f"<nav>{links}</nav>")
    for section in sections:
        parts.append(f'<section id="{_anchor(section.title)}"><h2>{html.escape(section.title)}</h2>')
        parts.extend(_html_block(block) for block in section.blocks)
        parts.append("</section>")
    for script in (_SORT_SCRIPT, *scripts):
        parts.append(f"<script>{script}</script>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _anchor(title: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-")


def _html_block(block: Block) -> str:
    if isinstance(block, Text):
        return f"<p>{html.escape(block.text)}</p>"
    if isinstance(block, TableBlock):
        return html_table(block.frame, block.caption)
    if isinstance(block, FigureBlock):
        caption = html.escape(block.caption)
        return (
            f'<figure><img src="{html.escape(block.file)}" alt="{caption}"><figcaption>{caption}</figcaption></figure>'
        )
    if isinstance(block, InteractiveBlock):
        return f'<figure class="interactive">{block.html}<figcaption>{html.escape(block.caption)}</figcaption></figure>'
    if isinstance(block, RawBlock):
        return block.html
    return (
        f"<details><summary>{html.escape(block.caption)}</summary>"
        f"<pre><code>{html.escape(block.text)}</code></pre></details>"
    )


def html_table(frame: pd.DataFrame, caption: str) -> str:
    """A sortable, scrollable HTML table with a caption; numbers right-aligned and sorted numerically."""
    numeric = [pd.api.types.is_numeric_dtype(frame[column]) for column in frame.columns]
    head = "".join(f'<th title="sort">{html.escape(str(column))}</th>' for column in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = (
            f'<td class="number" data-value="{_sort_value(value)}">{html.escape(cell(value))}</td>'
            if is_number
            else f"<td>{html.escape(cell(value))}</td>"
            for value, is_number in zip(row, numeric, strict=True)
        )
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<p class="table-caption">{html.escape(caption)}</p>'
        f'<div class="table-wrap"><table class="sortable">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _sort_value(value: object) -> str:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(number) else repr(number)
