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


def is_study_spec(doc: object) -> bool:
    """Whether a YAML document is a study spec (``lossbalance study run SPEC.yaml``): it
    has a field only study specs have (``base``, ``space``, ``objectives``, ...) and
    none only experiment specs have (nor ``extends:``)."""
    from lossbalance.spec import ExperimentSpec
    from lossbalance.study import StudySpec

    if not isinstance(doc, dict) or "extends" in doc:
        return False
    study, experiment = set(StudySpec.model_fields), set(ExperimentSpec.model_fields)
    return bool(set(doc) & (study - experiment)) and not set(doc) & (experiment - study)


def _validate_study(spec_file: Path, console: Console) -> None:
    """``spec validate`` of a study spec: its fields, base experiment and search space."""
    from lossbalance.spec import check_spec_files
    from lossbalance.study import load_study_spec

    study = load_study_spec(spec_file)
    objectives = study.parsed_objectives()
    base = study.base_spec()
    files = check_spec_files(base)
    space = study.search_space()
    table = Table(
        title=f"study {study.study_name()}  ({spec_file})", show_header=True, title_justify="left"
    )
    table.add_column("field")
    table.add_column("value", overflow="fold")
    where = base.source if isinstance(study.base, str) else "inline"
    table.add_row("base", f"{base.name} ({where}), {base.training.epochs} epochs")
    table.add_row("objectives", ", ".join(f"{o.name}:{o.direction}" for o in objectives))
    for kind, conds in (("constraints", study.constraints), ("targets", study.targets)):
        if conds:
            table.add_row(kind, ", ".join(str(c) for c in conds))
    terms = space.terms
    table.add_row("space", ", ".join(terms) + (" + sampling" if space.sampling else ""))
    budget = study.budget
    table.add_row("budget", f"{budget.trials} trials, wall time {budget.wall_time_s} s")
    table.add_row("sampler", f"{study.sampler.name}, seed {study.sampler.seed}")
    table.add_row("pruner", "on" if study.pruner.enabled else "off")
    console.print(table)
    console.print(
        f"[green]ok[/] {spec_file}: study spec, {len(objectives)} objectives, "
        f"{len(terms)} searched terms, base {base.name} ({len(files)} referenced files "
        "found); run it: lossbalance study run " + str(spec_file),
        soft_wrap=True,
    )


@spec_app.command("validate")
def validate(
    spec_file: Path = typer.Argument(
        ...,
        help="experiment spec YAML, or a study spec (lossbalance study run SPEC.yaml)",
        show_default=False,
        metavar="SPEC.yaml",
    ),
) -> None:
    """Check a spec without running it: fields, tiers, plans, every variant, and that
    each referenced schedule file, data path and baseline exists. A study spec (the
    kind is told from its fields) is checked with its base experiment and space."""
    from lossbalance.spec import check_spec_files, load_spec, provisional_sections, read_yaml

    if is_study_spec(read_yaml(spec_file)):
        _validate_study(spec_file, Console(highlight=False))
        return
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
