"""The report as a document (sections of text, tables, figures, code) rendered to HTML or Markdown.

Rendering is self-contained: no stylesheet, script or font is fetched, figures are
referenced by relative path, and Markdown tables are written here (no tabulate).
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


Block = Text | TableBlock | FigureBlock | CodeBlock


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
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
th { background: #f2f2f2; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0 2em; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption, caption { font-style: italic; color: #555; text-align: left; padding: 0.3em 0; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
"""


def render_html(title: str, sections: list[Section]) -> str:
    """The report as one HTML page with inline styles."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    for section in sections:
        parts.append(f"<h2>{html.escape(section.title)}</h2>")
        parts.extend(_html_block(block) for block in section.blocks)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


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
    return (
        f"<details><summary>{html.escape(block.caption)}</summary>"
        f"<pre><code>{html.escape(block.text)}</code></pre></details>"
    )


def html_table(frame: pd.DataFrame, caption: str) -> str:
    """An HTML table with a caption; numbers right-aligned."""
    numeric = [pd.api.types.is_numeric_dtype(frame[column]) for column in frame.columns]
    head = "".join(f"<th>{html.escape(str(column))}</th>" for column in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = (
            f'<td class="number">{html.escape(cell(value))}</td>'
            if is_number
            else f"<td>{html.escape(cell(value))}</td>"
            for value, is_number in zip(row, numeric, strict=True)
        )
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )
