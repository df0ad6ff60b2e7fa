"""CLI commands: ``spec validate`` and ``spec schema`` (``run``/``report`` live in ``_run``)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

spec_app = typer.Typer(
    name="spec",
    help="Experiment specs: validate a spec file, export the JSON Schema.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _schedule_text(schedule: object) -> str:
    from lossbalance.spec import ScheduleFile

    if isinstance(schedule, ScheduleFile):
        return f"file {schedule.file}"
    family = getattr(schedule, "family", "?")
    params = getattr(schedule, "params", {})
    terms = getattr(schedule, "terms", None)
    shown = ", ".join(f"{k}={v}" for k, v in params.items() if not isinstance(v, list | dict))
    owned = f" terms={list(terms)}" if terms else ""
    return f"{family}({shown}){owned}"


@spec_app.command("validate")
def validate(
    spec_file: Path = typer.Argument(
        ..., help="experiment spec YAML", show_default=False, metavar="SPEC.yaml"
    ),
) -> None:
    """Check a spec without running it: fields, tiers, plans, every variant, and that
    each referenced schedule file, data path and baseline exists."""
    from lossbalance.spec import check_spec_files, load_spec, provisional_sections

    spec = load_spec(spec_file)
    files = check_spec_files(spec)
    console = Console(highlight=False)
    table = Table(title=f"{spec.name}  ({spec.source})", show_header=True, title_justify="left")
    table.add_column("section")
    table.add_column("value", overflow="fold")
    data = spec.data.model_dump(exclude_defaults=False)
    table.add_row("data", ", ".join(f"{k}={v}" for k, v in data.items() if k != "options"))
    table.add_row("training", f"epochs={spec.training.epochs}")
    for term, loss in spec.losses.items():
        table.add_row(f"losses.{term}", _schedule_text(loss.schedule))
    table.add_row("evaluation", f"patients={spec.evaluation.patients}")
    if spec.baseline is not None:
        b = spec.baseline
        kind = (
            f"checkpoint {b.checkpoint}"
            if b.checkpoint
            else f"run {b.run_dir}"
            if b.run_dir
            else "trained from an override"
        )
        table.add_row("baseline", f"{b.label}: {kind}")
    for tier in spec.tiers:
        table.add_row(f"tier {tier.name}", ", ".join(str(c) for c in tier.conditions) or "(always)")
    for i, plan in enumerate(spec.fallbacks):
        stop = "run all" if plan.stop_tier() is None else f"stop at {plan.stop_tier()} or better"
        names = ", ".join(v.name for v in plan.variants)
        table.add_row(f"fallbacks[{i}] on {plan.tier}", f"{names} ({stop})")
    for item in files:
        table.add_row(f"found {item.kind}", f"{item.field}: {item.path}")
    console.print(table)
    provisional = provisional_sections()
    if provisional:
        console.print(
            f"[yellow]note:[/] provisional section models: {', '.join(provisional)}",
            soft_wrap=True,
        )
    variants = sum(len(p.variants) for p in spec.fallbacks)
    console.print(
        f"[green]ok[/] {spec.source}: {len(spec.tiers)} tiers, {len(spec.fallbacks)} plans, "
        f"{variants} variants, {len(files)} referenced files found",
        soft_wrap=True,
    )


@spec_app.command("schema")
def schema(
    out: Path | None = typer.Option(
        None, "--out", help="write the schema to this file (default: print it)"
    ),
) -> None:
    """Print (or write) the JSON Schema of experiment spec files, for editors."""
    from lossbalance._atomic import write_text_atomic
    from lossbalance.spec import spec_json_schema

    text = json.dumps(spec_json_schema(), indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
        return
    write_text_atomic(out, text)
    Console(highlight=False).print(f"[green]wrote[/] {out}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.add_typer(spec_app, name="spec")
