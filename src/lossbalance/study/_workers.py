"""Running trials: the objective wrapper, the worker loop and multi-process studies.

Budget. A study stops at exactly ``n_trials`` COMPLETE + PRUNED trials, with any
number of workers. Optuna's ``MaxTrialsCallback`` stops a worker *after* a trial,
so concurrent workers overshoot; lossbalance uses trial numbers, which every
storage assigns atomically in creation order: a trial *claims* a budget slot when
fewer than ``n_trials`` lower-numbered trials are COMPLETE, PRUNED, RUNNING or
WAITING. A trial that finds the budget claimed ends at once as FAIL (reason
"budget already claimed") without evaluating anything. Since a trial never
returns from FAIL, at most ``n_trials`` trials can end COMPLETE or PRUNED; and
workers keep running until that many have, waiting (and failing stale trials)
while the remaining slots are held by running trials. Before asking for a trial a
worker also checks the counts, so the FAIL records appear only in races.

Stale trials. On database storages Optuna's heartbeat fails a trial whose worker
went silent and :class:`~optuna.storages.RetryHeartbeatStaleTrialCallback` queues
a copy (same parameters, ``system_attrs["failed_trial"]`` pointing back). On a
journal file (one machine, no heartbeat) each trial records ``host:pid`` and a
worker on the same host fails and retries, the same way, a RUNNING trial whose
process no longer exists.
"""

from __future__ import annotations

import contextlib
import logging
import math
import multiprocessing
import os
import re
import socket
import sys
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna
from optuna.storages import BaseStorage, RetryHeartbeatStaleTrialCallback
from optuna.trial import TrialState

from lossbalance._allocator import tune_allocator
from lossbalance._errors import LossbalanceError
from lossbalance.study._checkpoints import keep_checkpoint
from lossbalance.study._config import (
    StudyConfig,
    create_or_load_study,
    load_existing_study,
    read_config,
)
from lossbalance.study._objectives import condition_violation
from lossbalance.study._problems import Problem, build_problem
from lossbalance.study._pruner import (
    HISTORY_ATTR,
    VIOLATION_HISTORY_ATTR,
    DominancePruner,
    study_epoch_reference,
    to_minimization,
)
from lossbalance.study._sampler import make_sampler
from lossbalance.study._storage import is_url, mask_url, open_storage
from lossbalance.study._trial_function import TrialFailed

#: Trial user attributes written by the objective.
WORKER_ATTR = "lossbalance:worker"
METRICS_ATTR = "metrics"
FAIL_ATTR = "fail_reason"
PRUNED_AT_ATTR = "pruned_at"
#: Study user attribute prefix: ``<prefix><number>`` says why a dead worker's trial failed.
DEAD_WORKER_ATTR = "lossbalance:dead_worker:"

#: Why a worker gave up a trial that another worker failed under it (its heartbeat was
#: late, e.g. on an overloaded machine: the trial is retried as any stale one).
TAKEN_OVER = (
    "trial {number} was failed by another worker while it ran (its heartbeat came later "
    "than --grace-period); it is retried, and this worker goes on"
)

_CLAIMING = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING)
_HOST = socket.gethostname()
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class BudgetClaimed(Exception):
    """The budget was already claimed by lower-numbered trials."""


class _ExpectedFailures(logging.Filter):
    """Optuna logs every failed trial with its traceback; ours need one line or none."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, BudgetClaimed):
            return False
        if isinstance(exc, TrialFailed):
            record.exc_info, record.exc_text = None, None
        # Optuna's second line after an exception; the first one said it all
        return not re.fullmatch(r"Trial \d+ failed with value None\.", record.getMessage())


def _quiet_expected_failures() -> None:
    optuna.logging.get_logger("optuna")  # makes sure Optuna's handler exists
    for handler in logging.getLogger("optuna").handlers:
        if not any(isinstance(f, _ExpectedFailures) for f in handler.filters):
            handler.addFilter(_ExpectedFailures())


def _json_float(x: float) -> float | None:
    return float(x) if math.isfinite(float(x)) else None


@dataclass(frozen=True)
class TrialCounts:
    """How many trials a study holds in each state."""

    complete: int = 0
    pruned: int = 0
    failed: int = 0
    running: int = 0
    waiting: int = 0

    @property
    def done(self) -> int:
        """COMPLETE + PRUNED: what the budget counts."""
        return self.complete + self.pruned


def trial_counts(study: optuna.Study) -> TrialCounts:
    """Count the study's trials by state."""
    states = [t.state for t in study.get_trials(deepcopy=False)]
    return TrialCounts(
        complete=states.count(TrialState.COMPLETE),
        pruned=states.count(TrialState.PRUNED),
        failed=states.count(TrialState.FAIL),
        running=states.count(TrialState.RUNNING),
        waiting=states.count(TrialState.WAITING),
    )


class StudyObjective:
    """The Optuna objective: sample, run the trial function, record, return objectives.

    Records on each trial: ``resolved_params`` (the sampled parameters),
    ``objective_history`` (``{epoch: [objective values]}``, what the pruner reads),
    ``metrics`` (every final metric), ``fail_reason`` or ``pruned_at`` when they
    apply, and one Optuna constraint per condition of ``config.constraints``.
    """

    def __init__(self, config: StudyConfig, problem: Problem) -> None:
        self.config = config
        self.problem = problem
        self.pruner: DominancePruner | None = config.pruner
        self._signs = [o.sign for o in config.objectives]

    def _claim(self, trial: optuna.Trial) -> None:
        ahead = sum(
            1
            for t in trial.study.get_trials(deepcopy=False, states=_CLAIMING)
            if t.number < trial.number
        )
        if ahead >= self.config.n_trials:
            trial.set_user_attr(FAIL_ATTR, "budget already claimed")
            raise BudgetClaimed(f"trial {trial.number}: budget already claimed")

    def _reference(self, study: optuna.Study, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        """Feasible COMPLETE trials' epoch vectors and violations (the pruner's reference)."""
        return study_epoch_reference(study, epoch, self._signs)

    def _violation(self, metrics: Mapping[str, float]) -> float | None:
        """Total constraint violation of one epoch's metrics; None when a metric is missing."""
        total = 0.0
        for cond in self.config.constraints:
            try:
                total += max(0.0, condition_violation(cond, metrics))
            except ValueError:
                return None
        return total

    def _vector(self, metrics: Mapping[str, float], when: str) -> list[float]:
        missing = [o.name for o in self.config.objectives if o.name not in metrics]
        if missing:
            raise TrialFailed(f"{when}: metrics lack objective(s) {', '.join(missing)}")
        return [float(metrics[o.name]) for o in self.config.objectives]

    def __call__(self, trial: optuna.Trial) -> list[float]:
        """Run one trial (see the class docstring)."""
        self._claim(trial)
        trial.set_user_attr(WORKER_ATTR, f"{_HOST}:{os.getpid()}")
        trial.set_user_attr(HISTORY_ATTR, {})
        if self.config.constraints:
            trial.set_user_attr(VIOLATION_HISTORY_ATTR, {})
        params = self.problem.space.suggest(trial)
        report = _Report(self, trial)

        try:
            metrics = dict(self.problem.function(params, report))
            values = self._vector(metrics, "final")
        except (optuna.TrialPruned, LossbalanceError):
            raise
        except optuna.exceptions.UpdateFinishedTrialError:
            raise TrialFailed(TAKEN_OVER.format(number=trial.number)) from None
        except Exception as exc:
            reason = (
                f"{type(exc).__name__}: {exc}" if not isinstance(exc, TrialFailed) else str(exc)
            )
            trial.set_user_attr(FAIL_ATTR, reason[:500])
            raise TrialFailed(reason) from exc
        trial.set_user_attr(METRICS_ATTR, {k: _json_float(v) for k, v in metrics.items()})
        bad = [
            o.name
            for o, v in zip(self.config.objectives, values, strict=True)
            if not math.isfinite(v)
        ]
        if bad:
            trial.set_user_attr(FAIL_ATTR, f"objective {', '.join(bad)} is NaN")
            raise TrialFailed(f"objective {', '.join(bad)} is NaN")
        for cond in self.config.constraints:
            try:
                trial.set_constraint(str(cond), condition_violation(cond, metrics))
            except ValueError as exc:
                trial.set_user_attr(FAIL_ATTR, str(exc))
                raise TrialFailed(str(exc)) from None
        if self.config.checkpoints is not None:
            feasible = all(condition_violation(c, metrics) <= 0 for c in self.config.constraints)
            keep_checkpoint(
                trial, values, feasible=feasible, policy=self.config.checkpoints, signs=self._signs
            )
        return values


class _Report:
    """The ``report`` callable handed to a trial function (see :class:`ReportFn`)."""

    def __init__(self, objective: StudyObjective, trial: optuna.Trial) -> None:
        self._objective = objective
        self._trial = trial
        self._history: dict[str, list[float | None]] = {}
        self._violations: dict[str, float | None] = {}
        self.number = trial.number
        self.study_name = trial.study.study_name

    def record(self, key: str, value: Any) -> None:
        """Store ``value`` (JSON-serialisable) as the trial's user attribute ``key``."""
        self._trial.set_user_attr(key, value)

    def __call__(self, epoch: int, metrics: Mapping[str, float]) -> None:
        obj, trial = self._objective, self._trial
        vec = obj._vector(metrics, f"epoch {epoch}")
        self._history[str(int(epoch))] = [_json_float(v) for v in vec]
        trial.set_user_attr(HISTORY_ATTR, dict(self._history))
        violation = obj._violation(metrics)
        if obj.config.constraints:
            self._violations[str(int(epoch))] = violation
            trial.set_user_attr(VIOLATION_HISTORY_ATTR, dict(self._violations))
        if obj.pruner is None:
            return
        mine = to_minimization(np.asarray(vec), obj._signs)
        ref, ref_violations = obj._reference(trial.study, epoch)
        if obj.pruner.should_prune(
            int(epoch),
            mine,
            ref,
            violation=violation or 0.0,
            reference_violations=ref_violations,
        ):
            trial.set_user_attr(PRUNED_AT_ATTR, int(epoch))
            raise optuna.TrialPruned(f"dominated at epoch {epoch}")


def _process_gone(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:  # a killed child nobody reaped yet is a zombie: gone too
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def dead_worker_reason(study: optuna.Study, number: int) -> str | None:
    """Why trial ``number`` was failed as the trial of a dead local worker, if it was."""
    reason = study.user_attrs.get(f"{DEAD_WORKER_ATTR}{number}")
    return None if reason is None else str(reason)


def fail_dead_local_trials(study: optuna.Study, max_retry: int | None = 3) -> list[int]:
    """Fail and retry RUNNING trials whose worker process on this host is gone.

    For storages without heartbeat (the journal file). Returns the failed trial
    numbers. Trials of other hosts, or without a worker record, are left alone.

    Only Optuna's public API: the trial is failed with ``Study.tell(number,
    state=FAIL)`` (the storage refuses a second finish, so two workers cannot both
    fail and retry it). Optuna has no public way to write a user attribute on a
    trial another process created (``Trial`` needs the private trial id), so the
    reason goes to the study's user attribute ``lossbalance:dead_worker:<number>``
    (:func:`dead_worker_reason`) instead of the trial's ``fail_reason``.
    """
    failed: list[int] = []
    for t in study.get_trials(deepcopy=True, states=(TrialState.RUNNING,)):
        host, _, pid = str(t.user_attrs.get(WORKER_ATTR, "")).rpartition(":")
        if host != _HOST or not pid.isdigit() or not _process_gone(int(pid)):
            continue
        try:
            study.tell(t.number, state=TrialState.FAIL)
        except (optuna.exceptions.UpdateFinishedTrialError, ValueError, RuntimeError):
            continue  # another worker got there first
        study.set_user_attr(f"{DEAD_WORKER_ATTR}{t.number}", f"worker process {pid} gone")
        frozen = t  # a deep copy taken while RUNNING: the retry copies its parameters
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            RetryHeartbeatStaleTrialCallback(max_retry=max_retry)(study, frozen)
        failed.append(t.number)
    return failed


def fail_stale_trials(study: optuna.Study, max_retry: int | None = 3) -> None:
    """Fail (and queue retries of) trials whose worker died, for any storage.

    Optuna's public :func:`optuna.storages.fail_stale_trials` handles storages with a
    heartbeat (it does nothing on others); then :func:`fail_dead_local_trials` fails
    the trials of dead processes on this host (the journal file has no heartbeat; on a
    database it only fails such a trial before its grace period ends).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    fail_dead_local_trials(study, max_retry=max_retry)


def set_thread_share(threads: int | None) -> None:
    """Give this process ``threads`` intra-op threads (torch, when installed)."""
    if threads is None:
        return
    with contextlib.suppress(ImportError):
        import torch

        torch.set_num_threads(max(1, int(threads)))


def _local_checkpoint_store(config: StudyConfig, stored: str, local: str) -> StudyConfig:
    """``config`` with its checkpoint store beside the worker's own run folders when the
    study uses the default store (``artifacts`` beside the creating machine's run
    folders: a path on another machine); a store the spec names is kept (a shared
    folder, as docs/studies.md asks for workers on several machines)."""
    policy = config.checkpoints
    if policy is None or policy.store is None:
        return config
    default = os.path.join(os.path.dirname(os.path.abspath(stored)), "artifacts")
    if os.path.abspath(policy.store) != default:
        return config
    store = os.path.join(os.path.dirname(local), "artifacts")
    return config.model_copy(update={"checkpoints": policy.model_copy(update={"store": store})})


def run_worker(
    storage: BaseStorage,
    study_name: str,
    *,
    worker_index: int = 0,
    threads: int | None = None,
    poll_s: float = 0.5,
    max_retry: int | None = 3,
    where: str = "storage",
    on_trial: Callable[[optuna.Study], None] | None = None,
    runs_dir: str | os.PathLike[str] | None = None,
) -> int:
    """Run trials of an existing study until its budget is done; return how many ran.

    Args:
        storage: the opened storage.
        study_name: the study to join (its stored :class:`StudyConfig` drives everything).
        worker_index: added to the stored seed, so workers sample different points.
        threads: intra-op threads of this process.
        poll_s: seconds between checks while other workers hold the last slots.
        max_retry: retries of one dead trial (journal storages; RDB uses the storage's).
        where: how to name the storage in error messages.
        on_trial: called after each trial this worker ran (progress display).
        runs_dir: this worker's folder of run folders, replacing the stored problem
            option ``runs_dir`` (a path on the machine that created the study) for
            problems that have one; ``None`` keeps the stored one.
    """
    set_thread_share(threads)
    tune_allocator()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    _quiet_expected_failures()
    study = load_existing_study(storage, study_name, where)
    config = read_config(study)
    options = dict(config.problem_options)
    if runs_dir is not None and "runs_dir" in options:
        stored = options["runs_dir"]
        options["runs_dir"] = os.path.abspath(runs_dir)
        config = _local_checkpoint_store(config, stored, options["runs_dir"])
    problem = build_problem(config.problem, options)
    seed = None if config.seed is None else config.seed + worker_index
    study.sampler = make_sampler(
        config.sampler,
        seed=seed,
        n_trials=config.n_trials,
        n_objectives=len(config.objectives),
        space=problem.space,
    )
    objective = StudyObjective(config, problem)
    deadline = None if config.timeout_s is None else time.monotonic() + config.timeout_s
    ran = 0
    while deadline is None or time.monotonic() < deadline:
        counts = trial_counts(study)
        if counts.done >= config.n_trials:
            break
        if counts.waiting == 0 and counts.done + counts.running >= config.n_trials:
            fail_stale_trials(study, max_retry)
            time.sleep(poll_s)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            try:
                study.optimize(objective, n_trials=1, catch=(TrialFailed, BudgetClaimed))
            except ValueError as exc:  # Optuna cannot tell a trial another worker failed
                if not str(exc).startswith("Cannot tell a "):
                    raise
        ran += 1
        if on_trial is not None:
            on_trial(study)
    return ran


def _worker_process(
    storage_spec: str,
    study_name: str,
    worker_index: int,
    threads: int | None,
    storage_options: dict[str, Any],
) -> None:
    try:
        storage = open_storage(storage_spec, **storage_options)
        run_worker(
            storage,
            study_name,
            worker_index=worker_index,
            threads=threads,
            max_retry=storage_options.get("max_retry", 3),
            where=mask_url(storage_spec),
        )
    except LossbalanceError as exc:
        print(f"error: worker {worker_index}: {exc}", file=sys.stderr)
        sys.exit(2)


def run_study(
    storage_spec: str,
    study_name: str,
    config: StudyConfig,
    *,
    workers: int = 1,
    threads: int | None = None,
    storage_options: Mapping[str, Any] | None = None,
    on_progress: Callable[[optuna.Study], None] | None = None,
    poll_s: float = 0.5,
) -> optuna.Study:
    """Create (or continue) a study and run it to its budget with ``workers`` processes.

    Args:
        storage_spec: journal file path or SQLAlchemy URL.
        study_name: the study's name.
        config: its settings (stored on the study for joining workers).
        workers: worker processes; 1 runs in this process.
        threads: threads for the whole study (default: one per worker: the small
            generators a study trains run 4-5x slower with 2 intra-op threads than with
            1 on a loaded 2-core machine, docs/studies.md), shared evenly:
            each worker process gets ``torch.set_num_threads(threads // workers)`` and
            the same ``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS`` / ``MKL_NUM_THREADS``.
        storage_options: keyword arguments of :func:`open_storage`.
        on_progress: called with the study after trials finish (or every ``poll_s``).
    """
    if workers < 1:
        raise LossbalanceError(f"--workers: must be at least 1, got {workers}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    options = dict(storage_options or {})
    storage = open_storage(storage_spec, **options)
    where = mask_url(storage_spec)
    build_problem(config.problem, config.problem_options)  # fail early on bad options
    study = create_or_load_study(storage, study_name, config, where=where)
    total = threads if threads is not None else workers
    share = max(1, total // workers)
    if workers == 1:
        run_worker(
            storage,
            study_name,
            threads=share,
            max_retry=options.get("max_retry", 3),
            where=where,
            on_trial=on_progress,
        )
        return study
    if not is_url(storage_spec):
        storage_spec = os.path.abspath(storage_spec)
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(
            target=_worker_process,
            args=(storage_spec, study_name, i, share, options),
            name=f"lossbalance-worker-{i}",
        )
        for i in range(workers)
    ]
    # BLAS / OpenMP pools read these when the child imports numpy or torch
    saved = {k: os.environ.get(k) for k in _THREAD_VARS}
    os.environ.update({k: str(share) for k in _THREAD_VARS})
    try:
        for p in procs:
            p.start()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    try:
        while any(p.is_alive() for p in procs):
            if on_progress is not None:
                on_progress(study)
            for p in procs:
                p.join(timeout=poll_s / len(procs))
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
                p.join()
    if on_progress is not None:
        on_progress(study)
    bad = [(i, p.exitcode) for i, p in enumerate(procs) if p.exitcode != 0]
    if bad:
        raise LossbalanceError(
            f"study {study_name!r}: worker(s) "
            + ", ".join(f"{i} (exit {code})" for i, code in bad)
            + " failed; see their messages above"
        )
    return study
