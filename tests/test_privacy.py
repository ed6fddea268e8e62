"""Privacy audit: shared word runs and n-gram overlap, checked against brute force and planted copies."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from generators import OverlapIndex, PrivacyLimits
from generators._privacy import words
from sweep.outputs import privacy_report, synthetic_examples

from .conftest import DEMO_TRAIN
from .fakes import fake_run


def _brute_longest(a: list[str], b: list[str]) -> int:
    best = 0
    prev = [0] * (len(b) + 1)
    for i in range(1, len(a) + 1):
        cur = [0] * (len(b) + 1)
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def _brute_overlap(a: list[str], b: list[str], n: int) -> float:
    grams = [tuple(a[i : i + n]) for i in range(len(a) - n + 1)]
    if not grams:
        return 0.0
    have = {tuple(b[i : i + n]) for i in range(len(b) - n + 1)}
    return sum(g in have for g in grams) / len(grams)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_longest_run_and_overlap_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    vocab = [f"w{i}" for i in range(12)]  # a small vocabulary makes many partial matches
    records = [" ".join(rng.choice(vocab, size=rng.integers(5, 40))) for _ in range(30)]
    queries = [" ".join(rng.choice(vocab, size=rng.integers(1, 30))) for _ in range(40)]
    # Plant long copies too.
    queries += [records[3].split(" ", 2)[-1], "w1 w2 " + records[7] + " w3"]
    index = OverlapIndex(records, n=4, anchor=3)
    for q in queries:
        got = index.measure(q)
        qw = words(q)
        assert got.longest_run == max(_brute_longest(qw, words(r)) for r in records), q
        assert got.ngram_overlap == pytest.approx(max(_brute_overlap(qw, words(r), 4) for r in records)), q
        if got.longest_run:
            assert _brute_longest(qw, words(records[got.record])) == got.longest_run


def test_copied_record_is_caught_and_new_text_is_not():
    real = pd.read_csv(DEMO_TRAIN, sep="\t")["review"].head(200).tolist()
    index = OverlapIndex(real, n=8)
    limits = PrivacyLimits(ngram=8, max_shared_words=12, max_ngram_overlap=0.5)
    record = words(real[17])
    assert len(record) > 40
    planted = "Honestly my story is different. " + " ".join(record[5:25]) + " That is all I can say."
    o = index.measure(planted)
    assert o.longest_run == 20 and o.record == 17
    assert limits.exceeded(o)
    fresh = index.measure("The tablets made my skin itch within a day so the pharmacist swapped the brand for me.")
    assert fresh.longest_run < 8 and fresh.ngram_overlap == 0.0
    assert not limits.exceeded(fresh)


def test_short_texts_have_no_ngram_overlap_but_a_run():
    index = OverlapIndex(["it worked for me and my pain went away"], n=8)
    o = index.measure("It worked for me!")
    assert o.longest_run == 4 and o.ngram_overlap == 0.0
    assert index.measure("").longest_run == 0
    assert OverlapIndex([], n=8).measure("anything at all").longest_run == 0


def _data(train, validation, test):
    import numpy as np

    from sweep.inputs import Dataset, Split

    splits = [Split(texts, np.zeros(len(texts), dtype=int)) for texts in (train, validation, test)]
    return Dataset(["negative", "positive"], *splits, files={})


def test_report_measures_validation_and_test_but_only_counts_drops_from_training(tmp_path):
    real = pd.read_csv(DEMO_TRAIN, sep="\t")["review"].tolist()
    train, validation, test = real[:100], real[100:150], real[150:200]
    long_test = next(t for t in test if len(words(t)) >= 40)
    leaked_test = " ".join(words(long_test)[:30])  # a synthetic example that happens to copy a test record
    records = fake_run(
        tmp_path,
        [
            [("positive", "A brand new review that copies nobody at all, it just says the pills helped.")],
            [
                ("negative", leaked_test),
                ("positive", "A brand new review that copies nobody at all, it just says the pills helped."),
            ],
        ],
    )
    assert len(synthetic_examples(records)) == 2, "the union over trials, without repeats"
    limits = PrivacyLimits(ngram=8, max_shared_words=12, max_ngram_overlap=0.5)
    report = privacy_report(records, _data(train, validation, test), limits, {"copies_real": 1, "privacy": 2}, tmp_path)
    assert report["dropped"] == {"copies_real": 1, "privacy": 2, "total": 3}
    assert report["dropped_against"] == "train"
    assert report["examples"] == 2
    assert report["against"]["test"]["over_limits"] == 1
    assert report["against"]["test"]["longest_run"]["max"] == 30
    assert report["against"]["validation"]["records"] == 50
    assert sum(report["against"]["train"]["ngram_overlap"]["histogram"].values()) == 2
    assert (tmp_path / "privacy.png").stat().st_size > 1000
    blob = json.dumps(report)
    assert leaked_test[:40] not in blob and "brand new review" not in blob, "numbers only"
