"""The top-level command line."""

from fuseflow.cli import main


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: fuseflow" in capsys.readouterr().out


def test_a_bad_argument_value_is_one_located_line(capsys):
    assert main(["run", "--example", "resnet18-tpu-quad-fused", "--budget", "2x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --budget") and "Traceback" not in err


def test_every_line_of_a_multi_problem_error_is_marked(tmp_path, capsys):
    bad = tmp_path / "hw.yaml"
    bad.write_text("name: x\ncores: 3\nbogus: 1\n")
    assert main(["hardware", "check", str(bad)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) >= 2 and all(line.startswith("error: ") for line in lines)
