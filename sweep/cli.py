"""The ``synthsweep`` command line: subcommands map to typed functions.

Bad input -> one ``error:`` line, exit 2; a usage mistake -> click's usage line and ``Error:``,
exit 2; Ctrl-C or SIGTERM -> one line saying what stopped and what was kept, exit 130 or 143.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import typer

from common import SweepInterrupted, UserError, exit_code, interrupts_raise

app = typer.Typer(
    add_completion=False,
    help="Find the synthetic-data mix from a local LLM that best lifts a small text classifier.",
)

SET_HELP = "Override a config key, e.g. --set search.num_samples=4 (repeatable)."
SHOW_TEXT_HELP = "Also print real training records (the few-shot examples); off by default: they may be patient data."

VERBOSE_HELP = "Also show Ray's and Tune's own start-up and progress messages."

review_app = typer.Typer(help="Clinician review: export a sample of a run's synthetic examples, score the labels.")
app.add_typer(review_app, name="review")


_interrupted = {"what": "synthsweep", "kept": "nothing was written"}


def when_interrupted(what: str, kept: str) -> None:
    """What the line printed on Ctrl-C or SIGTERM says stopped, and what it says was kept."""
    _interrupted.update(what=what, kept=kept)


@app.command()
def run(
    config: Path = typer.Argument(..., help="Sweep config (YAML)."),
    set_: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    address: str | None = typer.Option(None, "--address", help="Join this Ray cluster instead of ray.address."),
    verbose: bool = typer.Option(False, "--verbose", help=VERBOSE_HELP),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print where actors and trials would go and whether they fit; run nothing."
    ),
) -> None:
    """Run a sweep: generate synthetic pools, train one classifier per trial, report the best mix."""
    from ._pipeline import run_sweep
    from .cluster import plan_sweep
    from .config import load_config

    # Once the run directory exists, an interruption is a SweepInterrupted naming the resume command.
    when_interrupted("run", "no sweep had started, nothing to resume")
    cfg = load_config(config, set_)
    if dry_run:
        for note in cfg.notes():
            typer.echo(note, err=True)
        plan_sweep(cfg, address=address, out=typer.echo)
        return
    run_sweep(cfg, address=address, verbose=verbose)


@app.command()
def resume(
    run_dir: Path = typer.Argument(..., help="Run directory of the sweep to continue (<storage>/<name>)."),
    address: str | None = typer.Option(None, "--address", help="Join this Ray cluster instead of ray.address."),
    resume_errored: bool = typer.Option(
        False, "--resume-errored", help="Retry errored trials from their latest checkpoint."
    ),
    restart_errored: bool = typer.Option(False, "--restart-errored", help="Retry errored trials from scratch."),
    verbose: bool = typer.Option(False, "--verbose", help=VERBOSE_HELP),
) -> None:
    """Continue a sweep (or a curve) stopped by Ctrl-C, a killed driver or a lost Ray cluster."""
    from ._pipeline import resume_sweep
    from .curve import load_plan, resume_curve

    if load_plan(run_dir) is not None:
        when_interrupted("resume", f"finished points are kept; continue it with: synthsweep resume {run_dir}")
        resume_curve(run_dir, address=address, verbose=verbose)
        return

    when_interrupted("resume", f"finished trials are kept; continue it with: synthsweep resume {run_dir}")
    resume_sweep(
        run_dir, address=address, resume_errored=resume_errored, restart_errored=restart_errored, verbose=verbose
    )


@app.command(context_settings={"allow_extra_args": True})
def curve(
    ctx: typer.Context,
    config: Path = typer.Argument(..., help="Sweep config (YAML); each point is this sweep at one size."),
    sizes: str = typer.Option(..., "--sizes", help="Real training examples per label: --sizes 5 10 20 all."),
    draws: int = typer.Option(3, "--draws", help="Random subsets of the real training split per size."),
    set_: list[str] | None = typer.Option(None, "--set", help=SET_HELP),
    address: str | None = typer.Option(None, "--address", help="Join this Ray cluster instead of ray.address."),
    verbose: bool = typer.Option(False, "--verbose", help=VERBOSE_HELP),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Print the points, trials and generation planned; run nothing."
    ),
) -> None:
    """A sweep and verdict at each size and draw: where synthetic data helps, with intervals."""
    from .config import load_config
    from .curve import new_plan, parse_sizes, plan_lines, run_curve

    when_interrupted("curve", "no point had started, nothing to resume")
    # `--sizes 5 10 20`: click takes one value per option, the rest arrive as extra arguments.
    parsed = parse_sizes([*sizes.replace(",", " ").split(), *ctx.args])
    cfg = load_config(config, set_)
    if dry_run:
        for line in plan_lines(new_plan(cfg, parsed, draws)):
            typer.echo(line)
        return
    run_curve(cfg, parsed, draws, address=address, verbose=verbose)


@app.command()
def status(
    run_dir: Path = typer.Argument(..., help="Run directory (<storage>/<name>)."),
) -> None:
    """Show the trials of a sweep (or the points of a curve), running or stopped (starts no Ray)."""
    from .curve import load_plan, status_lines
    from .outputs import print_status

    when_interrupted("status", "it writes nothing")
    plan = load_plan(run_dir)
    if plan is not None:
        typer.echo("\n".join(status_lines(plan)))
        return
    print_status(run_dir)


@app.command()
def export(
    run_dir: Path = typer.Argument(..., help="Run directory (<storage>/<name>)."),
    out: Path = typer.Option(..., "--out", help="New (or empty) directory for the model."),
    trial: str | None = typer.Option(
        None, "--trial", help="Trial to export instead of the best: its number (as `run` and `status` show it) or id."
    ),
) -> None:
    """Write the best trial (or --trial) as a Hugging Face model directory with a model card."""
    from .outputs import export_trial

    when_interrupted("export", f"nothing was written to {out}")
    target = export_trial(run_dir, out, trial)
    typer.echo(f"exported to {target}")


@app.command()
def report(
    run_dir: Path = typer.Argument(..., help="Run directory (<storage>/<name>)."),
    out: Path | None = typer.Option(None, "--out", help="Directory for report.html and its PNGs [RUN_DIR/report]."),
) -> None:
    """Write report.html (images embedded) and its PNGs: search history, importances, ROC, top trials."""
    from .curve import CURVE_FILE, Curve, load_plan, write_curve_report
    from .outputs import write_report

    when_interrupted("report", "an earlier report, if any, is unchanged")
    if load_plan(run_dir) is not None:  # a curve: its own figures, each point has its run report
        if not (run_dir / CURVE_FILE).is_file():
            raise UserError(
                f"{run_dir} is a curve that has not finished; continue it with: synthsweep resume {run_dir}"
            )
        curve = Curve.model_validate_json((run_dir / CURVE_FILE).read_text())
        typer.echo(f"report: {write_curve_report(curve, run_dir)}")
        return
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

    from .config import load_config
    from .inputs import generate_examples

    cfg = load_config(config, set_)
    err = Console(stderr=True)
    lo, hi = cfg.search.temperature
    if temperature is not None and not lo <= round(temperature, 1) <= hi:
        err.print(
            f"warning: --temperature {temperature:g} is outside search.temperature [{lo:g}, {hi:g}]; "
            "a sweep never generates at it",
            soft_wrap=True,
        )
    done = [0]

    def note(k: int) -> None:
        done[0] += k
        when_interrupted(
            f"generate (after {done[0]} of {n} examples)",
            f"the examples generated so far are kept in the synthetic cache {cfg.cache_dir / 'synthetic.sqlite'}",
        )

    note(0)
    # Off where stderr is no terminal: rich would still end it with an empty line there.
    with Progress(console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task(f"generating {label}", total=n)

        def advance(k: int) -> None:
            note(k)
            progress.advance(task, k)

        t, result = generate_examples(cfg, label, n, temperature, advance, generator)
    for i, text in enumerate(result.texts, 1):
        typer.echo(f"{i}. {text}")
    err.print(
        f"label={label} temperature={t}: {len(result.texts)} examples, {result.generated} generated, "
        f"{result.from_cache} from the cache, rejected {result.rejected or 'none'}"
    )
    if show_text:
        _print_records_shown(cfg, label, t, result, generator)


def _print_records_shown(cfg: Any, label: str, t: float, result: Any, generator: str | None) -> None:
    """``--show-text``: the real training records behind each group of the examples printed."""
    from .inputs import shots_used

    typer.echo("\nreal training records shown to the generator (--show-text):")
    said = (
        "rewrote the first of these" if result.augment == "paraphrase" else "were written after these few-shot examples"
    )
    for numbers, shots in shots_used(cfg, label, t, len(result.texts), generator):
        typer.echo(f"examples {', '.join(map(str, numbers))} {said}:")
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

    from .outputs import export_review

    when_interrupted("review export", f"nothing was written to {out}")
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
    from .outputs import score_review

    when_interrupted("review score", "it writes nothing")
    s = score_review(path)
    typer.echo(f"{'label':<16} {'reviewed':>8} {'correct':>8} {'accuracy':>9}  95% CI (Wilson)")
    for row in [*s.per_label, s.overall]:
        lo, hi = row.interval
        typer.echo(f"{row.label:<16} {row.n:>8} {row.correct:>8} {row.accuracy:>9.3f}  [{lo:.3f}, {hi:.3f}]")
    typer.echo(f"skipped {s.skipped} rows without a reviewer_label")
    if s.other_labels:
        typer.echo(f"note: {s.other_labels} reviewer labels are none of the intended labels (counted as wrong)")


def _yaml(value) -> str:
    """``value`` as it would be written in a config file, on one line."""
    import yaml

    if isinstance(value, Path):
        value = str(value)
    text = yaml.safe_dump(value, default_flow_style=True, width=float("inf"), allow_unicode=True).strip()
    return text.removesuffix("\n...").strip()  # a plain scalar ends its document with "..."


@app.command()
def keys() -> None:
    """List every config key with its default (as YAML) and meaning; required keys are marked."""
    from .config import config_keys, required_keys

    when_interrupted("keys", "it writes nothing")
    required = required_keys()
    for key, doc, default in config_keys():
        typer.echo(f"{key}  (required)" if key in required else f"{key}: {_yaml(default)}")
        typer.echo(f"    {doc}")


def main(argv: list[str] | None = None) -> int:
    """Run one command; return its exit code (``sys.exit(main())``).

    The command runs without Typer's own entry point, which turns Ctrl-C into a bare exit code and
    formats usage errors its own way (with ``standalone_mode=False`` they became tracebacks):
    every outcome is decided here.
    """
    command = typer.main.get_command(app)
    when_interrupted("synthsweep", "nothing was written")
    with interrupts_raise():
        try:
            with command.make_context("synthsweep", list(sys.argv[1:] if argv is None else argv)) as ctx:
                command.invoke(ctx)
        except SweepInterrupted as e:
            # Ray has been shut down already, so this stays the last line on the screen.
            typer.echo(str(e), err=True)
            return e.exit_code
        except UserError as e:
            typer.echo(f"error: {e}", err=True)
            return e.exit_code
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (interrupts_raise)
            after_ctrl_c = "\n" if sys.stderr.isatty() else ""  # the terminal echoed ^C without a newline
            typer.echo(f"{after_ctrl_c}{_interrupted['what']} interrupted; {_interrupted['kept']}", err=True)
            return exit_code()
        except typer.Exit as e:  # --help
            return e.exit_code
        except typer.Abort:
            typer.echo("aborted", err=True)
            return 1
        except BrokenPipeError:  # `synthsweep keys | head`: the reader has gone; say nothing more
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
        except typer.TyperException as e:  # usage: click's usage line, a hint and "Error: ..."
            show = getattr(e, "show", None)
            if show is None:
                raise
            show()
            return e.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
