"""Shell completion of the ``qnetsim`` command (typer's ``--install-completion`` / ``--show-completion``)."""

import shellingham
from typer.testing import CliRunner

from scenarios.cli import app


def _complete(words: str) -> list[str]:
    """What the bash completion script gets back for the command line ``words`` (cursor on the last word)."""
    env = {"_QNETSIM_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
    result = CliRunner().invoke(app, [], env=env, prog_name="qnetsim")
    assert result.exit_code == 0, result.output
    return result.output.split()


def test_help_offers_install_and_show_completion():
    result = CliRunner().invoke(app, ["--help"], prog_name="qnetsim")
    assert result.exit_code == 0
    assert "--install-completion" in result.output and "--show-completion" in result.output


def test_show_completion_prints_the_script_for_the_detected_shell(monkeypatch):
    for shell, marker in (("bash", "complete_bash"), ("zsh", "complete_zsh"), ("fish", "complete_fish")):
        monkeypatch.setattr(shellingham, "detect_shell", lambda shell=shell: (shell, f"/bin/{shell}"))
        result = CliRunner().invoke(app, ["--show-completion"], prog_name="qnetsim")
        assert result.exit_code == 0, result.output
        assert "_QNETSIM_COMPLETE" in result.output and marker in result.output, shell


def test_completion_completes_commands_and_options():
    assert _complete("qnetsim sw") == ["sweep"]
    assert set(_complete("qnetsim s")) == {"serve", "show", "schema", "sweep"}
    assert "--seed" in _complete("qnetsim run --se")
    assert "--hybrid" in _complete("qnetsim compare --hy")
