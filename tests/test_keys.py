"""``synthsweep keys``, ``--verbose`` and ``generate --temperature``: what the options say."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sweep.cli import main

from .conftest import REPO

DEMO = str(REPO / "conf" / "demo.yaml")


def test_keys_prints_yaml_values_and_marks_required_keys(capsys):
    assert main(["keys"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "storage: runs" in lines
    assert "data.train  (required)" in lines
    assert "data.test: null" in lines
    assert "search.temperature: [0.5, 1.0]" in lines
    assert "generators: {}" in lines
    assert not any("PosixPath" in line or line.endswith("= None") for line in lines)


@pytest.mark.parametrize("command", ["run", "resume"])
def test_run_and_resume_take_verbose(capsys, command):
    assert main([command, "--help"]) == 0
    assert "--verbose" in capsys.readouterr().out


def test_generate_warns_about_a_temperature_outside_the_search(capsys, monkeypatch, tmp_path):
    import sweep.inputs

    from .fakes import fake_generate_examples

    monkeypatch.setattr(sweep.inputs, "generate_examples", fake_generate_examples)
    args = ["generate", DEMO, "--label", "positive", "--n", "1", "--set", f"storage={tmp_path}"]
    assert main([*args, "--temperature", "5"]) == 0
    err = capsys.readouterr().err
    assert "warning: --temperature 5 is outside search.temperature [0.7, 1]; a sweep never generates at it" in err
    assert main([*args, "--temperature", "0.8"]) == 0
    assert "warning" not in capsys.readouterr().err


@pytest.mark.integration
def test_generate_works_from_any_directory_with_an_absolute_config(tmp_path):
    """Paths in conf/demo.yaml are relative to conf/, not to where synthsweep runs."""
    args = [sys.executable, "-m", "sweep.cli", "generate", DEMO, "--label", "positive", "--n", "1"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [*args, "--set", f"storage={tmp_path / 'runs'}", "--set", "generator.max_new_tokens=24"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("1. ")
    assert "label=positive temperature=0.8: 1 examples" in proc.stderr
