"""Rendering report sections to Markdown and HTML: cells, escaping, figures, folded provenance."""

from html.parser import HTMLParser

import numpy as np
import pandas as pd

from analysis.report_render import (
    CodeBlock,
    FigureBlock,
    Section,
    TableBlock,
    Text,
    cell,
    markdown_table,
    render_html,
    render_markdown,
)

FRAME = pd.DataFrame({"link": ["a|b", "c~d"], "n_blocks": [12800, 3], "key_rate_bps": [1.23456e7, np.nan]})
SECTIONS = [
    Section(
        "Links <&>",
        [
            Text("Rates are <per second>."),
            TableBlock("Per link.", FRAME),
            FigureBlock("figures/rate.png", "Rate against distance."),
            CodeBlock("Scenario", '{"name": "x"}'),
        ],
    )
]


def test_cells_show_integers_whole_floats_to_four_digits_and_missing_values_as_a_dash():
    assert [cell(v) for v in (np.int64(12800), 1.23456e7, 0.5, np.nan, None, True, np.bool_(False), "x")] == [
        "12800",
        "1.235e+07",
        "0.5",
        "–",
        "–",
        "yes",
        "no",
        "x",
    ]


def test_markdown_tables_escape_pipes_and_align_numbers_right():
    assert markdown_table(FRAME) == [
        "| link | n_blocks | key_rate_bps |",
        "| :--- | ---: | ---: |",
        "| a\\|b | 12800 | 1.235e+07 |",
        "| c~d | 3 | – |",
    ]


def test_markdown_report_has_headings_tables_figures_and_code():
    text = render_markdown("Report", SECTIONS)
    assert text.startswith("# Report\n")
    assert "## Links <&>" in text
    assert "![Rate against distance.](figures/rate.png)" in text
    assert '```json\n{"name": "x"}\n```' in text


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.sources: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in ("img", "meta"):
            self.open.append(tag)
        self.sources += [value for name, value in attrs if name in ("src", "href")]

    def handle_endtag(self, tag):
        assert self.open.pop() == tag

    def handle_data(self, data):
        self.text.append(data)


def test_html_report_is_well_formed_escaped_and_self_contained():
    page = render_html("Report", SECTIONS)
    parser = _Collector()
    parser.feed(page)
    assert parser.open == []  # every element closed, in order
    assert parser.sources == ["#links", "figures/rate.png"]  # in-page navigation; nothing fetched from elsewhere
    assert "Links <&>" in "".join(parser.text) and "<&>" not in page
    assert '<td class="number" data-value="12800.0">12800</td>' in page  # sorted by its number
    assert '<table class="sortable">' in page and '<div class="table-wrap">' in page  # sortable, scrolls
    assert "plotly" not in page.lower()  # no interactive figure: the library is not inlined
