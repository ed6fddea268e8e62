"""The ``synthsweep`` command line: subcommands map to typed functions; bad input -> one line, exit 2."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from ._errors import SweepInterrupted, UserError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Find the synthetic-data mix from a local LLM that best lifts a small text classifier.",
)

SET_HELP = "Override a config key, e.g. --set search.num_samples=4 (repeatable)."
SHOW_TEXT_HELP = "Also print real training records (the few-shot examples); off by default: they may be patient data."

review_app = typer.Typer(
    no_args_is_help=True, help="Clinician review: export a sample of a run's synthetic examples, score the labels."
)
app.add_typer(review_app, name="review")


@app.command()
def run(
    config: Path = typer.Argument(..., help="Sweep config (YAML)."),
    set_: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    address: str | None = typer.Option(None, "--address", help="Join this Ray cluster instead of ray.address."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print where actors and trials would go and whether they fit; run nothing."
    ),
) -> None:
    """Run a sweep: generate synthetic pools, train one classifier per trial, report the best mix."""
    from ._runner import plan_sweep, run_sweep
    from .config import load_config

    cfg = load_config(config, set_)
    if dry_run:
        plan_sweep(cfg, address=address, out=typer.echo)
        return
    run_sweep(cfg, address=address)


@app.command()
def resume(
    run_dir: Path = typer.Argument(..., help="Run directory of the sweep to continue (<storage>/<name>)."),
    address: str | None = typer.Option(None, "--address", help="Join this Ray cluster instead of ray.address."),
    resume_errored: bool = typer.Option(
        False, "--resume-errored", help="Retry errored trials from their latest checkpoint."
    ),
    restart_errored: bool = typer.Option(False, "--restart-errored", help="Retry errored trials from scratch."),
) -> None:
    """Continue a sweep stopped by Ctrl-C, a killed driver or a lost Ray cluster."""
    from ._resume import resume_sweep

    resume_sweep(run_dir, address=address, resume_errored=resume_errored, restart_errored=restart_errored)


@app.command()
def status(
    run_dir: Path = typer.Argument(..., help="Run directory (<storage>/<name>)."),
) -> None:
    """Show the trials of a sweep, running or stopped, and the best so far (starts no Ray)."""
    from ._status import print_status

    print_status(run_dir)


@app.command()
def export(
    run_dir: Path = typer.Argument(..., help="Run directory (<storage>/<name>)."),
    out: Path = typer.Option(..., "--out", help="New (or empty) directory for the model."),
    trial: str | None = typer.Option(None, "--trial", help="Trial id to export instead of the best."),
) -> None:
    """Write the best trial (or --trial) as a Hugging Face model directory with a model card."""
    from ._export import export_trial

    target = export_trial(run_dir, out, trial)
    typer.echo(f"exported to {target}")


@app.command()
def report(
    run_dir: Path = typer.Argument(..., help="Run directory (<storage>/<name>)."),
    out: Path | None = typer.Option(None, "--out", help="Directory for report.html and its PNGs [RUN_DIR/report]."),
) -> None:
    """Write report.html (images embedded) and its PNGs: search history, importances, ROC, top trials."""
    from ._report import write_report

    html = write_report(run_dir, out)
    typer.echo(f"report: {html}")


@app.command()
def generate(
    config: Path = typer.Argument(..., help="Sweep config (YAML)."),
    label: str = typer.Option(..., "--label", help="Class to write examples for."),
    n: int = typer.Option(5, "--n", help="How many examples."),
    temperature: float | None = typer.Option(None, "--temperature", help="Default: middle of search.temperature."),
    set_: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    show_text: bool = typer.Option(False, "--show-text", help=SHOW_TEXT_HELP),
    generator: str | None = typer.Option(
        None, "--generator", help="A name from `generators` (default: the first in search.generator)."
    ),
) -> None:
    """Print N synthetic examples of one label (same prompts, filters and cache as a sweep)."""
    from rich.console import Console
    from rich.progress import Progress

    from ._generate import generate_examples
    from .config import load_config

    cfg = load_config(config, set_)
    err = Console(stderr=True)
    with Progress(console=err, transient=True) as progress:
        task = progress.add_task(f"generating {label}", total=n)
        t, result = generate_examples(cfg, label, n, temperature, lambda k: progress.advance(task, k), generator)
    for i, text in enumerate(result.texts, 1):
        typer.echo(f"{i}. {text}")
    err.print(
        f"label={label} temperature={t}: {len(result.texts)} examples, {result.generated} generated, "
        f"{result.from_cache} from the cache, rejected {result.rejected or 'none'}"
    )
    if show_text:
        from ._generate import shots_used

        typer.echo("\nreal training records shown to the generator (--show-text):")
        for numbers, shots in shots_used(cfg, label, t, len(result.texts), generator):
            typer.echo(f"examples {', '.join(map(str, numbers))} were written after these few-shot examples:")
            for shot in shots:
                typer.echo(f"  - {shot}")


@review_app.command("export")
def review_export(
    run_dir: Path = typer.Argument(..., help="A run directory (<storage>/<name>)."),
    n: int = typer.Option(140, "--n", help="Examples to sample, split evenly across labels."),
    out: Path = typer.Option(..., "--out", help="CSV to write (refused if it exists, unless --force)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the random sample."),
    force: bool = typer.Option(False, "--force", help="Replace an existing --out file."),
) -> None:
    """Write a label-stratified random sample of the synthetic examples the run trained on, to label."""
    from collections import Counter

    from ._review import export_review

    rows = export_review(run_dir, n, out, seed=seed, force=force)
    per = ", ".join(f"{k} {v}" for k, v in sorted(Counter(r["intended_label"] for r in rows).items()))
    typer.echo(
        f"wrote {len(rows)} synthetic examples ({per}) to {out}; fill in reviewer_label, "
        f"then run: synthsweep review score {out}",
        err=True,
    )


@review_app.command("score")
def review_score(
    path: Path = typer.Argument(..., help="A review CSV from `review export` with reviewer_label filled in."),
) -> None:
    """Label accuracy overall and per intended label, with 95% Wilson intervals."""
    from ._review import score_review

    s = score_review(path)
    typer.echo(f"{'label':<16} {'reviewed':>8} {'correct':>8} {'accuracy':>9}  95% CI (Wilson)")
    for row in [*s.per_label, s.overall]:
        lo, hi = row.interval
        typer.echo(f"{row.label:<16} {row.n:>8} {row.correct:>8} {row.accuracy:>9.3f}  [{lo:.3f}, {hi:.3f}]")
    typer.echo(f"skipped {s.skipped} rows without a reviewer_label")
    if s.other_labels:
        typer.echo(f"note: {s.other_labels} reviewer labels are none of the intended labels (counted as wrong)")


@app.command()
def keys() -> None:
    """List every config key with its default and meaning."""
    from .config import config_keys

    for key, doc, default in config_keys():
        typer.echo(f"{key} = {default!r}\n    {doc}")


def main(argv: list[str] | None = None) -> int:
    try:
        app(args=argv, standalone_mode=False)
    except SweepInterrupted as e:
        # Ray has been shut down already, so this stays the last line on the screen.
        typer.echo(str(e), err=True)
        return e.exit_code
    except UserError as e:
        typer.echo(f"error: {e}", err=True)
        return e.exit_code
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("interrupted", err=True)
        return 130
    except typer.Exit as e:
        return e.exit_code
    except Exception as e:  # click usage errors carry their own exit code and message
        import click

        if isinstance(e, click.ClickException):
            e.show()
            return e.exit_code
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
