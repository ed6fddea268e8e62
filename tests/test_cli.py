"""Bad input: one line naming the problem, exit code 2, no traceback, nothing written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sweep.rundir import RunState, write_state
from sweep.cli import main

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


# ----------------------------------------------------------------------------- usage mistakes (issue 10, point 1)

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


USAGE_IDS = ["unknown-command", "no-arguments", "no-subcommand", "missing-option", "bad-int", "unknown-option",
             "export-without-out", "run-without-config"]


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


# ----------------------------------------------------------------------------- Ctrl-C and SIGTERM (point 2)


def test_sigterm_ends_any_command_with_one_line_and_143(capsys, monkeypatch, tmp_path):
    import sweep.outputs

    def killed(run_dir):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
        raise AssertionError("SIGTERM did not stop the command")

    monkeypatch.setattr(sweep.outputs, "print_status", killed)
    before = signal.getsignal(signal.SIGTERM)
    assert main(["status", str(tmp_path)]) == 143
    assert capsys.readouterr().err.strip() == "status interrupted; it writes nothing"
    assert signal.getsignal(signal.SIGTERM) == before, "the handler is put back"


def test_ctrl_c_during_generate_says_what_was_kept(capsys, monkeypatch, tmp_path):
    import sweep.inputs

    def interrupted(cfg, label, n, temperature, progress, generator):
        progress(2)
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep.inputs, "generate_examples", interrupted)
    code = main(["generate", DEMO, "--label", "positive", "--n", "5", "--set", f"storage={tmp_path}"])
    assert code == 130
    err = capsys.readouterr().err.strip()
    assert err == (
        "generate (after 2 of 5 examples) interrupted; the examples generated so far are kept in the synthetic "
        f"cache {tmp_path / '.cache' / 'synthetic.sqlite'}"
    )


def test_an_interrupted_sweep_exits_143_after_sigterm(capsys, monkeypatch, tmp_path):
    import sweep._pipeline
    from common import SweepInterrupted

    def stopped(cfg, address=None, verbose=False):
        raise SweepInterrupted(tmp_path / "demo", 1, 8, signum=signal.SIGTERM)

    monkeypatch.setattr(sweep._pipeline, "run_sweep", stopped)
    assert main(["run", DEMO, "--set", f"storage={tmp_path}"]) == 143
    assert capsys.readouterr().err.strip().endswith(f"continue it with: synthsweep resume {tmp_path / 'demo'}")


def test_sigterm_during_tune_is_noted_before_it_becomes_ctrl_c():
    """``run`` turns SIGTERM into SIGINT so Tune saves its state; the exit code still says SIGTERM."""
    from common import exit_code, interrupts_raise, received_signal
    from sweep.search import sigterm_stops_gracefully

    with interrupts_raise(), sigterm_stops_gracefully(), pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    assert received_signal() == signal.SIGTERM and exit_code() == 143


# ----------------------------------------------------------------------------- keys, --verbose, --temperature (point 6)


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
    from types import SimpleNamespace

    import sweep.inputs

    def fake(cfg, label, n, temperature, progress, generator):
        return temperature, SimpleNamespace(texts=["a text"], generated=1, from_cache=0, rejected={})

    monkeypatch.setattr(sweep.inputs, "generate_examples", fake)
    args = ["generate", DEMO, "--label", "positive", "--n", "1", "--set", f"storage={tmp_path}"]
    assert main([*args, "--temperature", "5"]) == 0
    err = capsys.readouterr().err
    assert "warning: --temperature 5 is outside search.temperature [0.7, 1]; a sweep never generates at it" in err
    assert main([*args, "--temperature", "0.8"]) == 0
    assert "warning" not in capsys.readouterr().err


# ----------------------------------------------------------------------------- real processes (points 2 and 4)


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


@pytest.mark.integration
@pytest.mark.parametrize("signum, code", [("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_stops_a_real_generate_with_one_line(tmp_path, signum, code):
    import sqlite3

    storage = tmp_path / "runs"
    cache = storage / ".cache" / "synthetic.sqlite"
    args = [sys.executable, "-m", "sweep.cli", "generate", DEMO, "--label", "negative", "--n", "200"]
    proc = subprocess.Popen(
        [*args, "--set", f"storage={storage}", "--set", "generator.max_new_tokens=24"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )

    def cached() -> int:
        if not cache.is_file():
            return 0
        try:
            with sqlite3.connect(cache) as db:
                return sum(db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for (t,) in db.execute(
                    "SELECT name FROM sqlite_master WHERE type='table'"))
        except sqlite3.Error:
            return 0

    deadline = time.time() + 240
    while cached() == 0 and proc.poll() is None and time.time() < deadline:
        time.sleep(0.5)  # until the first group of examples is in the cache: mid-generation
    assert proc.poll() is None, proc.communicate()[1]
    proc.send_signal(getattr(signal, signum))
    out, err = proc.communicate(timeout=60)
    lines = err.splitlines()
    assert proc.returncode == code, err
    assert "Traceback" not in err
    assert len(lines) == 1, err  # nothing but the line: no empty line left by a progress bar
    assert lines[0].startswith("generate (after ") and " of 200 examples) interrupted; " in lines[0]
    assert lines[0].endswith(f"the examples generated so far are kept in the synthetic cache {cache}")
    assert cached() > 0, "what was generated stays in the cache"
