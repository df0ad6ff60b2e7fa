"""The real trial function: resolve an experiment spec, train, generate, evaluate.

One trial of the ``experiment`` problem (the default problem of ``lossbalance study
run``):

1. the sampled point (:class:`~lossbalance.study.ScheduleSearchSpace`) becomes a
   concrete :class:`~lossbalance.spec.ExperimentSpec`: the base spec with the
   searched terms' schedules replaced and the sampled generation settings written to
   ``evaluation.sampling`` and ``training.sampling`` (so the per-epoch evaluations
   the pruner reads sample as the final one does) (:func:`resolve_trial_spec`);
2. the trainer runs it (:func:`lossbalance.training.fit_cohort`) on the ``train``
   split only, in the trial's run folder; after every evaluation epoch
   (``training.eval_every``) a callback scores the patients the trainer just generated
   against the ``tuning`` split (``train`` for the floor) and hands those values to
   the study's ``report``, which may prune the trial (``optuna.TrialPruned`` leaves
   the trainer at once). The trainer's own per-epoch metrics (what early stopping
   and metric-triggered schedules read) are computed on train data, as before: the
   pruning values never reach the trainer;
3. the final evaluation generates ``evaluation.patients`` patients from the best
   checkpoint and scores them against ``tuning``, with ``train`` for the floor and
   memorization (:func:`lossbalance.experiment.evaluate_checkpoint` with
   ``reference="tuning"``), and the tier is classified as the experiment runner does.
   Objectives, constraints and pruning values all come from ``tuning``; ``held_out``
   is left for ``study confirm`` and reports (DESIGN.md "Evaluation protocol").

The run folder ``<runs_dir>/trial-NNNN/`` keeps what a runner's run folder keeps
(``spec.yaml``, ``log.jsonl`` with the weights per epoch, ``last.pt`` / ``best.pt``,
``generated.npz``, ``outcome.json``, ``metrics.json``) plus ``weights.jsonl``, the
weight of every term along training. The trial records ``spec`` (the resolved spec,
what ``study export`` writes), ``run_dir``, ``tier``, ``weights`` and ``evaluation``
(the reference split and the size of each split) as user attributes; the study
records every final metric (validity, coherence, diversity, memorization and their
floors) under ``metrics``. A NaN loss or any failure of training or evaluation fails the trial with
the reason; the study goes on.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import optuna

from lossbalance._atomic import write_text_atomic
from lossbalance._errors import LossbalanceError
from lossbalance.study._checkpoints import CHECKPOINT_ATTR
from lossbalance.study._schedule_space import ScheduleSearchSpace
from lossbalance.study._trial_function import ReportFn, TrialFailed
from lossbalance.training import Callback

if TYPE_CHECKING:
    from lossbalance.data import Cohort
    from lossbalance.experiment import RunData
    from lossbalance.spec import ExperimentSpec
    from lossbalance.training import Trainer, TrainState

#: Trial user attributes written by the experiment trial function.
SPEC_ATTR = "spec"
RUN_DIR_ATTR = "run_dir"
TIER_ATTR = "tier"
WEIGHTS_ATTR = "weights"
EVALUATION_ATTR = "evaluation"
ENVIRONMENT_ATTR = "environment"
WEIGHTS_FILE = "weights.jsonl"

#: At most this many points of a trial's weight trajectory are kept.
MAX_WEIGHT_POINTS = 200

# Workers share nothing but the storage: the run folder is the worker's own, and
# everything ``study pareto``, ``pick``, ``plot`` and ``export`` read is a trial user
# attribute (``spec``, ``tier``, ``weights`` with 6 significant digits, ``log_tail``;
# ``run_dir`` names the folder on the worker's machine, for reference).
#: Trial user attribute: the last :data:`LOG_TAIL_LINES` records of ``log.jsonl``,
#: recorded however training ends (complete, pruned, failed).
LOG_TAIL_ATTR = "log_tail"
#: The last this many lines of a trial's ``log.jsonl`` are recorded on the trial.
LOG_TAIL_LINES = 5
#: Upper bound on one recorded attribute's JSON: Optuna's RDB storage keeps user
#: attributes in a ``TEXT`` column, 65,535 bytes on MySQL (PostgreSQL and SQLite have
#: no such limit); the weights and the log tail are thinned to stay below it.
MAX_ATTR_BYTES = 60_000
#: The log tail's share of it (older lines are dropped first).
LOG_TAIL_BYTES = 16_000
#: Significant digits of the recorded weights and log values.
DIGITS = 6


def compact(value: Any, digits: int = DIGITS) -> Any:
    """``value`` with every float rounded to ``digits`` significant digits and
    non-finite floats as ``None`` (JSON-safe; weights take about half the bytes)."""
    if isinstance(value, float):
        return float(f"{value:.{digits}g}") if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): compact(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [compact(v, digits) for v in value]
    return value


def json_size(value: Any) -> int:
    """Bytes of ``value`` as Optuna's storages serialise it (``json.dumps``)."""
    return len(json.dumps(value).encode())


def stored_trajectory(traj: dict[str, Any], max_bytes: int = MAX_ATTR_BYTES) -> dict[str, Any]:
    """The weight trajectory as recorded: :func:`compact`, every other point dropped
    (the last one kept) until its JSON is below ``max_bytes``."""
    out = compact(traj)
    while json_size(out) > max_bytes and len(out["step"]) > 2:
        n = len(out["step"])
        keep = sorted({*range(0, n, 2), n - 1})
        out = {
            "step": [out["step"][i] for i in keep],
            "epoch": [out["epoch"][i] for i in keep],
            "weights": {t: [v[i] for i in keep] for t, v in out["weights"].items()},
        }
    return out


def log_tail(
    path: Path, lines: int = LOG_TAIL_LINES, max_bytes: int = LOG_TAIL_BYTES
) -> list[dict[str, Any]]:
    """The last ``lines`` records of a ``log.jsonl`` file, :func:`compact`, oldest
    dropped first while the JSON exceeds ``max_bytes``; ``[]`` when there is no log."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, UnicodeDecodeError):
        return []
    tail: list[dict[str, Any]] = []
    for line in text.splitlines()[-lines:]:
        try:
            record = json.loads(line)
        except ValueError:  # a line cut short by a killed process
            continue
        if isinstance(record, dict):
            tail.append(compact(record))
    while tail and json_size(tail) > max_bytes:
        tail.pop(0)
    return tail


def trial_base_spec(spec: ExperimentSpec) -> ExperimentSpec:
    """The part of an experiment spec a trial runs: no baseline, no fallback plans."""
    return spec.model_copy(update={"fallbacks": [], "baseline": None})


def resolve_trial_spec(
    base: ExperimentSpec, space: ScheduleSearchSpace, values: Mapping[str, Any]
) -> ExperimentSpec:
    """The concrete experiment spec of one sampled point.

    Every term the space searches loses the base's schedule first (so a family
    switch inherits nothing, and ``age+sex`` replaces separate ``age`` and ``sex``
    schedules), then gets the sampled one; the sampling settings go to
    ``evaluation.sampling`` and ``training.sampling``. Both steps go through
    :func:`lossbalance.spec.apply_override`.

    Raises:
        ValueError: a sampled combination the family rejects.
        LossbalanceError: the resolved spec does not validate.
    """
    from lossbalance.spec import apply_override

    point = space.resolve(values)
    cleared = {t: None for key in point.schedules for t in key.split("+")}
    spec = apply_override(trial_base_spec(base), {"losses": cleared}, where="study trial")
    losses: dict[str, Any] = {}
    for key, schedule in point.schedules.items():
        doc = schedule.model_dump(mode="json", exclude_none=True)
        if "+" not in key:
            doc.pop("terms", None)
        losses[key.split("+")[0]] = {"schedule": doc}
    override: dict[str, Any] = {"losses": losses}
    if point.sampling:
        override["evaluation"] = {"sampling": dict(point.sampling)}
        override["training"] = {"sampling": dict(point.sampling)}
    return apply_override(spec, override, where="study trial")


Scorer = Callable[["Cohort"], Mapping[str, float]]
"""Scores the patients generated at an evaluation epoch for the study (the pruning values)."""


class _StudyCallback(Callback):
    """Reports each evaluation to the study and keeps the weight trajectory.

    With a ``scorer``, the values reported are the scorer's (against ``tuning``) of the
    very patients the trainer generated for its own evaluation; the trainer's metrics
    (``state.metrics``) are not changed. Without one, the trainer's metrics are reported.
    """

    def __init__(self, report: ReportFn, run_path: Path, scorer: Scorer | None = None) -> None:
        self.report = report
        self.run_path = run_path
        self.scorer = scorer
        self.generated: Cohort | None = None
        self.every = 1
        self.steps: list[int] = []
        self.weights: dict[str, list[float]] = {}
        self.steps_per_epoch = 0

    def on_train_begin(self, trainer: Trainer, state: TrainState) -> None:
        if self.scorer is not None:
            own = trainer.evaluator

            def keep_generated(generated: Cohort) -> Mapping[str, float]:
                self.generated = generated
                return own(generated)

            trainer.evaluator = keep_generated
        self.steps_per_epoch = state.steps_per_epoch
        total = max(1, state.steps_per_epoch * trainer.config.epochs)
        self.every = max(1, math.ceil(total / MAX_WEIGHT_POINTS))

    def on_step_end(self, trainer: Trainer, state: TrainState) -> None:
        if state.step != 1 and state.step % self.every:
            return
        self.steps.append(int(state.step))
        for term, w in state.weights.items():
            self.weights.setdefault(term, []).append(float(w))

    def trajectory(self) -> dict[str, Any]:
        """The weights recorded so far: steps, epochs (fractional) and one list per term."""
        spe = max(self.steps_per_epoch, 1)
        return {
            "step": list(self.steps),
            "epoch": [round(s / spe, 4) for s in self.steps],
            "weights": {t: list(v) for t, v in self.weights.items()},
        }

    def flush(self) -> None:
        traj = self.trajectory()
        record = getattr(self.report, "record", None)
        if record is not None:
            record(WEIGHTS_ATTR, stored_trajectory(traj))
        lines = [
            json.dumps(
                {
                    "step": s,
                    "epoch": e,
                    "weights": {t: v[i] for t, v in traj["weights"].items()},
                },
                sort_keys=True,
            )
            for i, (s, e) in enumerate(zip(traj["step"], traj["epoch"], strict=True))
        ]
        write_text_atomic(self.run_path / WEIGHTS_FILE, "".join(f"{x}\n" for x in lines))

    def on_evaluation(self, trainer: Trainer, state: TrainState) -> None:
        self.flush()
        values = dict(state.metrics)
        if self.scorer is not None and self.generated is not None:
            values = dict(self.scorer(self.generated))
            self.generated = None
        self.report(state.epoch + 1, values)

    def on_train_end(self, trainer: Trainer, state: TrainState) -> None:
        # runs however training ends (done, pruned, NaN loss): the log is complete then
        self.flush()
        record = getattr(self.report, "record", None)
        if record is not None:
            from lossbalance.experiment._rundir import LOG_FILE

            record(LOG_TAIL_ATTR, log_tail(self.run_path / LOG_FILE))


_DATA: dict[str, RunData] = {}


def trial_data(spec: ExperimentSpec) -> RunData:
    """The splits of ``spec``, loaded once per process (every trial shares them)."""
    from lossbalance.experiment import CohortCache
    from lossbalance.experiment._cohorts import data_key

    key = data_key(spec)
    if key not in _DATA:
        _DATA[key] = CohortCache().get(spec)
    return _DATA[key]


def pruning_scorer(spec: ExperimentSpec, data: RunData) -> Scorer:
    """Scores an evaluation epoch's generated patients against ``tuning`` (``train`` for
    the floor; no memorization: the pruner reads the objectives only)."""
    from lossbalance.clinical import load_rules
    from lossbalance.experiment import score

    ev = spec.evaluation
    rules = load_rules(ev.rules) if ev.rules is not None else None

    def scorer(generated: Cohort) -> Mapping[str, float]:
        try:
            result = score(
                generated,
                data.tuning,
                data.train,
                top_k=ev.top_k,
                seed=ev.seed,
                memorization=False,
                rules=rules,
            )
        except LossbalanceError as exc:
            raise TrialFailed(f"evaluation against tuning: {exc}") from None
        return {k: float(v) for k, v in result.flat().items()}

    return scorer


def evaluation_record(data: RunData) -> dict[str, Any]:
    """The ``evaluation`` user attribute: reference split, split sizes and origin."""
    return {
        "reference": "tuning",
        "train_patients": data.train.n_patients,
        "tuning_patients": data.tuning.n_patients,
        "held_out_patients": data.held_out.n_patients,
        "splits": data.origin,
    }


@dataclass(frozen=True)
class ExperimentTrialFunction:
    """Train, generate and evaluate one sampled point of a schedule search space.

    Picklable (plain data): spawned study workers rebuild it from the study's stored
    problem options.

    Args:
        base: the base experiment spec as a document (``spec_to_dict``; paths absolute).
        space: the schedule search space as a document (``ScheduleSearchSpace``).
        runs_dir: folder of the trials' run folders (created).
    """

    base: dict[str, Any]
    space: dict[str, Any]
    runs_dir: str
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def base_spec(self) -> ExperimentSpec:
        """The validated base spec."""
        from lossbalance.spec import parse_spec

        if "base" not in self._cache:
            self._cache["base"] = parse_spec(self.base, source="study base spec")
        spec: ExperimentSpec = self._cache["base"]
        return spec

    def search_space(self) -> ScheduleSearchSpace:
        """The validated schedule search space."""
        if "space" not in self._cache:
            self._cache["space"] = ScheduleSearchSpace.from_mapping(self.space, "study space")
        space: ScheduleSearchSpace = self._cache["space"]
        return space

    def __call__(self, params: Mapping[str, Any], report: ReportFn) -> dict[str, float]:
        """Run one trial (see the module docstring); return every final metric."""
        from lossbalance.experiment import RunDir, evaluate_checkpoint, finish_run, train_run
        from lossbalance.experiment._rundir import RUN_FILES, SPEC_FILE
        from lossbalance.spec import apply_override, dump_spec, spec_digest, spec_to_dict
        from lossbalance.training import run_environment, write_environment

        try:
            spec = resolve_trial_spec(self.base_spec(), self.search_space(), params)
            if spec.training.threads is None:
                # the worker's thread share decides the numbers: the spec says it, so
                # that an exported trial reruns to the same metrics
                threads = {"threads": run_environment(spec.training)["threads"]}
                spec = apply_override(spec, {"training": threads}, where="study trial")
        except (ValueError, LossbalanceError) as exc:
            raise TrialFailed(f"resolving the spec: {exc}") from None
        number = getattr(report, "number", None)
        name = (
            f"trial-{number:04d}" if isinstance(number, int) else f"trial-{spec_digest(spec)[:12]}"
        )
        run = RunDir(Path(self.runs_dir), name)
        run.path.mkdir(parents=True, exist_ok=True)
        for stale in (*RUN_FILES, WEIGHTS_FILE):  # a folder left by a deleted storage
            run.file(stale).unlink(missing_ok=True)
        dump_spec(spec, run.file(SPEC_FILE))
        write_environment(run.path, spec.training)
        record = getattr(report, "record", None)
        if record is not None:
            record(SPEC_ATTR, spec_to_dict(spec))
            record(RUN_DIR_ATTR, str(run.path))
            record(ENVIRONMENT_ATTR, run_environment(spec.training))
        data = trial_data(spec)
        if record is not None:
            record(EVALUATION_ATTR, evaluation_record(data))
        callback = _StudyCallback(report, run.path, pruning_scorer(spec, data))
        try:
            trained = train_run(
                spec, run, data, resume=False, progress=False, extra_callbacks=[callback]
            )
        except optuna.TrialPruned:
            raise
        except LossbalanceError as exc:
            raise TrialFailed(f"training: {exc}") from None
        start = time.perf_counter()
        try:
            metrics = evaluate_checkpoint(trained.checkpoint, spec, data, run, reference="tuning")
        except LossbalanceError as exc:
            raise TrialFailed(f"evaluation: {exc}") from None
        outcome = finish_run(
            run,
            spec,
            metrics,
            checkpoint=trained.checkpoint,
            trained=trained,
            eval_seconds=time.perf_counter() - start,
        )
        if record is not None:
            record(TIER_ATTR, outcome.tier)
            record(CHECKPOINT_ATTR, str(trained.checkpoint))
        return {k: float(v) for k, v in metrics.flat().items()}


def experiment_problem(options: Mapping[str, Any]) -> Any:
    """The ``experiment`` problem: options ``base`` (spec document), ``space``
    (search-space document, default :func:`default_schedule_space`) and ``runs_dir``.

    Loads the base spec's cohort now, so a data error stops the study before its
    first trial.
    """
    from lossbalance.study._problems import Problem
    from lossbalance.study._schedule_space import default_schedule_space

    unknown = sorted(set(options) - {"base", "space", "runs_dir"})
    if unknown:
        raise LossbalanceError(f"problem experiment: unknown option {unknown[0]!r}")
    if "base" not in options or "runs_dir" not in options:
        raise LossbalanceError("problem experiment: needs the options base and runs_dir")
    space = options.get("space") or default_schedule_space().model_dump(mode="json")
    function = ExperimentTrialFunction(
        base=dict(options["base"]), space=dict(space), runs_dir=str(options["runs_dir"])
    )
    base = function.base_spec()
    trial_data(base)
    return Problem(space=function.search_space().to_search_space(), function=function)


def trial_spec(study: optuna.Study, number: int) -> ExperimentSpec:
    """The resolved experiment spec recorded on trial ``number``, named after it.

    Raises:
        LossbalanceError: no such trial, or a trial without a recorded spec (a toy
            trial, or one that failed before its spec was resolved).
    """
    from lossbalance.spec import SpecOrigin, parse_spec
    from lossbalance.study._workers import METRICS_ATTR

    found = [t for t in study.get_trials(deepcopy=False) if t.number == number]
    if not found:
        last = len(study.get_trials(deepcopy=False)) - 1
        raise LossbalanceError(
            f"--trial: study {study.study_name!r} has no trial {number} (trials 0 to {last})"
        )
    doc = found[0].user_attrs.get(SPEC_ATTR)
    if not isinstance(doc, dict):
        raise LossbalanceError(
            f"--trial: trial {number} of {study.study_name!r} recorded no experiment spec "
            f"(state {found[0].state.name}; toy trials and trials that failed before "
            "training have none)"
        )
    spec = parse_spec(doc, source=f"trial {number} of {study.study_name!r}")
    named = f"{spec.name}-trial-{number}"
    origin = SpecOrigin(
        run=f"trial {number} of study {study.study_name!r}",
        metrics=found[0].user_attrs.get(METRICS_ATTR) or {},
        environment=found[0].user_attrs.get(ENVIRONMENT_ATTR) or {},
        reference="tuning",  # trials select on tuning (evaluate_checkpoint's reference)
    )
    return spec.model_copy(
        update={
            "name": named,
            "description": f"study {study.study_name!r}, trial {number}",
            "origin": origin,
        }
    )


def export_trial_spec(study: optuna.Study, number: int, out: str | Path) -> Path:
    """Write trial ``number``'s experiment spec to ``out`` (YAML that ``lossbalance run``
    and ``lossbalance spec validate`` accept); returns the path."""
    from lossbalance.spec import dump_spec

    return dump_spec(trial_spec(study, number), out)
