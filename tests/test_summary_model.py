"""summary.json has one schema (sweep._summary_model.RunSummary), checked when it is written."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sweep._summary_model import RunSummary, Verdict

from .fakes import fake_verdict as _verdict


def _summary(**over):
    base = {
        "name": "demo",
        "run_dir": "runs/demo",
        "finished_at": "2026-11-22T00:00:00Z",
        "baseline": None,
        "best": None,
        "synthetic": {"generated": 0, "from_cache": 0, "rejected": 0, "rejected_by_reason": {}, "pools": {}},
        "trials": {"total": 1, "with_results": 1, "errored": 0},
        "data": {
            "labels": ["negative", "positive"],
            "positive_label": "positive",
            "removed": {},
            "n_train": 10,
            "n_validation": 5,
            "n_test": 5,
            "files": {},
        },
        "timings": {"wall_s": 1.0},
    }
    return {**base, **over}


def test_a_summary_validates_and_a_misspelled_field_does_not():
    RunSummary.model_validate(_summary())
    with pytest.raises(ValidationError):
        RunSummary.model_validate(_summary(timing={"wall_s": 1.0}))


def test_the_verdict_schema():
    v = _verdict()
    for arm in v["arms"].values():
        arm.update(epoch=3, val_auc_mean=0.7)
    v.update(seed_values=[1000, 1001], confidence=0.95, conclusion="no evidence", verdict_s=1.0)
    assert Verdict.model_validate(v).arms["best"].delta_auc.ci95 == [-0.048, 0.006]
