"""One run: train a spec (or take a checkpoint), generate, evaluate, classify the tier.

Training goes through :func:`lossbalance.training.fit_cohort` (the trainer's own run
wiring: JSONL log, progress bar, checkpoints, resume from ``last.pt``) on the ``train``
split only. The final evaluation generates ``evaluation.patients`` patients with
``evaluation.sampling`` (seed ``evaluation.seed``, demographics drawn from ``train``)
from the run's ``best.pt`` (the checkpoint of the trainer's monitored quantity;
``last.pt`` when there is none) and scores them with :func:`score`: against a
reference split (``held_out`` for ``lossbalance run``, ``tuning`` in study trials),
with ``train`` for the floor sample and memorization (DESIGN.md "Evaluation protocol").
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from lossbalance._atomic import write_text_atomic
from lossbalance._errors import LossbalanceError
from lossbalance.experiment._cohorts import RunData
from lossbalance.experiment._rundir import (
    GENERATED_FILE,
    METRICS_FILE,
    OUTCOME_FILE,
    Outcome,
    RunDir,
    write_json,
)

if TYPE_CHECKING:
    from lossbalance.clinical import RuleSet
    from lossbalance.data import Cohort
    from lossbalance.metrics import MetricsResult
    from lossbalance.schedulers import WeightScheduler
    from lossbalance.spec import ExperimentSpec
    from lossbalance.training import Callback


@dataclass(frozen=True)
class Trained:
    """What training left: the checkpoint to evaluate and how training went."""

    checkpoint: Path
    epochs: int
    steps: int
    stop_reason: str | None
    seconds: float


def build_schedulers(spec: ExperimentSpec) -> list[WeightScheduler]:
    """One fresh weight scheduler per schedule of ``spec.losses`` (file schedules read).

    A joint schedule (``terms: [age, sex]``) is built once, for all its terms.
    """
    from lossbalance.spec import ScheduleFile

    out = []
    for term, loss in spec.losses.items():
        schedule = loss.schedule
        where = f"{spec.source}: losses.{term}.schedule"
        try:
            if isinstance(schedule, ScheduleFile):
                schedule = schedule.load()
            out.append(schedule.build(schedule.terms or (term,)))
        except LossbalanceError as exc:
            raise LossbalanceError(f"{where}: {exc}") from None
    return out


def train(
    spec: ExperimentSpec,
    run: RunDir,
    data: RunData,
    *,
    resume: bool,
    progress: bool,
    extra_callbacks: Sequence[Callback] = (),
) -> Trained:
    """Train ``spec`` on ``data.train`` into ``run`` (continuing from ``last.pt`` when
    ``resume``); nothing here reads ``data.tuning`` or ``data.held_out``.

    ``extra_callbacks`` join the trainer's own (a study's pruning reporter, say).
    """
    from lossbalance.training import BEST, LAST, fit_cohort

    start = time.perf_counter()
    trainer = fit_cohort(
        data.train,
        spec.model,
        spec.training,
        build_schedulers(spec),
        run.path,
        resume=resume,
        progress=progress,
        extra_callbacks=list(extra_callbacks),
    )
    best = run.file(BEST)
    return Trained(
        checkpoint=best if best.is_file() else run.file(LAST),
        epochs=trainer.state.epoch,
        steps=trainer.state.step,
        stop_reason=trainer.stop_reason,
        seconds=time.perf_counter() - start,
    )


def score(
    generated: Cohort,
    reference: Cohort,
    train: Cohort,
    *,
    top_k: int,
    seed: int,
    floor: bool = True,
    memorization: bool = True,
    rules: RuleSet | None = None,
) -> MetricsResult:
    """Score ``generated`` against a ``reference`` split, ``train`` for floor and memorization.

    The one place experiments and studies call :func:`lossbalance.metrics.evaluate`.
    ``floor=False`` and ``memorization=False`` skip those parts (a study's per-epoch
    pruning values need neither).
    """
    from lossbalance.metrics import evaluate

    return evaluate(
        generated,
        reference,
        train,
        top_k=top_k,
        seed=seed,
        floor=floor,
        memorization=memorization,
        rules=rules,
    )


def evaluate_checkpoint(
    checkpoint: Path,
    spec: ExperimentSpec,
    data: RunData,
    run: RunDir | None = None,
    *,
    reference: Literal["tuning", "held_out"] = "held_out",
) -> MetricsResult:
    """Generate from ``checkpoint`` as ``spec.evaluation`` says and :func:`score` the
    patients against the ``reference`` split (``held_out`` by default, ``tuning`` in
    study trials), with ``train`` for the floor and memorization.

    The generated cohort goes to ``run/generated.npz`` when ``run`` is given.
    """
    from lossbalance.model import generate
    from lossbalance.training import load_generator, run_numerics

    ev = spec.evaluation
    with run_numerics(spec.training):  # training.threads decides generation's numbers too
        model, _ = load_generator(checkpoint, spec.training.device)
        generated = generate(
            model, ev.patients, reference=data.train, sampling=ev.sampling, seed=ev.seed
        )
    if run is not None:
        generated.save(run.file(GENERATED_FILE))
    try:
        from lossbalance.clinical import load_rules

        rules = load_rules(ev.rules) if ev.rules is not None else None
        return score(
            generated,
            data.reference(reference),
            data.train,
            top_k=ev.top_k,
            seed=ev.seed,
            rules=rules,
        )
    except LossbalanceError as exc:
        raise LossbalanceError(f"{checkpoint}: evaluation: {exc}") from None


def finish(
    run: RunDir,
    spec: ExperimentSpec,
    metrics: MetricsResult,
    *,
    checkpoint: Path,
    trained: Trained | None,
    eval_seconds: float,
) -> Outcome:
    """Classify the tier and write ``outcome.json``, then ``metrics.json`` (the
    completion mark, so it goes last)."""
    from lossbalance.spec import classify_tier

    tier = classify_tier(spec, metrics.flat())
    outcome = Outcome(
        status="complete",
        tier=tier,
        checkpoint=str(checkpoint),
        epochs=trained.epochs if trained else None,
        steps=trained.steps if trained else None,
        stop_reason=trained.stop_reason if trained else None,
        train_seconds=round(trained.seconds, 3) if trained else 0.0,
        eval_seconds=round(eval_seconds, 3),
    )
    write_json(run.file(OUTCOME_FILE), outcome)
    write_text_atomic(run.file(METRICS_FILE), metrics.to_json() + "\n")
    return outcome


def fail(run: RunDir, error: str, trained: Trained | None = None) -> Outcome:
    """Write the ``outcome.json`` of a run that failed (no metrics: a resume reruns it)."""
    outcome = Outcome(
        status="failed",
        error=error,
        epochs=trained.epochs if trained else None,
        steps=trained.steps if trained else None,
        train_seconds=round(trained.seconds, 3) if trained else 0.0,
    )
    write_json(run.file(OUTCOME_FILE), outcome)
    return outcome


def read_metrics(run: RunDir) -> MetricsResult:
    """The ``metrics.json`` of a complete run (one line when damaged)."""
    from pydantic import ValidationError

    from lossbalance.metrics import MetricsResult

    path = run.file(METRICS_FILE)
    try:
        return MetricsResult.from_json(path.read_bytes())
    except FileNotFoundError:
        raise LossbalanceError(f"{path}: not found") from None
    except ValidationError as exc:
        first = str(exc).splitlines()[0]
        raise LossbalanceError(f"{path}: not a valid metrics file ({first})") from None
