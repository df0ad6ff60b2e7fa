"""CLI commands: ``lossbalance schedulers list | show NAME | plot SPEC.yaml``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from lossbalance._errors import LossbalanceError

schedulers_app = typer.Typer(
    help="Loss-weight schedule families: list them, show their parameters, plot a schedule.",
    no_args_is_help=True,
)


def _bounds(field: Any) -> str:
    import annotated_types as at

    parts = []
    for meta in field.metadata:
        for attr, sign in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
            if isinstance(meta, getattr(at, attr.capitalize())):
                parts.append(f"{sign} {getattr(meta, attr):g}")
        if isinstance(meta, at.MinLen):
            parts.append(f"len >= {meta.min_length}")
    return ", ".join(parts)


def _type_name(annotation: Any) -> str:
    text = str(annotation)
    return text.replace("typing.", "").replace("<class '", "").replace("'>", "")


def family_rows() -> list[dict[str, str]]:
    """One row per family: name, terms, kind, citation, origin (plugins not imported
    until listed here; a broken one is shown with its error)."""
    from lossbalance.schedulers import available_schedulers, get_scheduler_class
    from lossbalance.schedulers._registry import _BUILTINS

    rows = []
    for name in available_schedulers():
        origin = "built-in" if name in _BUILTINS else "plugin"
        try:
            cls = get_scheduler_class(name)
        except LossbalanceError as exc:
            rows.append(
                {"name": name, "terms": "?", "kind": "?", "citation": str(exc), "origin": origin}
            )
            continue
        hi = "any" if cls.max_terms is None else str(cls.max_terms)
        terms = str(cls.min_terms) if str(cls.min_terms) == hi else f"{cls.min_terms}..{hi}"
        kind = "gradients" if cls.uses_gradients else ("adaptive" if cls.adaptive else "planned")
        rows.append(
            {"name": name, "terms": terms, "kind": kind, "citation": cls.citation, "origin": origin}
        )
    return rows


@schedulers_app.command("list")
def list_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List every registered schedule family (built-ins and installed plugins)."""
    rows = family_rows()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title="lossbalance schedule families")
    for col in ("name", "terms", "kind", "citation", "origin"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(*(r[c] for c in ("name", "terms", "kind", "citation", "origin")))
    Console(width=140).print(table)


def describe_family(name: str) -> dict[str, Any]:
    """Parameters (type, default, bounds, description), citation, summary and example."""
    from pydantic_core import PydanticUndefined

    from lossbalance.schedulers import get_scheduler_class

    cls = get_scheduler_class(name)
    params = []
    for pname, f in cls.Params.model_fields.items():
        default = f.get_default(call_default_factory=True)
        params.append(
            {
                "name": f.alias or pname,
                "type": _type_name(f.annotation),
                "default": "required" if default is PydanticUndefined else default,
                "bounds": _bounds(f),
                "description": f.description or "",
            }
        )
    doc = (cls.__doc__ or "").strip()
    example: dict[str, Any] = {"family": name}
    from lossbalance.schedulers import CurriculumScheduler

    if cls.min_terms > 1 or issubclass(cls, CurriculumScheduler):
        example["terms"] = list(cls.example_terms)
    if cls.example_params:
        example["params"] = dict(cls.example_params)
    return {
        "name": name,
        "class": f"{cls.__module__}.{cls.__qualname__}",
        "citation": cls.citation,
        "summary": doc.split("\n\n")[0].replace("\n", " ").strip(),
        "terms": {"min": cls.min_terms, "max": cls.max_terms},
        "uses_gradients": cls.uses_gradients,
        "adaptive": cls.adaptive,
        "params": params,
        "example": example,
    }


@schedulers_app.command("show")
def show_cmd(
    name: str = typer.Argument(..., help="A family name (see `schedulers list`)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
) -> None:
    """Show a family's parameters (type, default, bounds), citation and an example."""
    import yaml

    info = describe_family(name)
    if as_json:
        typer.echo(json.dumps(info, indent=2, default=str))
        return
    console = Console(width=140)
    console.print(f"[bold]{name}[/]  ({info['class']})")
    console.print(f"citation: {info['citation']}", highlight=False)
    console.print(info["summary"], highlight=False)
    table = Table(title=f"{name} parameters")
    for col in ("parameter", "type", "default", "bounds", "description"):
        table.add_column(col, overflow="fold")
    for p in info["params"]:
        table.add_row(p["name"], p["type"], str(p["default"]), p["bounds"], p["description"])
    console.print(table)
    console.print("example:", highlight=False)
    console.print(yaml.safe_dump(info["example"], sort_keys=False).rstrip(), highlight=False)


def _parse_metrics(items: list[str]) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for item in items:
        name, sep, values = item.partition("=")
        try:
            if not sep or not name:
                raise ValueError
            out[name.strip()] = [float(v) for v in values.split(",") if v.strip()]
        except ValueError:
            raise LossbalanceError(
                f"--metric {item!r}: expected NAME=V1,V2,... (values at successive evaluations)"
            ) from None
        if not out[name.strip()]:
            raise LossbalanceError(f"--metric {item!r}: no values")
    return out


@schedulers_app.command("plot")
def plot_cmd(
    spec: Path = typer.Argument(..., help="Schedule YAML (one spec, or several under schedules:)."),
    steps: int = typer.Option(..., "--steps", min=1, help="Optimiser steps to draw."),
    out: Path = typer.Option(..., "--out", help="PNG file to write."),
    steps_per_epoch: int = typer.Option(
        100, "--steps-per-epoch", min=1, help="For the formula clock."
    ),
    metric: list[str] = typer.Option(
        [], "--metric", help="NAME=V1,V2,...: a metric's value at successive evaluations."
    ),
    eval_every: int = typer.Option(1, "--eval-every", min=1, help="Epochs between evaluations."),
    patients: int = typer.Option(400, "--patients", min=20, help="Cohort size of a training run."),
    seed: int = typer.Option(0, "--seed", min=0),
    cohort: Path | None = typer.Option(
        None, "--cohort", help="Cohort file (`data load ... --out`) for a training run."
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the trajectory as JSON."),
) -> None:
    """Draw a schedule's weight trajectory.

    Planned schedules are drawn from their formulas on a simulated clock (metric-
    triggered curricula with --metric values); adaptive ones (gradnorm, uncertainty,
    dwa) from a short real training run of the default generator.
    """
    from lossbalance._atomic import check_output_path, write_text_atomic
    from lossbalance.schedulers import load_schedules, plot_trajectory, trajectory

    check_output_path(out)
    if json_out is not None:
        check_output_path(json_out)
    specs = load_schedules(spec)
    data = None
    if cohort is not None:
        from lossbalance.data import Cohort

        data = Cohort.load(cohort)
    traj = trajectory(
        specs,
        steps,
        steps_per_epoch,
        _parse_metrics(metric) or None,
        eval_every,
        patients,
        seed,
        cohort=data,
    )
    plot_trajectory(traj, out, title=f"{spec.name} ({traj.source})")
    if json_out is not None:
        write_text_atomic(json_out, json.dumps(traj.to_dict()))
    final = ", ".join(f"{t}={w[-1]:.4g}" for t, w in traj.weights.items())
    typer.echo(f"wrote {out}: {traj.n_steps} steps from {traj.source}; final weights {final}")


def register(app: typer.Typer) -> None:
    """Add the ``schedulers`` command group to ``app``."""
    app.add_typer(schedulers_app, name="schedulers")
