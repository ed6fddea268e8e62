"""Relation classification (``data.task: relation``): markers in the data, the prompts, the filter
and the classifier's tokenizer. The sweep itself runs in ``test_relations_integration.py``."""

from __future__ import annotations

import subprocess
import sys

import pytest

from common import DEFAULT_MARKERS, UserError, marker_problem, sha256_path
from generators import PoolFilter, PromptSpec
from generators._cleaning import FilterSettings, Reject
from generators._prompts import cut_at_word
from sweep import load_config
from sweep.inputs import filter_settings, marker_note, sweep_dataset

from .conftest import REPO

RELATIONS = REPO / "conf" / "relations.yaml"
M = DEFAULT_MARKERS


def test_a_text_needs_each_marker_once_and_in_order():
    assert marker_problem("my <e1>drug</e1> eased the <e2>pain</e2>", M) is None
    assert marker_problem("my <e1>drug</e1> eased the pain", M) == "lacks the entity marker <e2>"
    assert marker_problem("<e1>a</e1> <e1>b</e1> <e2>c</e2>", M) == "holds the entity marker <e1> 2 times"
    assert marker_problem("<e2>a</e2> then <e1>b</e1>", M).startswith("has its entity markers out of order")


def test_the_shipped_relation_data_loads_and_a_missing_marker_names_its_row(tmp_path):
    cfg = load_config(RELATIONS)
    data = sweep_dataset(cfg)
    assert data.labels == ["causes", "none", "treats"]
    assert all(marker_problem(t, M) is None for t in data.train.texts + data.test.texts)
    bad = tmp_path / "bad.tsv"
    lines = (REPO / "data" / "relations_train.tsv").read_text().splitlines()
    lines[5] = lines[5].replace("</e2>", "")
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(UserError, match=r"data.train: row 5 of .*bad.tsv lacks the entity marker </e2>; data.task"):
        sweep_dataset(load_config(RELATIONS, [f"data.train={bad}"]))


def test_bad_markers_are_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "bad.tsv"
    bad.write_text("text\trelation\n<e1>a</e1> and b\ttreats\n<e1>c</e1> and <e2>d</e2>\tnone\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sweep.cli",
            "run",
            str(RELATIONS),
            "--set",
            f"data.train={bad}",
            "--set",
            "data.test=null",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 2, proc.stderr
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "row 1 of" in err[0] and "lacks the entity marker <e2>" in err[0]
    assert "and b" not in proc.stderr, "the text itself is never shown"


def test_a_synthetic_text_without_its_markers_is_rejected_and_counted():
    settings = FilterSettings(language_ratio=None, near_real=None, markers=M)
    f = PoolFilter([], min_chars=5, settings=settings)
    assert f.offer("Since <e1>aspirin</e1> my <e2>headache</e2> is gone.") is not None
    assert f.offer("Since aspirin my headache is gone for good.") is None
    assert f.offer("<e2>Headache</e2> gone since <e1>aspirin</e1>, truly.") is None
    assert dict(f.counts) == {"accepted": 1, Reject.MARKERS: 2}
    assert filter_settings(load_config(RELATIONS)).markers == M
    assert filter_settings(load_config(REPO / "conf" / "demo.yaml")).markers == ()


def test_shots_keep_their_markers_and_the_prompts_ask_for_them():
    long = "word " * 60 + "then <e1>drug</e1> and finally <e2>effect</e2> at the end"
    cut = cut_at_word(long, 100, M)
    assert marker_problem(cut, M) is None and len(cut) < len(long) + 10
    assert marker_problem(cut_at_word(long, 100), M) is not None, "without markers it cuts as before"
    assert "<e1> </e1> <e2> </e2>" in marker_note(M) and marker_note(()) == ""
    spec = PromptSpec("s", "u", "t", 3, 4, 300, 32, 0)
    assert "markers" not in spec.fingerprint(), "a classification task's cache keys are unchanged"
    marked = PromptSpec("s", "u", "t", 3, 4, 100, 32, 0, markers=M)
    assert marked.fingerprint()["markers"] == list(M)
    req = marked.request("treats", [long, long.replace("drug", "pill")], 0.7, 0)
    assert all(marker_problem(s, M) is None for s in req.shots)


def test_the_marked_classifier_reads_each_marker_as_one_token(tmp_path, monkeypatch):
    from transformers import AutoTokenizer

    from common import resolve_classifier_model
    from trainables import marked_classifier, marker_ids

    monkeypatch.setenv("SYNTHSWEEP_CACHE", str(tmp_path / "cache"))
    base = resolve_classifier_model("minilm-l6")
    path = marked_classifier(base, M)
    tok = AutoTokenizer.from_pretrained(path)
    ids = marker_ids(tok, M)
    assert len(set(ids)) == 4 and all(i >= AutoTokenizer.from_pretrained(base).vocab_size for i in ids)
    assert tok.tokenize("the <e1>aspirin</e1> eased my <e2>headache</e2>")[1] == "<e1>"
    first = sha256_path(path)
    again = marked_classifier(base, M)
    assert again == path and sha256_path(again) == first, "made once, the same bits"
    with pytest.raises(ValueError, match="splits the entity marker"):
        marker_ids(AutoTokenizer.from_pretrained(base), M)
