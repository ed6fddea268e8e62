"""Ctrl-C and SIGTERM end every command with one line saying what stopped and what was kept, exit 130 or 143."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from sweep.cli import main

from .conftest import REPO

DEMO = str(REPO / "conf" / "demo.yaml")


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
                return sum(
                    db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                    for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
                )
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


def test_ctrl_c_raises_again_once_the_search_has_ended():
    """Tune keeps its own SIGINT handler after a search nobody interrupted; the verdict must not inherit it."""
    from sweep.search import fit

    from .fakes import FakeTuner

    before = signal.getsignal(signal.SIGINT)
    tuner = FakeTuner()
    fit(tuner)
    assert tuner.fitted and signal.getsignal(signal.SIGINT) is before
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(5)
