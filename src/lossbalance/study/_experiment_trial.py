"""The real trial function: resolve an experiment spec, train, generate, evaluate.

One trial of the ``experiment`` problem (the default problem of ``lossbalance study
run``):

1. the sampled point (:class:`~lossbalance.study.ScheduleSearchSpace`) becomes a
   concrete :class:`~lossbalance.spec.ExperimentSpec`: the base spec with the
   searched terms' schedules replaced and the sampled generation settings written to
   ``evaluation.sampling`` and ``training.sampling`` (so the per-epoch evaluations
   the pruner reads sample as the final one does) (:func:`resolve_trial_spec`);
2. the trainer runs it (:func:`lossbalance.training.fit_cohort`) in the trial's run
   folder; after every evaluation epoch (``training.eval_every``) a callback hands
   the trainer's metrics to the study's ``report``, which may prune the trial
   (``optuna.TrialPruned`` leaves the trainer at once);
3. the final evaluation generates ``evaluation.patients`` patients from the best
   checkpoint and scores them against the training pool R with the held-out H as the
   real-data floor (:func:`lossbalance.experiment.evaluate_checkpoint`), and the
   tier is classified as the experiment runner does.

The run folder ``<runs_dir>/trial-NNNN/`` keeps what a runner's run folder keeps
(``spec.yaml``, ``log.jsonl`` with the weights per epoch, ``last.pt`` / ``best.pt``,
``generated.npz``, ``outcome.json``, ``metrics.json``) plus ``weights.jsonl``, the
weight of every term along training. The trial records ``spec`` (the resolved spec,
what ``study export`` writes), ``run_dir``, ``tier`` and ``weights`` as user
attributes. A NaN loss or any failure of training or evaluation fails the trial with
the reason; the study goes on.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping
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
    from lossbalance.experiment import RunData
    from lossbalance.spec import ExperimentSpec
    from lossbalance.training import Trainer, TrainState

#: Trial user attributes written by the experiment trial function.
SPEC_ATTR = "spec"
RUN_DIR_ATTR = "run_dir"
TIER_ATTR = "tier"
WEIGHTS_ATTR = "weights"
WEIGHTS_FILE = "weights.jsonl"

#: At most this many points of a trial's weight trajectory are kept.
MAX_WEIGHT_POINTS = 200


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


class _StudyCallback(Callback):
    """Reports each evaluation to the study and keeps the weight trajectory."""

    def __init__(self, report: ReportFn, run_path: Path) -> None:
        self.report = report
        self.run_path = run_path
        self.every = 1
        self.steps: list[int] = []
        self.weights: dict[str, list[float]] = {}
        self.steps_per_epoch = 0

    def on_train_begin(self, trainer: Trainer, state: TrainState) -> None:
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
            record(WEIGHTS_ATTR, traj)
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
        self.report(state.epoch + 1, dict(state.metrics))

    def on_train_end(self, trainer: Trainer, state: TrainState) -> None:
        self.flush()


_DATA: dict[str, RunData] = {}


def trial_data(spec: ExperimentSpec) -> RunData:
    """R and H of ``spec``, loaded once per process (every trial shares the split)."""
    from lossbalance.experiment import CohortCache
    from lossbalance.experiment._cohorts import data_key

    key = data_key(spec)
    if key not in _DATA:
        _DATA[key] = CohortCache().get(spec)
    return _DATA[key]


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
        from lossbalance.spec import dump_spec, spec_digest, spec_to_dict

        try:
            spec = resolve_trial_spec(self.base_spec(), self.search_space(), params)
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
        record = getattr(report, "record", None)
        if record is not None:
            record(SPEC_ATTR, spec_to_dict(spec))
            record(RUN_DIR_ATTR, str(run.path))
        data = trial_data(spec)
        callback = _StudyCallback(report, run.path)
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
            metrics = evaluate_checkpoint(trained.checkpoint, spec, data, run)
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
    from lossbalance.spec import parse_spec

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
    return spec.model_copy(
        update={"name": named, "description": f"study {study.study_name!r}, trial {number}"}
    )


def export_trial_spec(study: optuna.Study, number: int, out: str | Path) -> Path:
    """Write trial ``number``'s experiment spec to ``out`` (YAML that ``lossbalance run``
    and ``lossbalance spec validate`` accept); returns the path."""
    from lossbalance.spec import dump_spec

    return dump_spec(trial_spec(study, number), out)
