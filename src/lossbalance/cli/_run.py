"""CLI commands: ``run`` (an experiment spec end to end) and ``report`` (rebuild a report)."""

from __future__ import annotations

from pathlib import Path

import typer


def run(
    spec_file: Path = typer.Argument(
        ..., help="experiment spec YAML", show_default=False, metavar="SPEC.yaml"
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="experiment folder (default: runs/<spec name>)"
    ),
    resume: bool = typer.Option(
        False,
        "--resume",
        help="skip complete runs; continue interrupted ones from their last checkpoint",
    ),
    force: bool = typer.Option(
        False, "--force", help="replace the results of another spec found in the folder"
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="show progress bars"),
) -> None:
    """Train, generate, evaluate, classify the outcome tier, run the tier's fallback plan,
    and write the report (OUT/report.md, OUT/report.html)."""
    from rich.console import Console

    from lossbalance.experiment import run_experiment
    from lossbalance.spec import load_spec

    spec = load_spec(spec_file)
    folder = out if out is not None else Path("runs") / spec.name
    console = Console(highlight=False)
    result = run_experiment(
        spec, folder, resume=resume, force=force, progress=progress, console=console
    )
    report = result.report
    assert report is not None
    _show(console, report)


def report(
    run_dir: Path = typer.Argument(
        ..., help="experiment folder written by `lossbalance run`", metavar="RUN_DIR"
    ),
) -> None:
    """Rebuild an experiment's report from the files in its folder alone."""
    from rich.console import Console

    from lossbalance.experiment import build_report

    _show(Console(highlight=False), build_report(run_dir))


def _show(console: object, report: object) -> None:
    from rich.console import Console

    from lossbalance.experiment import ExperimentReport

    assert isinstance(console, Console) and isinstance(report, ExperimentReport)
    for table in report.tables():
        console.print(table)
    console.print(f"[bold]recommendation:[/] {report.recommendation.reason}", soft_wrap=True)
    for kind, path in report.paths.items():
        console.print(f"wrote {kind} report {path}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("run")(run)
    app.command("report")(report)
