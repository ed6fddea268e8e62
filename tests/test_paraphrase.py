"""Paraphrase augmentation: prompts, rendering, the cache key's source id and the own-source check.

A fake generator stands in for the model here (``FakeGenerator`` from ``fakes``); the real
backends render and decode paraphrases in ``test_generator_contract.py``, and a real sweep searches
both methods in ``test_paraphrase_integration.py``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import replace

import numpy as np
import pytest

from generators import (
    Augment,
    Completion,
    PoolBuilder,
    PoolSource,
    PromptSpec,
    SyntheticCache,
    source_id,
    stable_int,
)
from generators._cleaning import FilterSettings, PoolFilter, Reject
from generators._prompts import cut_at_word
from generators._styles import chat_messages, completion_prompt, head_of
from sweep.config import GeneratorConfig
from sweep.inputs import paraphrase_spec

from .fakes import FakeGenerator

SHOTS = {
    "positive": [
        f"review {i}: this medicine helped my migraines within a week and I can finally sleep through the night"
        for i in range(5)
    ],
    "negative": [
        f"review {i}: the tablets gave me a rash and terrible nausea so my doctor stopped them after a month"
        for i in range(5)
    ],
}


def _spec(**kw) -> PromptSpec:
    base = dict(
        system_prompt="s {label}",
        user_prompt="u {label}",
        task="t",
        few_shot=2,
        samples_per_prompt=2,
        shot_max_chars=300,
        max_new_tokens=32,
        seed=0,
    )
    return PromptSpec(**{**base, **kw})


def _source(**kw) -> PoolSource:
    spec = _spec()
    para = paraphrase_spec(GeneratorConfig(paraphrase_shots=kw.pop("paraphrase_shots", 0)), spec)
    filters = kw.pop("filters", FilterSettings(language_ratio=None, near_real=None))
    return PoolSource(
        model_hash="fake", spec=spec, shots_by_label=SHOTS, min_chars=10, filters=filters, paraphrase=para, **kw
    )


class RewordingFake(FakeGenerator):
    """A fake that 'paraphrases' by keeping three words of its source and adding seeded filler, or,
    every ``echo_every``-th call, returns its source unchanged (a model that copies)."""

    def __init__(self, echo_every: int = 0):
        super().__init__()
        self.echo_every = echo_every

    def generate(self, requests):
        out = []
        for req in requests:
            self.calls += 1
            self.requests.append(req)
            if self.echo_every and self.calls % self.echo_every == 0:
                out.append(Completion(req.source, n_tokens=20))
                continue
            filler = " ".join(f"w{stable_int(req.seed, k) % 997}" for k in range(10))
            out.append(Completion(" ".join(req.source.split()[1:4]) + " " + filler + ".", n_tokens=14))
        return out


def test_generate_requests_are_unchanged_by_paraphrasing():
    """The shot draw and the fingerprint of a generating spec are what they were before paraphrasing
    existed, so caches written then are still read."""
    spec = _spec(few_shot=3, samples_per_prompt=4)
    pool = SHOTS["positive"]
    for index in (0, 5, 9):
        rng = np.random.default_rng(stable_int(0, "shots", "positive", index // 4, bits=63))
        picks = rng.choice(len(pool), size=3, replace=False)
        want = tuple(cut_at_word(pool[i], 300) for i in picks)
        req = spec.request("positive", pool, 0.7, index)
        assert req.shots == want and req.source == "" and req.source_id == ""
    assert "augment" not in spec.fingerprint()
    assert replace(spec, augment=Augment.PARAPHRASE).fingerprint()["augment"] == "paraphrase"


def test_a_group_rewrites_one_source_and_groups_cycle_through_the_label():
    spec = paraphrase_spec(GeneratorConfig(paraphrase_shots=2), _spec())
    pool = SHOTS["positive"]
    reqs = [spec.request("positive", pool, 0.7, i) for i in range(2 * len(pool) * 2)]
    by_group = [reqs[i : i + 2] for i in range(0, len(reqs), 2)]
    assert all(len({r.source for r in g}) == 1 and g[0].seed != g[1].seed for g in by_group)
    first_cycle = [g[0].source for g in by_group[: len(pool)]]
    assert sorted(first_cycle) == sorted(pool), "each real example is rewritten once per cycle"
    assert [g[0].source for g in by_group[len(pool) :]] == first_cycle
    for r in reqs:
        assert r.source_id == source_id(r.source) and len(r.source_id) == 16
        assert r.source not in r.shots and len(r.shots) == 2, "the shots are other examples"
        assert r.source not in r.source_id


def test_both_prompt_styles_render_the_source_last():
    spec = paraphrase_spec(GeneratorConfig(paraphrase_shots=1), _spec())
    req = spec.request("positive", SHOTS["positive"], 0.7, 0)
    chat = chat_messages(req)
    assert [m["role"] for m in chat] == ["system", "user"]
    assert "rewrite" in chat[0]["content"].lower() and '"positive"' in chat[0]["content"]
    assert chat[1]["content"].endswith('{"text": "' + req.source + '"}')
    assert req.shots[0] in chat[1]["content"]
    listed = completion_prompt(req)
    assert listed.endswith(f'Original: "{req.source}"\nRewritten: "')
    assert listed.startswith("Texts from a t with the label")
    head = completion_prompt(head_of(req))
    assert req.source not in head and req.shots[0] not in head
    generated = _spec().request("positive", SHOTS["positive"], 0.7, 0)
    assert chat_messages(generated)[-1] == {"role": "user", "content": "u positive"}


def test_paraphrase_pools_have_their_own_key_and_record_their_sources(tmp_path):
    cache = SyntheticCache(tmp_path / "s.sqlite")
    source = _source()
    assert source.prompt_hash_for(Augment.PARAPHRASE) != source.prompt_hash_for(Augment.GENERATE)
    assert source.prompt_hash == source.prompt_hash_for(None) == source.prompt_hash_for(Augment.GENERATE)
    b = PoolBuilder(source, cache, "positive", 0.7, Augment.PARAPHRASE)
    gen = RewordingFake()
    while b.missing(6):
        groups = b.plan(6, max_groups=2)
        b.add(groups, [gen.generate(g) for g in groups])
    res = b.result(6)
    assert res.augment == "paraphrase" and len(res.texts) == 6
    ids = {source_id(t): t for t in SHOTS["positive"]}
    assert all(s in ids for s in res.sources)
    rows = sqlite3.connect(tmp_path / "s.sqlite").execute("SELECT idx, source FROM attempts ORDER BY idx").fetchall()
    assert [s for _, s in rows][: len(res.sources)] == [source_id(r.source) for r in gen.requests][: len(res.sources)]
    again = PoolBuilder(source, SyntheticCache(tmp_path / "s.sqlite"), "positive", 0.7, Augment.PARAPHRASE)
    assert again.result(6).texts == res.texts and again.result(6).from_cache == 6
    fresh = PoolBuilder(source, SyntheticCache(tmp_path / "s.sqlite"), "positive", 0.7, Augment.GENERATE)
    assert fresh.next_index == 0, "a generated pool never reads paraphrases"


def test_a_cached_paraphrase_of_another_source_is_not_served(tmp_path):
    cache = SyntheticCache(tmp_path / "s.sqlite")
    source = _source()
    h = source.prompt_hash_for(Augment.PARAPHRASE)
    good = source_id(source.paraphrase.request("positive", SHOTS["positive"], 0.7, 0).source)
    cache.store("fake", h, "positive", 7, [(0, Completion("kept text with enough words here"), good)])
    cache.store("fake", h, "positive", 7, [(1, Completion("a paraphrase of some other review"), "0" * 16)])
    b = PoolBuilder(source, cache, "positive", 0.7, Augment.PARAPHRASE)
    assert b.next_index == 1 and len(b.accepted) == 1, "replay stops at the row whose source differs"


def test_a_paraphrase_that_copies_its_source_is_dropped_and_counted(tmp_path):
    b = PoolBuilder(_source(), SyntheticCache(tmp_path / "s.sqlite"), "negative", 0.7, Augment.PARAPHRASE)
    gen = RewordingFake(echo_every=2)
    groups = b.plan(8, max_groups=2)
    b.add(groups, [gen.generate(g) for g in groups])
    res = b.result(8)
    copies = sum(1 for r, i in zip(gen.requests, range(1, 99)) if i % 2 == 0)
    assert res.rejected.get(Reject.COPIES_SOURCE) == copies > 0
    assert Reject.COPIES_REAL not in res.rejected, "counted against its own source first"


def test_own_source_check_uses_the_word_run_limit_alone():
    src = "the tablets gave me a rash and terrible nausea so my doctor stopped them after a month of use"
    f = PoolFilter([], min_chars=5, settings=FilterSettings(language_ratio=None, near_real=None, near_duplicate=None))
    twelve = "honestly " + " ".join(src.split()[:12]) + " overall"
    eleven = "honestly " + " ".join(src.split()[:11]) + " and more besides that"
    assert f.offer(twelve, source=src) is None
    assert f.offer(eleven, source=src) == eleven
    assert f.offer(src) is not None, "without a source (a generated text, no real records given) it passes"
    assert dict(f.counts) == {Reject.COPIES_SOURCE: 1, "accepted": 2}


def test_a_source_without_paraphrase_prompts_serves_its_own(tmp_path):
    spec = _spec()
    source = PoolSource(model_hash="file", spec=spec, shots_by_label=SHOTS, min_chars=10)
    assert source.spec_for(Augment.PARAPHRASE) is spec
    with pytest.raises(ValueError, match="unknown augment 'summarise'"):
        source.spec_for("summarise")


def test_an_old_cache_gains_source_ids(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE attempts (model_hash TEXT NOT NULL, prompt_hash TEXT NOT NULL, label TEXT NOT NULL, "
        "temperature_tenths INTEGER NOT NULL, idx INTEGER NOT NULL, raw TEXT NOT NULL, n_tokens INTEGER NOT NULL, "
        "truncated INTEGER NOT NULL, created REAL NOT NULL, "
        "PRIMARY KEY (model_hash, prompt_hash, label, temperature_tenths, idx))"
    )
    db.execute("INSERT INTO attempts VALUES ('m', 'p', 'positive', 7, 0, 'old text', 5, 0, 0.0)")
    db.commit()
    db.close()
    cache = SyntheticCache(path)
    assert [(i, c.text, s) for i, c, s in cache.load("m", "p", "positive", 7)] == [(0, "old text", "")]
    cache.store("m", "p", "positive", 7, [(0, Completion("a paraphrase"), "abc")])
    assert len(cache.load("m", "p", "positive", 7)) == 2 and cache.count() == 2
    SyntheticCache(path)  # opening a migrated cache again changes nothing


def test_search_augment_is_a_dimension_and_names_the_baseline_method():
    from sweep.config import SearchSpace, SweepConfig
    from trainables import TrialParams

    cfg = SweepConfig.model_validate({"data": {"train": "x.csv"}, "search": {"augment": ["generate", "paraphrase"]}})
    space = SearchSpace.from_config(cfg)
    assert space.ranges["augment"].choices == ("generate", "paraphrase")
    assert space.baseline["augment"] == "generate" and "augment" in space.distributions()
    assert cfg.augments("default") == ["generate", "paraphrase"]
    p = TrialParams.from_config({"temperature": 0.7, "n_synthetic": 6, "real_ratio": 0.8, "augment": "paraphrase"})
    assert p.augment == "paraphrase" and p.to_dict()["augment"] == "paraphrase"
    base = TrialParams.from_config({"temperature": 0.7, "n_synthetic": 0, "real_ratio": 0.8, "augment": "paraphrase"})
    assert base.augment is None, "the baseline writes nothing"
    plain = SweepConfig.model_validate({"data": {"train": "x.csv"}, "generator": {"augment": "paraphrase"}})
    assert "augment" not in SearchSpace.from_config(plain).ranges and plain.augments("default") == ["paraphrase"]
    with pytest.raises(ValueError, match="lists a method twice"):
        SweepConfig.model_validate({"data": {"train": "x.csv"}, "search": {"augment": ["paraphrase", "paraphrase"]}})
