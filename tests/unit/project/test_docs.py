"""The documentation holds together: links resolve, scenarios in it validate, citations are to papers."""

import re
from pathlib import Path

import pytest
import yaml

from scenarios.loader import checked_from_dict, parse_yaml

ROOT = Path(__file__).resolve().parents[3]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
#: Pages other branches of this release add; linked from the README before they land. Remove a
#: name once its page is merged (the lead's merge check).
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
#: Internal document references that must not reach users (cite the paper or standard instead).
_INTERNAL = re.compile(r"seed (document|doc\b|0\d\d)|survey section|document 00\d", re.IGNORECASE)


def _links(page: Path) -> list[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    return [a or b for a, b in _LINK.findall(text)]


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors of the page's headings."""
    anchors = set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


def _relative(page: Path) -> list[tuple[str, Path, str]]:
    found = []
    for link in _links(page):
        if re.match(r"^[a-z]+:", link):
            continue  # https:, mailto:
        target, _, anchor = link.partition("#")
        found.append((link, (page.parent / target).resolve() if target else page, anchor))
    return found


def test_every_relative_link_resolves_to_a_file():
    missing = []
    for page in PAGES:
        for link, target, _ in _relative(page):
            if not target.exists():
                missing.append(f"{page.relative_to(ROOT)}: {link}")
    assert missing == []


def test_every_link_to_a_heading_finds_it():
    missing = []
    for page in PAGES:
        for link, target, anchor in _relative(page):
            if anchor and target.suffix == ".md" and target.exists() and anchor not in _anchors(target):
                missing.append(f"{page.relative_to(ROOT)}: {link}")
    assert missing == []


def test_the_link_check_catches_a_broken_link(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("See [this](missing.md), [that](#nowhere) and [the web](https://example.org).\n# Title\n")
    assert [(link, target.exists()) for link, target, _ in _relative(page)] == [
        ("missing.md", False),
        ("#nowhere", True),
    ]
    assert "nowhere" not in _anchors(page) and "title" in _anchors(page)


def test_readme_is_short_and_starts_with_the_two_commands():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 150
    head = "\n".join(lines[:6])
    assert "qnetsim compare" in head and "python -m pytest -q" in head


def _yaml_blocks() -> list[tuple[str, str]]:
    blocks = []
    for page in PAGES:
        for body in re.findall(r"^```yaml\n(.*?)^```", page.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL):
            blocks.append((page.name, body))
    return blocks


@pytest.mark.parametrize(("page", "body"), _yaml_blocks(), ids=lambda value: value if value.endswith(".md") else "")
def test_yaml_in_the_docs_parses_and_whole_scenarios_validate(page, body):
    data = parse_yaml(body, page)  # YAML 1.2, as scenario files are read
    assert isinstance(data, dict), page
    if {"name", "duration_s", "network"} <= data.keys():
        scenario, _ = checked_from_dict(data, page)  # cross-references too, not only the schema
        assert scenario.name == data["name"]


def test_user_facing_text_cites_papers_not_internal_document_numbers():
    texts = {page.name: page.read_text(encoding="utf-8") for page in PAGES}
    for path in sorted((ROOT / "scenarios" / "library").glob("*.yaml")):
        texts[path.name] = str(yaml.safe_load(path.read_text(encoding="utf-8")).get("description", ""))
    found = {name: match.group(0) for name, text in texts.items() if (match := _INTERNAL.search(text))}
    assert found == {}
    assert _INTERNAL.search("as in seed document 000, section 3") and _INTERNAL.search("(seed 000, section 5.2)")
