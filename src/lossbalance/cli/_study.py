"""CLI commands: ``lossbalance study run | worker | pareto | pick | plot``.

A thin layer over :mod:`lossbalance.study`. ``study export`` (a Pareto trial as a
runnable experiment spec) waits for the experiment spec and runner.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from lossbalance._atomic import check_output_path, write_text_atomic
from lossbalance._errors import LossbalanceError

study_app = typer.Typer(
    name="study",
    help="Multi-objective studies: search weight schedules, draw the Pareto front.",
    no_args_is_help=True,
)

_STORAGE_HELP = "Journal file path or SQLAlchemy URL (e.g. postgresql://user@host/db)."


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _storage_options(heartbeat_interval: int, grace_period: int | None, max_retry: int) -> dict:
    if heartbeat_interval < 1:
        raise LossbalanceError(f"--heartbeat-interval: must be >= 1, got {heartbeat_interval}")
    if grace_period is not None and grace_period < 1:
        raise LossbalanceError(f"--grace-period: must be >= 1, got {grace_period}")
    return {
        "heartbeat_interval": heartbeat_interval,
        "grace_period": grace_period,
        "max_retry": None if max_retry < 0 else max_retry,
    }


def _load(storage: str, study: str) -> Any:
    from lossbalance.study import load_existing_study, mask_url, open_storage

    return load_existing_study(open_storage(storage), study, mask_url(storage))


@study_app.command("run")
def run(
    objectives: str = typer.Option(
        "validity,coherence", help="Comma-separated metrics, each optionally :maximize/:minimize."
    ),
    constraint: list[str] = typer.Option(
        [], "--constraint", help="Feasibility condition such as 'validity>=0.90' (repeatable)."
    ),
    trials: int = typer.Option(30, min=1, help="Budget: COMPLETE + PRUNED trials."),
    timeout: float | None = typer.Option(None, help="Wall-time budget per worker, seconds."),
    storage: str = typer.Option("lossbalance-studies.journal", help=_STORAGE_HELP),
    study: str | None = typer.Option(None, help="Study name (default: the objective names)."),
    sampler: str = typer.Option("auto", help="auto, tpe, nsga2, gp or random."),
    seed: int = typer.Option(0, help="Sampler seed (worker i uses seed + i)."),
    workers: int = typer.Option(1, help="Worker processes on this machine."),
    threads: int | None = typer.Option(None, help="Threads for the whole study (shared)."),
    prune: bool = typer.Option(True, "--prune/--no-prune", help="Multi-objective pruning."),
    min_dominating: int = typer.Option(3, help="Dominating completed trials needed to prune."),
    prune_fraction: float | None = typer.Option(
        None, help="Prune when this fraction of completed trials dominates (instead)."
    ),
    warmup_trials: int = typer.Option(5, help="Completed trials before any pruning."),
    warmup_epochs: int = typer.Option(1, help="No pruning at epochs <= this."),
    toy: bool = typer.Option(
        False, "--toy", help="Synthetic trial function (the real objective needs the runner)."
    ),
    toy_epochs: int = typer.Option(6, min=1, help="Epochs of the --toy trial function."),
    toy_epoch_seconds: float = typer.Option(0.0, min=0.0, help="Cost of one --toy epoch."),
    out: Path | None = typer.Option(None, help="Plot folder (default: ./<study>-plots)."),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="Write the plots at the end."),
    heartbeat_interval: int = typer.Option(10, help="Seconds between heartbeats (URLs)."),
    grace_period: int | None = typer.Option(None, help="Seconds before a silent trial is stale."),
    max_retry: int = typer.Option(3, help="Retries of a dead trial (-1: unlimited)."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Run (or continue) a study to its budget and print its Pareto trials."""
    from pydantic import ValidationError
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from lossbalance.study import (
        DominancePruner,
        StudyConfig,
        parse_conditions,
        parse_objectives,
        run_study,
        trial_counts,
    )
    from lossbalance.study._results import pareto_table
    from lossbalance.study._sampler import SAMPLERS

    if not toy:
        raise LossbalanceError(
            "study run: the real objective (train, generate, evaluate) needs the experiment "
            "runner, not built yet; pass --toy for the synthetic objective"
        )
    if sampler not in SAMPLERS:
        raise LossbalanceError(f"--sampler: unknown {sampler!r} (known: {', '.join(SAMPLERS)})")
    objs = parse_objectives(objectives)
    conds = parse_conditions(constraint, field="--constraint")
    name = study or "-".join(o.name for o in objs)
    try:
        pruner = (
            DominancePruner(
                min_dominating=min_dominating,
                fraction=prune_fraction,
                warmup_trials=warmup_trials,
                warmup_epochs=warmup_epochs,
            )
            if prune
            else None
        )
        config = StudyConfig(
            objectives=objs,
            constraints=conds,
            n_trials=trials,
            timeout_s=timeout,
            sampler=sampler,  # type: ignore[arg-type]
            seed=seed,
            pruner=pruner,
            problem="toy",
            problem_options={"epochs": toy_epochs, "epoch_seconds": toy_epoch_seconds},
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        field = "--" + str(err["loc"][-1]).replace("_", "-") if err["loc"] else "study"
        raise LossbalanceError(f"{field}: {err['msg']}") from None
    plot_dir = out if out is not None else Path(f"{name}-plots")
    if plots:
        check_output_path(plot_dir)
    options = _storage_options(heartbeat_interval, grace_period, max_retry)
    console = _console()
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        TimeElapsedColumn(),
        console=console,
        disable=quiet,
        transient=False,
    ) as progress:
        task = progress.add_task(f"study {name}", total=trials)

        def show(st: Any) -> None:
            c = trial_counts(st)
            front = len(st.best_trials) if c.complete else 0
            progress.update(
                task,
                completed=c.done,
                description=(
                    f"study {name}: {c.done}/{trials} done, {c.pruned} pruned, "
                    f"{c.failed} failed, {c.running} running, front {front}"
                ),
            )

        result = run_study(
            storage,
            name,
            config,
            workers=workers,
            threads=threads,
            storage_options=options,
            on_progress=None if quiet else show,
        )
        if not quiet:
            show(result)
    console.print(pareto_table(result))
    if plots:
        from lossbalance.study._plots import write_study_plots

        written = write_study_plots(result, plot_dir, conds)
        for key, path in written.items():
            console.print(f"{key}: {path}")


@study_app.command("worker")
def worker(
    storage: str = typer.Option(..., help=_STORAGE_HELP),
    study: str = typer.Option(..., help="Name of the running study to join."),
    threads: int | None = typer.Option(None, help="Intra-op threads of this worker."),
    index: int = typer.Option(0, help="Worker index (seed offset): distinct per worker."),
    heartbeat_interval: int = typer.Option(10, help="Seconds between heartbeats (URLs)."),
    grace_period: int | None = typer.Option(None, help="Seconds before a silent trial is stale."),
    max_retry: int = typer.Option(3, help="Retries of a dead trial (-1: unlimited)."),
) -> None:
    """Join a running study and run its trials until its budget is done."""
    from lossbalance.study import mask_url, open_storage, run_worker

    options = _storage_options(heartbeat_interval, grace_period, max_retry)
    st = open_storage(storage, **options)
    ran = run_worker(
        st,
        study,
        worker_index=index,
        threads=threads,
        max_retry=options["max_retry"],
        where=mask_url(storage),
    )
    _console().print(f"worker {index}: ran {ran} trial(s) of {study!r}")


@study_app.command("pareto")
def pareto(
    storage: str = typer.Option("lossbalance-studies.journal", help=_STORAGE_HELP),
    study: str = typer.Option(..., help="Study name."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the rows as JSON."),
) -> None:
    """Print the Pareto trials: parameters, every metric, tier reached."""
    from lossbalance.study._plots import _json_safe
    from lossbalance.study._results import pareto_table, pareto_trials, trials_frame

    if json_out is not None:
        check_output_path(json_out)
    st = _load(storage, study)
    _console().print(pareto_table(st))
    if json_out is not None:
        rows = trials_frame(st, pareto_trials(st)).to_dict(orient="records")
        write_text_atomic(json_out, json.dumps(_json_safe(rows), indent=2) + "\n")


@study_app.command("pick")
def pick(
    storage: str = typer.Option("lossbalance-studies.journal", help=_STORAGE_HELP),
    study: str = typer.Option(..., help="Study name."),
    where: list[str] = typer.Option([], "--where", help="Condition, e.g. 'validity>=0.95'."),
    maximize: str | None = typer.Option(None, help="Metric to maximise among those left."),
    minimize: str | None = typer.Option(None, help="Metric to minimise among those left."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the pick as JSON."),
) -> None:
    """Choose the trial meeting every --where condition that is best on one metric."""
    from rich.table import Table

    from lossbalance.study import parse_conditions
    from lossbalance.study._plots import _json_safe
    from lossbalance.study._results import pick_trial, study_objectives, trial_metrics

    conds = parse_conditions(where)
    if json_out is not None:
        check_output_path(json_out)
    st = _load(storage, study)
    chosen = pick_trial(st, conds, maximize=maximize, minimize=minimize)
    metrics = trial_metrics(chosen, study_objectives(st))
    table = Table(title=f"Trial {chosen.number} of {study!r}")
    table.add_column("name")
    table.add_column("value", justify="right")
    for key, value in chosen.params.items():
        table.add_row(f"param {key}", f"{value:.4g}" if isinstance(value, float) else str(value))
    for key, value in sorted(metrics.items()):
        table.add_row(key, f"{value:.4g}")
    console = _console()
    console.print(table)
    console.print(f"picked trial {chosen.number}")
    if json_out is not None:
        data = {"trial": chosen.number, "params": chosen.params, "metrics": metrics}
        write_text_atomic(json_out, json.dumps(_json_safe(data), indent=2) + "\n")


@study_app.command("plot")
def plot(
    storage: str = typer.Option("lossbalance-studies.journal", help=_STORAGE_HELP),
    study: str = typer.Option(..., help="Study name."),
    out: Path = typer.Option(..., help="Folder for the plots (created if missing)."),
    target: list[str] = typer.Option([], "--target", help="Target line, e.g. 'validity>=0.95'."),
) -> None:
    """Write the Pareto front (PNG, HTML), hypervolume history and importances."""
    from lossbalance.study import parse_conditions
    from lossbalance.study._plots import write_study_plots

    conds = parse_conditions(target, field="--target")
    check_output_path(out)
    st = _load(storage, study)
    console = _console()
    for key, path in write_study_plots(st, out, conds).items():
        console.print(f"{key}: {path}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.add_typer(study_app)
