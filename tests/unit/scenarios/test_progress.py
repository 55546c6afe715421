"""The progress bar over a comparison's runs: on when asked, silent otherwise, never in the way."""

from scenarios.progress import steps_progress


def test_steps_progress_draws_on_stderr_when_enabled(capsys, monkeypatch):
    monkeypatch.setenv("FORCE_COLOR", "1")  # draw as on a terminal
    with steps_progress(2, enabled=True, label="compare") as advance:
        advance("trusted_relay saturating, seed 1")
        advance("quantum_repeater bbm92, seed 1")
    captured = capsys.readouterr()
    assert captured.out == ""  # the table on stdout stays clean
    assert "compare: quantum_repeater bbm92, seed 1" in captured.err and "2 / 2" in captured.err


def test_steps_progress_is_silent_when_disabled(capsys):
    with steps_progress(3, enabled=False) as advance:
        advance("anything")
    assert capsys.readouterr() == ("", "")
