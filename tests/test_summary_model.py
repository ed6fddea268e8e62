"""summary.json has one schema (sweep.outputs.RunSummary): built typed, written whole, read back."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from common import UserError
from sweep.outputs import RunSummary, read_summary

from .fakes import fake_entry, fake_summary, fake_verdict


def test_a_summary_validates_and_a_misspelled_field_does_not():
    fake_summary()
    with pytest.raises(ValidationError):
        fake_summary(timing={"wall_s": 1.0})


def test_the_verdict_schema():
    v = fake_verdict()
    assert v.arms["best"].delta_auc.ci95 == [-0.048, 0.006] and v.best is v.arms["best"]
    assert json.loads(v.model_dump_json())["arms"]["best"]["conclusion"] == "no evidence"


def test_a_written_summary_reads_back_equal(tmp_path):
    summary = fake_summary(run_dir=tmp_path, best=fake_entry("aaaaaaaa", 2), verdict=fake_verdict())
    summary.write()
    assert read_summary(tmp_path) == summary
    assert json.loads((tmp_path / "summary.json").read_text())["best"]["test_auc_mean"] == 0.581


def test_a_summary_from_before_the_rename_reads_back(tmp_path):
    blob = json.loads(fake_summary(run_dir=tmp_path, best=fake_entry("aaaaaaaa", 2)).model_dump_json())
    blob["best"]["test_auc"] = blob["best"].pop("test_auc_mean")
    (tmp_path / "summary.json").write_text(json.dumps(blob))
    assert read_summary(tmp_path).best.test_auc_mean == 0.581


def test_a_foreign_summary_is_one_line(tmp_path):
    (tmp_path / "summary.json").write_text('{"name": 1}')
    with pytest.raises(UserError, match="is not a summary this synthsweep can read"):
        read_summary(tmp_path)
    assert read_summary(tmp_path / "none") is None


def test_run_dir_is_a_path():
    assert isinstance(RunSummary.model_fields["run_dir"].annotation, type)


def test_the_detectable_change_the_curve_and_the_worths_are_in_summary_json_and_read_back(tmp_path):
    from .test_verdict_worth import _verdict_with_curve

    verdict = _verdict_with_curve(0.035, (14, 3, 27), (0.02, 0.01, 0.03))
    summary = fake_summary(run_dir=tmp_path, verdict=verdict)
    summary.write()
    blob = json.loads((tmp_path / "summary.json").read_text())["verdict"]
    assert blob["detectable_delta"] == 0.035
    assert set(blob["labels"]) >= {"fractions", "n_per_label", "test_auc_mean", "fit", "more_labels_50pct"}
    assert {"labels_25", "labels_50", "labels_75"} <= set(blob["arms"])
    assert blob["arms"]["best"]["worth_labels_per_label"] == {
        "mean": 14,
        "ci95": [3, 27],
        "extrapolated": True,
        "capped": False,
    }
    assert read_summary(tmp_path) == summary


def test_a_verdict_from_before_the_label_curve_reads_back(tmp_path):
    summary = fake_summary(run_dir=tmp_path, verdict=fake_verdict())
    blob = json.loads(summary.model_dump_json())
    for key in ("detectable_delta", "labels"):
        del blob["verdict"][key]
    (tmp_path / "summary.json").write_text(json.dumps(blob))
    read = read_summary(tmp_path)
    assert read.verdict.labels is None and read.verdict.detectable_delta is None
