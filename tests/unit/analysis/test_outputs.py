"""Output folders: what proves qnetsim wrote a folder, staging and swapping, leftovers of killed writes."""

import json
import os
import sys

import pytest

from analysis import outputs, staging
from analysis.errors import OutputFolderError
from analysis.outputs import STAGING_MARKER, check_file_target, check_target, claim, result_marker
from analysis.staging import remove_leftovers, staged_folder

#: The fields of a run's manifest as versions before markers wrote them.
LEGACY_RUN = {
    "run_id": "abc",
    "scenario_name": "x",
    "seed": 1,
    "packages": {"sequence": "1.3.1"},
    "scenario": {"name": "x"},
    "tables": {"pairs": {"file": "pairs.parquet", "rows": 3}},
}


def write_folder(folder, kind="run", files=("pairs.parquet",), record=None):
    """A folder as qnetsim writes it: ``files`` and the record with its marker."""
    folder.mkdir(parents=True)
    for name in files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(name)
    record_file = outputs.RECORD_FILES[kind]
    record = record if record is not None else {"qnetsim_result": result_marker(kind, [*files, record_file])}
    (folder / record_file).write_text(json.dumps(record))
    return folder


def entries(folder):
    return sorted(os.listdir(folder))


def test_a_marked_folder_is_claimed_and_a_foreign_manifest_is_not(tmp_path):
    ours = write_folder(tmp_path / "ours", files=("pairs.parquet", "sub/a.png"))
    assert claim(ours) == outputs.Claim("run", False, ())
    foreign = tmp_path / "webapp"
    foreign.mkdir()
    (foreign / "manifest.json").write_text('{"name": "x"}')
    (foreign / "app.js").write_text("x")
    assert claim(foreign) is None
    wrong_format = write_folder(tmp_path / "future", record={"qnetsim_result": {"kind": "run", "format": 99}})
    assert claim(wrong_format) is None


def test_files_the_marker_does_not_list_are_foreign(tmp_path):
    ours = write_folder(tmp_path / "ours")
    (ours / "notes.txt").write_text("mine")
    (ours / "empty").mkdir()
    (ours / "link").symlink_to(tmp_path)
    assert claim(ours).foreign == ("empty/", "link", "notes.txt")


def test_folders_of_versions_before_markers_are_recognised_by_their_fields(tmp_path):
    run = write_folder(tmp_path / "run", record=LEGACY_RUN)
    (run / "pairs.csv").write_text("csv")
    assert claim(run) == outputs.Claim("run", True, ())
    compare = tmp_path / "compare"
    write_folder(compare / "trusted_relay", record=LEGACY_RUN)
    leftover = compare / ".quantum_repeater.k2j4h5g6.partial"  # what a killed older compare left
    leftover.mkdir()
    (leftover / "pairs.parquet").write_text("half")
    record = {"comparison_of": "x", "designs": ["trusted_relay", "quantum_repeater"], "scenario": {}, "runs": {}}
    (compare / "manifest.json").write_text(json.dumps({**record, "tables": {}}))
    (compare / "comparison.parquet").write_text("c")
    assert claim(compare) == outputs.Claim("compare", True, ())
    report = tmp_path / "report"
    (report / "figures").mkdir(parents=True)
    (report / "report.md").write_text("# r")
    (report / "figures" / "a.png").write_text("png")
    assert claim(report) == outputs.Claim("report", True, ())
    (report / "figures" / "data.csv").write_text("mine")
    assert claim(report).foreign == ("figures/data.csv",)
    missing_field = dict(LEGACY_RUN)
    del missing_field["packages"]
    assert claim(write_folder(tmp_path / "other", record=missing_field)) is None


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text("x"), "output folder {p} exists and is not a folder"),
        (lambda p: p.symlink_to(p.parent / "nowhere"), "is a symbolic link to {parent}/nowhere, which does not exist"),
        (lambda p: (p.mkdir(), (p / "thesis.tex").write_text("x")), "is not empty and holds no qnetsim results"),
        (lambda p: write_folder(p, "report", ("report.md",)), "holds a qnetsim report, not a run"),
        (
            lambda p: (write_folder(p), (p / "notes.txt").write_text("x")),
            "holds files qnetsim did not write (notes.txt); move them away",
        ),
    ],
)
def test_places_that_may_not_be_written_are_refused_and_untouched(tmp_path, make, message):
    target = tmp_path / "out"
    make(target)
    before = sorted(str(path) for path in tmp_path.rglob("*"))
    with pytest.raises(OutputFolderError) as raised:
        check_target(target, "run")
    assert message.format(p=target, parent=tmp_path) in str(raised.value)
    assert sorted(str(path) for path in tmp_path.rglob("*")) == before


def test_a_path_below_a_file_or_in_an_unwritable_folder_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputFolderError, match=f"output folder {tmp_path}/file/a/b: {tmp_path}/file is not a folder"):
        check_target(tmp_path / "file" / "a" / "b", "run")
    if sys.platform.startswith("linux"):  # nobody, root included, can make folders in /proc
        with pytest.raises(OutputFolderError, match="output folder /proc/qnetsim-out: cannot write in /proc"):
            check_target("/proc/qnetsim-out", "run")
    assert entries(tmp_path) == ["file"]


def test_staging_in_a_place_that_cannot_be_written_says_why(tmp_path):
    """The staging folder proves the place writable (no separate probe); when it cannot be made, the reason is given."""
    (tmp_path / "file").write_text("x")
    with (
        pytest.raises(OutputFolderError, match=f"output folder {tmp_path}/file/a/b: {tmp_path}/file is not a folder"),
        staged_folder(tmp_path / "file" / "a" / "b", "run"),
    ):
        pass
    if sys.platform.startswith("linux"):  # nobody, root included, can make folders in /proc
        with (
            pytest.raises(OutputFolderError, match="output folder /proc/qnetsim-out: cannot write in /proc"),
            staged_folder("/proc/qnetsim-out", "run"),
        ):
            pass
    assert entries(tmp_path) == ["file"]


def test_a_failed_write_leaves_nothing_and_keeps_the_earlier_folder(tmp_path):
    old = write_folder(tmp_path / "out")
    before = {name: (old / name).read_text() for name in entries(old)}
    with pytest.raises(RuntimeError, match="injected"), staged_folder(old, "run") as folder:
        (folder / "pairs.parquet").write_text("new")
        raise RuntimeError("injected")
    assert {name: (old / name).read_text() for name in entries(old)} == before
    assert entries(tmp_path) == ["out"]


def test_a_folder_that_changed_during_the_write_is_not_replaced(tmp_path):
    old = write_folder(tmp_path / "out")
    with pytest.raises(OutputFolderError, match="notes.txt"), staged_folder(old, "run") as folder:
        (folder / "manifest.json").write_text(json.dumps({"qnetsim_result": result_marker("run", ["manifest.json"])}))
        (old / "notes.txt").write_text("written meanwhile")
    assert (old / "notes.txt").read_text() == "written meanwhile"
    assert entries(tmp_path) == ["out"]


@pytest.mark.parametrize("exchange", [True, False], ids=["one-exchange", "two-renames"])
def test_a_symlinked_folder_is_replaced_where_it_points_and_the_link_kept(tmp_path, monkeypatch, exchange):
    if not exchange:
        monkeypatch.setattr(staging, "_exchange", lambda first, second: False)
    real = write_folder(tmp_path / "real", files=("old.parquet",))
    link = tmp_path / "link"
    link.symlink_to(real)
    with staged_folder(link, "run") as folder:
        (folder / "new.parquet").write_text("new")
        record = {"qnetsim_result": result_marker("run", ["new.parquet", "manifest.json"])}
        (folder / "manifest.json").write_text(json.dumps(record))
    assert link.is_symlink() and link.resolve() == real
    assert entries(real) == ["manifest.json", "new.parquet"]
    assert entries(tmp_path) == ["link", "real"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="renameat2 is Linux's")
def test_the_swap_is_one_exchange_on_linux(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "from_a").touch()
    assert staging._exchange(tmp_path / "a", tmp_path / "b")
    assert entries(tmp_path / "b") == ["from_a"] and entries(tmp_path / "a") == []


def test_leftovers_of_killed_writes_are_removed_only_when_provably_abandoned(tmp_path):
    abandoned = tmp_path / ".out.k2j4h5g6.partial"  # a staging folder whose writer died
    abandoned.mkdir()
    (abandoned / STAGING_MARKER).touch()
    (abandoned / "pairs.parquet").write_text("half")
    retired = write_folder(tmp_path / ".out.prev.a1b2c3d4.partial")  # an old folder swapped out, not yet removed
    in_use = tmp_path / ".out.zzzzzzzz.partial"  # another live writer's staging folder
    in_use.mkdir()
    lock = staging._hold(in_use)
    unproven = tmp_path / ".out.yyyyyyyy.partial"
    unproven.mkdir()
    (unproven / "notes.txt").write_text("mine")
    other_name = tmp_path / ".other.xxxxxxxx.partial"
    other_name.mkdir()
    (other_name / STAGING_MARKER).touch()
    try:
        assert sorted(remove_leftovers(tmp_path, "out")) == sorted([abandoned, retired])
    finally:
        os.close(lock)
    assert entries(tmp_path) == [".other.xxxxxxxx.partial", ".out.yyyyyyyy.partial", ".out.zzzzzzzz.partial"]
    assert (unproven / "notes.txt").read_text() == "mine"


def test_a_figure_file_must_have_a_folder_and_may_replace_only_qnetsim_pngs(tmp_path):
    with pytest.raises(OutputFolderError, match=f"--plot {tmp_path}/new/k.png: folder {tmp_path}/new does not exist"):
        check_file_target(tmp_path / "new" / "k.png", "--plot")
    (tmp_path / "mine.png").write_bytes(b"\x89PNG not qnetsim's")
    with pytest.raises(OutputFolderError, match="mine.png exists and was not written by qnetsim"):
        check_file_target(tmp_path / "mine.png", "--plot")
    with pytest.raises(OutputFolderError, match="is a folder"):
        check_file_target(tmp_path, "--plot")
    assert check_file_target(tmp_path / "k.png", "--plot") == tmp_path / "k.png"
    assert entries(tmp_path) == ["mine.png"]
