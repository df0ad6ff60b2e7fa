"""CLI commands: ``train`` (a generator from a YAML run config) and ``generate``."""

from __future__ import annotations

from pathlib import Path

import typer


def train(
    config: Path = typer.Argument(
        ..., help="YAML run config (data, model, training, losses, out)."
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue from OUT/last.pt if present."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress bars."),
    check_terms: bool = typer.Option(
        False,
        "--check-terms",
        help="Only check that every loss term has a gradient (one batch), print the "
        "norms and exit; writes nothing.",
    ),
) -> None:
    """Train the generator; writes OUT/last.pt, OUT/best.pt and OUT/log.jsonl."""
    from rich.console import Console

    from lossbalance.training._run import check_run_terms, load_run_config, run_training

    cfg = load_run_config(config)
    if check_terms:
        norms = check_run_terms(cfg, base_dir=config.resolve().parent)
        lines = [f"{'term':<10} {'shared layer':>14} {'output logits':>14}"]
        lines += [f"{t:<10} {v['shared']:>14.4g} {v['logits']:>14.4g}" for t, v in norms.items()]
        Console().print("\n".join(lines) + "\nevery term has a gradient", highlight=False)
        return
    trainer = run_training(cfg, base_dir=config.resolve().parent, resume=resume, progress=progress)
    state = trainer.state
    last = state.val_losses[-1] if state.val_losses else {}
    summary = ", ".join(f"{k} {v:.4f}" for k, v in last.items())
    reason = f" ({trainer.stop_reason})" if trainer.stop_reason else ""
    Console().print(
        f"trained {state.epoch} epochs, {state.step} steps{reason}; val {summary}", highlight=False
    )


def generate(
    checkpoint: Path = typer.Argument(
        ..., help="A checkpoint written by `train` (last.pt, best.pt)."
    ),
    patients: int = typer.Option(..., "--patients", "-n", min=1, help="Patients to generate."),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Output: a cohort file (.npz), a MEDS folder, or .csv/.parquet."
    ),
    fmt: str = typer.Option(
        "npz",
        "--format",
        help="npz (cohort file), meds (a MEDS dataset folder), csv or parquet (one row per code).",
    ),
    seed: int = typer.Option(0, "--seed", help="Sampling seed."),
    temperature: float = typer.Option(1.0, "--temperature", help="Softmax temperature."),
    top_k: int = typer.Option(0, "--top-k", help="Keep the k most likely tokens (0: off)."),
    top_p: float = typer.Option(1.0, "--top-p", help="Nucleus mass (1: off)."),
    allow_duplicates: bool = typer.Option(
        False, "--allow-duplicates", help="Let a code appear twice in a visit."
    ),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
) -> None:
    """Sample synthetic patients from a checkpoint into a cohort file."""
    from pydantic import ValidationError
    from rich.console import Console

    from lossbalance._atomic import check_output_path
    from lossbalance._errors import LossbalanceError
    from lossbalance.cli._data import ExportFormat, check_export_target, write_cohort
    from lossbalance.model import SamplingConfig
    from lossbalance.model import generate as sample
    from lossbalance.training import load_generator
    from lossbalance.training._run import validation_message

    try:
        export = ExportFormat(fmt)
    except ValueError:
        raise LossbalanceError(
            f"--format: expected one of {', '.join(f.value for f in ExportFormat)}, got {fmt!r}"
        ) from None
    check_output_path(out)
    check_export_target(out, export)
    try:
        sampling = SamplingConfig(
            temperature=temperature,
            top_k=top_k,
            top_p=top_p,
            forbid_duplicates=not allow_duplicates,
        )
    except ValidationError as exc:
        raise LossbalanceError(f"--{validation_message(exc).replace('_', '-')}") from None
    if device not in ("auto", "cpu", "cuda"):
        raise LossbalanceError(f"--device: expected auto, cpu or cuda, got {device!r}")
    model, demo = load_generator(checkpoint, device)
    cohort = sample(model, patients, reference=demo, sampling=sampling, seed=seed)
    write_cohort(
        cohort,
        out,
        export,
        generator={
            "checkpoint": str(checkpoint),
            "seed": seed,
            "temperature": temperature,
            "top_k": top_k,
            "top_p": top_p,
        },
    )
    Console().print(
        f"wrote {cohort.n_patients} patients, {cohort.n_visits} visits, {cohort.n_codes} codes "
        f"to {out}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("train")(train)
    app.command("generate")(generate)
