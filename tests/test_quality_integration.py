"""A real small sweep with the quality filters, the searched label-consistency threshold, the privacy
audit in summary.json, no real text in the CLI output, and a clinician review sheet from the run."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from generators import Reject
from generators._prompts import normalise
from sweep.cli import main

from .conftest import DEMO_TRAIN, REPO, small_overrides

pytestmark = [
    pytest.mark.integration,
    # n_synthetic starts at 3 so every searched trial trains on synthetic examples; the baseline
    # (n_synthetic=0) still runs first, and Optuna notes that 0 lies outside the searched range.
    pytest.mark.filterwarnings("ignore:Fixed parameter n_synthetic"),
]

DEMO = REPO / "conf" / "demo.yaml"


def test_sweep_reports_filters_privacy_audit_and_exports_a_review(ray_start_2_cpus, tmp_path, capfd):
    test_file = tmp_path / "test_slice.tsv"
    df = pd.read_csv(REPO / "data" / "drugsComTest.tsv", sep="\t", index_col=0)
    df.groupby("rating").head(12).to_csv(test_file, sep="\t")
    overrides = small_overrides(
        tmp_path / "runs",
        test_file,
        **{"name": "quality", "search.consistency_min_prob": "[0.05, 0.15]", "search.n_synthetic": "[3, 9]"},
    )
    assert main(["run", str(DEMO), *sum((["--set", o] for o in overrides), [])]) == 0
    output = capfd.readouterr()
    run_dir = tmp_path / "runs" / "quality"
    summary = json.loads((run_dir / "summary.json").read_text())

    # Filter counts: every reason, per pool and in total.
    syn = summary["synthetic"]
    assert set(syn["rejected_by_reason"]) == set(Reject.ALL)
    assert syn["pools"], "per-pool counts"
    for key, pool in syn["pools"].items():
        assert key == f"{pool['label']}@{pool['temperature']}"
        assert pool["attempts"] == pool["accepted"] + sum(pool["rejected"].values())
    rows = list(csv.DictReader(open(run_dir / "trials.csv")))
    for reason in Reject.ALL:
        assert f"rejected_{reason}" in rows[0]
    assert all(r["consistency_min_prob"] for r in rows[1:]), "the searched threshold is a trial parameter"
    assert rows[0]["n_synthetic"] == "0" and rows[0]["consistency_min_prob"] == "", "meaningless for the baseline"
    for r in rows:
        used = int(r["n_synthetic_used"])
        assert used + int(r[f"rejected_{Reject.LABEL_INCONSISTENT}"]) == int(r["synthetic_generated"]) + int(
            r["synthetic_from_cache"]
        )

    # The privacy audit: drops against training records, validation and test measured only.
    p = summary["privacy"]
    assert p["dropped"]["total"] == sum(syn["rejected_by_reason"][r] for r in Reject.PRIVACY_DROPS)
    assert p["examples"] > 0
    assert {k: v["records"] for k, v in p["against"].items()} == {
        "train": summary["data"]["n_train"],
        "validation": summary["data"]["n_validation"],
        "test": summary["data"]["n_test"],
    }
    assert p["against"]["train"]["over_limits"] == 0, "nothing over the limits reached training"
    for block in p["against"].values():
        assert 0 <= block["longest_run"]["max"] < 200
        assert sum(block["longest_run"]["counts"].values()) == p["examples"]
    assert (run_dir / "privacy.png").stat().st_size > 1000
    assert "privacy: " in output.out and "dropped as copies of training records" in output.out

    # No real record text in anything the run printed or wrote as a table.
    real = [q for q in (normalise(t)[:60] for t in pd.read_csv(DEMO_TRAIN, sep="\t")["review"]) if len(q) == 60]
    printed = normalise(output.out + output.err + (run_dir / "trials.csv").read_text())
    printed += normalise((run_dir / "summary.json").read_text())
    assert not [q for q in real if q in printed]

    # A review sheet from the run, scored after a (simulated) reviewer filled in all but one row.
    sheet = tmp_path / "review.csv"
    assert main(["review", "export", str(run_dir), "--n", "6", "--out", str(sheet)]) == 0
    with open(sheet, newline="") as f:
        rows = list(csv.DictReader(f))
    assert 0 < len(rows) <= 6
    assert not [q for q in real if q in normalise(" ".join(r["text"] for r in rows))]
    for r in rows[:-1]:
        r["reviewer_label"] = r["intended_label"]
    with open(sheet, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    capfd.readouterr()
    assert main(["review", "score", str(sheet)]) == 0
    out = capfd.readouterr().out
    n = len(rows) - 1
    assert f"all {n} {n} 1.000" in " ".join(out.split())
    assert "skipped 1 rows without a reviewer_label" in out
