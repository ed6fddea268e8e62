"""The report's figures, each drawn from trial records or the typed verdict into a PNG."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..rundir import TrialRecord, trial_params
from ..verdict import ARM_WORDS, AUGMENTATION_ARMS, BASELINE, LABEL_ARMS, Conclusion, LabelCurve, Verdict
from ._format import delta_ci

DPI = 110


def finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not (isinstance(v, float) and math.isnan(v))


def repeat_sd(r: TrialRecord) -> float:
    """SD of the trial's repeats at its best epoch (0 when unknown)."""
    v = (r.best_row or {}).get("val_auc_sd")
    return float(v) if finite(v) else 0.0


def placeholder(path: Path, title: str, why: str) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 2.4))
    ax.axis("off")
    ax.set_title(title)
    ax.text(0.5, 0.5, why, ha="center", va="center", wrap=True, fontsize=11, color="#555555")
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)


def _save_axes(ax: Any, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig = ax.figure if not isinstance(ax, np.ndarray) else ax.flat[0].figure
    fig.set_size_inches(7.0, 4.2)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def history_axes(records: list[TrialRecord]) -> Any:
    """Each trial's best validation AUC in trial order and the best so far, numbered as the tables number
    trials (from 1), with integer ticks; None before any trial reported."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    done = sorted((r for r in records if r.rows and finite(r.best_val_auc)), key=lambda r: r.number)
    if not done:
        return None
    xs = [r.number for r in done]
    ys = [r.best_val_auc for r in done]
    best = list(np.maximum.accumulate(ys))
    fig, ax = plt.subplots(figsize=(7.0, 4.2))
    ax.scatter(xs, ys, s=40, color="#4c72b0", label="best validation AUC of the trial", zorder=3)
    ax.step(xs, best, where="post", color="#d62728", label="best so far")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("trial")
    ax.set_ylabel("best validation AUC")
    ax.set_title("Optimization history")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return ax


def plot_history(records: list[TrialRecord], path: Path) -> None:
    ax = history_axes(records)
    if ax is None:
        placeholder(path, "Optimization history", "no trial has reported a validation AUC yet")
        return
    _save_axes(ax, path)


def plot_importances(study: Any, dists: dict[str, Any], path: Path) -> str:
    """Parameter importances, or a placeholder saying why there are none; returns the caption note."""
    from optuna.trial import TrialState
    from optuna.visualization.matplotlib import plot_param_importances

    done = study.get_trials(states=(TrialState.COMPLETE,))
    varied = [k for k in dists if len({t.params.get(k) for t in done if k in t.params}) > 1]
    why = None
    if len(done) < 2:
        why = f"needs at least 2 finished trials (this sweep has {len(done)})"
    elif not varied:
        why = "needs trials that differ in a searched parameter"
    elif len({t.value for t in done}) < 2:
        why = "every trial reached the same validation AUC: nothing to attribute"
    if why is None:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ax = plot_param_importances(study, params=varied, target_name="best validation AUC")
            _save_axes(ax, path)
            return f"Optuna's default importance evaluator over {len(done)} finished trials; few trials make it rough."
        except (RuntimeError, ValueError, ZeroDivisionError) as e:
            why = f"Optuna could not compute importances: {e}"
    placeholder(path, "Parameter importances", why)
    return why


def plot_param_auc(
    records: list[TrialRecord], param: str, best: TrialRecord | None, baseline: TrialRecord | None, path: Path
) -> None:
    """Best validation AUC of every finished trial against one searched parameter."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    # Without synthetic data temperature and real_ratio change nothing: such trials are the baseline line.
    pts = [
        (trial_params(r)[param], r.best_val_auc, r)
        for r in records
        if finite(r.best_val_auc) and (param == "n_synthetic" or not r.is_baseline)
    ]
    if pts:
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        sds = [repeat_sd(r) for _, _, r in pts]
        # Error bars: the SD of the trial's repeats (one seed each), so noise does not look like a cliff.
        ax.errorbar(xs, ys, yerr=sds, fmt="none", ecolor="#4c72b0", alpha=0.6, capsize=3, zorder=2)
        ax.scatter(xs, ys, s=46, color="#4c72b0", alpha=0.85, label="trial (mean ± SD of its repeats)", zorder=3)
        for x, y, r in pts:
            ax.annotate(str(r.number), (x, y), textcoords="offset points", xytext=(5, 4), fontsize=8, color="#333")
        if best is not None and any(r is best for _, _, r in pts):
            bx = trial_params(best)[param]
            ax.scatter(
                [bx],
                [best.best_val_auc],
                s=160,
                facecolors="none",
                edgecolors="#2ca02c",
                linewidths=2,
                label=f"best (trial {best.number})",
                zorder=4,
            )
        if baseline is not None:
            ax.axhline(
                baseline.best_val_auc,
                color="#d62728",
                ls="--",
                lw=1.2,
                label=f"baseline, no synthetic data ({baseline.best_val_auc:.3f} ± {repeat_sd(baseline):.3f})",
            )
            band = repeat_sd(baseline)
            if band:
                ax.axhspan(baseline.best_val_auc - band, baseline.best_val_auc + band, color="#d62728", alpha=0.08)
        ax.legend(loc="best", fontsize=8)
    else:
        ax.text(0.5, 0.5, "no finished trial yet", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel(param)
    ax.set_ylabel("best validation AUC")
    ax.set_title(f"Validation AUC against {param}")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def plot_verdict(verdict: Verdict, path: Path) -> None:
    """Forest plot: each arm's test AUC difference from the baseline with its 95% interval."""
    import matplotlib.pyplot as plt

    arms = [(n, a) for n, a in verdict.arms.items() if n != BASELINE and n not in LABEL_ARMS]
    fig, ax = plt.subplots(figsize=(6.8, 0.7 * len(arms) + 1.4))
    colors = {Conclusion.BETTER: "#2ca02c", Conclusion.WORSE: "#d62728", Conclusion.NO_EVIDENCE: "#555555"}
    for i, (_, a) in enumerate(reversed(arms)):
        mean, (lo, hi) = a.delta_auc.mean, a.delta_auc.ci95
        c = colors.get(a.conclusion, "#555555")
        ax.errorbar([mean], [i], xerr=[[mean - lo], [hi - mean]], fmt="o", color=c, capsize=4, ms=7)
        # The interval in numbers, in a column right of the plot.
        ax.text(
            1.02,
            i,
            delta_ci(a.delta_auc),
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=9,
        )
    ax.axvline(0.0, color="#999", lw=1, ls="--")
    ax.set_yticks(range(len(arms)), [f"{n} ({ARM_WORDS[n]})" for n, _ in reversed(arms)])
    ax.set_xlabel("test AUC minus baseline (95% paired bootstrap interval)")
    ax.set_title(f"Verdict: {verdict.seeds} seeds per arm, {verdict.n_test} test texts")
    ax.margins(x=0.15)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)


_ARM_COLORS = {"best": "#2ca02c", "eda": "#9467bd", "oversample": "#ff7f0e", "reweighted": "#8c564b"}


def _draw_curve(ax: Any, curve: LabelCurve, right: float) -> None:
    """The baseline's points with their intervals, and the curve the worths are read from: the
    points made monotone down from the full size, then the fitted slope beyond it (dotted)."""
    import numpy as np

    n, auc = np.array(curve.n_per_label), np.array(curve.test_auc_mean)
    lo, hi = np.array(curve.test_auc_ci95).T
    blue = "#1f77b4"
    ax.errorbar(
        n, auc, yerr=[auc - lo, hi - auc], fmt="o", color=blue, capsize=4, label="baseline on shares of your labels"
    )
    ax.plot(n, np.minimum.accumulate(auc[::-1])[::-1], color=blue, lw=1, alpha=0.6, label="interpolated")
    beyond = np.linspace(n[-1], max(right, n[-1] * 1.5), 50)
    extrapolated = auc[-1] + curve.fit.b * np.log(beyond / n[-1])
    ax.plot(beyond, extrapolated, color=blue, lw=1, ls=":", label="extrapolated (slope b of a + b ln n)")


def plot_label_curve(verdict: Verdict, path: Path) -> None:
    """Test AUC against real labels per label, with each augmentation arm placed at its worth in labels."""
    import matplotlib.pyplot as plt

    curve = verdict.labels
    assert curve is not None
    n_full = curve.n_per_label[-1]
    placed = [
        (name, verdict.arms[name])
        for name in AUGMENTATION_ARMS
        if name in verdict.arms and verdict.arms[name].worth_labels_per_label is not None
    ]
    right = max(
        [n_full + (a.worth_labels_per_label.ci95[1] if a.worth_labels_per_label else 0) for _, a in placed] + [n_full]
    )
    fig, ax = plt.subplots(figsize=(6.8, 4.2))
    _draw_curve(ax, curve, right)
    for name, a in placed:
        w = a.worth_labels_per_label
        assert w is not None
        x, (lo, hi) = n_full + w.mean, w.ci95
        err = [[max(0.0, w.mean - lo)], [max(0.0, hi - w.mean)]]
        color = _ARM_COLORS.get(name, "#555555")
        ax.errorbar([x], [a.test_auc_mean], xerr=err, fmt="s", capsize=4, ms=6, color=color)
        ax.annotate(name, (x, a.test_auc_mean), textcoords="offset points", xytext=(6, 6), fontsize=8)
    ax.set_xlabel("real training examples per label")
    ax.set_ylabel("test AUC (mean over seeds)")
    ax.set_title("What real labels are worth, and each augmentation at its worth in them", fontsize="medium")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
