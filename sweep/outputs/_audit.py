"""The run's privacy audit: how close the synthetic examples it trained on come to real records.

Measured against three sets of records, with the same limits (``privacy.*``):

* train: the records the generator was shown. Examples over the limits never reach training:
  the pool filter drops them (counted under ``copies_real``, ``privacy`` and ``near_real``), so
  here every example is under them and the numbers say by how much.
* validation and test: measured and reported only. Dropping on them would let held-out data
  shape the training set, so nothing ever is.

Only numbers leave this module: no record text, no synthetic text.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from trainables import SYNTHETIC_FILE

from ..inputs import Dataset
from ..rundir import PRIVACY_PNG, TrialRecord

if TYPE_CHECKING:
    from generators import PrivacyLimits

SETS = ("train", "validation", "test")
_OVERLAP_BINS = np.linspace(0.0, 1.0, 11)


def synthetic_examples(records: list[TrialRecord]) -> list[tuple[str, str]]:
    """Distinct (label, text) pairs the run's trials trained on, from their kept checkpoints.

    Every trial's checkpoint holds the synthetic set it trained on (``synthetic.csv``); the
    union over trials is what the run trained on, in trial order.
    """
    seen: dict[tuple[str, str], None] = {}
    for r in records:
        ckpt = r.best_checkpoint
        path = ckpt / SYNTHETIC_FILE if ckpt is not None else None
        if path is None or not path.is_file():
            continue
        with open(path, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                seen.setdefault((row["label"], row["text"]), None)
    return list(seen)


def _quantiles(values: np.ndarray) -> dict[str, float]:
    if len(values) == 0:
        return {}
    q = np.quantile(values, [0.5, 0.9, 0.99])
    return {"p50": float(q[0]), "p90": float(q[1]), "p99": float(q[2]), "max": float(values.max())}


def measure(texts: list[str], records: list[str], limits: PrivacyLimits) -> dict[str, Any]:
    """Distribution of longest shared word run and n-gram overlap of ``texts`` against ``records``."""
    from generators import OverlapIndex

    index = OverlapIndex(records, n=limits.ngram)
    found = index.measure_many(texts)
    runs = np.array([o.longest_run for o in found], dtype=float)
    overlaps = np.array([o.ngram_overlap for o in found], dtype=float)
    hist, _ = np.histogram(overlaps, bins=_OVERLAP_BINS)
    return {
        "records": len(records),
        "over_limits": sum(1 for o in found if limits.exceeded(o)),
        "longest_run": {
            **_quantiles(runs),
            "counts": {str(k): v for k, v in sorted(Counter(int(x) for x in runs).items())},
        },
        "ngram_overlap": {
            **_quantiles(overlaps),
            "histogram": {f"{a:.1f}-{b:.1f}": int(c) for a, b, c in zip(_OVERLAP_BINS, _OVERLAP_BINS[1:], hist)},
        },
        "_runs": runs,  # for the plot; removed before the summary is written
    }


def privacy_report(
    records: list[TrialRecord],
    data: Dataset,
    limits: PrivacyLimits,
    dropped: dict[str, int],
    run_dir: Path | None = None,
) -> dict[str, Any]:
    """The summary's ``privacy`` block; also draws ``privacy.png`` into ``run_dir`` when given."""
    texts = [t for _, t in synthetic_examples(records)]
    splits = {"train": data.train.texts, "validation": data.validation.texts, "test": data.test.texts}
    against = {name: measure(texts, splits[name], limits) for name in SETS}
    report: dict[str, Any] = {
        "ngram": limits.ngram,
        "max_shared_words": limits.max_shared_words,
        "max_ngram_overlap": limits.max_ngram_overlap,
        "dropped": {**dropped, "total": sum(dropped.values())},
        "dropped_against": "train",
        "examples": len(texts),
        "against": against,
    }
    if run_dir is not None and texts:
        report["histogram_png"] = str(_plot(run_dir / PRIVACY_PNG, against, limits))
    for block in against.values():
        block.pop("_runs")
    return report


def _plot(path: Path, against: dict[str, dict], limits: PrivacyLimits) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from common import write_bytes_atomic

    fig, axes = plt.subplots(1, len(against), figsize=(4 * len(against), 3), sharey=True)
    top = max(int(b["_runs"].max()) for b in against.values())
    limit = limits.max_shared_words
    top = max(top, limit or 0) + 2
    for ax, (name, block) in zip(axes, against.items()):
        ax.hist(block["_runs"], bins=np.arange(0, top + 1) - 0.5, color="#4c72b0")
        if limit is not None:
            ax.axvline(limit - 0.5, color="#c44e52", linestyle="--", label=f"limit {limit}")
        ax.set_title(f"vs {name} ({block['records']} records)")
        ax.set_xlabel("longest shared word run")
    axes[0].set_ylabel("synthetic examples trained on")
    if limit is not None:
        axes[0].legend(loc="upper right")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return write_bytes_atomic(path, buf.getvalue())
