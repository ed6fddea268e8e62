"""``synthsweep report``: a self-contained HTML report of a sweep, with its figures as PNGs beside it.

The Optuna study is rebuilt from the trial results (``optuna.trial.create_trial`` with the
config's bounds as distributions), so the report needs no database and no Ray, and works on a
sweep that is still running or was interrupted. The test split is scored once per shown trial,
with the same checkpoints and feature cache as the summary.
"""

from __future__ import annotations

import base64
import html
import math
import os
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ._atomic import follow_umask
from ._errors import UserError
from ._runstate import load_run
from ._trials import TrialRecord, pick_baseline, pick_best, read_trials

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
        elif r.state == "ERROR":
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

    from ._summary import trial_params

    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    # Without synthetic data temperature and real_ratio change nothing: such trials are the baseline line.
    pts = [
        (trial_params(r)[param], r.best_val_auc, r)
        for r in records
        if _finite(r.best_val_auc) and (param == "n_synthetic" or not r.is_baseline)
    ]
    if pts:
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        ax.scatter(xs, ys, s=46, color="#4c72b0", alpha=0.85, label="trial", zorder=3)
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
                label=f"baseline, no synthetic data ({baseline.best_val_auc:.3f})",
            )
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


def plot_roc(y: np.ndarray, curves: dict[str, np.ndarray], labels: list[str], path: Path) -> None:
    """ROC curves on the test split: one panel (binary) or one-vs-rest per class."""
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_auc_score, roc_curve

    classes = [1] if len(labels) == 2 else list(range(len(labels)))
    fig, axes = plt.subplots(1, len(classes), figsize=(4.2 * len(classes), 4.2), squeeze=False)
    styles = {"best": ("#2ca02c", "-"), "baseline": ("#d62728", "--")}
    for ax, c in zip(axes[0], classes):
        truth = (y == c).astype(int)
        for name, probs in curves.items():
            color, ls = styles.get(name.split(" ")[0], ("#4c72b0", "-"))
            if truth.min() == truth.max():
                continue
            fpr, tpr, _ = roc_curve(truth, probs[:, c])
            ax.plot(fpr, tpr, color=color, ls=ls, lw=2, label=f"{name} (AUC {roc_auc_score(truth, probs[:, c]):.3f})")
        ax.plot([0, 1], [0, 1], color="#999", lw=1, ls=":")
        ax.set_title(labels[c] if len(labels) > 2 else f"{labels[1]} vs {labels[0]}")
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.legend(loc="lower right", fontsize=8)
        ax.set_aspect("equal")
    fig.suptitle("ROC on the test split" + (" (one class against the rest)" if len(labels) > 2 else ""))
    fig.tight_layout()
    fig.savefig(path, dpi=_DPI)
    plt.close(fig)


def _fmt(v: Any, digits: int = 3) -> str:
    return "–" if not _finite(v) else f"{v:.{digits}f}"


def _delta(v: Any, ref: Any) -> str:
    if not (_finite(v) and _finite(ref)):
        return ""
    d = v - ref
    cls = "up" if d > 0 else "down" if d < 0 else ""
    return f' <span class="{cls}">({d:+.3f})</span>'


_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;margin:24px auto;padding:0 16px;
color:#222;line-height:1.45}
h1{margin-bottom:4px}h2{margin-top:36px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555}table{border-collapse:collapse;margin:12px 0;font-size:14px}
th,td{border:1px solid #ddd;padding:5px 9px;text-align:right}th{background:#f4f4f4}
td.l,th.l{text-align:left}tr.baseline td{background:#fff4f4}tr.best td{background:#f1fbf1;font-weight:600}
.up{color:#2a7a2a}.down{color:#b22}figure{margin:18px 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{color:#555;font-size:13px}.grid{display:grid;grid-template-columns:1fr 1fr;gap:12px}
.note{background:#fffbe6;border:1px solid #f0e0a0;padding:8px 12px}
"""


def _figure_html(out: Path, f: Figure) -> str:
    data = base64.b64encode((out / f.file).read_bytes()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(f.title)}" title="{f.file}">'
        f"<figcaption><b>{html.escape(f.title)}.</b> {html.escape(f.caption)} "
        f'(<a href="{f.file}">{f.file}</a>)</figcaption></figure>'
    )


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write ``report.html`` and its PNGs into ``out`` (default ``RUN_DIR/report``); return the HTML path."""
    import matplotlib

    matplotlib.use("Agg")

    from trainables import classification_metrics
    from trainables._checkpoint import score_checkpoint

    from ._data import load_dataset
    from ._offline import force_offline
    from ._resume import run_config

    force_offline()
    run_dir, state = load_run(run_dir)
    out = Path(out) if out is not None else run_dir / "report"
    if out.exists() and any(out.iterdir()) and not (out / "report.html").is_file():
        raise UserError(f"--out {out} is not empty and holds no earlier report; choose a new directory")
    records = read_trials(run_dir)
    if not any(r.rows for r in records):
        raise UserError(f"{run_dir} has no trial results yet; nothing to report")
    cfg = run_config(run_dir)
    data = load_dataset(cfg.data, cfg.seed, min_per_label=cfg.generator.few_shot)
    feature_cache = cfg.cache_dir / "features.sqlite"
    best, baseline = pick_best(records), pick_baseline(records)
    ranked = sorted((r for r in records if _finite(r.best_val_auc)), key=lambda r: -r.best_val_auc)[:TOP]

    probs: dict[str, np.ndarray] = {}
    test: dict[str, dict] = {}
    for r in {x.trial_id: x for x in [*ranked, *([baseline] if baseline else [])]}.values():
        ckpt = r.best_checkpoint
        if ckpt is not None:
            probs[r.trial_id] = score_checkpoint(ckpt, data.test.texts, feature_cache)
            test[r.trial_id] = classification_metrics(data.test.y, probs[r.trial_id], data.labels)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.tmp-"))
    try:
        study, dists = rebuild_study(cfg, records)
        figures = [
            Figure(
                "optimization_history.png",
                "Optimization history",
                "Best validation AUC of each trial in order and the best so far (trials numbered as in the tables).",
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
                    "Each point is a trial (its number beside it); the dashed line is the baseline without "
                    "synthetic data"
                    + ("." if param == "n_synthetic" else f" (trials without synthetic data have no {param})."),
                )
            )
        curves = {}
        if best is not None and best.trial_id in probs:
            curves[f"best (trial {best.number})"] = probs[best.trial_id]
        if baseline is not None and baseline.trial_id in probs and baseline is not best:
            curves["baseline"] = probs[baseline.trial_id]
        if curves:
            plot_roc(data.test.y, curves, data.labels, tmp / "roc_test.png")
        else:
            _placeholder(tmp / "roc_test.png", "ROC on the test split", "no kept checkpoint to score")
        figures.append(
            Figure(
                "roc_test.png",
                "ROC curves on the test split",
                f"Best trial (by validation AUC) and the baseline, scored on the {len(data.test)} test texts.",
            )
        )
        (tmp / "report.html").write_text(
            _html(tmp, cfg, run_dir, state, records, ranked, best, baseline, test, figures, data), encoding="utf-8"
        )
        _swap_in(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out / "report.html"


def _swap_in(tmp: Path, out: Path) -> None:
    """Replace ``out`` with ``tmp`` so a reader never sees half a report."""
    follow_umask(tmp)  # mkdtemp made it owner-only
    old = None
    if out.exists():
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _html(tmp, cfg, run_dir, state, records, ranked, best, baseline, test, figures, data) -> str:
    from ._summary import trial_params

    finished = sum(1 for r in records if r.state in ("TERMINATED", "ERROR"))
    status = (
        state.status
        if state.status == "finished"
        else f"{state.status} ({finished} of {cfg.search.num_samples} trials finished)"
    )
    base_test = test.get(baseline.trial_id, {}) if baseline else {}
    rows = []
    shown = list(ranked)
    if baseline is not None and baseline not in shown:
        shown.append(baseline)
    for i, r in enumerate(shown, 1):
        prm = trial_params(r)
        t = test.get(r.trial_id, {})
        is_base = baseline is not None and r.trial_id == baseline.trial_id
        cls = "baseline" if is_base else "best" if best is not None and r.trial_id == best.trial_id else ""
        rank = str(i) if r in ranked else ""
        name = f"{r.number} ({r.trial_id})" + (" baseline" if is_base else "")
        cells = [
            f'<td>{rank}</td><td class="l">{html.escape(name)}</td>',
            f"<td>{_fmt(prm['temperature'], 1)}</td><td>{prm['n_synthetic']}</td><td>{_fmt(prm['real_ratio'], 2)}</td>",
            f"<td>{_fmt(r.best_val_auc)}</td>",
        ]
        for k in ("auc", "precision", "recall", "f1"):
            cells.append(f"<td>{_fmt(t.get(k))}{'' if is_base else _delta(t.get(k), base_test.get(k))}</td>")
        rows.append(f'<tr class="{cls}">{"".join(cells)}</tr>')
    head = (
        "<tr><th>rank</th><th class='l'>trial</th><th>temperature</th><th>n_synthetic</th><th>real_ratio</th>"
        "<th>val AUC</th><th>test AUC</th><th>test precision</th><th>test recall</th><th>test F1</th></tr>"
    )
    verdict = ""
    if best is not None and baseline is not None and best.trial_id in test and baseline.trial_id in test:
        b, w = test[baseline.trial_id]["auc"], test[best.trial_id]["auc"]
        if best.trial_id == baseline.trial_id:
            verdict = "No synthetic mix beat the baseline on validation AUC: the baseline is the best trial."
        else:
            verdict = (
                f"The best mix (trial {best.number}) scored test AUC {_fmt(w)} against the baseline's {_fmt(b)} "
                f"({w - b:+.3f})."
            )
    s = cfg.search
    figs = {f.file: _figure_html(tmp, f) for f in figures}
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>synthsweep report: {html.escape(run_dir.name)}</title>
<style>{_CSS}</style></head><body>
<h1>synthsweep report: {html.escape(run_dir.name)}</h1>
<p class="meta">{html.escape(str(run_dir.resolve()))} &middot; {html.escape(status)} &middot;
{len(records)} trials &middot; written {time.strftime("%Y-%m-%d %H:%M", time.localtime())}</p>
<p>Classifier <code>{html.escape(cfg.classifier.model)}</code> ({cfg.classifier.mode} mode, {cfg.classifier.epochs}
epochs), generator <code>{html.escape(cfg.generator.model)}</code>; search over temperature {s.temperature},
n_synthetic {s.n_synthetic} and real_ratio {s.real_ratio}. Data: {len(data.train)} training,
{len(data.validation)} validation and {len(data.test)} test texts, labels {html.escape(", ".join(data.labels))}.</p>
{f'<p class="note">{html.escape(verdict)}</p>' if verdict else ""}
<h2>Top trials against the baseline</h2>
<p>Ranked by best validation AUC over all epochs. Test metrics are macro averages on the test split,
with the difference from the baseline in brackets.</p>
<table>{head}{"".join(rows)}</table>
<h2>Search</h2>
{figs["optimization_history.png"]}
{figs["param_importances.png"]}
<h2>AUC against each parameter</h2>
<div class="grid">{figs["auc_vs_temperature.png"]}{figs["auc_vs_n_synthetic.png"]}{figs["auc_vs_real_ratio.png"]}</div>
<h2>Best trial against the baseline</h2>
{figs["roc_test.png"]}
</body></html>
"""
