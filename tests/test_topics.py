"""Many small classes: 20 topics of 10-50 training texts (conf/topics.yaml, data/make_topics.py).

The splits keep every label in every split or refuse in one line; the verdict reports the rarest
quarter of the labels with a positive and a negative control; the terminal stays within 100
columns while summary.json and the report hold the per-label detail; pools are kept between
trials. The sweep itself runs in ``test_topics_integration.py``.
"""

from __future__ import annotations

import asyncio
import importlib.util
import io
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from common import UserError
from sweep import load_config
from sweep.config import DataConfig
from sweep.inputs import load_dataset, sweep_dataset
from sweep.verdict import RAREST_MIN_LABELS, Conclusion, Verdict, rarest_quarter, rarest_words

from .conftest import REPO
from .fakes import fake_summary, fake_verdict

TOPICS = REPO / "conf" / "topics.yaml"
RARE = ["interpreters", "accessibility", "visiting hours", "privacy", "noise at night"]


def _make_topics():
    spec = importlib.util.spec_from_file_location("make_topics", REPO / "data" / "make_topics.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- the data -----------------------------------------------------------------------------------


def test_the_topic_files_are_what_make_topics_writes(tmp_path):
    _make_topics().main(tmp_path)
    for name in ("topics_train.tsv", "topics_test.tsv"):
        assert (tmp_path / name).read_bytes() == (REPO / "data" / name).read_bytes(), name


def test_twenty_unequal_topics_and_a_test_file_from_other_templates():
    make = _make_topics()
    train = pd.read_csv(REPO / "data" / "topics_train.tsv", sep="\t")
    test = pd.read_csv(REPO / "data" / "topics_test.tsv", sep="\t")
    counts = train.topic.value_counts()
    assert len(counts) == 20 and counts.min() == 10 and counts.max() == 50
    assert sorted(counts.index[counts <= 15]) == sorted(RARE)
    assert test.topic.value_counts().between(12, 18).all() and set(test.topic) == set(train.topic)
    assert not set(train.text) & set(test.text)
    for topic, forms in make.TRAIN.items():
        assert not set(forms) & set(make.TEST[topic]), f"{topic}: the test file has templates of its own"


def test_the_shipped_config_keeps_every_topic_in_every_split():
    data = sweep_dataset(load_config(TOPICS))
    assert len(data.labels) == 20
    for split in (data.train, data.validation, data.test):
        assert np.bincount(split.y, minlength=20).min() >= 1
    assert np.bincount(data.train.y, minlength=20).min() >= load_config(TOPICS).generator.few_shot


# --- the splits ---------------------------------------------------------------------------------


def _unequal(tmp_path, counts: dict[str, int]) -> Path:
    rows = [(f"comment {i} about {lab} number {k}", lab) for i, (lab, n) in enumerate(counts.items()) for k in range(n)]
    path = tmp_path / "d.csv"
    pd.DataFrame(rows, columns=["text", "topic"]).to_csv(path, index=False)
    return path


def _cfg(path, **kw) -> DataConfig:
    return DataConfig(train=path, label_column="topic", **kw)


@pytest.mark.parametrize("seed", range(5))
def test_every_label_of_twenty_unequal_ones_is_in_every_split(tmp_path, seed):
    rng = np.random.default_rng(seed)
    counts = {f"topic{i:02d}": int(n) for i, n in enumerate(rng.integers(3, 51, size=20))}
    counts["topic00"] = 3  # the smallest that splits three ways
    ds = load_dataset(_cfg(_unequal(tmp_path, counts), validation_fraction=0.3, test_fraction=0.5), seed=seed)
    for name, split in (("train", ds.train), ("validation", ds.validation), ("test", ds.test)):
        assert np.bincount(split.y, minlength=20).min() >= 1, name


def test_a_label_too_rare_to_split_is_named_with_its_count(tmp_path):
    counts = {f"topic{i:02d}": 20 for i in range(18)} | {"parking": 2, "privacy": 1}
    with pytest.raises(UserError) as err:
        load_dataset(_cfg(_unequal(tmp_path, counts)), seed=0)
    assert str(err.value) == (
        "data.train: label 'privacy' has 1 example in d.csv; each of train, validation and test needs one, "
        "so at least 3 (1 more label has fewer than 3)"
    )
    (tmp_path / "t").mkdir()
    test = _unequal(tmp_path / "t", dict.fromkeys(counts, 2))
    with pytest.raises(UserError, match=r"^data\.train: label 'privacy' has 1 example in d\.csv; train and validation"):
        load_dataset(_cfg(_unequal(tmp_path, counts), test=test), seed=0)


def test_a_test_file_without_a_label_is_refused(tmp_path):
    counts = {f"topic{i:02d}": 10 for i in range(5)}
    (tmp_path / "t").mkdir()
    test = _unequal(tmp_path / "t", {lab: 3 for lab in list(counts)[:4]})
    with pytest.raises(UserError, match=r"^data\.test: label 'topic04' has 0 examples in d\.csv; the test split"):
        load_dataset(_cfg(_unequal(tmp_path, counts), test=test), seed=0)


def test_too_few_training_examples_for_the_shots_name_generator_few_shot(tmp_path):
    counts = {f"topic{i:02d}": 20 for i in range(4)} | {"parking": 4}
    with pytest.raises(UserError, match=r"generator\.few_shot: class 'parking' has 2 training examples"):
        load_dataset(_cfg(_unequal(tmp_path, counts), validation_fraction=0.3), seed=0, min_per_label=3)


def test_a_rare_label_is_one_line_exit_2_and_no_text(tmp_path):
    train = pd.read_csv(REPO / "data" / "topics_train.tsv", sep="\t")
    parking = train[train.topic == "parking"]
    path = tmp_path / "bad.tsv"
    pd.concat([train[train.topic != "parking"], parking.head(1)]).to_csv(path, sep="\t", index=False)
    over = [f"data.train={path}", f"storage={tmp_path / 'runs'}"]
    proc = subprocess.run(
        [sys.executable, "-m", "sweep.cli", "run", str(TOPICS), *(a for o in over for a in ("--set", o))],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == (
        "error: data.train: label 'parking' has 1 example in bad.tsv; train and validation need one each, "
        "so at least 2\n"
    )
    assert not (tmp_path / "runs").exists(), "refused before anything was written or started"


# --- the rarest quarter -------------------------------------------------------------------------


def _simulated(n_labels=20, per_label_test=30, lift_on_rare=0.0, seed=0, seeds=3):
    """Test labels and two arms' probabilities: every label equally separable, plus ``lift_on_rare``
    more signal on the five rarest labels (labels 0-4, the fewest training texts) for ``best``."""
    rng = np.random.default_rng(seed)
    train_y = np.repeat(np.arange(n_labels), np.linspace(8, 40, n_labels).astype(int))
    test_y = np.repeat(np.arange(n_labels), per_label_test)
    n = len(test_y)

    def arm(lift: float) -> np.ndarray:
        out = []
        for _ in range(seeds):
            logits = rng.normal(size=(n, n_labels))
            signal = np.full(n, 1.0)
            signal[test_y < 5] += lift
            logits[np.arange(n), test_y] += signal
            p = np.exp(logits)
            out.append(p / p.sum(axis=1, keepdims=True))
        return np.stack(out)

    return train_y, test_y, {"baseline": arm(0.0), "best": arm(lift_on_rare)}


def test_a_lift_only_on_the_rare_labels_is_found_on_the_rarest_quarter():
    """Positive control: the macro AUC dilutes a lift on five of twenty labels; the rarest quarter sees it."""
    from sweep.verdict import bootstrap_deltas, conclusion

    train_y, test_y, arms = _simulated(lift_on_rare=1.5)
    labels = [f"topic{i:02d}" for i in range(20)]
    r = rarest_quarter(labels, train_y, test_y, arms, resamples=1000, seed=0)
    assert r is not None and r.labels == labels[:5] and r.train_counts == sorted(r.train_counts)
    assert r.of == 20 and r.arms["baseline"].conclusion == Conclusion.REFERENCE
    rare = r.arms["best"]
    assert rare.conclusion == Conclusion.BETTER and rare.delta_auc.ci95[0] > 0
    macro = bootstrap_deltas(test_y, arms, "baseline", resamples=1000)["best"]
    assert rare.delta_auc.mean > 2 * macro.mean, "the rare labels' lift, undiluted"
    assert conclusion(macro) in (Conclusion.BETTER, Conclusion.NO_EVIDENCE)


def test_no_effect_is_not_called_better_on_the_rarest_quarter():
    """Negative control: arms drawn alike; over 20 simulated test sets the rarest quarter rarely reads
    `better` (a 95% interval: about 2.5% of the time)."""
    labels = [f"topic{i:02d}" for i in range(20)]
    better = 0
    for seed in range(20):
        train_y, test_y, arms = _simulated(lift_on_rare=0.0, seed=seed, per_label_test=15)
        r = rarest_quarter(labels, train_y, test_y, arms, resamples=1000, seed=seed)
        lo, hi = r.arms["best"].delta_auc.ci95
        better += r.arms["best"].conclusion == Conclusion.BETTER
        assert lo < hi
    assert better <= 2


def test_the_rarest_quarter_needs_four_labels_and_uses_the_macro_replicates():
    train_y, test_y, arms = _simulated(n_labels=RAREST_MIN_LABELS - 1)
    assert rarest_quarter(["a", "b", "c"], train_y, test_y, arms, 1000, 0) is None
    from sweep.verdict import bootstrap_replicates

    train_y, test_y, arms = _simulated(n_labels=4)
    r = rarest_quarter(list("abcd"), train_y, test_y, arms, 1000, 7)
    assert r.labels == ["a"]
    rep = bootstrap_replicates(test_y, arms, 1000, seed=7, labels=[0])
    assert r.arms["best"].test_auc_mean == rep.points["best"]


def _rarest(best=(0.0, -0.01, 0.01, "no evidence")) -> dict:
    mean, lo, hi, concl = best
    arm = {"test_auc_mean": 0.9, "delta_auc": {"mean": 0.0, "ci95": [0.0, 0.0]}, "conclusion": "reference"}
    return {
        "labels": RARE,
        "train_counts": [7, 8, 8, 10, 10],
        "of": 20,
        "arms": {
            "baseline": arm,
            "reweighted": {**arm, "conclusion": "no evidence"},
            "best": {"test_auc_mean": 0.9 + mean, "delta_auc": {"mean": mean, "ci95": [lo, hi]}, "conclusion": concl},
        },
    }


def test_the_sentence_speaks_of_the_rarest_quarter_only_when_it_adds_something():
    quiet = Verdict.model_validate({**_verdict_blob(), "rarest": _rarest()})
    assert rarest_words(quiet) == "", "no evidence on both: the printed line says it"
    helps = Verdict.model_validate({**_verdict_blob(), "rarest": _rarest((0.04, 0.01, 0.07, "better"))})
    assert rarest_words(helps) == (
        " On the rarest quarter of the labels (5 of 20 labels, 7\u201310 training texts each) it changed test AUC "
        "by +0.040 [+0.010, +0.070]: it helps there."
    )
    hides = Verdict.model_validate({**_verdict_blob(), "rarest": _rarest((-0.01, -0.03, 0.01, "no evidence"))})
    hides.arms["best"].conclusion = Conclusion.BETTER
    assert rarest_words(hides).endswith("no evidence either way there."), "the macro gain is not the rare labels'"
    assert rarest_words(Verdict.model_validate(_verdict_blob())) == ""


def _verdict_blob() -> dict:
    return fake_verdict().model_dump(mode="json")


# --- what is printed, what is kept --------------------------------------------------------------


def _twenty_label_verdict() -> Verdict:
    labels = [f"topic number {i:02d}" for i in range(20)]
    per_label = {lab: {"precision": 0.8, "recall": 0.7, "f1": 0.75, "support": 15} for lab in labels}
    blob = _verdict_blob()
    blob["positive_label"] = None
    for arm in blob["arms"].values():
        arm.update(positive_precision=None, positive_recall=None, per_label=per_label)
    blob["rarest"] = _rarest((0.04, 0.01, 0.07, "better"))
    return Verdict.model_validate(blob)


def _printed(width=100) -> str:
    from sweep.outputs import print_summary

    labels = [f"topic number {i:02d}" for i in range(20)]
    summary = fake_summary(
        verdict=_twenty_label_verdict(),
        data={
            "labels": labels,
            "positive_label": None,
            "removed": {},
            "n_train": 340,
            "n_validation": 146,
            "n_test": 301,
            "files": {},
            "label_counts": {lab: {"train": 10, "validation": 4, "test": 15} for lab in labels},
        },
        synthetic={
            "generated": 140,
            "from_cache": 180,
            "rejected": 60,
            "rejected_by_reason": {"near_duplicate": 4, "language": 20, "copies_real": 31, "privacy": 17},
            "pools": {f"{lab}@0.8": {"label": lab, "attempts": 4, "rejected": {}} for lab in labels},
        },
    )
    out = io.StringIO()
    print_summary(summary, [], Console(file=out, width=width))
    return out.getvalue()


def test_twenty_labels_print_within_100_columns_and_name_no_label_but_the_rarest():
    text = _printed()
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "rarest quarter: interpreters, accessibility, visiting hours, privacy, noise at night (5 of 20" in text
    assert "no evidence  +0.040 [+0.010, +0.070] better" in text, "the rarest quarter beside the macro AUC"
    assert "topic number" not in text, "per-label detail goes to the report and summary.json"


def test_a_verdict_from_before_the_rarest_quarter_reads_back(tmp_path):
    from sweep.outputs import read_summary

    summary = fake_summary(run_dir=tmp_path, verdict=_twenty_label_verdict())
    summary.write()
    assert read_summary(tmp_path) == summary
    blob = summary.model_dump(mode="json")
    del blob["verdict"]["rarest"]
    for arm in blob["verdict"]["arms"].values():
        del arm["per_label"]
    (tmp_path / "summary.json").write_text(__import__("json").dumps(blob))
    read = read_summary(tmp_path)
    assert read.verdict.rarest is None and read.verdict.baseline.per_label is None
    assert read.data.label_counts is None


# --- pools: kept between trials, one progress line for a run of pools ----------------------------


class _Worker:
    """A generator worker as the pool service calls it: ``await worker.generate.remote(requests)``."""

    def __init__(self):
        from .fakes import FakeGenerator

        self.model, self.calls = FakeGenerator(), 0
        self.generate = self

    def remote(self, requests):
        self.calls += 1

        async def done():
            return self.model.generate(requests)

        return done()


class _Bar:
    made: list[_Bar] = []

    def __init__(self, desc, total, position=0):
        self.desc, self.total, self.n, self.closed = desc, total, 0, False
        _Bar.made.append(self)

    def set_description(self, desc):
        self.desc = desc

    def update(self, k):
        self.n += k

    def close(self):
        self.closed = True


def test_a_pool_service_keeps_its_pools_and_draws_one_line_per_run_of_labels(tmp_path, monkeypatch):
    import common
    import generators._service as service_module
    from generators import PoolService
    from generators._cleaning import PoolFilter

    from .test_pool import _source

    monkeypatch.setattr(common, "progress_bar", _Bar)
    monkeypatch.setattr(service_module, "BAR_LINGER_S", 0.05)
    _Bar.made.clear()
    offered = []
    original = PoolFilter.offer
    monkeypatch.setattr(PoolFilter, "offer", lambda self, *a, **k: offered.append(1) or original(self, *a, **k))
    service = PoolService(_source(), str(tmp_path / "s.sqlite"), [_Worker()])

    async def trial(n):
        pools = [await service.get_pool(label, 0.8, n) for label in ("negative", "positive")]
        await asyncio.sleep(0.2)
        return pools

    first = asyncio.run(trial(3))
    assert [p["generated"] for p in first] == [3, 3]
    assert len(_Bar.made) == 1 and _Bar.made[0].closed, "one line for both labels' pools"
    assert _Bar.made[0].desc == "generating @ T=0.8, 2 labels" and _Bar.made[0].n == 6 == _Bar.made[0].total
    attempts = len(offered)

    again = asyncio.run(trial(3))  # the next trial: both pools are ready
    assert [p["from_cache"] for p in again] == [3, 3] and [p["texts"] for p in again] == [p["texts"] for p in first]
    assert len(offered) == attempts, "a kept pool replays nothing through the filter"
    assert len(_Bar.made) == 1, "nothing generated, no line"

    more = asyncio.run(trial(6))  # each pool holds 4 (a prompt's group of 4 attempts): 2 more each
    assert [p["from_cache"] for p in more] == [4, 4] and [p["generated"] for p in more] == [2, 2]
    assert more[0]["texts"][:3] == first[0]["texts"]
    assert len(_Bar.made) == 2 and _Bar.made[1].total == 4 == _Bar.made[1].n


def test_the_report_has_the_rarest_quarter_and_a_row_per_label(tmp_path):
    import time
    from html import unescape

    from sweep.outputs._report import Figure, ReportPage, _html
    from sweep.rundir import RunState, RunStatus, Selection

    cfg = load_config(TOPICS)
    data = sweep_dataset(cfg)
    blob = _twenty_label_verdict().model_dump(mode="json")
    for arm in blob["arms"].values():
        arm["per_label"] = {lab: {"precision": 0.5, "recall": 0.25, "f1": 0.333, "support": 15} for lab in data.labels}
    blob["arms"]["best"]["per_label"]["interpreters"]["f1"] = 0.5
    verdict = Verdict.model_validate(blob)
    names = ["optimization_history.png", "param_importances.png", "verdict.png"]
    names += [f"auc_vs_{p}.png" for p in ("temperature", "n_synthetic", "real_ratio")]
    for name in names:
        (tmp_path / name).write_bytes(b"\x89PNG\r\n\x1a\n")
    page = ReportPage(
        cfg, tmp_path, RunState(RunStatus.FINISHED, time.time()), [], [], Selection(None, None, None), verdict, data
    )
    html = unescape(_html(tmp_path, page, [Figure(n, n, "") for n in names]))
    assert "The rarest quarter of the labels" in html and "5 of 20 labels, 7\u201310 training texts each" in html
    assert "+0.040 [+0.010, +0.070]" in html
    rows = re.findall(r'<tr class="(rare|)"><td class="l">([^<]+)</td><td>(\d+)</td><td>(\d+)</td>', html)
    assert sorted(r[1] for r in rows) == sorted(data.labels), "a row per label"
    assert rows[0] == ("rare", "interpreters", "7", "13"), "rarest first: its training and test texts"
    assert [int(r[2]) for r in rows] == sorted(int(r[2]) for r in rows)
    assert {r[1] for r in rows if r[0] == "rare"} == set(verdict.rarest.labels)
    assert '<span class="up">+0.167</span>' in html, "best minus baseline F1 of interpreters"
