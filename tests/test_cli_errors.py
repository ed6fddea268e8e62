"""Bad input and usage mistakes: one line naming the problem, exit code 2, no traceback, nothing written."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sweep.cli import main
from sweep.rundir import RunState, write_state

from .conftest import REPO

DEMO = str(REPO / "conf" / "demo.yaml")


def _run(capsys, *args):
    code = main(list(args))
    err = capsys.readouterr().err.strip()
    return code, err


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["search.num_sampels=3"], "search.num_sampels: unknown key"),
        # --set paths are relative to the working directory; the message names the absolute path tried.
        (["data.train=missing.csv"], "data.train: file not found: {cwd}/missing.csv"),
        (["data.text_column=body"], "data.text_column: column 'body' not in"),
        (["generator.model=no-such-model"], "generator.model: 'no-such-model' is neither a bundled model"),
        (
            [
                "generator.few_shot=16",
                "data.test_fraction=0.2",
                "data.test=null",
                "data.train={small_csv}",
                "data.text_column=note",
                "data.label_column=outcome",
            ],
            "fewer than generator.few_shot=16",
        ),
        (["classifier.model=/nonexistent/dir"], "classifier.model: model directory not found"),
    ],
)
def test_run_rejects_bad_input(capsys, tmp_path, small_csv, overrides, message):
    storage = tmp_path / "runs"
    overrides = [o.format(small_csv=small_csv) for o in overrides]
    message = message.format(cwd=Path.cwd())
    code, err = _run(capsys, "run", DEMO, "--set", f"storage={storage}", *sum((["--set", o] for o in overrides), []))
    assert code == 2
    assert err.startswith("error: ") and message in err, err
    assert len(err.splitlines()) == 1
    assert not storage.exists(), "nothing is written for bad input"


def test_unreadable_model_file(capsys, tmp_path):
    fake = tmp_path / "model.gguf"
    fake.write_bytes(b"not a model")
    code, err = _run(capsys, "run", DEMO, "--set", f"storage={tmp_path}", "--set", f"generator.model={fake}")
    assert code == 2 and "is not a GGUF model file" in err


def test_unfinished_run_points_to_resume(capsys, tmp_path):
    run_dir = tmp_path / "demo"
    run_dir.mkdir()
    (run_dir / "keep.txt").write_text("earlier results")
    write_state(run_dir, RunState(status="running", started=0.0))
    code, err = _run(capsys, "run", DEMO, "--set", f"storage={tmp_path}")
    assert code == 2 and f"synthsweep resume {run_dir}" in err
    assert (run_dir / "keep.txt").read_text() == "earlier results"


def test_generate_unknown_label(capsys, tmp_path):
    code, err = _run(capsys, "generate", DEMO, "--label", "great", "--n", "2", "--set", f"storage={tmp_path}")
    assert code == 2 and "--label 'great' is not a class" in err and "negative, positive" in err


def test_console_script_exit_code_and_no_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "sweep.cli", "run", str(tmp_path / "none.yaml")], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: config file not found: {tmp_path / 'none.yaml'}"
    assert "Traceback" not in proc.stderr


def test_help_is_cheap():
    """`synthsweep --help` imports neither torch, Ray nor llama.cpp."""
    code = (
        "import sys; from sweep.cli import main; import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()): main(['--help'])\n"
        "heavy = [m for m in ('torch', 'ray', 'llama_cpp', 'transformers') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


# ----------------------------------------------------------------------------- usage mistakes
USAGE_MISTAKES = [
    (["statsu", "runs"], "Error: No such command 'statsu'. Did you mean 'status'?"),
    ([], "Error: Missing command."),
    (["review"], "Error: Missing command."),
    (["generate", DEMO, "--n", "2"], "Error: Missing option '--label'."),
    (["generate", DEMO, "--label", "positive", "--n", "abc"], "Error: Invalid value for '--n'"),
    (["status", "--bogus", "runs/demo"], "Error: No such option: --bogus"),
    (["export", "runs/demo"], "Error: Missing option '--out'."),
    (["run"], "Error: Missing argument 'config'."),
]


USAGE_IDS = [
    "unknown-command",
    "no-arguments",
    "no-subcommand",
    "missing-option",
    "bad-int",
    "unknown-option",
    "export-without-out",
    "run-without-config",
]


@pytest.mark.parametrize("args, message", USAGE_MISTAKES, ids=USAGE_IDS)
def test_usage_mistakes_print_click_usage_and_exit_2(capsys, args, message):
    code = main(args)
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert code == 2, err
    assert captured.out == ""
    assert err.startswith("Usage: synthsweep"), err
    assert "Try 'synthsweep" in err and "--help' for help." in err
    assert err.splitlines()[-1].startswith(message), err
    assert len(err.splitlines()) <= 5 and "Traceback" not in err


def test_usage_mistake_in_a_real_process_has_no_traceback():
    proc = subprocess.run([sys.executable, "-m", "sweep.cli", "statsu", "runs"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "Usage: synthsweep [OPTIONS] COMMAND [ARGS]...",
        "Try 'synthsweep --help' for help.",
        "",
        "Error: No such command 'statsu'. Did you mean 'status'?",
    ]


def test_help_still_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "Usage: synthsweep" in capsys.readouterr().out
