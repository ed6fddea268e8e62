"""``synthsweep report``: a self-contained HTML report of a sweep, with its figures as PNGs beside it.

The Optuna study is rebuilt from the trial results (``optuna.trial.create_trial`` with the
config's bounds as distributions), so the report needs no database and no Ray, and works on a
sweep that is still running or was interrupted. Trials are shown with validation metrics only;
test metrics come from the verdict in ``summary.json`` (written when the search has finished),
the only place test data is used.
"""

from __future__ import annotations

import base64
import math
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from common import UserError, atomic_dir

from ._format import fmt
from ._runstate import load_run
from ._trials import TrialRecord, TrialStatus, pick_baseline, read_trials

TOP = 5
"""Trials in the report's table, best first."""
_SEARCHED = ("temperature", "n_synthetic", "real_ratio")
_DPI = 110


@dataclass
class Figure:
    file: str
    title: str
    caption: str


def _finite(v: Any) -> bool:
    return isinstance(v, (int, float)) and not (isinstance(v, float) and math.isnan(v))


def rebuild_study(cfg, records: list[TrialRecord]):
    """An Optuna study holding every trial of the sweep, value = best validation AUC."""
    import optuna
    from optuna.distributions import FloatDistribution, IntDistribution
    from optuna.trial import TrialState, create_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    s = cfg.search
    dists: dict[str, Any] = {}
    if s.temperature[1] > s.temperature[0]:
        dists["temperature"] = FloatDistribution(s.temperature[0], s.temperature[1])
    if s.n_synthetic[1] > s.n_synthetic[0]:
        # The baseline's 0 may lie below the searched low bound.
        dists["n_synthetic"] = IntDistribution(min(0, s.n_synthetic[0]), s.n_synthetic[1])
    if s.real_ratio[1] > s.real_ratio[0]:
        dists["real_ratio"] = FloatDistribution(s.real_ratio[0], s.real_ratio[1])

    study = optuna.create_study(direction="maximize", study_name=cfg.name)
    for r in records:
        params = {}
        for k, d in dists.items():
            v = r.params.get(k)
            if v is None:
                continue
            v = min(max(float(v), d.low), d.high)
            params[k] = int(round(v)) if isinstance(d, IntDistribution) else v
        value = r.best_val_auc
        if r.rows and _finite(value):
            trial = create_trial(
                state=TrialState.COMPLETE,
                value=value,
                params=params,
                distributions={k: dists[k] for k in params},
                user_attrs={"trial_id": r.trial_id},
            )
        elif r.state == TrialStatus.ERROR:
            trial = create_trial(state=TrialState.FAIL, params=params, distributions={k: dists[k] for k in params})
        else:
            continue  # pending or running without a result yet
        study.add_trial(trial)
    return study, dists


def _placeholder(path: Path, title: str, why: str) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 2.4))
    ax.axis("off")
    ax.set_title(title)
    ax.text(0.5, 0.5, why, ha="center", va="center", wrap=True, fontsize=11, color="#555555")
    fig.savefig(path, dpi=_DPI, bbox_inches="tight")
    plt.close(fig)


def _save_axes(ax, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig = ax.figure if not isinstance(ax, np.ndarray) else ax.flat[0].figure
    fig.set_size_inches(7.0, 4.2)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)


def history_axes(records: list[TrialRecord]):
    """Each trial's best validation AUC in trial order and the best so far, numbered as the tables number
    trials (from 1), with integer ticks; None before any trial reported."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    done = sorted((r for r in records if r.rows and _finite(r.best_val_auc)), key=lambda r: r.number)
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
        _placeholder(path, "Optimization history", "no trial has reported a validation AUC yet")
        return
    _save_axes(ax, path)


def plot_importances(study, dists: dict, path: Path) -> str:
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
    _placeholder(path, "Parameter importances", why)
    return why


def plot_param_auc(records: list[TrialRecord], param: str, best: TrialRecord | None, baseline, path: Path) -> None:
    """Best validation AUC of every finished trial against one searched parameter."""
    import matplotlib.pyplot as plt

    from ._trials import trial_params

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    # Without synthetic data temperature and real_ratio change nothing: such trials are the baseline line.
    pts = [
        (trial_params(r)[param], r.best_val_auc, r)
        for r in records
        if _finite(r.best_val_auc) and (param == "n_synthetic" or not r.is_baseline)
    ]
    if pts:
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        sds = [_sd(r) for _, _, r in pts]
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
                label=f"baseline, no synthetic data ({baseline.best_val_auc:.3f} ± {_sd(baseline):.3f})",
            )
            band = _sd(baseline)
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
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)


def _sd(r: TrialRecord) -> float:
    v = (r.best_row or {}).get("val_auc_sd")
    return float(v) if _finite(v) else 0.0


def plot_verdict(verdict: dict[str, Any], path: Path) -> None:
    """Forest plot: each arm's test AUC difference from the baseline with its 95% interval."""
    import matplotlib.pyplot as plt

    from ._verdict import ARM_WORDS

    arms = [(n, a) for n, a in verdict["arms"].items() if n != "baseline"]
    fig, ax = plt.subplots(figsize=(6.8, 0.7 * len(arms) + 1.4))
    colors = {"better": "#2ca02c", "worse": "#d62728", "no evidence": "#555555"}
    for i, (_, a) in enumerate(reversed(arms)):
        d = a["delta_auc"]
        lo, hi = d["ci95"]
        c = colors.get(a["conclusion"], "#555555")
        ax.errorbar([d["mean"]], [i], xerr=[[d["mean"] - lo], [hi - d["mean"]]], fmt="o", color=c, capsize=4, ms=7)
        # The interval in numbers, in a column right of the plot.
        ax.text(
            1.02,
            i,
            f"{d['mean']:+.3f} [{lo:+.3f}, {hi:+.3f}]",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=9,
        )
    ax.axvline(0.0, color="#999", lw=1, ls="--")
    ax.set_yticks(range(len(arms)), [f"{n} ({ARM_WORDS[n]})" for n, _ in reversed(arms)])
    ax.set_xlabel("test AUC minus baseline (95% paired bootstrap interval)")
    ax.set_title(f"Verdict: {verdict['seeds']} seeds per arm, {verdict['n_test']} test texts")
    ax.margins(x=0.15)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI, bbox_inches="tight")
    plt.close(fig)




def _figure_html(out: Path, f: Figure):
    """A figure embedded as a data URI and linked to its PNG (markup built here, escaped here)."""
    from markupsafe import Markup, escape

    data = base64.b64encode((out / f.file).read_bytes()).decode("ascii")
    return Markup(
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(f.title)}" title="{escape(f.file)}">'
        f"<figcaption><b>{escape(f.title)}.</b> {escape(f.caption)} "
        f'(<a href="{escape(f.file)}">{escape(f.file)}</a>)</figcaption></figure>'
    )


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write ``report.html`` and its PNGs into ``out`` (default ``RUN_DIR/report``); return the HTML path."""
    import matplotlib

    matplotlib.use("Agg")

    import json

    from common import force_offline

    from ._data import load_dataset
    from ._resume import recorded_config
    from ._trials import pick_best_synthetic

    force_offline()
    run_dir, state = load_run(run_dir)
    out = Path(out) if out is not None else run_dir / "report"
    if out.exists() and any(out.iterdir()) and not (out / "report.html").is_file():
        raise UserError(f"--out {out} is not empty and holds no earlier report; choose a new directory")
    records = read_trials(run_dir)
    if not any(r.rows for r in records):
        raise UserError(f"{run_dir} has no trial results yet; nothing to report")
    cfg = recorded_config(run_dir)
    data = load_dataset(cfg.data, cfg.seed, min_per_label=cfg.generator.few_shot)
    best, baseline = pick_best_synthetic(records), pick_baseline(records)
    ranked = sorted((r for r in records if _finite(r.best_val_auc)), key=lambda r: -r.best_val_auc)[:TOP]
    summary_file = run_dir / "summary.json"
    verdict = json.loads(summary_file.read_text()).get("verdict") if summary_file.is_file() else None

    with atomic_dir(out) as tmp:
        study, dists = rebuild_study(cfg, records)
        figures = [
            Figure(
                "optimization_history.png",
                "Optimization history",
                "Mean validation AUC (over the trial's repeats) of each trial in order and the best so far "
                "(trials numbered as in the tables).",
            )
        ]
        plot_history(records, tmp / figures[0].file)
        note = plot_importances(study, dists, tmp / "param_importances.png")
        figures.append(Figure("param_importances.png", "Parameter importances", note))
        for param in _SEARCHED:
            name = f"auc_vs_{param}.png"
            plot_param_auc(records, param, best, baseline, tmp / name)
            figures.append(
                Figure(
                    name,
                    f"Validation AUC against {param}",
                    "Each point is a trial (its number beside it), with the SD of its repeats as error bars; the "
                    "dashed line and band are the baseline without synthetic data"
                    + ("." if param == "n_synthetic" else f" (trials without synthetic data have no {param})."),
                )
            )
        if verdict:
            plot_verdict(verdict, tmp / "verdict.png")
        else:
            _placeholder(tmp / "verdict.png", "Verdict", "the verdict is computed when the search has finished")
        figures.append(
            Figure(
                "verdict.png",
                "Verdict on the test split",
                "Each arm's test AUC minus the baseline's, averaged over its seeds, with the 95% paired bootstrap "
                "interval (test examples and seeds resampled). An interval that crosses 0 is no evidence either way.",
            )
        )
        page = ReportPage(cfg, run_dir, state, records, ranked, best, baseline, verdict, data)
        (tmp / "report.html").write_text(_html(tmp, page, figures), encoding="utf-8")
    return out / "report.html"


@dataclass
class ReportPage:
    """What the report's HTML shows."""

    cfg: Any
    run_dir: Path
    state: Any
    records: list[TrialRecord]
    ranked: list[TrialRecord]
    """Trials with the highest mean validation AUC, best first."""
    best: TrialRecord | None
    """The best trial with synthetic data (the verdict's `best` arm)."""
    baseline: TrialRecord | None
    verdict: dict[str, Any] | None
    data: Any


def _arm_rows(verdict: dict[str, Any] | None) -> list[dict[str, str]]:
    from ._verdict import ARM_WORDS

    rows = []
    for name, a in (verdict or {}).get("arms", {}).items():
        d = a["delta_auc"]
        lo, hi = d["ci95"]
        rows.append(
            {
                "name": name,
                "what": ARM_WORDS[name],
                "added": str(a["params"].get("n_synthetic", 0)),
                "auc": f"{fmt(a['test_auc_mean'])} ± {fmt(a['test_auc_sd'])}",
                "delta": "" if name == "baseline" else f"{d['mean']:+.3f} [{lo:+.3f}, {hi:+.3f}]",
                "conclusion": "" if name == "baseline" else a["conclusion"],
                "css": {"better": "up", "worse": "down"}.get(a["conclusion"], ""),
                "precision": fmt(a.get("precision")),
                "recall": fmt(a.get("recall")),
                "f1": fmt(a.get("f1")),
            }
        )
    return rows


def _trial_rows(page: ReportPage) -> list[dict[str, str]]:
    from ._trials import trial_params

    best, baseline = page.best, page.baseline
    shown = list(page.ranked)
    if baseline is not None and baseline not in shown:
        shown.append(baseline)
    base_auc = baseline.best_val_auc if baseline is not None else None
    rows = []
    for i, r in enumerate(shown, 1):
        prm = trial_params(r)
        row = r.best_row or {}
        is_base = baseline is not None and r.trial_id == baseline.trial_id
        delta = r.best_val_auc - base_auc if not is_base and _finite(r.best_val_auc) and _finite(base_auc) else None
        rows.append(
            {
                "css": "baseline" if is_base else "best" if best is not None and r.trial_id == best.trial_id else "",
                "rank": str(i) if r in page.ranked else "",
                "name": f"{r.number} ({r.trial_id})" + (" baseline" if is_base else ""),
                "temperature": fmt(prm["temperature"], 1),
                "n_synthetic": str(row.get("n_synthetic_used", prm["n_synthetic"])),
                "real_share": fmt(row.get("real_share", prm["real_ratio"]), 2),
                "auc": f"{fmt(r.best_val_auc)} ± {fmt(_sd(r))}",
                "delta": "" if delta is None else f"{delta:+.3f}",
                "delta_css": "" if not delta else "up" if delta > 0 else "down",
                "precision": fmt(row.get("val_precision")),
                "recall": fmt(row.get("val_recall")),
                "f1": fmt(row.get("val_f1")),
            }
        )
    return rows


def _html(tmp: Path, page: ReportPage, figures: list[Figure]) -> str:
    """The report page from ``templates/report.html.j2`` (jinja2, autoescaped)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sweep", "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    cfg, state, records, data = page.cfg, page.state, page.records, page.data
    finished = sum(1 for r in records if r.state in TrialStatus.FINAL)
    status = (
        state.status
        if state.status == "finished"
        else (f"{state.status} ({finished} of {cfg.search.num_samples} trials finished)")
    )
    return env.get_template("report.html.j2").render(
        run_name=page.run_dir.name,
        run_path=str(page.run_dir.resolve()),
        status=status,
        n_trials=len(records),
        written=time.strftime("%Y-%m-%d %H:%M", time.localtime()),
        cfg=cfg,
        n_train=len(data.train),
        n_validation=len(data.validation),
        n_test=len(data.test),
        labels=data.labels,
        verdict=page.verdict,
        arms=_arm_rows(page.verdict),
        trials=_trial_rows(page),
        figures={f.file: _figure_html(tmp, f) for f in figures},
    )
