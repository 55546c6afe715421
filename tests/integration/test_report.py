"""Reports from real small runs and a small sweep folder; ``qnetsim report`` exit codes."""

import json
import os
import re
from html.parser import HTMLParser

import pytest
from typer.testing import CliRunner

from analysis import load
from analysis.report import ReportFolderError, write_report
from scenarios import load as load_scenario
from scenarios.cli import app
from scenarios.runner import run
from tests.conftest import chain_scenario

runner = CliRunner()


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A sweep of a 3-node chain over link length and seed (one point missing), a QKD mesh run, a teleportation run."""
    root = tmp_path_factory.mktemp("results")
    sweep = root / "sweep"
    points = []
    for index, (length_km, seed) in enumerate([(5.0, 1), (5.0, 2), (20.0, 1), (20.0, 2), (40.0, 1)]):
        point_id = f"{index:02d}"
        params = {"network.generator.length_km": length_km, "seed": seed}
        points.append({"point_id": point_id, "params": params, "status": "failed" if index == 4 else "done"})
        if index == 4:
            continue  # a failed point: listed, no result folder
        results = run(chain_scenario(duration_s=0.05, length_km=length_km, seed=seed))
        results.manifest["sweep"] = {"sweep_id": "test", "point_id": point_id, "params": params}
        results.write(sweep / "points" / point_id)
    (sweep / "sweep.json").write_text(json.dumps({"sweep_id": "test", "points": points}))
    mesh = load_scenario("qkd-mesh-recovery").model_copy(update={"duration_s": 15.0})  # first failure at 10 s
    run(mesh).write(root / "mesh")
    (root / "empty").mkdir()
    (root / "wrong.csv").write_text("protocol,distance\ndecoy-bb84,5\n")
    run(load_scenario("teleport-hop-by-hop")).write(root / "teleport")
    return root


def _figures(report_path):
    return sorted(path.name for path in (report_path.parent / "figures").glob("*.png"))


def test_a_sweep_report_has_curves_with_intervals_over_seeds_and_names_missing_points(folders, tmp_path):
    report = write_report(folders / "sweep", tmp_path / "report", "markdown")
    text = report.read_text()
    assert report.name == "report.md"
    assert {"fidelity_vs_distance.png", "pair_latency.png"} <= set(_figures(report))
    assert "Sweep points without results (left out): 04." in text
    # one summary row per swept length, averaged over the two seeds, the distance being two links
    rows = re.findall(r"^\| (5|20) \| n0 \| n2 \| 2 \| (10|40) \| 2 \| .+\[.+\] \|", text, flags=re.MULTILINE)
    assert rows == [("5", "10"), ("20", "40")]
    assert "95% confidence interval, Student t" in text
    assert '"sweep_id": "test"' in text  # the sweep definition, for provenance
    results = load(folders / "sweep")
    for figure in _figures(report):  # every figure written is shown
        assert f"(figures/{figure})" in text
    assert set(results.runs["seed"]) == {1, 2}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.sources += [value for name, value in attrs if name in ("src", "href")]


def test_a_qkd_run_report_is_self_contained_html_with_pool_and_recovery_figures(folders, tmp_path):
    report = write_report(folders / "mesh", tmp_path / "report")
    page = report.read_text()
    assert {"pool_levels.png", "recovery.png", "key_request_latency.png"} <= set(_figures(report))
    parser = _Links()
    parser.feed(page)
    assert parser.sources and all(source.startswith("figures/") for source in parser.sources)
    assert all((report.parent / source).is_file() for source in parser.sources)
    for heading in ("QKD links", "Key requests", "Key services and recovery", "Provenance"):
        assert f"<h2>{heading}</h2>" in page
    assert "qkd-mesh-recovery" in page and "sequence" in page  # scenario and package versions


def test_a_teleportation_report_summarises_by_scheme_and_a_new_report_replaces_the_old(folders, tmp_path):
    first = write_report(folders / "mesh", tmp_path / "report", "html")
    assert "pool_levels.png" in _figures(first)
    report = write_report(folders / "teleport", tmp_path / "report", "markdown")
    text = report.read_text()
    assert "## Teleportation" in text and "| hop_by_hop | n0 | n3 | 3 |" in text
    assert sorted(os.listdir(tmp_path / "report")) == ["figures", "report.json", "report.md"]  # nothing of the first
    assert "pool_levels.png" not in _figures(report)
    assert "teleport_latency.png" in _figures(report)
    assert sorted(os.listdir(tmp_path)) == ["report"]


def test_a_report_folder_with_files_qnetsim_did_not_write_is_not_replaced(folders, tmp_path):
    first = write_report(folders / "teleport", tmp_path / "report", "markdown")
    (first.parent / "figures" / "my-edit.png").write_bytes(b"mine")
    with pytest.raises(ReportFolderError, match=r"holds files qnetsim did not write \(figures/my-edit.png\)"):
        write_report(folders / "teleport", tmp_path / "report", "markdown")
    assert (first.parent / "figures" / "my-edit.png").read_bytes() == b"mine"
    assert sorted(os.listdir(tmp_path)) == ["report"]


def test_cli_writes_a_report_with_reference_curves(folders, tmp_path):
    reference = tmp_path / "reference.csv"
    reference.write_text("protocol,distance_km,key_rate_bps\ndecoy-bb84,5,1e6\ndecoy-bb84,40,1e5\n")
    arguments = ["report", str(folders / "teleport"), "-o", str(tmp_path / "out"), "--format", "markdown"]
    result = runner.invoke(app, [*arguments, "--reference", str(reference)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "report.md").is_file()
    assert f"wrote {tmp_path / 'out' / 'report.md'}" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{root}/nowhere"], "error: {root}/nowhere: no such folder"),
        (["{root}/mesh", "--format", "pdf"], "error: --format: must be one of html, markdown; got 'pdf'"),
        (["{root}/mesh", "-o", "{root}/teleport"], "holds a qnetsim run, not a report; choose another folder"),
        (["{root}/mesh", "-o", "{root}/wrong.csv"], "report folder {root}/wrong.csv exists and is not a folder"),
        (["{root}/mesh", "--level", "1.5"], "level: must be between 0 and 1; got 1.5"),
        (["{root}/mesh", "--reference", "{root}/none.csv"], "--reference {root}/none.csv: cannot read a CSV"),
        (["{root}/empty"], "holds no qnetsim results"),
        (["{root}/mesh", "--reference", "{root}/wrong.csv"], "lacks columns ['distance_km', 'key_rate_bps']"),
    ],
)
def test_cli_bad_input_exits_2_with_one_clear_line(folders, args, message):
    root = str(folders)
    result = runner.invoke(app, ["report", *(arg.format(root=root) for arg in args)])
    assert result.exit_code == 2, result.output
    assert message.format(root=root) in result.output
    assert "Traceback" not in result.output
