"""The curve's report: test AUC against real examples per label (one line per arm, bands for the
intervals) and each arm's difference from the baseline per size; a small HTML page around them."""

from __future__ import annotations

import html
from pathlib import Path

from common import write_text_atomic

from ..verdict import BASELINE, BEST
from ._model import Curve
from ._words import shown_arms

REPORT_DIR = "report"
_COLORS = {
    BASELINE: "#1f77b4",
    BEST: "#2ca02c",
    "eda": "#9467bd",
    "oversample": "#ff7f0e",
    "generate": "#8c564b",
    "paraphrase": "#e377c2",
}
_DPI = 110


def _xs(curve: Curve) -> tuple[list[str], list[float]]:
    """The sizes as labels and as x positions; ``all`` sits at the points' mean training size."""
    labels = list(curve.by_size)
    full = [p for p in curve.points if p.per_label == "all"]
    all_x = full[0].n_per_label if full else 0.0
    numeric = [float(s) for s in labels if s != "all"]
    return labels, [float(s) if s != "all" else (all_x or 2 * max(numeric or [1.0])) for s in labels]


def _auc_plot(curve: Curve, path: Path) -> None:
    import matplotlib.pyplot as plt

    labels, xs = _xs(curve)
    fig, ax = plt.subplots(figsize=(7.0, 4.2))
    for arm in (BASELINE, *shown_arms(curve.by_size)):
        ys = [curve.by_size[s][arm].test_auc_mean if arm in curve.by_size[s] else float("nan") for s in labels]
        ax.plot(xs, ys, marker="o", label=arm, color=_COLORS.get(arm))
        if arm != BASELINE:  # the band: the baseline plus the difference's interval
            base = [curve.by_size[s][BASELINE].test_auc_mean for s in labels]
            lo = [
                b + curve.by_size[s][arm].delta_auc.ci95[0] if arm in curve.by_size[s] else float("nan")
                for b, s in zip(base, labels)
            ]
            hi = [
                b + curve.by_size[s][arm].delta_auc.ci95[1] if arm in curve.by_size[s] else float("nan")
                for b, s in zip(base, labels)
            ]
            ax.fill_between(xs, lo, hi, alpha=0.12, color=_COLORS.get(arm))
    ax.set_xscale("log")
    ax.set_xticks(xs, labels)
    ax.minorticks_off()  # a log axis labels minor ticks (6 x 10^0) between the sizes
    ax.set_xlabel("real training examples per label (log scale)")
    ax.set_ylabel("test AUC")
    ax.set_title(f"Test AUC by real-data size ({curve.draws} draws per size; bands: 95% intervals)", fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)


def _delta_plot(curve: Curve, path: Path) -> None:
    import matplotlib.pyplot as plt

    labels, _ = _xs(curve)
    fig, ax = plt.subplots(figsize=(7.0, 3.6))
    shown = shown_arms(curve.by_size)
    width = 0.8 / len(shown)
    for j, arm in enumerate(shown):
        for i, s in enumerate(labels):
            a = curve.by_size[s].get(arm)
            if a is None:
                continue
            x = i + (j - (len(shown) - 1) / 2) * width
            lo, hi = a.delta_auc.ci95
            err = [[a.delta_auc.mean - lo], [hi - a.delta_auc.mean]]
            ax.errorbar(
                [x],
                [a.delta_auc.mean],
                yerr=err,
                fmt="o",
                capsize=3,
                color=_COLORS.get(arm),
                label=arm if i == 0 else None,
            )
    ax.axhline(0.0, color="#555555", lw=0.8)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_xlabel("real training examples per label")
    ax.set_ylabel("Δ test AUC vs no augmentation")
    ax.set_title("Difference from the baseline per size, with 95% intervals", fontsize="medium")
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)


def write_curve_report(curve: Curve, curve_dir: Path) -> Path:
    """``report/index.html`` in the curve directory, with both figures and links to each point's run."""
    out = Path(curve_dir) / REPORT_DIR
    out.mkdir(parents=True, exist_ok=True)
    _auc_plot(curve, out / "curve.png")
    _delta_plot(curve, out / "curve_delta.png")
    rows = "".join(
        f"<li>{html.escape(str(p.per_label))} per label, draw {p.draw}: "
        f"<code>{html.escape(str(p.run_dir))}</code> ({html.escape(p.verdict.conclusion.value)})</li>"
        for p in curve.points
    )
    page = (
        "<!doctype html><meta charset='utf-8'><title>synthsweep curve</title>"
        f"<h1>Where synthetic data helps</h1><p>{html.escape(curve.sentence)}</p>"
        "<img src='curve.png' alt='test AUC by size'><img src='curve_delta.png' alt='difference by size'>"
        f"<h2>Points</h2><ul>{rows}</ul>"
        "<p>Each point is an ordinary run: <code>synthsweep report POINT_DIR</code> draws its own report.</p>"
    )
    path = out / "index.html"
    write_text_atomic(path, page)
    return path
