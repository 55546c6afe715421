"""docs/architecture.md names every module of every package (so the tree cannot drift).

The page has one section per package, headed ``## `PACKAGE/` ...``; every module of the
package (``__init__.py`` aside) must be named in its own package's section, by its path
relative to the package (``sequence_backed/app.py``) or, in a shared row, by its file name.
A subpackage without a section of its own is listed module by module in its parent's
section, except the few listed as one line (``ONE_LINE``), whose row names the folder.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "architecture.md"
#: The project's top-level packages: every module below them must be on the page.
TOP_PACKAGES = ("qnetsim", "qtn", "qkdn", "scenarios", "analysis")
#: Subpackages the page lists as one line (a row naming the folder, e.g. `analytic/`).
ONE_LINE = ("qtn/analytic", "scenarios/library")
_HEADING = re.compile(r"^## `([\w/]+)/`", re.MULTILINE)


def _sections(page: str) -> dict[str, str]:
    """Package path (``qkdn/keyrate``) -> the text of its section."""
    found = list(_HEADING.finditer(page))
    return {
        match.group(1): page[match.end() : (found[i + 1].start() if i + 1 < len(found) else len(page))]
        for i, match in enumerate(found)
    }


def _section_of(module: str, packages: list[str]) -> str:
    """The most specific package with a section that holds ``module`` (a path like ``qkdn/kms/http.py``)."""
    holders = [package for package in packages if module.startswith(package + "/")]
    assert holders, f"{module} is in no package section of docs/architecture.md"
    return max(holders, key=len)


def _modules() -> list[str]:
    return [
        path.relative_to(ROOT).as_posix()
        for package in TOP_PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.name != "__init__.py"
    ]


def test_every_top_package_and_one_line_subpackage_has_its_place():
    sections = _sections(PAGE.read_text())
    for package in TOP_PACKAGES:
        assert package in sections, f"no section `{package}/` in docs/architecture.md"
    for folder in ONE_LINE:
        assert (ROOT / folder / "__init__.py").is_file(), f"{folder} is no longer a package"
        parent = _section_of(folder + "/", list(sections))
        row = f"`{folder.removeprefix(parent + '/')}/`"
        assert row in sections[parent], f"`{parent}/` has no row {row}"


def test_architecture_page_lists_every_module_of_every_package():
    sections = _sections(PAGE.read_text())
    missing = []
    for module in _modules():
        package = _section_of(module, list(sections))
        relative = module.removeprefix(package + "/")
        one_line = [folder for folder in ONE_LINE if module.startswith(folder + "/")]
        if one_line:  # the folder's row stands for all its modules
            listed = f"`{one_line[0].removeprefix(package + '/')}/`" in sections[package]
        else:  # its path, or its file name in a shared row (`netscale/clock.py`, `memories.py`)
            listed = any(f"`{key}`" in sections[package] for key in (relative, Path(module).name))
        if not listed:
            missing.append(module)
    assert not missing, f"not in their package's section of docs/architecture.md: {missing}"


def test_architecture_page_names_no_module_that_is_gone():
    sections = _sections(PAGE.read_text())
    gone = []
    for package, text in sections.items():
        assert (ROOT / package / "__init__.py").is_file(), f"section `{package}/` names no package"
        rows = [line for line in text.splitlines() if line.startswith("| `")]
        for row in rows:
            for name in re.findall(r"`([\w/]+\.py)`", row.split("|")[1]):
                if not (ROOT / package / name).is_file() and not list((ROOT / package).rglob(name)):
                    gone.append(f"{package}/{name}")
    assert not gone, f"docs/architecture.md names modules that do not exist: {gone}"
