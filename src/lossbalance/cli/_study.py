"""CLI commands: ``lossbalance study run | worker | pareto | pick | plot | confirm | export``.

A thin layer over :mod:`lossbalance.study`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from lossbalance._atomic import check_output_path, write_text_atomic
from lossbalance._errors import LossbalanceError
from lossbalance.study._storage import DEFAULT_STORAGE, is_url, mask_url

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


def _load(storage: str, study: str | None) -> Any:
    """Open ``study`` in ``storage``; without a name, the storage's only study."""
    import optuna

    from lossbalance.study import load_existing_study, open_storage

    where = mask_url(storage)
    if not is_url(storage) and not Path(storage).is_file():
        raise LossbalanceError(f"--storage: {storage}: no such journal file")
    st = open_storage(storage)
    if study is None:
        names = sorted(s.study_name for s in optuna.get_all_study_summaries(st))
        if len(names) != 1:
            raise LossbalanceError(
                f"--study: {where} holds {len(names)} studies "
                f"({', '.join(names) or 'none'}); name one"
            )
        study = names[0]
    return load_existing_study(st, study, where)


def _study_folder(storage: str) -> Path:
    """Where a study's run folders and plots go: beside a journal file, else the
    default folder."""
    from lossbalance.study import DEFAULT_FOLDER
    from lossbalance.study._storage import is_url

    return Path(DEFAULT_FOLDER) if is_url(storage) else Path(storage).parent


def _print_log_summary(console: Console, trial: Any) -> None:
    """Print the last logged epoch of ``trial`` as the storage holds it (if recorded)."""
    from lossbalance.study._results import log_summary

    line = log_summary(trial)
    if line is not None:
        console.print(line)


def _stored_record(study: Any, trial: Any) -> dict[str, Any]:
    """Everything the storage holds about ``trial`` (``study pick --json``)."""
    from lossbalance.study._results import study_objectives, trial_record

    return trial_record(trial, study_objectives(study))


@study_app.command("run")
def run(
    spec_file: Path | None = typer.Argument(
        None, help="Study spec YAML (default: the built-in study, studies/default.yaml)."
    ),
    objectives: str | None = typer.Option(
        None, help="Comma-separated metrics, each optionally :maximize/:minimize."
    ),
    constraint: list[str] = typer.Option(
        [], "--constraint", help="Feasibility condition such as 'validity>=0.90' (repeatable)."
    ),
    target: list[str] = typer.Option(
        [], "--target", help="Target drawn on the Pareto front, e.g. 'validity>=0.95'."
    ),
    trials: int | None = typer.Option(None, min=1, help="Budget: COMPLETE + PRUNED trials."),
    timeout: float | None = typer.Option(None, help="Wall-time budget per worker, seconds."),
    storage: str = typer.Option(DEFAULT_STORAGE, help=_STORAGE_HELP),
    study: str | None = typer.Option(None, help="Study name (default: the objective names)."),
    sampler: str | None = typer.Option(None, help="auto, tpe, nsga2, gp or random."),
    seed: int | None = typer.Option(None, help="Sampler seed (worker i uses seed + i)."),
    workers: int = typer.Option(1, help="Worker processes on this machine."),
    threads: int | None = typer.Option(
        None, help="Threads for the whole study, shared by the workers (default: 1 per worker)."
    ),
    prune: bool | None = typer.Option(None, "--prune/--no-prune", help="Multi-objective pruning."),
    min_dominating: int | None = typer.Option(
        None, help="Dominating completed trials needed to prune."
    ),
    prune_fraction: float | None = typer.Option(
        None, help="Prune when this fraction of completed trials dominates (instead)."
    ),
    warmup_trials: int | None = typer.Option(None, help="Completed trials before any pruning."),
    warmup_epochs: int | None = typer.Option(None, help="No pruning at epochs <= this."),
    runs_dir: Path | None = typer.Option(
        None, help="Folder of the trials' run folders (default: <study folder>/<study>/runs)."
    ),
    toy: bool = typer.Option(
        False, "--toy", help="Synthetic trial function instead of train/generate/evaluate."
    ),
    toy_epochs: int = typer.Option(6, min=1, help="Epochs of the --toy trial function."),
    toy_epoch_seconds: float = typer.Option(0.0, min=0.0, help="Cost of one --toy epoch."),
    out: Path | None = typer.Option(
        None, help="Plot folder (default: <study folder>/<study>/plots)."
    ),
    plots: bool = typer.Option(True, "--plots/--no-plots", help="Write the plots at the end."),
    heartbeat_interval: int = typer.Option(10, help="Seconds between heartbeats (URLs)."),
    grace_period: int | None = typer.Option(None, help="Seconds before a silent trial is stale."),
    max_retry: int = typer.Option(3, help="Retries of a dead trial (-1: unlimited)."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Run (or continue) a study to its budget and print its Pareto trials.

    Without SPEC_FILE: the built-in study (simulated cohort, tiny generator, 24
    trials or 330 s) in ./lossbalance-study/. Running it again continues the same
    study: trials already done count towards the budget.
    """
    from pydantic import ValidationError
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    from lossbalance.study import (
        StudyConfig,
        default_study_spec,
        load_study_spec,
        parse_conditions,
        run_study,
        trial_counts,
    )
    from lossbalance.study._results import pareto_table
    from lossbalance.study._sampler import SAMPLERS
    from lossbalance.study._storage import is_url

    if sampler is not None and sampler not in SAMPLERS:
        raise LossbalanceError(f"--sampler: unknown {sampler!r} (known: {', '.join(SAMPLERS)})")
    if workers < 1:
        raise LossbalanceError(f"--workers: must be at least 1, got {workers}")
    spec = load_study_spec(spec_file) if spec_file is not None else default_study_spec()
    update: dict[str, Any] = {}
    if objectives is not None:
        update["objectives"] = objectives.split(",")
    if constraint:
        update["constraints"] = parse_conditions(constraint, field="--constraint")
    if target:
        update["targets"] = parse_conditions(target, field="--target")
    if study is not None:
        update["name"] = study
    budget = {k: v for k, v in {"trials": trials, "wall_time_s": timeout}.items() if v is not None}
    sampler_set = {k: v for k, v in {"name": sampler, "seed": seed}.items() if v is not None}
    pruner_set = {
        k: v
        for k, v in {
            "enabled": prune,
            "min_dominating": min_dominating,
            "fraction": prune_fraction,
            "warmup_trials": warmup_trials,
            "warmup_epochs": warmup_epochs,
        }.items()
        if v is not None
    }
    doc = spec.model_dump(mode="json", exclude={"name"} if study is None else set())
    doc.update({k: v for k, v in update.items() if k not in ("constraints", "targets")})
    for key in ("constraints", "targets"):
        if key in update:
            doc[key] = [str(c) for c in update[key]]
    doc["budget"] = {**doc["budget"], **budget}
    doc["sampler"] = {**doc["sampler"], **sampler_set}
    doc["pruner"] = {**doc["pruner"], **pruner_set}
    if study is None and spec.name is not None and objectives is None:
        doc["name"] = spec.name
    from lossbalance.study._study_spec import parse_study_spec

    given = {
        "objectives": ("--objectives", objectives is not None),
        "budget.trials": ("--trials", trials is not None),
        "budget.wall_time_s": ("--timeout", timeout is not None),
        "pruner.min_dominating": ("--min-dominating", min_dominating is not None),
        "pruner.fraction": ("--prune-fraction", prune_fraction is not None),
        "pruner.warmup_trials": ("--warmup-trials", warmup_trials is not None),
        "pruner.warmup_epochs": ("--warmup-epochs", warmup_epochs is not None),
    }
    try:
        spec = parse_study_spec(doc, source=spec.source, folder=spec._folder)
    except LossbalanceError as exc:
        # a value from the command line: name the option rather than the spec field
        field, _, rest = str(exc).removeprefix(f"{spec.source}: ").partition(": ")
        flag, from_option = given.get(field, ("", False))
        raise LossbalanceError(f"{flag}: {rest}" if from_option else str(exc)) from None
    name = spec.study_name()
    if storage == DEFAULT_STORAGE and not is_url(storage):
        Path(storage).parent.mkdir(parents=True, exist_ok=True)
    folder = _study_folder(storage) / name
    plot_dir = out if out is not None else folder / "plots"
    if out is None and plots and (folder.parent.is_dir() or is_url(storage)):
        folder.mkdir(parents=True, exist_ok=True)  # a URL's plots: ./lossbalance-study/
    if plots:
        check_output_path(plot_dir)
    if toy:
        try:
            config = StudyConfig(
                objectives=spec.parsed_objectives(),
                constraints=list(spec.constraints),
                n_trials=spec.budget.trials,
                timeout_s=spec.budget.wall_time_s if timeout is not None else None,
                sampler=spec.sampler.name,
                seed=spec.sampler.seed,
                pruner=spec.pruner.build(),
                problem="toy",
                problem_options={"epochs": toy_epochs, "epoch_seconds": toy_epoch_seconds},
            )
        except ValidationError as exc:
            err = exc.errors()[0]
            field = "--" + str(err["loc"][-1]).replace("_", "-") if err["loc"] else "study"
            raise LossbalanceError(f"{field}: {err['msg']}") from None
    else:
        config = spec.to_config(runs_dir if runs_dir is not None else folder / "runs")
    options = _storage_options(heartbeat_interval, grace_period, max_retry)
    console = _console()
    if not quiet:
        where = "the toy problem" if toy else config.problem_options["runs_dir"]
        limit = f" or {config.timeout_s:g} s" if config.timeout_s else ""
        console.print(
            f"study {name!r} in {mask_url(storage)}: {config.n_trials} trials{limit}, "
            f"objectives {', '.join(str(o) for o in config.objectives)}; runs: {where}"
        )
    live = console.is_terminal and not console.is_dumb_terminal  # else plain lines
    started = time.monotonic()
    with Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=quiet or not live,
        transient=False,
    ) as progress:
        task = progress.add_task(f"study {name}", total=config.n_trials)
        shown: list[str] = []

        def show(st: Any) -> None:
            c = trial_counts(st)
            front = len(st.best_trials) if c.complete else 0
            text = (
                f"{c.complete} complete, {c.pruned} pruned, {c.failed} failed, "
                f"{c.running} running, front {front}"
            )
            progress.update(task, completed=min(c.done, config.n_trials), description=text)
            if not live and shown[-1:] != [text]:  # a CI log: a line per change
                shown.append(text)
                console.print(
                    f"trials {min(c.done, config.n_trials)}/{config.n_trials}: {text} "
                    f"({time.monotonic() - started:.0f} s)",
                    highlight=False,
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
    counts = trial_counts(result)
    if counts.done >= config.n_trials:
        console.print(
            f"study {name!r}: budget of {config.n_trials} trials reached "
            f"({counts.complete} complete, {counts.pruned} pruned, {counts.failed} failed); "
            "run again with a larger --trials to continue it"
        )
    else:
        console.print(
            f"study {name!r}: wall time reached after {counts.done} of {config.n_trials} "
            "trials; run again to continue it"
        )
    if plots and counts.complete:
        from lossbalance.study._plots import write_study_plots

        written = write_study_plots(result, plot_dir, list(spec.targets))
        for key, path in written.items():
            console.print(f"{key}: {path}")
    if not toy and counts.complete:
        console.print(
            f"export a trial: lossbalance study export --storage {mask_url(storage)} "
            f"--study {name} --trial N --out trial.yaml"
        )
        console.print(
            f"confirm the Pareto trials on held_out: lossbalance study confirm --storage "
            f"{mask_url(storage)} --study {name} --seeds 5"
        )


@study_app.command("worker")
def worker(
    storage: str = typer.Option(..., help=_STORAGE_HELP),
    study: str = typer.Option(..., help="Name of the running study to join."),
    threads: int = typer.Option(1, min=1, help="Intra-op threads of this worker."),
    index: int = typer.Option(0, help="Worker index (seed offset): distinct per worker."),
    heartbeat_interval: int = typer.Option(10, help="Seconds between heartbeats (URLs)."),
    grace_period: int | None = typer.Option(None, help="Seconds before a silent trial is stale."),
    max_retry: int = typer.Option(3, help="Retries of a dead trial (-1: unlimited)."),
    runs_dir: Path | None = typer.Option(
        None,
        help="This worker's folder of run folders (default for a URL: "
        "lossbalance-study/<study>/runs in the working directory; for a journal file: "
        "the study's own).",
    ),
) -> None:
    """Join a running study and run its trials until its budget is done.

    A worker shares nothing but the storage with the others: its run folders are
    its own (--runs-dir); what `study pareto`, `pick`, `plot` and `export` read is
    recorded in the storage.
    """
    from lossbalance.study import DEFAULT_FOLDER, mask_url, open_storage, run_worker

    options = _storage_options(heartbeat_interval, grace_period, max_retry)
    folder = runs_dir
    if folder is None and is_url(storage):  # another machine: not the creator's folder
        folder = Path(DEFAULT_FOLDER) / study / "runs"
    st = open_storage(storage, **options)
    ran = run_worker(
        st,
        study,
        worker_index=index,
        threads=threads,
        max_retry=options["max_retry"],
        where=mask_url(storage),
        runs_dir=folder,
    )
    done = f"worker {index}: ran {ran} trial(s) of {study!r}"
    _console().print(f"{done}; run folders in {folder}" if folder and folder.is_dir() else done)


def _add_confirmed_rows(table: Any, record: dict[str, Any] | None) -> None:
    """``confirmed <metric>`` rows (held_out mean [95% interval] n) of a pick's table."""
    from lossbalance.study._confirm import TABLE_METRICS, confirmed_interval, format_interval

    if record is None:
        table.add_row("confirmed", "no (tuning values only)")
        return
    split = record.get("reference", "held_out")
    for name in TABLE_METRICS:
        row = confirmed_interval(record, name)
        if row is not None and row[0] is not None:
            table.add_row(f"confirmed {name} ({split})", format_interval(row))


def _print_confirmed(console: Console, st: Any, trials: list[Any], storage: str) -> None:
    """The held_out values of ``trials`` where confirmed; a hint for the others."""
    from lossbalance.study._confirm import confirmation_table, confirmed_records

    if not trials:
        return
    records = confirmed_records(st)
    console.print(confirmation_table(st, trials, records))
    missing = [t.number for t in trials if t.number not in records]
    if missing:
        console.print(
            f"{len(missing)} of {len(trials)} Pareto trial(s) not confirmed on held_out: "
            f"lossbalance study confirm --storage {mask_url(storage)} --study {st.study_name}"
        )


@study_app.command("pareto")
def pareto(
    storage: str = typer.Option(DEFAULT_STORAGE, help=_STORAGE_HELP),
    study: str | None = typer.Option(None, help="Study name (default: the only one)."),
    json_out: Path | None = typer.Option(None, "--json", help="Also write the rows as JSON."),
) -> None:
    """Print the Pareto trials: parameters, every metric, tier reached, and their
    held_out values where confirmed (`study confirm`), marking those not confirmed.

    Warns when a Pareto trial's numeric parameter sits within 5% of its range's edge.
    """
    from lossbalance.study._plots import _json_safe
    from lossbalance.study._results import pareto_table, pareto_trials, trials_frame

    if json_out is not None:
        check_output_path(json_out)
    from lossbalance.study._schedule_space import edge_warnings

    st = _load(storage, study)
    console = _console()
    console.print(pareto_table(st))
    _print_confirmed(console, st, pareto_trials(st), storage)
    for line in edge_warnings(pareto_trials(st)):
        console.print(f"warning: {line}")
    if json_out is not None:
        from lossbalance.study._confirm import confirmed_records

        rows = trials_frame(st, pareto_trials(st)).to_dict(orient="records")
        records = confirmed_records(st)
        for row in rows:
            row["confirmed"] = records.get(int(row["trial"]))
        write_text_atomic(json_out, json.dumps(_json_safe(rows), indent=2) + "\n")


@study_app.command("pick")
def pick(
    storage: str = typer.Option(DEFAULT_STORAGE, help=_STORAGE_HELP),
    study: str | None = typer.Option(None, help="Study name (default: the only one)."),
    where: list[str] = typer.Option([], "--where", help="Condition, e.g. 'validity>=0.95'."),
    maximize: str | None = typer.Option(None, help="Metric to maximise among those left."),
    minimize: str | None = typer.Option(None, help="Metric to minimise among those left."),
    json_out: Path | None = typer.Option(
        None, "--json", help="Also write the pick (metrics, spec, log tail, weights) as JSON."
    ),
) -> None:
    """Choose the trial meeting every --where condition that is best on one metric.

    A trial confirmed on held_out (`study confirm`) is judged on its 95% interval's
    pessimistic end (the lower end for >=) and ranked on its confirmed mean; the
    output says which values decided.
    """
    from rich.table import Table

    from lossbalance.study import parse_conditions
    from lossbalance.study._confirm import confirmed_records, pick_confirmed
    from lossbalance.study._plots import _json_safe
    from lossbalance.study._results import study_objectives, trial_metrics

    conds = parse_conditions(where)
    if json_out is not None:
        check_output_path(json_out)
    st = _load(storage, study)
    chosen, notes = pick_confirmed(st, conds, maximize=maximize, minimize=minimize)
    confirmed = confirmed_records(st).get(chosen.number)
    metrics = trial_metrics(chosen, study_objectives(st))
    table = Table(title=f"Trial {chosen.number} of {st.study_name!r}")
    table.add_column("name")
    table.add_column("value", justify="right")
    for key, value in chosen.params.items():
        table.add_row(f"param {key}", f"{value:.4g}" if isinstance(value, float) else str(value))
    for key, value in sorted(metrics.items()):
        table.add_row(key, f"{value:.4g}")
    _add_confirmed_rows(table, confirmed)
    console = _console()
    _print_log_summary(console, chosen)
    console.print(table)
    for note in notes:
        console.print(note)
    console.print(f"picked trial {chosen.number}")
    if json_out is not None:
        data = {**_stored_record(st, chosen), "metrics": metrics, "confirmed": confirmed}
        write_text_atomic(json_out, json.dumps(_json_safe(data), indent=2) + "\n")


@study_app.command("plot")
def plot(
    storage: str = typer.Option(DEFAULT_STORAGE, help=_STORAGE_HELP),
    study: str | None = typer.Option(None, help="Study name (default: the only one)."),
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


@study_app.command("confirm")
def confirm(
    spec_file: Path | None = typer.Argument(
        None, help="Study spec YAML naming the study (default: --study, or the only one)."
    ),
    storage: str = typer.Option(DEFAULT_STORAGE, help=_STORAGE_HELP),
    study: str | None = typer.Option(
        None, help="Study name (default: the spec's, or the only one)."
    ),
    trials: str = typer.Option(
        "pareto", help="pareto, all (every trial with a kept checkpoint) or numbers: 3,7."
    ),
    seeds: int = typer.Option(5, help="Generation seeds: cohorts generated per trial."),
    retrain: int = typer.Option(0, help="Also train again from this many training seeds."),
) -> None:
    """Re-evaluate trials on held_out from their kept checkpoints: mean, std and 95%
    interval of every metric over several seeds, stored on the study.

    Rerunning with the same settings skips trials already confirmed.
    """
    from lossbalance.study import load_study_spec
    from lossbalance.study._confirm import (
        confirm_study,
        confirmation_table,
        parse_trial_selection,
    )

    if seeds < 1:
        raise LossbalanceError(f"--seeds: must be at least 1, got {seeds}")
    if retrain < 0:
        raise LossbalanceError(f"--retrain: must be at least 0, got {retrain}")
    selection = parse_trial_selection(trials)
    if study is None and spec_file is not None:
        study = load_study_spec(spec_file).study_name()
    st = _load(storage, study)
    console = _console()

    def show(result: Any) -> None:
        what = "already confirmed" if result.status == "skipped" else "confirmed"
        console.print(f"trial {result.number}: {what} on {result.record.get('reference')}")

    results = confirm_study(st, trials=selection, seeds=seeds, retrain=retrain, on_trial=show)
    by_number = {t.number: t for t in st.get_trials(deepcopy=False)}
    records = {r.number: r.record for r in results}
    console.print(confirmation_table(st, [by_number[r.number] for r in results], records))


@study_app.command("export")
def export(
    trial: int = typer.Option(..., help="Trial number (see study pareto)."),
    out: Path = typer.Option(..., help="Experiment spec YAML to write."),
    storage: str = typer.Option(DEFAULT_STORAGE, help=_STORAGE_HELP),
    study: str | None = typer.Option(None, help="Study name (default: the only one)."),
) -> None:
    """Write a trial's resolved experiment spec: `lossbalance run OUT` reruns it."""
    from lossbalance.study import export_trial_spec

    check_output_path(out)
    st = _load(storage, study)
    path = export_trial_spec(st, trial, out)
    _console().print(
        f"wrote {path} (trial {trial} of {st.study_name!r}); run it: lossbalance run {path}"
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.add_typer(study_app)
