"""CLI command: ``lossbalance evaluate`` (validity, coherence and the real-vs-real floor)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from lossbalance._atomic import check_output_path, write_text_atomic
from lossbalance._errors import LossbalanceError


def evaluate_command(
    generated: Path = typer.Option(..., "--generated", "-g", help="Generated cohort (.npz)."),
    real: Path = typer.Option(..., "--real", "-r", help="Real training cohort (.npz)."),
    heldout: Path | None = typer.Option(
        None,
        "--heldout",
        help="Held-out real cohort for the floor (.npz); without it the "
        "real cohort is split in halves (seeded).",
    ),
    targets: Path | None = typer.Option(
        None, "--targets", help="YAML/JSON mapping metric -> threshold, e.g. validity: '>=0.95'."
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Write the full result as JSON."),
    top_k: int = typer.Option(100, "--top-k", help="K of the top-K overlap (top100)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split and of the floor's sizing."),
    rules: Path | None = typer.Option(
        None,
        "--rules",
        help="Age/sex rules: a user rule table (CSV/YAML: vocabulary, code or prefix*, "
        "min_age, max_age, sex), added to the built-in ICD tables, or an MCE-format TSV "
        "that replaces them.",
    ),
    no_floor: bool = typer.Option(False, "--no-floor", help="Skip the real-vs-real floor."),
) -> None:
    """Score a generated cohort against real data; exit 1 when a target fails.

    Cohort files come from any loader (``Cohort.save``). Prints the metric table (G, the
    floor H vs R, the gap, targets) and optionally writes the full result as JSON.
    """
    from lossbalance.clinical import load_rules
    from lossbalance.data import Cohort
    from lossbalance.metrics import evaluate, load_targets

    if json_out is not None:
        check_output_path(json_out)
    goals = load_targets(targets) if targets is not None else []
    rule_set = load_rules(rules) if rules is not None else None
    g = Cohort.load(generated)
    r = Cohort.load(real)
    h = Cohort.load(heldout) if heldout is not None else None
    try:
        result = evaluate(g, r, h, rules=rule_set, top_k=top_k, floor=not no_floor, seed=seed)
    except LossbalanceError as exc:
        raise LossbalanceError(f"{generated} vs {real}: {exc}") from None

    console = Console()
    if result.floor_source == "split":
        console.print(
            f"no --heldout given: split {real} in halves (seed {seed}); one half "
            f"({result.real.patients:,} patients) is R for G and for the floor, the other "
            f"({result.heldout_patients:,} patients, {result.floor_sampling} to "
            f"{result.generated.size.patients:,}) is H",
            highlight=False,
        )
    console.print(result.table(goals, title=f"{generated.name} vs {real.name}"))
    if json_out is not None:
        write_text_atomic(json_out, result.to_json())
        console.print(f"wrote {json_out}", highlight=False)
    failed = [m for m, ok in result.check_targets(goals).items() if not ok]
    if failed:
        console.print(f"[bold red]targets failed:[/] {', '.join(failed)}", highlight=False)
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("evaluate")(evaluate_command)
