"""``synthsweep report``: a self-contained HTML report of a sweep, with its figures as PNGs beside it.

The Optuna study is rebuilt from the trial results (``optuna.trial.create_trial`` over the sweep's
own search space), so the report needs no database and no Ray, and works on a sweep that is still
running or was interrupted. Trials are shown with validation metrics only; test metrics come from
the verdict in ``summary.json`` (written when the search has finished), the only place test data
is used.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import UserError, atomic_dir, force_offline

from ..config import SearchSpace, SweepConfig
from ..inputs import Dataset, sweep_dataset
from ..rundir import (
    REPORT_DIR,
    RunState,
    RunStatus,
    Selection,
    TrialRecord,
    TrialState,
    load_run,
    read_trials,
    recorded_config,
    trial_params,
)
from ..verdict import ARM_WORDS, BASELINE, BEST, LABEL_ARMS, Conclusion, DeltaAUC, Verdict, Worth, rarest_which
from ._format import delta_ci, fmt
from ._plots import (
    finite,
    placeholder,
    plot_history,
    plot_importances,
    plot_label_curve,
    plot_param_auc,
    plot_verdict,
    repeat_sd,
)
from ._summary import label_counts
from ._summary_model import read_summary, recorded_selection

TOP = 5
"""Trials in the report's table, best first."""
REPORT_FILE = "report.html"


@dataclass(frozen=True)
class Figure:
    file: str
    title: str
    caption: str


def rebuild_study(space: SearchSpace, records: list[TrialRecord]) -> tuple[Any, dict[str, Any]]:
    """An Optuna study holding every trial of the sweep, value = best validation AUC, over the
    sweep's search space widened to hold the baseline; returns (study, distributions)."""
    import optuna
    from optuna.distributions import CategoricalDistribution, IntDistribution
    from optuna.trial import create_trial

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = space.distributions(grid=False, with_baseline=True)
    study = optuna.create_study(direction="maximize", study_name="report")
    for r in records:
        prm = trial_params(r)
        params: dict[str, Any] = {}
        for k, d in dists.items():
            v = prm.get(k)
            if v is None or (isinstance(d, CategoricalDistribution) and v not in d.choices):
                continue
            if not isinstance(d, CategoricalDistribution):
                v = min(max(float(v), d.low), d.high)
                v = int(round(v)) if isinstance(d, IntDistribution) else v
            params[k] = v
        value = r.best_val_auc
        state = optuna.trial.TrialState
        if r.rows and finite(value):
            trial = create_trial(
                state=state.COMPLETE,
                value=value,
                params=params,
                distributions={k: dists[k] for k in params},
                user_attrs={"trial_id": r.trial_id},
            )
        elif r.state == TrialState.ERROR:
            trial = create_trial(state=state.FAIL, params=params, distributions={k: dists[k] for k in params})
        else:
            continue  # pending or running without a result yet
        study.add_trial(trial)
    return study, dists


def _figure_html(out: Path, f: Figure):
    """A figure embedded as a data URI and linked to its PNG (markup built here, escaped here)."""
    from markupsafe import Markup, escape

    data = base64.b64encode((out / f.file).read_bytes()).decode("ascii")
    return Markup(
        f'<figure><img src="data:image/png;base64,{data}" alt="{escape(f.title)}" title="{escape(f.file)}">'
        f"<figcaption><b>{escape(f.title)}.</b> {escape(f.caption)} "
        f'(<a href="{escape(f.file)}">{escape(f.file)}</a>)</figcaption></figure>'
    )


def _out_dir(run_dir: Path, out: str | Path | None) -> Path:
    out = Path(out) if out is not None else run_dir / REPORT_DIR
    if out.exists() and any(out.iterdir()) and not (out / REPORT_FILE).is_file():
        raise UserError(f"--out {out} is not empty and holds no earlier report; choose a new directory")
    return out


def draw_figures(tmp: Path, page: ReportPage) -> list[Figure]:
    """Every PNG of the report, drawn into ``tmp``, with its caption."""
    records, sel, space = page.records, page.selection, SearchSpace.from_config(page.cfg)
    history = "Mean validation AUC (over the trial's repeats) of each trial in order and the best so far "
    figures = [
        Figure("optimization_history.png", "Optimization history", history + "(trials numbered as in the tables).")
    ]
    plot_history(records, tmp / figures[0].file)
    study, dists = rebuild_study(space, records)
    figures.append(
        Figure(
            "param_importances.png",
            "Parameter importances",
            plot_importances(study, dists, tmp / "param_importances.png"),
        )
    )
    for param in (r.name for r in space.ranges.values() if r.dimension.kind != "choice"):
        name = f"auc_vs_{param}.png"
        plot_param_auc(records, param, sel.best, sel.baseline, tmp / name)
        tail = "." if param == "n_synthetic" else f" (trials without synthetic data have no {param})."
        caption = "Each point is a trial (its number beside it), with the SD of its repeats as error bars; the "
        figures.append(
            Figure(
                name,
                f"Validation AUC against {param}",
                caption + "dashed line and band are the baseline without synthetic data" + tail,
            )
        )
    return figures + _verdict_figures(tmp, page.verdict)


def _verdict_figures(tmp: Path, verdict: Verdict | None) -> list[Figure]:
    """The forest plot (or its placeholder) and, when the verdict trained it, the real-label curve."""
    if verdict:
        plot_verdict(verdict, tmp / "verdict.png")
    else:
        placeholder(tmp / "verdict.png", "Verdict", "the verdict is computed when the search has finished")
    figures = [
        Figure(
            "verdict.png",
            "Verdict on the test split",
            "Each arm's test AUC minus the baseline's, averaged over its seeds, with the 95% paired bootstrap "
            "interval (test examples and seeds resampled). An interval that crosses 0 is no evidence either way.",
        )
    ]
    if verdict and verdict.labels:
        plot_label_curve(verdict, tmp / "label_curve.png")
        caption = (
            "The baseline retrained on 25, 50, 75 and 100% of each label's real examples (test AUC with 95% "
            "intervals), the line a + b ln n fitted to those points (dotted where it extrapolates), and each "
            "augmentation arm at its test AUC and its worth in real labels per label (with its interval)."
        )
        figures.append(Figure("label_curve.png", "What real labels are worth", caption))
    return figures


def write_report(run_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write ``report.html`` and its PNGs into ``out`` (default ``RUN_DIR/report``); return the HTML path."""
    import matplotlib

    matplotlib.use("Agg")
    force_offline()
    run_dir, state = load_run(run_dir)
    out = _out_dir(run_dir, out)
    records = read_trials(run_dir)
    if not any(r.rows for r in records):
        raise UserError(f"{run_dir} has no trial results yet; nothing to report")
    cfg = recorded_config(run_dir)
    summary = read_summary(run_dir)
    ranked = sorted((r for r in records if finite(r.best_val_auc)), key=lambda r: -r.best_val_auc)[:TOP]
    selection = recorded_selection(records, summary)
    verdict = summary.verdict if summary else None
    page = ReportPage(cfg, run_dir, state, records, ranked, selection, verdict, sweep_dataset(cfg))
    with atomic_dir(out) as tmp:
        figures = draw_figures(tmp, page)
        (tmp / REPORT_FILE).write_text(_html(tmp, page, figures), encoding="utf-8")
    return out / REPORT_FILE


@dataclass(frozen=True)
class ReportPage:
    """What the report's HTML shows."""

    cfg: SweepConfig
    run_dir: Path
    state: RunState
    records: list[TrialRecord]
    ranked: list[TrialRecord]
    """Trials with the highest mean validation AUC, best first."""
    selection: Selection
    """The verdict's baseline and best synthetic trial."""
    verdict: Verdict | None
    data: Dataset


_CSS = {Conclusion.BETTER: "up", Conclusion.WORSE: "down"}


def _against_baseline(name: str, delta: DeltaAUC, said: Conclusion) -> dict[str, str]:
    """An arm's difference from the baseline, its conclusion and their colour (blank for the baseline)."""
    return {
        "delta": "" if name == BASELINE else delta_ci(delta),
        "conclusion": "" if name == BASELINE else str(said),
        "css": _CSS.get(said, ""),
    }


def _arm_rows(verdict: Verdict | None) -> list[dict[str, str]]:
    rows = []
    for name, a in (verdict.arms if verdict else {}).items():
        rows.append(
            {
                "name": name,
                "what": ARM_WORDS[name],
                "added": str(a.params.get("n_synthetic", 0)),
                "auc": f"{fmt(a.test_auc_mean)} ± {fmt(a.test_auc_sd)}",
                **_against_baseline(name, a.delta_auc, a.conclusion),
                "precision": fmt(a.precision),
                "recall": fmt(a.recall),
                "f1": fmt(a.f1),
                "worth": _worth_cell(a.worth_labels_per_label),
            }
        )
    return rows


def _rarest_rows(verdict: Verdict | None) -> list[dict[str, str]]:
    """Each arm on the rarest quarter of the labels (empty when the verdict has none)."""
    if verdict is None or verdict.rarest is None:
        return []
    return [
        {"name": name, "auc": fmt(a.test_auc_mean), **_against_baseline(name, a.delta_auc, a.conclusion)}
        for name, a in verdict.rarest.arms.items()
    ]


@dataclass(frozen=True)
class LabelTable:
    """Per label (rarest first): its texts per split and each shown arm's test precision, recall and F1."""

    detailed: list[str]
    """Arms with precision, recall and F1 (the baseline and the best synthetic arm)."""
    f1_only: list[str]
    """The other arms, F1 alone."""
    rows: list[dict[str, Any]]


def _label_table(page: ReportPage) -> LabelTable | None:
    """None when the verdict kept no per-label figures (a summary written before they were)."""
    verdict = page.verdict
    if verdict is None or verdict.baseline.per_label is None:
        return None
    arms = {n: a for n, a in verdict.arms.items() if n not in LABEL_ARMS and a.per_label is not None}
    detailed = [n for n in (BASELINE, BEST) if n in arms]
    counts = label_counts(page.data)
    rare = set(verdict.rarest.labels) if verdict.rarest else set()
    rows = []
    for lab in sorted(page.data.labels, key=lambda lab: (counts[lab]["train"], lab)):
        figures = {n: a.per_label[lab] for n, a in arms.items() if a.per_label and lab in a.per_label}
        base, best = figures.get(BASELINE), figures.get(BEST)
        delta = best.f1 - base.f1 if base and best else None
        rows.append(
            {
                "label": lab,
                "css": "rare" if lab in rare else "",
                "train": counts[lab]["train"],
                "test": counts[lab]["test"],
                "arms": {n: {k: fmt(getattr(m, k)) for k in ("precision", "recall", "f1")} for n, m in figures.items()},
                "delta_f1": "" if delta is None else f"{delta:+.3f}",
                "delta_css": "" if not delta else "up" if delta > 0 else "down",
            }
        )
    return LabelTable(detailed, [n for n in arms if n not in detailed], rows)


def _worth_cell(w: Worth | None) -> str:
    if w is None:
        return ""
    if w.capped:
        return f"more than {w.mean:.0f}"
    return f"{w.mean:+.0f} [{w.ci95[0]:+.0f}, {w.ci95[1]:+.0f}]" + (" (extrapolated)" if w.extrapolated else "")


def _trial_rows(page: ReportPage) -> list[dict[str, str]]:
    best, baseline = page.selection.best, page.selection.baseline
    shown = list(page.ranked)
    if baseline is not None and baseline not in shown:
        shown.append(baseline)
    base_auc = baseline.best_val_auc if baseline is not None else None
    rows = []
    for i, r in enumerate(shown, 1):
        prm = trial_params(r)
        row = r.best_row or {}
        is_base = baseline is not None and r.trial_id == baseline.trial_id
        delta = r.best_val_auc - base_auc if not is_base and finite(r.best_val_auc) and finite(base_auc) else None
        rows.append(
            {
                "css": "baseline" if is_base else "best" if best is not None and r.trial_id == best.trial_id else "",
                "rank": str(i) if r in page.ranked else "",
                "name": f"{r.number} ({r.trial_id})" + (" baseline" if is_base else ""),
                "temperature": fmt(prm["temperature"], 1),
                "n_synthetic": str(row.get("n_synthetic_used", prm["n_synthetic"])),
                "real_share": fmt(row.get("real_share", prm["real_ratio"]), 2),
                "auc": f"{fmt(r.best_val_auc)} ± {fmt(repeat_sd(r))}",
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
        loader=jinja2.PackageLoader("sweep.outputs", "templates"), autoescape=True, undefined=jinja2.StrictUndefined
    )
    cfg, state, records, data = page.cfg, page.state, page.records, page.data
    finished = sum(1 for r in records if r.state.final)
    status = (
        str(state.status)
        if state.status == RunStatus.FINISHED
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
        rarest=_rarest_rows(page.verdict),
        rarest_which=rarest_which(page.verdict.rarest) if page.verdict and page.verdict.rarest else "",
        per_label=_label_table(page),
        trials=_trial_rows(page),
        figures={f.file: _figure_html(tmp, f) for f in figures},
    )
