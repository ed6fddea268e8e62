"""Named fakes for unit tests only; integration tests use the real bundled models."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

from generators import Completion, GenerationRequest, PoolResult, stable_int
from sweep.rundir import TrialRecord

_WORDS = {
    "positive": "great relief helped wonderful better improved happy works recommend effective",
    "negative": "awful worse pain nausea terrible stopped headache anxiety failed useless",
    "neutral": "okay some mild average unsure mixed moderate fine partial changes",
}
_FILLER = "the this medication drug after weeks days taking dose doctor i my".split()


class FakeGenerator:
    """Deterministic stand-in for a loaded LLM: label-flavoured word salad seeded per request."""

    def __init__(self, duplicate_every: int = 0, copy_shot_every: int = 0):
        self.calls = 0
        self.requests: list[GenerationRequest] = []
        self.duplicate_every = duplicate_every
        self.copy_shot_every = copy_shot_every

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Completion]:
        out = []
        for req in requests:
            self.calls += 1
            self.requests.append(req)
            if self.copy_shot_every and self.calls % self.copy_shot_every == 0:
                out.append(Completion(req.shots[0], n_tokens=10))
                continue
            seed = 7 if self.duplicate_every and self.calls % self.duplicate_every == 0 else req.seed
            words = _WORDS.get(req.label, "alpha beta gamma delta epsilon zeta eta theta").split()
            picks = [
                words[stable_int(seed, i) % len(words)] if i % 2 else _FILLER[stable_int(seed, i) % len(_FILLER)]
                for i in range(12)
            ]
            out.append(Completion("Here is a review: " + " ".join(picks) + ".", n_tokens=14))
        return out


class FakePool:
    """Stands in for the Ray generator service."""

    def __init__(self):
        self.calls = []

    def __call__(self, label, temperature, n):
        self.calls.append((label, temperature, n))
        return PoolResult([f"synthetic {label} text {i} about a drug" for i in range(n)], generated=n, from_cache=0)


class FakeShortPool(FakePool):
    """A pool that comes back short after filtering: one example fewer than asked for."""

    def __call__(self, label, temperature, n):
        self.calls.append((label, temperature, n))
        k = max(0, n - 1)
        return PoolResult([f"short {label} text {i} about a drug" for i in range(k)], generated=k, from_cache=0)


def fake_generate_examples(cfg, label, n, temperature, progress, generator):
    """Stands in for ``sweep.inputs.generate_examples``: one text, generated, none rejected."""
    from types import SimpleNamespace

    return temperature, SimpleNamespace(texts=["a text"], generated=1, from_cache=0, rejected={})


def fake_trial_dir(run_dir: Path, tid: str, number: int, epochs: list[int], error: bool = False) -> Path:
    """A Tune trial directory as a sweep leaves it: params.json, result.json, optionally error.txt."""
    d = run_dir / f"train_classifier_{tid}_{number}_n_synthetic=3,real_ratio=0.8,temperature=0.7_2026-01-01_00-00-00"
    d.mkdir(parents=True)
    (d / "params.json").write_text(json.dumps({"temperature": 0.7, "n_synthetic": 3, "real_ratio": 0.8}))
    rows = [{"epoch": e, "val_auc": 0.5 + e / 100 + i / 1000, "trial_id": tid} for i, e in enumerate(epochs)]
    (d / "result.json").write_text("".join(json.dumps(r) + "\n" for r in rows))
    if error:
        (d / "error.txt").write_text("planted")
    return d


def fake_experiment_state(run_dir: Path, states: dict[str, str], name="2026-01-01_00-00-00") -> None:
    """Tune's experiment state snapshot naming each trial's status."""
    trial_data = [
        [json.dumps({"trial_id": tid, "status": st}), json.dumps({"num_failures": 1, "error_filename": None})]
        for tid, st in states.items()
    ]
    (run_dir / f"experiment_state-{name}.json").write_text(json.dumps({"trial_data": trial_data}))


def fake_run(tmp_path, synthetic_by_trial):
    """Trial directories whose checkpoints hold the given (label, text) synthetic examples."""
    records = []
    for i, pairs in enumerate(synthetic_by_trial):
        trial = tmp_path / f"train_classifier_0000000{i}_{i + 1}_x"
        ckpt = trial / "checkpoint_000000"
        ckpt.mkdir(parents=True)
        (ckpt / "trial.json").write_text(json.dumps({"epoch": 1}))
        row = {"epoch": 1, "val_auc": 0.5, "checkpoint_dir_name": ckpt.name, "trial_id": f"0000000{i}"}
        (trial / "params.json").write_text(
            json.dumps({"temperature": 0.7, "n_synthetic": len(pairs), "real_ratio": 0.8})
        )
        (trial / "result.json").write_text(json.dumps(row) + "\n")
        with open(ckpt / "synthetic.csv", "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["label", "text"])
            w.writerows(pairs)
        records.append(
            TrialRecord(
                f"0000000{i}", i + 1, trial, {}, [{"epoch": 1, "val_auc": 0.5, "checkpoint_dir_name": ckpt.name}]
            )
        )
    return records


def fake_arm(mean=0.0, lo=0.0, hi=0.0, conclusion="no evidence", n=0, **over) -> dict:
    """One verdict arm as summary.json holds it (two classes)."""
    return {
        "params": {"n_synthetic": n},
        "epoch": 3,
        "val_auc_mean": 0.7,
        "test_auc_mean": 0.71,
        "test_auc_sd": 0.004,
        "precision": 0.64,
        "recall": 0.57,
        "f1": 0.56,
        "positive_precision": 0.52,
        "positive_recall": 0.21,
        "delta_auc": {"mean": mean, "ci95": [lo, hi]},
        "conclusion": conclusion,
        **over,
    }


def fake_verdict(**arms):
    """A typed verdict (five arms, two classes) for table, sentence and schema tests; ``arms`` replaces some."""
    from sweep.verdict import Verdict

    return Verdict.model_validate(
        {
            "n_test": 343,
            "seeds": 5,
            "seed_values": [1000, 1001, 1002, 1003, 1004],
            "bootstrap": 2000,
            "confidence": 0.95,
            "positive_label": "negative",
            "conclusion": "no evidence",
            "verdict_s": 1.0,
            "sentence": "Synthetic data changed test AUC by −0.021 [−0.048, +0.006]: no evidence that it helps.",
            "arms": {
                "baseline": fake_arm(conclusion="reference"),
                "reweighted": fake_arm(0.019, 0.006, 0.032, "better"),
                "oversample": fake_arm(0.004, -0.010, 0.018, n=18),
                "eda": fake_arm(0.002, -0.005, 0.011, n=18),
                "best": fake_arm(-0.021, -0.048, 0.006, n=18),
                **arms,
            },
        }
    )


def fake_summary(**over):
    """A typed run summary with no trials entries unless given, for console and schema tests."""
    from sweep.outputs import RunSummary

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
    return RunSummary.model_validate({**base, **over})


def fake_entry(trial_id: str, number: int, **over) -> dict:
    """The baseline or best entry of a summary."""
    return {
        "trial_id": trial_id,
        "number": number,
        "params": {"generator": "default", "temperature": 0.7, "n_synthetic": 0, "real_ratio": 1.0},
        "best_epoch": 3,
        "val_auc": 0.551,
        "val_auc_sd": 0.003,
        "repeats": 3,
        "test_auc_mean": 0.581,
        "test_auc_sd": 0.002,
        "precision": 0.328,
        "recall": 0.348,
        "f1": 0.337,
        "val": {},
        "val_per_class": None,
        "n_real": 10,
        "n_synthetic": 0,
        "n_synthetic_by_label": None,
        "real_share": 1.0,
        "checkpoint": None,
        **over,
    }


class FakeTuner:
    """Stands in for ``ray.tune.Tuner``: ``fit`` installs a SIGINT handler of its own and leaves it
    in place, as Tune does when no Ctrl-C arrived during the search."""

    def __init__(self):
        self.fitted = False

    def fit(self) -> None:
        import signal

        signal.signal(signal.SIGINT, lambda signum, frame: None)
        self.fitted = True
