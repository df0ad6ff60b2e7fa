"""CLI command: ``lossbalance evaluate GENERATED --reference REF [--train TRAIN]``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from lossbalance._atomic import check_output_path, write_text_atomic
from lossbalance._errors import LossbalanceError

_OLD_FLAGS = (
    "--generated/--real/--heldout were removed: use "
    "'lossbalance evaluate GENERATED --reference REF [--train TRAIN]'"
)


def evaluate_command(
    generated: Path | None = typer.Argument(None, help="Generated cohort G (.npz)."),
    reference: Path | None = typer.Option(
        None, "--reference", help="Reference split F (.npz): tuning or held_out, never train."
    ),
    train: Path | None = typer.Option(
        None,
        "--train",
        help="The generator's training cohort T (.npz): the floor sample and memorization.",
    ),
    targets: Path | None = typer.Option(
        None, "--targets", help="YAML/JSON mapping metric -> threshold, e.g. validity: '>=0.95'."
    ),
    json_out: Path | None = typer.Option(None, "--json", help="Write the full result as JSON."),
    top_k: int = typer.Option(100, "--top-k", help="K of the top-K overlap (top100)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the floor sample and query samples."),
    sample: int = typer.Option(
        5000, "--memorization-sample", help="Most query patients of a nearest-neighbour search."
    ),
    rules: Path | None = typer.Option(
        None,
        "--rules",
        help="Age/sex rules: a user rule table (CSV/YAML: vocabulary, code or prefix*, "
        "min_age, max_age, sex), added to the built-in ICD tables, or an MCE-format TSV "
        "that replaces them.",
    ),
    no_floor: bool = typer.Option(False, "--no-floor", help="Skip the floor."),
    no_memorization: bool = typer.Option(
        False, "--no-memorization", help="Skip the memorization metrics."
    ),
    old_generated: Path | None = typer.Option(None, "--generated", "-g", hidden=True),
    old_real: Path | None = typer.Option(None, "--real", "-r", hidden=True),
    old_heldout: Path | None = typer.Option(None, "--heldout", hidden=True),
) -> None:
    """Score a generated cohort against a reference split; exit 1 when a target fails.

    Cohort files come from any loader (``Cohort.save``). Prints the metric table grouped
    by validity, coherence, diversity and memorization (G, the floor, the gap, targets)
    and optionally writes the full result as JSON.
    """
    if old_generated is not None or old_real is not None or old_heldout is not None:
        raise LossbalanceError(_OLD_FLAGS)
    if generated is None:
        raise LossbalanceError("missing GENERATED: lossbalance evaluate GENERATED --reference REF")
    if reference is None:
        raise LossbalanceError("--reference: give the reference split F (tuning or held_out)")
    from lossbalance.clinical import load_rules
    from lossbalance.data import Cohort
    from lossbalance.metrics import evaluate, load_targets

    if json_out is not None:
        check_output_path(json_out)
    goals = load_targets(targets) if targets is not None else []
    rule_set = load_rules(rules) if rules is not None else None
    g = Cohort.load(generated)
    f = Cohort.load(reference)
    t = Cohort.load(train) if train is not None else None
    try:
        result = evaluate(
            g,
            f,
            t,
            rules=rule_set,
            top_k=top_k,
            floor=not no_floor,
            memorization=not no_memorization,
            memorization_sample=sample,
            seed=seed,
        )
    except LossbalanceError as exc:
        raise LossbalanceError(f"{generated} vs {reference}: {exc}") from None

    console = Console()
    if train is None:
        console.print(
            "no --train given: no floor, no diversity ratios, no memorization", highlight=False
        )
    console.print(result.table(goals, title=f"{generated.name} vs {reference.name}"))
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
