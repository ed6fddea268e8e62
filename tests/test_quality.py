"""Quality filters with planted cases: near duplicates, wrong language, copies, label inconsistency."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from generators import (
    FilterSettings,
    LabelConsistency,
    LanguageProfile,
    PoolBuilder,
    PoolFilter,
    PoolSource,
    PrivacyLimits,
    PromptSpec,
    RealReference,
    Reject,
    ShingleIndex,
    SyntheticCache,
    jaccard,
    shingles,
)
from trainables import TrialData, TrialParams
from trainables.trainable import SyntheticSet, drop_inconsistent, fetch_synthetic

from .conftest import DEMO_TRAIN
from .fakes import FakeGenerator


@pytest.fixture(scope="module")
def reviews() -> list[str]:
    return pd.read_csv(DEMO_TRAIN, sep="\t")["review"].head(150).tolist()


@pytest.fixture(scope="module")
def reference(reviews) -> RealReference:
    return RealReference(reviews, FilterSettings())


def _filter(reviews, reference, **settings) -> PoolFilter:
    s = FilterSettings(**settings)
    return PoolFilter((), min_chars=20, settings=s, reference=reference if not settings else RealReference(reviews, s))


SPANISH = (
    "Este medicamento me ayudó mucho con el dolor de espalda, ahora duermo mejor y ya no tengo "
    "molestias por la mañana. Lo recomiendo."
)
FRENCH = (
    "Ce médicament m'a beaucoup aidé, je dors mieux et je n'ai plus de douleurs depuis deux semaines. "
    "Je le recommande vivement."
)
ENGLISH = [
    "This medication helped my back pain a lot, now I sleep better and I have no aches in the morning.",
    "Terrible side effects from day one: headaches, nausea and dizziness. I stopped after a week.",
    "It took a month to work but my mood is steadier and the anxiety attacks are gone.",
]


def test_planted_wrong_language_is_dropped(reviews, reference):
    f = PoolFilter((), min_chars=20, reference=reference)
    assert [f.offer(t) for t in ENGLISH] == ENGLISH
    assert f.offer(SPANISH) is None and f.offer(FRENCH) is None
    assert f.counts[Reject.LANGUAGE] == 2


def test_language_profile_calibrates_on_the_real_texts(reviews):
    profile = LanguageProfile(reviews[:120], ratio=1.3)
    held_out = [profile.bits(t) for t in reviews[120:150]]
    assert max(held_out) <= profile.cutoff, "held-out real reviews pass"
    assert profile.bits(SPANISH) > profile.cutoff and profile.bits(FRENCH) > profile.cutoff
    assert profile.bits("Это лекарство мне очень помогло, я лучше сплю.") > 3 * profile.cutoff
    assert LanguageProfile(["only one text"]).accepts("anything"), "too little data to judge: accept"


def test_planted_near_duplicate_within_the_pool_is_dropped(reviews, reference):
    f = PoolFilter((), min_chars=20, reference=reference)
    first = "The new tablets worked within two days and my migraines went from daily to once a month, amazing."
    near = "The new tablets worked within 3 days and my migraines went from daily to once a month. Amazing!"
    assert f.offer(first) == first
    assert jaccard(shingles(first), shingles(near)) >= 0.7
    assert f.offer(near) is None
    assert f.counts[Reject.NEAR_DUPLICATE] == 1
    other = "After the second week on this dose my joints stopped aching and I could garden again."
    assert f.offer(other) == other


def test_planted_copies_of_real_records_are_dropped(reviews, reference):
    f = PoolFilter((), min_chars=20, reference=reference)
    record = next(r for r in reviews if len(r.split()) > 60)
    tokens = record.split()
    exact = record
    # 20 consecutive words of a record inside new text: not a copy of the whole record.
    embedded = "My story is different from most. " + " ".join(tokens[10:30]) + " Anyway that is it."
    # One word in every seven changed: no run reaches the privacy limit, the characters still match.
    near = " ".join(w if i % 7 != 3 else "really" for i, w in enumerate(tokens))
    assert reference.overlap.measure(near).longest_run < 12
    assert jaccard(shingles(near), shingles(record)) >= 0.7
    assert f.offer(exact) is None
    assert f.offer(embedded) is None
    assert f.offer(near) is None
    assert dict(f.counts) == {Reject.COPIES_REAL: 1, Reject.PRIVACY: 1, Reject.NEAR_REAL: 1}
    assert set(Reject.PRIVACY_DROPS) == {Reject.COPIES_SOURCE, Reject.COPIES_REAL, Reject.PRIVACY, Reject.NEAR_REAL}


def test_too_long_and_thresholds_can_be_turned_off(reviews):
    long_text = "It helped. " * 30
    assert _filter(reviews, None, max_chars=100).offer(long_text) is None
    off = _filter(
        reviews,
        None,
        near_duplicate=None,
        near_real=None,
        language_ratio=None,
        privacy=PrivacyLimits(max_shared_words=None, max_ngram_overlap=None),
    )
    assert off.offer(SPANISH) == SPANISH
    tokens = next(r for r in reviews if len(r.split()) > 60).split()
    assert off.offer("My story. " + " ".join(tokens[10:30])) is not None


def test_shingle_index_is_exact_jaccard(reviews):
    index = ShingleIndex(reviews[:50])
    for q in ENGLISH + [reviews[3], reviews[3][:80]]:
        best, i = index.most_similar(q)
        brute = [jaccard(shingles(q), shingles(r)) for r in reviews[:50]]
        assert best == pytest.approx(max(brute)) and brute[i] == pytest.approx(best)


SHOTS = {
    "negative": [f"awful terrible pills, made everything worse, review {i}" for i in range(6)],
    "positive": [f"wonderful pills, helped a lot and works great, review {i}" for i in range(6)],
}


def _source(filters: FilterSettings) -> PoolSource:
    spec = PromptSpec("s {label}", "u {label}", "t", 3, 4, 200, 32, 0)
    return PoolSource(model_hash="fake", spec=spec, shots_by_label=SHOTS, min_chars=10, filters=filters)


def test_changing_a_threshold_replays_the_cache_and_never_regenerates(tmp_path):
    loose = _source(FilterSettings(language_ratio=None, near_duplicate=None))
    strict = _source(FilterSettings(language_ratio=None, near_duplicate=0.3))
    assert loose.prompt_hash == strict.prompt_hash, "filters are not part of the cache key"
    gen = FakeGenerator()
    b = PoolBuilder(loose, SyntheticCache(tmp_path / "s.sqlite"), "positive", 0.7)
    while b.missing(12):
        g = b.plan(12, max_groups=2)
        b.add(g, [gen.generate(x) for x in g])
    calls = gen.calls
    a1 = PoolBuilder(strict, SyntheticCache(tmp_path / "s.sqlite"), "positive", 0.7)
    a2 = PoolBuilder(strict, SyntheticCache(tmp_path / "s.sqlite"), "positive", 0.7)
    r1, r2 = a1.result(12), a2.result(12)
    assert gen.calls == calls, "building a pool with other thresholds generated nothing"
    assert r1 == r2, "a pure function of the cached attempts"
    assert r1.rejected.get(Reject.NEAR_DUPLICATE, 0) > 0
    assert r1.attempts == b.result(12).attempts


def _consistency_data() -> TrialData:
    pos = ["great relief, works wonderfully", "helped so much, wonderful", "really effective and great", "works great"]
    neg = ["awful nausea, terrible", "made my pain worse, awful", "terrible headache, useless", "useless and awful"]
    texts = [f"{t} {i}" for i in range(5) for t in pos + neg]
    y = [1, 1, 1, 1, 0, 0, 0, 0] * 5
    return TrialData(
        labels=["negative", "positive"],
        train_texts=texts,
        train_y=y,
        val_texts=["VALIDATION ONLY"],
        val_y=[0],
    )


def test_planted_label_inconsistent_example_is_dropped():
    data = _consistency_data()
    synth = SyntheticSet(
        texts=["wonderful, works great, such relief", "terrible awful nausea, made it worse", "works great"],
        y=np.array([1, 1, 0]),  # the second is written for "positive" but reads negative; the third vice versa
        rejected={"duplicate": 2},
        generated=3,
    )
    out = drop_inconsistent(synth, data, min_prob=0.2)
    assert out.texts == ["wonderful, works great, such relief"]
    assert out.y.tolist() == [1]
    assert out.rejected == {"duplicate": 2, Reject.LABEL_INCONSISTENT: 2}
    keep_all = drop_inconsistent(synth, data, min_prob=0.0)
    assert len(keep_all.texts) == 3 and keep_all.rejected[Reject.LABEL_INCONSISTENT] == 0


def test_consistency_classifier_sees_training_data_only(monkeypatch):
    seen = []
    original = LabelConsistency.fit

    def spy(self, texts, y, num_labels):
        seen.extend(texts)
        return original(self, texts, y, num_labels)

    monkeypatch.setattr(LabelConsistency, "fit", spy)
    data = _consistency_data()
    drop_inconsistent(SyntheticSet(texts=["works great"], y=np.array([1])), data, 0.5)
    assert seen == data.train_texts and "VALIDATION ONLY" not in seen


def test_trial_params_carry_the_searched_threshold_only_when_searched():
    p = TrialParams.from_config(
        {"temperature": 0.7, "n_synthetic": 6, "real_ratio": 0.8, "consistency_min_prob": 0.1500001}
    )
    assert p.consistency_min_prob == 0.15 and p.to_dict()["consistency_min_prob"] == 0.15
    baseline = TrialParams.from_config(
        {"temperature": 0.7, "n_synthetic": 0, "real_ratio": 0.8, "consistency_min_prob": 0.1}
    )
    assert baseline.consistency_min_prob is None
    plain = TrialParams.from_config({"temperature": 0.7, "n_synthetic": 6, "real_ratio": 0.8})
    assert plain.consistency_min_prob is None and "consistency_min_prob" not in plain.to_dict()


def test_fetch_reports_per_pool_counts():
    from generators import PoolResult

    def fetch(label, t, n):
        return PoolResult([f"{label} {i}" for i in range(n)], n, 0, attempts=n + 2, rejected={Reject.LANGUAGE: 2})

    data = TrialData(["negative", "positive"], ["a", "b"], [0, 1], ["c"], [0])
    s = fetch_synthetic(TrialParams(0.7, 4, 0.8), data, fetch)
    assert s.pools == {
        "negative@0.7": {
            "label": "negative",
            "temperature": 0.7,
            "augment": "generate",
            "attempts": 4,
            "accepted": 2,
            "rejected": {"language": 2},
        },
        "positive@0.7": {
            "label": "positive",
            "temperature": 0.7,
            "augment": "generate",
            "attempts": 4,
            "accepted": 2,
            "rejected": {"language": 2},
        },
    }
