"""``study confirm``: re-evaluate chosen trials on ``held_out`` with several seeds.

A trial's objectives are one generation sample scored on the split the study selects
on; the front read off them is optimistic and noisy. Confirmation (DESIGN.md
"Evaluation protocol") takes each chosen trial's kept checkpoint from Optuna's
artifact store (:mod:`lossbalance.study._checkpoints`), generates ``K`` cohorts with
``K`` fresh generation seeds (``evaluation.seed + 1 + k``, ``k < K``, default
``K = 5``: not the seed whose cohort the study selected on, whose luck, on validity
say, the selection favoured), scores each against ``held_out`` (the floor from
``train``), and records per metric the mean,
standard deviation (``ddof=1``) and the 95% Student-t interval
``mean +- t_{0.975, n-1} * std / sqrt(n)`` (``scipy.stats.t``; none for ``n = 1``).
With ``retrain = R`` the trial's spec is also trained again from ``R`` training seeds
(``training.seed + 1 .. + R``); each model's ``K`` cohorts are averaged and the
interval is over the ``R + 1`` model means (``n = R + 1``: training noise included).

Optuna refuses attributes on finished trials, so the result of trial ``N`` is the
study user attribute ``lossbalance:confirmed:N`` (compact JSON: settings and, per
metric, ``[mean, std, low, high, n]``), readable from any process (``study pareto``,
``pick``, ``plot``). The issue asked for trial user attributes, visible in
optuna-dashboard's trial view: Optuna's public API cannot write those once a trial
has finished (its storages raise ``UpdateFinishedTrialError``), so they are study
attributes instead. A rerun with the same settings skips
trials already confirmed (idempotent); other settings replace their record.
Bad input (no kept checkpoint, a trial that did not complete, ``seeds < 1``, an
unknown trial) raises before anything is generated or written.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import optuna
from optuna.trial import FrozenTrial, TrialState

from lossbalance._errors import LossbalanceError
from lossbalance.spec import Condition
from lossbalance.study._checkpoints import ARTIFACT_ATTR, CheckpointPolicy
from lossbalance.study._config import read_config
from lossbalance.study._objectives import Objective, condition_holds

if TYPE_CHECKING:
    from rich.table import Table

    from lossbalance.data import Cohort
    from lossbalance.spec import ExperimentSpec

#: Study user attribute prefix of a trial's confirmation record.
CONFIRMED_PREFIX = "lossbalance:confirmed:"
#: The split confirmation scores against.
REFERENCE_SPLIT = "held_out"
#: Confidence level of the stored intervals.
LEVEL = 0.95
#: Metrics a pick shows the confirmed interval of (when recorded).
TABLE_METRICS: tuple[str, ...] = (
    "validity",
    "coherence",
    "code_js",
    "top100",
    "distinct_ratio",
    "copy_rate",
    "mia_auc",
)


# --- data and evaluation: the one place that knows the split layout and the metrics API ---


def confirmation_data(spec: ExperimentSpec) -> tuple[Cohort, Cohort]:
    """``(reference, train)`` of a trial's spec: its ``held_out`` and ``train`` splits
    (the same splits its trials used: the simulator's independent reference draws, or
    the data's own splits)."""
    from lossbalance.study._experiment_trial import trial_data

    data = trial_data(spec)
    return data.held_out, data.train


def score_cohort(
    generated: Cohort, reference: Cohort, train: Cohort, spec: ExperimentSpec, seed: int
) -> dict[str, float]:
    """Every metric of ``generated`` against ``reference`` (G vs F), floor and
    memorization from ``train`` (:func:`lossbalance.metrics.evaluate`)."""
    from lossbalance.metrics import evaluate

    result = evaluate(
        generated, reference=reference, train=train, top_k=spec.evaluation.top_k, seed=seed
    )
    return {k: float(v) for k, v in result.flat().items()}


def _generate_scores(
    checkpoint: Path,
    spec: ExperimentSpec,
    reference: Cohort,
    train: Cohort,
    seeds: Sequence[int],
) -> list[dict[str, float]]:
    from lossbalance.model import generate
    from lossbalance.training import load_generator

    ev = spec.evaluation
    model, demographics = load_generator(checkpoint, spec.training.device)
    out = []
    for seed in seeds:
        generated = generate(
            model, ev.patients, reference=demographics, sampling=ev.sampling, seed=int(seed)
        )
        out.append(score_cohort(generated, reference, train, spec, int(seed)))
    return out


def _retrain(spec: ExperimentSpec, seed: int, folder: Path) -> Path:
    """Train ``spec`` again with training seed ``seed`` in ``folder``; its best checkpoint."""
    from lossbalance.experiment import RunDir, train_run
    from lossbalance.study._experiment_trial import trial_data

    training = spec.training.model_copy(update={"seed": int(seed)})
    again = spec.model_copy(update={"training": training})
    run = RunDir(folder, f"retrain-{seed}")
    run.path.mkdir(parents=True, exist_ok=True)
    trained = train_run(again, run, trial_data(again), resume=False, progress=False)
    return Path(trained.checkpoint)


# --- statistics ---


def summarize(samples: Sequence[float], level: float = LEVEL) -> list[float | None]:
    """``[mean, std, low, high, n]`` of the finite samples (Student-t interval).

    ``std`` uses ``ddof=1``; the interval is ``mean +- t.ppf((1+level)/2, n-1) * std /
    sqrt(n)``; with fewer than two finite samples std and interval are None.
    """
    from scipy import stats

    x = np.asarray([v for v in samples if v is not None and math.isfinite(v)], dtype=np.float64)
    n = int(x.size)
    if n == 0:
        return [None, None, None, None, 0]
    mean = float(x.mean())
    if n < 2:
        return [mean, None, None, None, n]
    std = float(x.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2.0, n - 1)) * std / math.sqrt(n)
    return [mean, std, mean - half, mean + half, n]


# --- selection and checks ---


def parse_trial_selection(text: str) -> str | list[int]:
    """``pareto``, ``all`` or trial numbers ``3,7``.

    Raises:
        LossbalanceError: anything else.
    """
    value = text.strip().lower()
    if value in ("pareto", "all"):
        return value
    try:
        numbers = [int(x) for x in value.split(",") if x.strip()]
    except ValueError:
        numbers = []
    if not numbers or any(n < 0 for n in numbers):
        raise LossbalanceError(
            f"--trials: expected pareto, all or trial numbers such as 3,7; got {text!r}"
        )
    return sorted(set(numbers))


def _policy(study: optuna.Study) -> CheckpointPolicy:
    config = read_config(study)
    policy = config.checkpoints
    if policy is None or policy.keep == "none" or policy.store is None:
        raise LossbalanceError(
            f"study {study.study_name!r} keeps no checkpoints (its spec's checkpoints.keep is "
            "none, or it ran before checkpoints were kept): nothing to confirm"
        )
    return policy


def _stored(store: optuna.artifacts.FileSystemArtifactStore, artifact: Any) -> bool:
    """Whether ``artifact`` (an id or None) is still in ``store``."""
    if not artifact:
        return False
    try:
        store.open_reader(str(artifact)).close()
    except (optuna.artifacts.exceptions.ArtifactNotFound, OSError):
        return False
    return True


def select_trials(
    study: optuna.Study,
    selection: str | list[int],
    store: optuna.artifacts.FileSystemArtifactStore,
    store_dir: str = "",
) -> list[FrozenTrial]:
    """The trials to confirm, checked: each COMPLETE with a checkpoint still in ``store``.

    Raises:
        LossbalanceError: an unknown trial number, a trial that did not complete, one
            without a kept checkpoint, or nothing to confirm.
    """
    from lossbalance.study._results import pareto_trials

    trials = {t.number: t for t in study.get_trials(deepcopy=False)}
    if selection == "pareto":
        chosen = pareto_trials(study)
    elif selection == "all":  # every completed trial whose checkpoint is still kept
        chosen = [
            t
            for t in sorted(trials.values(), key=lambda t: t.number)
            if t.state == TrialState.COMPLETE and _stored(store, t.user_attrs.get(ARTIFACT_ATTR))
        ]
    else:
        chosen = []
        for n in selection:
            if n not in trials:
                last = max(trials, default=-1)
                raise LossbalanceError(
                    f"--trials: study {study.study_name!r} has no trial {n} (trials 0 to {last})"
                )
            chosen.append(trials[n])
    if not chosen:
        raise LossbalanceError(
            f"--trials {selection if isinstance(selection, str) else ''}: study "
            f"{study.study_name!r} has no completed trial with a kept checkpoint to confirm"
        )
    for t in chosen:
        if t.state != TrialState.COMPLETE:
            reason = t.user_attrs.get("fail_reason")
            why = f" ({reason})" if reason else ""
            raise LossbalanceError(
                f"--trials: trial {t.number} of {study.study_name!r} is {t.state.name}{why}: "
                "only completed trials can be confirmed"
            )
        if not t.user_attrs.get(ARTIFACT_ATTR):
            raise LossbalanceError(
                f"--trials: trial {t.number} of {study.study_name!r} kept no checkpoint "
                "(the study's checkpoints setting keeps the Pareto set and the last few)"
            )
        if not _stored(store, t.user_attrs[ARTIFACT_ATTR]):
            raise LossbalanceError(
                f"--trials: trial {t.number}'s checkpoint is not in the artifact store "
                f"{store_dir} (removed when it left the Pareto set, or another machine's "
                "folder: set checkpoints.store to a shared folder)"
            )
    return chosen


# --- records ---


def confirmed_records(study: optuna.Study) -> dict[int, dict[str, Any]]:
    """Every confirmation record of ``study``, by trial number."""
    out: dict[int, dict[str, Any]] = {}
    for key, value in study.user_attrs.items():
        if key.startswith(CONFIRMED_PREFIX) and isinstance(value, dict):
            suffix = key[len(CONFIRMED_PREFIX) :]
            if suffix.isdigit():
                out[int(suffix)] = value
    return out


def confirmed_interval(record: Mapping[str, Any], metric: str) -> list[float | None] | None:
    """``[mean, std, low, high, n]`` of ``metric`` in a record, or None."""
    row = record.get("metrics", {}).get(metric)
    return list(row) if isinstance(row, list) and len(row) == 5 else None


def format_interval(row: Sequence[float | None] | None, *, with_n: bool = True) -> str:
    """``0.953 [0.948, 0.958] n=5``; ``-`` without a mean."""
    if row is None or row[0] is None:
        return "-"
    mean, _, low, high, n = row
    tail = f" n={n}" if with_n else ""
    if low is None or high is None:
        return f"{mean:.4g}{tail}"
    return f"{mean:.4g} [{low:.4g}, {high:.4g}]{tail}"


def confirmation_table(
    study: optuna.Study,
    trials: Sequence[FrozenTrial],
    records: Mapping[int, Mapping[str, Any]] | None = None,
) -> Table:
    """A rich table: per trial and objective the tuning value and the confirmed interval
    (``not confirmed`` where there is none)."""
    from rich.table import Table

    from lossbalance.study._results import study_objectives

    objectives = study_objectives(study)
    records = confirmed_records(study) if records is None else records
    table = Table(
        title=f"Held-out confirmation (mean [{LEVEL:.0%} t-interval] over n generation seeds)"
    )
    table.add_column("trial", justify="right")
    for o in objectives:
        table.add_column(f"{o.name} tuning", justify="right")
        table.add_column(f"{o.name} held_out", justify="right")
    table.add_column("n", justify="right")
    for t in trials:
        row = [str(t.number)]
        record = records.get(t.number)
        for i, o in enumerate(objectives):
            row.append(f"{t.values[i]:.4g}" if t.values else "-")
            if record is None:
                row.append("not confirmed")
            else:
                interval = confirmed_interval(record, o.name)
                row.append(format_interval(interval, with_n=False))
        if record is None:
            row.append("-")
        else:  # n generation seeds, or n models (training seeds) with --retrain
            retrained = " models" if record.get("training_seeds") else ""
            row.append(f"{record.get('n')}{retrained}")
        table.add_row(*row)
    return table


@dataclass(frozen=True)
class ConfirmedPoint:
    """A confirmed trial on the first two objectives: tuning value, held-out mean and the
    interval's half-widths below and above the mean (0 without an interval)."""

    number: int
    tuning: tuple[float, float]
    mean: tuple[float, float]
    below: tuple[float, float]
    above: tuple[float, float]
    n: int


def confirmed_points(
    study: optuna.Study, trials: Sequence[FrozenTrial], objectives: Sequence[Objective]
) -> list[ConfirmedPoint]:
    """The confirmed ones of ``trials`` on the first two objectives (for the plots)."""
    records = confirmed_records(study)
    out = []
    for t in trials:
        record = records.get(t.number)
        if record is None or not t.values:
            continue
        rows = [confirmed_interval(record, o.name) for o in objectives[:2]]
        if any(r is None or r[0] is None for r in rows):
            continue
        means = [float(r[0]) for r in rows if r is not None and r[0] is not None]
        below = [
            0.0 if r is None or r[2] is None else m - float(r[2])
            for r, m in zip(rows, means, strict=True)
        ]
        above = [
            0.0 if r is None or r[3] is None else float(r[3]) - m
            for r, m in zip(rows, means, strict=True)
        ]
        out.append(
            ConfirmedPoint(
                number=t.number,
                tuning=(float(t.values[0]), float(t.values[1])),
                mean=(means[0], means[1]),
                below=(below[0], below[1]),
                above=(above[0], above[1]),
                n=int(record.get("n", 0)),
            )
        )
    return out


def confirmed_floor(
    study: optuna.Study, objectives: Sequence[Objective]
) -> tuple[float, float] | None:
    """The held_out floor on the first two objectives: the mean of the confirmed
    records' ``floor_<objective>`` means, or None."""
    sums = []
    for o in objectives[:2]:
        vals = [
            float(row[0])
            for record in confirmed_records(study).values()
            if (row := confirmed_interval(record, f"floor_{o.name}")) is not None
            and row[0] is not None
        ]
        if not vals:
            return None
        sums.append(float(np.mean(vals)))
    return sums[0], sums[1]


@dataclass(frozen=True)
class Confirmation:
    """What ``confirm`` did for one trial: ``confirmed`` or ``skipped`` (already done)."""

    number: int
    status: str
    record: dict[str, Any]


def confirm_study(
    study: optuna.Study,
    *,
    trials: str | list[int] = "pareto",
    seeds: int = 5,
    retrain: int = 0,
    on_trial: Callable[[Confirmation], None] | None = None,
) -> list[Confirmation]:
    """Confirm the chosen trials on ``held_out`` (module docstring); one record each.

    Args:
        study: a study whose spec kept checkpoints.
        trials: ``pareto`` (default), ``all`` (every trial with a kept checkpoint) or
            trial numbers.
        seeds: generation seeds ``K`` (>= 1).
        retrain: training seeds ``R`` to train again from (>= 0).
        on_trial: called after each trial (progress display).

    Raises:
        LossbalanceError: bad settings, unknown or unfinished trials, no checkpoint;
            checked before anything runs or is written.
    """
    from lossbalance.study._experiment_trial import SPEC_ATTR, trial_spec

    if seeds < 1:
        raise LossbalanceError(f"--seeds: must be at least 1, got {seeds}")
    if retrain < 0:
        raise LossbalanceError(f"--retrain: must be at least 0, got {retrain}")
    policy = _policy(study)
    store = optuna.artifacts.FileSystemArtifactStore(policy.store or ".")
    chosen = select_trials(study, trials, store, policy.store or "")
    for t in chosen:
        if not isinstance(t.user_attrs.get(SPEC_ATTR), dict):
            raise LossbalanceError(
                f"--trials: trial {t.number} of {study.study_name!r} recorded no experiment spec"
            )
    done = confirmed_records(study)
    results: list[Confirmation] = []
    for t in chosen:
        spec = trial_spec(study, t.number)
        gen_seeds = [int(spec.evaluation.seed) + 1 + k for k in range(seeds)]
        train_seeds = [int(spec.training.seed) + 1 + r for r in range(retrain)]
        settings = {
            "reference": REFERENCE_SPLIT,
            "generation_seeds": gen_seeds,
            "training_seeds": train_seeds,
            "patients": int(spec.evaluation.patients),
        }
        old = done.get(t.number)
        if old is not None and all(old.get(k) == v for k, v in settings.items()):
            result = Confirmation(t.number, "skipped", old)
        else:
            record = _confirm_one(study, t, spec, store, settings)
            study.set_user_attr(f"{CONFIRMED_PREFIX}{t.number}", record)
            result = Confirmation(t.number, "confirmed", record)
        results.append(result)
        if on_trial is not None:
            on_trial(result)
    return results


def _confirm_one(
    study: optuna.Study,
    trial: FrozenTrial,
    spec: ExperimentSpec,
    store: optuna.artifacts.FileSystemArtifactStore,
    settings: dict[str, Any],
) -> dict[str, Any]:
    reference, train = confirmation_data(spec)
    gen_seeds: list[int] = settings["generation_seeds"]
    with tempfile.TemporaryDirectory(prefix="lossbalance-confirm-") as tmp:
        folder = Path(tmp)
        checkpoint = folder / "best.pt"
        optuna.artifacts.download_artifact(
            artifact_store=store,
            file_path=str(checkpoint),
            artifact_id=str(trial.user_attrs[ARTIFACT_ATTR]),
        )
        per_model = [_generate_scores(checkpoint, spec, reference, train, gen_seeds)]
        for seed in settings["training_seeds"]:
            again = _retrain(spec, seed, folder)
            per_model.append(_generate_scores(again, spec, reference, train, gen_seeds))
    names = sorted({k for scores in per_model for s in scores for k in s})
    metrics: dict[str, list[float | None]] = {}
    for name in names:
        if len(per_model) == 1:
            samples = [s.get(name, math.nan) for s in per_model[0]]
        else:  # the unit is the model: average its cohorts first
            samples = [
                float(np.nanmean([s.get(name, math.nan) for s in scores]))
                if any(math.isfinite(s.get(name, math.nan)) for s in scores)
                else math.nan
                for scores in per_model
            ]
        metrics[name] = summarize(samples)
    return {
        **settings,
        "unit": "training seed" if settings["training_seeds"] else "generation seed",
        "n": len(per_model) if len(per_model) > 1 else len(gen_seeds),
        "level": LEVEL,
        "metrics": metrics,
    }


# --- decisions on confirmed values ---


def pessimistic_value(row: Sequence[float | None], cond: Condition) -> float | None:
    """The interval's end a condition is judged on: the lower end for ``>=``/``>``, the
    upper for ``<=``/``<`` (the mean when there is no interval)."""
    mean, _, low, high, _ = row
    end = low if cond.op in (">=", ">") else high
    return end if end is not None else mean


def pick_confirmed(
    study: optuna.Study,
    where: Sequence[Condition] = (),
    *,
    maximize: str | None = None,
    minimize: str | None = None,
    objectives: Sequence[Objective] | None = None,
) -> tuple[FrozenTrial, list[str]]:
    """Like :func:`lossbalance.study.pick_trial`, on confirmed values where they exist.

    A confirmed trial meets ``where`` when the pessimistic end of its 95% interval
    does (:func:`pessimistic_value`) and ranks by its confirmed mean; a trial not
    confirmed is judged on its tuning values. Ties go to the lower trial number.

    Returns:
        The chosen trial and one line per decision saying which values it used.

    Raises:
        LossbalanceError: as ``pick_trial``.
    """
    from lossbalance.study._results import pick_target, study_objectives, trial_metrics

    target = pick_target(maximize, minimize)
    objectives = list(objectives) if objectives is not None else study_objectives(study)
    records = confirmed_records(study)
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    ok: list[tuple[float, int, FrozenTrial]] = []
    for t in complete:
        tuning = trial_metrics(t, objectives)
        record = records.get(t.number)
        judged: dict[str, float] = dict(tuning)
        if record is not None:
            for cond in where:
                row = confirmed_interval(record, cond.metric)
                if row is not None:
                    end = pessimistic_value(row, cond)
                    judged[cond.metric] = math.nan if end is None else float(end)
        if not all(condition_holds(c, judged) for c in where):
            continue
        row = confirmed_interval(record, target) if record is not None else None
        value = float(row[0]) if row is not None and row[0] is not None else tuning.get(target)
        if value is None or not math.isfinite(value):
            continue
        ok.append(((-value if maximize else value), t.number, t))
    if not ok:
        conds = " and ".join(str(c) for c in where) or "(no condition)"
        raise LossbalanceError(
            f"pick: no completed trial of {study.study_name!r} meets {conds} "
            f"with a value for {target} ({len(complete)} completed; confirmed trials are "
            "judged on their 95% interval's pessimistic end)"
        )
    chosen = min(ok, key=lambda x: (x[0], x[1]))[2]
    notes: list[str] = []
    record = records.get(chosen.number)
    if record is None:
        notes.append(
            f"trial {chosen.number} is not confirmed: decided on its tuning values "
            "(run `lossbalance study confirm` for held-out intervals)"
        )
    else:
        n, split = record.get("n"), record.get("reference", REFERENCE_SPLIT)
        for cond in where:
            row = confirmed_interval(record, cond.metric)
            if row is not None and row[2] is not None:
                side = "lower" if cond.op in (">=", ">") else "upper"
                notes.append(
                    f"{cond}: decided on the {LEVEL:.0%} interval's {side} end "
                    f"{pessimistic_value(row, cond):.4g} ({split}, n={n}), not the mean "
                    f"{row[0]:.4g}"
                )
        row = confirmed_interval(record, target)
        if row is not None:
            notes.append(f"{target}: ranked on the confirmed mean ({split}, n={n})")
    unconfirmed = sum(1 for t in complete if t.number not in records)
    if records and unconfirmed:
        notes.append(f"{unconfirmed} completed trial(s) not confirmed: judged on tuning values")
    return chosen, notes
