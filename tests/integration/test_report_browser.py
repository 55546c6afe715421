"""The HTML report in a real browser: headless Chromium (Debian package), offline, no console errors.

The default test builds a small run folder by hand (a three-node QKD line whose
middle link fails), writes its report and opens the page with the network cut
off: every section renders, every figure is drawn by the inlined Plotly, the
network view's slider, metric selector and request paths work, and tables sort.
The slow test does the same for reports of real runs, a sweep and a comparison of
designs, and keeps full-page screenshots (``QNETSIM_SCREENSHOTS=<folder>`` keeps
them there).
"""

import json
import os
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from analysis.report import write_report
from tests.browser.chromium import browser, full_page_screenshot, open_page, require_browser
from tests.unit.analysis.folders import blocks, write_run

TOPOLOGY = {
    "nodes": [{"name": "a", "role": "end"}, {"name": "r", "role": "trusted_relay"}, {"name": "b", "role": "end"}],
    "links": [
        {"link": "a~r", "a": "a", "b": "r", "length_km": 20.0, "kind": "qkd"},
        {"link": "b~r", "a": "r", "b": "b", "length_km": 35.0, "kind": "qkd"},
    ],
}


def _qkd_line(folder: Path) -> Path:
    """Two runs (seeds 1, 2) of a QKD line a - r - b; link b~r is down from 1.0 s to 1.5 s."""
    for seed in (1, 2):
        times = [0.1 * (i + 1) for i in range(20)]
        link_blocks = pd.concat([blocks([1000 * seed] * 20, times, "a~r"), blocks([600] * 20, times, "b~r")])
        link_blocks["link_kind"] = "bb84-fast"
        pools = pd.DataFrame(
            [
                {"t_s": 0.25 * i, "node": node, "peer": peer, "direction": "out", "level_bits": 500 * i,
                 "capacity_bits": 10_000, "link_kind": "bb84-fast"}
                for i in range(9) for node, peer in (("a", "r"), ("r", "a"), ("r", "b"), ("b", "r"))
            ]
        )  # fmt: skip
        requests = pd.DataFrame(
            {
                "request_id": range(6),
                "t_s": [0.3, 0.6, 0.9, 1.2, 1.6, 1.9],
                "src": "a",
                "dst": "b",
                "bits": 256,
                "priority": 0.0,
                "served": [True, True, True, False, True, True],
                "latency_s": [0.001 * seed, 0.002, 0.001, float("nan"), 0.003, 0.001],
                "path": ["a-r-b", "a-r-b", "a-r-b", "", "a-r-b", "a-r-b"],
                "n_hops": [2, 2, 2, 0, 2, 2],
                "n_paths": [1, 1, 1, 0, 1, 1],
                "key_consumed_bits": [512, 512, 512, 0, 512, 512],
                "reason": ["", "", "", "no path", "", ""],
            }
        )
        outages = pd.DataFrame({"link": ["b~r"], "down_s": [1.0], "up_s": [1.5]})
        recoveries = pd.DataFrame(
            {"t_s": [1.0], "link": ["b~r"], "service_id": [0], "method": ["none"], "recovered": [False],
             "recovery_time_s": [float("nan")], "n_attempts": [1], "demand_bits": [256], "key_lost_bits": [0]}
        )  # fmt: skip
        tables = {"link_blocks": link_blocks, "pools": pools, "requests": requests, "outages": outages,
                  "recoveries": recoveries}  # fmt: skip
        run = write_run(folder / f"seed{seed}", tables, run_id=f"run{seed}", seed=seed)
        manifest = json.loads((run / "manifest.json").read_text())
        manifest["topology"] = TOPOLOGY
        (run / "manifest.json").write_text(json.dumps(manifest))
    return folder


class _Sources(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.sources += [value for name, value in attrs if name in ("src", "href") and value]


def _keep(screenshot: Path) -> None:
    keep = os.environ.get("QNETSIM_SCREENSHOTS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(screenshot, Path(keep) / screenshot.name)


def test_the_report_page_is_one_file_that_works_offline_in_chromium(tmp_path):
    report = write_report(_qkd_line(tmp_path / "runs"), tmp_path / "report")
    assert sorted(os.listdir(report.parent)) == ["report.html", "report.json"]  # no figure files beside it
    page = report.read_text()
    parser = _Sources()
    parser.feed(page)
    assert all(source.startswith("#") for source in parser.sources), parser.sources  # nothing fetched
    assert page.count("Plotly.newPlot") >= 5 and page.count("plotly.js v") == 1  # the library inlined once
    # Two seeds: individual values, no interval, and the reason said.
    assert "no interval where fewer than 3 runs are behind a mean (the individual values are shown instead)" in page
    assert "Behind it: 2 runs, 2 seeds (1, 2)." in page

    require_browser()
    with browser() as driver:
        errors = open_page(driver, report)
        assert errors == []
        fetched = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
        assert fetched == []  # the page loaded nothing beyond itself
        headings = driver.execute_script("return Array.from(document.querySelectorAll('h2')).map(h => h.textContent)")
        assert headings == ["Overview", "Network", "QKD links", "Key requests", "Key pools", "Provenance"]
        n_plots = driver.execute_script("return document.querySelectorAll('.js-plotly-plot').length")
        n_drawn = driver.execute_script("return document.querySelectorAll('.js-plotly-plot .main-svg').length")
        assert n_plots >= 5 and n_drawn >= n_plots  # every figure drawn (a Plotly figure has one or more SVG layers)
        # The map: one slider step per time window, roles in the legend, the failed link grey and dashed when down.
        steps = driver.execute_script("return document.getElementById('net0-map0')._fullLayout.sliders[0].steps.length")
        assert steps == 20
        legend = driver.execute_script(
            "return document.getElementById('net0-map0').data.map(t => t.name).filter(n => n)"
        )
        assert {"user (end)", "trusted relay", "QKD link"} <= set(legend)
        down = driver.execute_script(
            "var f = document.getElementById('net0-map0')._transitionData._frames;"
            "return f.map(fr => fr.data[1].line.dash)"
        )  # link b~r is trace 1: dashed in the windows ending inside its outage (1.0 s to 1.5 s)
        assert down.count("dash") >= 4 and down[0] == "solid"
        # Another metric: its map shows, the first hides.
        driver.execute_script(
            "var s = document.querySelector('.metric-select'); s.selectedIndex = 1;"
            "s.dispatchEvent(new Event('change'));"
        )
        shown = driver.execute_script(
            "return Array.from(document.querySelectorAll('#net0 .map')).map(m => m.style.display !== 'none')"
        )
        assert shown[:2] == [False, True]
        # Clicking a request draws its path on the maps.
        driver.execute_script(
            "var p = document.getElementById('net0-requests');"
            "p.emit('plotly_click', {points: [{customdata: ['a-r-b', ''], x: 0.3, y: 'a→b'}]});"
        )
        assert driver.find_element("id", "net0-path").text == "path: a-r-b (a→b, t = 0.3 s)"
        highlighted = driver.execute_script(
            "var m = document.getElementById('net0-map1-box');"
            "return document.getElementById('net0-map1').data[parseInt(m.dataset.highlight)].x.length"
        )
        assert highlighted == 4  # a, r, b and the break after the path
        # A table sorts on a click on its header.
        header = driver.find_element("css selector", "#qkd-links table th:nth-child(2)")
        header.click()
        assert header.get_attribute("aria-sort") == "ascending"
        screenshot = full_page_screenshot(driver, tmp_path / "qkd-line-report.png")
        assert screenshot.stat().st_size > 50_000
        _keep(screenshot)


@pytest.fixture(scope="module")
def real_folders(tmp_path_factory):
    """A QKD mesh run with link failures, a sweep (three seeds at one point, two at the other), a comparison."""
    from scenarios import load as load_scenario
    from scenarios.compare import compare
    from scenarios.compare_designs import CompareSettings
    from scenarios.runner import run
    from tests.conftest import chain_scenario

    root = tmp_path_factory.mktemp("real")
    run(load_scenario("qkd-mesh-recovery").model_copy(update={"duration_s": 15.0})).write(root / "mesh")
    points = []
    for index, (length_km, seed) in enumerate([(5.0, 1), (5.0, 2), (5.0, 3), (20.0, 1), (20.0, 2)]):
        params = {"network.generator.length_km": length_km, "seed": seed}
        points.append({"point_id": f"{index:02d}", "params": params, "status": "done"})
        results = run(chain_scenario(duration_s=0.05, length_km=length_km, seed=seed))
        results.manifest["sweep"] = {"sweep_id": "browser", "point_id": f"{index:02d}", "params": params}
        results.write(root / "sweep" / "points" / f"{index:02d}")
    (root / "sweep" / "sweep.json").write_text(json.dumps({"sweep_id": "browser", "points": points}))
    settings = CompareSettings(
        duration_s=0.05, bbm92_duration_s=5.0, bbm92_frame_bits=256, n_teleportations=4, teleportation_duration_s=0.02
    )
    compare(load_scenario("compare-chain"), settings=settings, hybrid=False).write(root / "compare")
    return root


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "sections"),
    [
        ("mesh", ["Network", "QKD links", "Key requests", "Key pools", "Key services and recovery"]),
        ("sweep", ["Network", "Entangled pairs"]),
        ("compare", ["Network", "Designs compared", "Entangled pairs", "Teleportation", "Key requests"]),
    ],
)
def test_reports_of_a_run_a_sweep_and_a_comparison_render_in_chromium(real_folders, tmp_path, name, sections):
    report = write_report(real_folders / name, tmp_path / "report")
    require_browser()
    with browser() as driver:
        assert open_page(driver, report) == []
        headings = driver.execute_script("return Array.from(document.querySelectorAll('h2')).map(h => h.textContent)")
        assert set(sections) <= set(headings) and headings[0] == "Overview" and headings[-1] == "Provenance"
        assert driver.execute_script("return document.querySelectorAll('#network .js-plotly-plot').length") >= 1
        views = driver.execute_script("return document.querySelectorAll('.run-view').length")
        assert views == {"mesh": 1, "sweep": 2, "compare": 4}[name]  # one per run, sweep point or design
        _keep(full_page_screenshot(driver, tmp_path / f"report-{name}.png"))
