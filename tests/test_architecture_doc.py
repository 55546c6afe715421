"""docs/architecture.md names every module of the core and of qtn (so the tree cannot drift)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_architecture_page_lists_every_core_and_qtn_module():
    page = (ROOT / "docs" / "architecture.md").read_text()
    missing = []
    for package in ("qnetsim/core", "qtn"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "__init__.py":
                continue
            relative = path.relative_to(ROOT / package).as_posix()
            # qtn/analytic/* is listed as one line; netscale's small helpers share one row.
            if relative.startswith("analytic/"):
                relative = "analytic/"
            if relative not in page and f"`{path.name}`" not in page:
                missing.append(f"{package}/{relative}")
    assert not missing, f"not in docs/architecture.md: {missing}"
