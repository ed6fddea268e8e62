"""Pools, cache and filters with a fake generator (the real model has its own integration test)."""

from __future__ import annotations

from generators import (
    PoolBuilder,
    PoolFilter,
    PoolSource,
    PromptSpec,
    SyntheticCache,
    balanced_counts,
    clean_text,
)
from generators._cleaning import FilterSettings, Reject

from .fakes import FakeGenerator

SHOTS = {
    "positive": [f"this drug helped me a lot, review number {i} of the good ones" for i in range(6)],
    "negative": [f"this drug made me feel awful, review number {i} of the bad ones" for i in range(6)],
}


def _source(**kw) -> PoolSource:
    spec = PromptSpec(
        system_prompt="s {label}",
        user_prompt="u {label}",
        task="t",
        few_shot=3,
        samples_per_prompt=kw.pop("spp", 4),
        shot_max_chars=200,
        max_new_tokens=32,
        seed=0,
        decode_groups=kw.pop("decode_groups", 1),
    )
    # The templated SHOTS make a language model that rejects the fake's word salad; the
    # language check has its own tests on real reviews (test_quality.py).
    filters = kw.pop("filters", FilterSettings(language_ratio=None))
    return PoolSource(model_hash="fake", spec=spec, shots_by_label=SHOTS, min_chars=10, filters=filters)


def _fill(builder: PoolBuilder, gen: FakeGenerator, n: int) -> None:
    while builder.missing(n):
        groups = builder.plan(n, max_groups=2)
        builder.add(groups, [gen.generate(g) for g in groups])


def test_pool_is_cached_and_reused(tmp_path):
    cache = SyntheticCache(tmp_path / "s.sqlite")
    gen = FakeGenerator()
    b = PoolBuilder(_source(), cache, "positive", 0.7)
    _fill(b, gen, 10)
    first = b.result(10)
    assert first.generated == 10 and first.from_cache == 0
    calls = gen.calls

    again = PoolBuilder(_source(), SyntheticCache(tmp_path / "s.sqlite"), "positive", 0.7)
    assert again.missing(10) == 0
    second = again.result(10)
    assert second.texts == first.texts
    assert second.generated == 0 and second.from_cache == 10
    assert gen.calls == calls

    # A bigger pool extends the cached one: the first 10 stay, only the rest is generated.
    _fill(again, gen, 18)
    bigger = again.result(18)
    assert bigger.texts[:10] == first.texts
    # Whole prompt groups are generated, so the first fill may have cached a few extra.
    assert bigger.from_cache >= 10 and bigger.generated == 18 - bigger.from_cache
    assert bigger.generated > 0


def test_pool_keys_separate_temperature_and_label(tmp_path):
    cache = SyntheticCache(tmp_path / "s.sqlite")
    gen = FakeGenerator()
    a = PoolBuilder(_source(), cache, "positive", 0.7)
    _fill(a, gen, 4)
    assert PoolBuilder(_source(), cache, "positive", 0.8).missing(4) == 4
    assert PoolBuilder(_source(), cache, "negative", 0.7).missing(4) == 4
    assert PoolBuilder(_source(), cache, "positive", 0.70000001).missing(4) == 0


def test_generation_is_deterministic_regardless_of_parallel_groups(tmp_path):
    a = PoolBuilder(_source(), SyntheticCache(tmp_path / "a.sqlite"), "positive", 0.7)
    b = PoolBuilder(_source(), SyntheticCache(tmp_path / "b.sqlite"), "positive", 0.7)
    ga, gb = FakeGenerator(duplicate_every=3), FakeGenerator(duplicate_every=3)
    while a.missing(9):
        g = a.plan(9, max_groups=1)
        a.add(g, [ga.generate(x) for x in g])
    while b.missing(9):
        g = b.plan(9, max_groups=4)
        b.add(g, [gb.generate(x) for x in g])
    assert a.result(9).texts == b.result(9).texts


def test_plans_end_with_a_whole_decode_batch_and_calls_join_its_groups(tmp_path):
    """A group is always decoded with the other groups of its batch, whatever a request asked for,
    so an attempt gets the same company (and so the same text) in every run."""
    b = PoolBuilder(_source(spp=4, decode_groups=2), SyntheticCache(tmp_path / "d.sqlite"), "positive", 0.7)
    groups = b.plan(3, max_groups=1)
    assert [g[0].index for g in groups] == [0, 4], "one group wanted, the whole batch planned"
    calls = b.calls(groups)
    assert [[r.index for r in c] for c in calls] == [list(range(8))]
    b.add(calls, [FakeGenerator().generate(c) for c in calls])
    assert b.next_index == 8 and len(b.accepted) == 8
    groups = b.plan(30, max_groups=5)
    assert [g[0].index for g in groups] == [8, 12, 16, 20, 24, 28], "rounded up to a batch end"
    assert [[r.index for r in c][0] for c in b.calls(groups)] == [8, 16, 24]
    assert _source(decode_groups=2).prompt_hash != _source().prompt_hash, "the company is in the cache key"
    assert "decode_groups" not in _source().spec.fingerprint(), "keys without batching stay as they were"


def test_shots_are_shared_within_a_group_and_vary_across(tmp_path):
    b = PoolBuilder(_source(spp=4), SyntheticCache(tmp_path / "s.sqlite"), "positive", 0.7)
    groups = b.plan(8, max_groups=2)
    assert [len(g) for g in groups] == [4, 4]
    assert len({r.shots for r in groups[0]}) == 1
    assert groups[0][0].shots != groups[1][0].shots
    assert len({r.seed for g in groups for r in g}) == 8
    assert all(s in SHOTS["positive"] for r in groups[0] for s in r.shots)


def test_filters_reject_duplicates_and_copies_of_real_records(tmp_path):
    b = PoolBuilder(_source(), SyntheticCache(tmp_path / "s.sqlite"), "positive", 0.7)
    _fill(b, FakeGenerator(duplicate_every=2, copy_shot_every=5), 8)
    res = b.result(8)
    assert len(res.texts) == 8
    assert res.rejected.get(Reject.DUPLICATE, 0) >= 1
    assert res.rejected.get(Reject.COPIES_REAL, 0) >= 1
    assert not set(res.texts) & set(SHOTS["positive"])
    assert len(set(res.texts)) == 8


def test_clean_text_strips_preambles_and_quotes():
    assert clean_text('Here is a review: "It worked well for me."') == "It worked well for me."
    assert clean_text("Sure! Here's a new example:  Great   stuff.") == "Great stuff."
    assert clean_text("I&#039;m fine") == "I'm fine"
    assert clean_text('It is a very good idea and I would like more information.".}') == (
        "It is a very good idea and I would like more information."
    )
    assert clean_text('Worked well."}') == "Worked well."


def test_filter_counts_reasons():
    f = PoolFilter(["exactly this real review text, which is long enough to count"], min_chars=10)
    assert f.offer("") is None
    assert f.offer("short") is None
    assert f.offer("Exactly this real review text, which is long enough to count!") is None
    assert f.offer("a brand new synthetic review") == "a brand new synthetic review"
    assert f.offer("A brand new synthetic review.") is None
    assert dict(f.counts) == {
        Reject.EMPTY: 1,
        Reject.TOO_SHORT: 1,
        Reject.COPIES_REAL: 1,
        "accepted": 1,
        Reject.DUPLICATE: 1,
    }


def test_truncated_output_keeps_complete_sentences():
    f = PoolFilter([], min_chars=5)
    assert f.offer("It helped a lot. Then I started to", truncated=True) == "It helped a lot."
    # A text ending in the cut mark of the shots imitates a cut shot: it is cut mid-sentence too.
    assert f.offer("It worked within a week. He also said that ...") == "It worked within a week."


def test_balanced_counts():
    assert balanced_counts(10, ["a", "b", "c"]) == {"a": 4, "b": 3, "c": 3}
    assert sum(balanced_counts(7, ["a", "b"]).values()) == 7
