"""The top-level command line."""

from fuseflow.cli import main


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: fuseflow" in capsys.readouterr().out
