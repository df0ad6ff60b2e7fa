"""The contract between a study and whatever trains and evaluates one trial.

A study samples parameters, hands them to a :class:`TrialFunction` with a
``report`` callback, and records the metrics it returns. The experiment runner
provides the real one (train, generate, evaluate); tests and the ``--toy`` CLI
flag use :class:`lossbalance.study.ToyTrialFunction`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable


class TrialFailed(Exception):
    """A trial function failed (NaN loss, crash...): the trial is FAIL, the study goes on.

    Its message is the trial's ``fail_reason``, as written.
    """


class ReportFn(Protocol):
    """Called by a trial function after each evaluation epoch.

    The callable a study passes also carries ``number`` (the Optuna trial number),
    ``study_name`` and ``record(key, value)`` (a JSON-serialisable trial user
    attribute); trial functions that need them (the experiment trial function: run
    folder, resolved spec, weights) read them with ``getattr``.

    Args:
        epoch: the evaluation's epoch (1 for the evaluation after the first epoch).
        metrics: every metric computed at that epoch (must hold the study's objectives).

    Raises:
        optuna.TrialPruned: when the multi-objective pruner stops the trial. The trial
            function lets it propagate (after cleaning up, if it must).
    """

    def __call__(self, epoch: int, metrics: Mapping[str, float]) -> None: ...


@runtime_checkable
class TrialFunction(Protocol):
    """Runs one trial: from sampled parameters to the final metrics.

    Implementations must be picklable (module-level classes or functions): study
    workers run in separate processes.
    """

    def __call__(self, params: Mapping[str, Any], report: ReportFn) -> Mapping[str, float]:
        """Train and evaluate with ``params``; return every final metric by name."""
        ...
