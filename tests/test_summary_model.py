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
