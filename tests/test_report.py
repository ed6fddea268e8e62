"""``synthsweep report``: every figure is a real PNG, embedded in and linked from one HTML file."""

from __future__ import annotations

import base64
import json
import re
from html import unescape
from pathlib import Path

import pytest

from sweep.cli import main
from sweep.config import SearchSpace, SweepConfig
from sweep.outputs import rebuild_study
from sweep.outputs._plots import plot_importances
from sweep.rundir import read_trials

from .fakes import fake_trial_dir

FIGURES = (
    "optimization_history.png",
    "param_importances.png",
    "auc_vs_temperature.png",
    "auc_vs_n_synthetic.png",
    "auc_vs_real_ratio.png",
    "verdict.png",
    "label_curve.png",
)
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.mark.integration
def test_report_of_a_real_sweep(small_run, capsys):
    assert main(["report", str(small_run)]) == 0
    out = small_run / "report"
    assert capsys.readouterr().out.strip() == f"report: {out / 'report.html'}"
    html = (out / "report.html").read_text()
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == sorted(FIGURES)
    for name in FIGURES:
        data = (out / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 2000, name
        assert f'href="{name}"' in html, f"{name} is not linked"
        assert base64.b64encode(data).decode() in html, f"{name} is not embedded"
    # Self-contained: no image or stylesheet is fetched from anywhere.
    assert not re.search(r'<(img|script|link)[^>]+(src|href)="(?!data:)', html)

    summary = json.loads((small_run / "summary.json").read_text())
    for key in ("baseline", "best"):
        assert summary[key]["trial_id"] in html
    assert f"{summary['best']['test_auc_mean']:.3f}" in html  # from the verdict
    assert summary["verdict"]["sentence"] in unescape(html)
    assert "What real labels are worth" in html and "worth in real labels per label" in html

    # Written again in place (a derived file), never half-way.
    assert main(["report", str(small_run)]) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted([*FIGURES, "report.html"])
    assert not list(small_run.glob(".report*"))


def _cfg() -> SweepConfig:
    return SweepConfig.model_validate({"data": {"train": "x.csv"}, "search": {"n_synthetic": [0, 6]}})


def test_importances_need_two_finished_trials(tmp_path):
    fake_trial_dir(tmp_path, "aaaaaaaa", 1, [1, 2])
    study, dists = rebuild_study(SearchSpace.from_config(_cfg()), read_trials(tmp_path))
    note = plot_importances(study, dists, tmp_path / "imp.png")
    assert note == "needs at least 2 finished trials (this sweep has 1)"
    assert (tmp_path / "imp.png").read_bytes().startswith(PNG)


def test_importances_need_trials_that_differ(tmp_path):
    fake_trial_dir(tmp_path, "aaaaaaaa", 1, [1, 2])
    fake_trial_dir(tmp_path, "bbbbbbbb", 2, [1])
    study, dists = rebuild_study(SearchSpace.from_config(_cfg()), read_trials(tmp_path))
    assert len(study.trials) == 2
    note = plot_importances(study, dists, tmp_path / "imp.png")
    assert note == "needs trials that differ in a searched parameter"


def test_report_refuses_a_foreign_out_dir(tmp_path, capsys):
    from sweep.rundir import RunState, write_state

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.yaml").write_text("data: {train: x.csv}\n")
    write_state(run_dir, RunState(status="finished", started=0.0))
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    assert main(["report", str(run_dir), "--out", str(other)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"error: --out {other} is not empty and holds no earlier report; choose a new directory"
    assert Path(other / "notes.txt").read_text() == "mine"
