"""Multi-objective pruning by Pareto dominance at equal epochs.

Optuna's pruners refuse multi-objective studies (``Trial.report`` and
``Trial.should_prune`` raise there). lossbalance brings its own rule, in the
spirit of the median rule (Golovin et al. 2017, "Google Vizier") extended to
vectors through Pareto dominance (Deb et al. 2002, "NSGA-II"):

A running trial reports its objective vector ``v_k`` at each evaluation epoch
``k``, with its constraint violation ``c_k`` at that epoch (the sum of the study's
constraint violations on the epoch's metrics, 0 when feasible; unknown counts as 0).
Let ``R_k`` be the epoch-``k`` vectors (and violations) of the study's **feasible**
COMPLETE trials that reported epoch ``k``: an infeasible completed trial never
prunes anything. The trial is pruned at epoch ``k`` when

* ``k > warmup_epochs`` (no pruning during the first epochs),
* ``|R_k| >= warmup_trials`` (enough feasible finished trials to compare with), and
* at least ``threshold(|R_k|)`` members of ``R_k`` constrained-dominate it at epoch
  ``k``, with ``threshold(n) = min_dominating`` or ``max(1, ceil(fraction * n))``
  when a fraction is given.

Constrained domination at equal epochs is Deb et al. (2002)'s rule: ``(r, d)``
dominates ``(v, c)`` when both are feasible (``d = c = 0``) and ``r`` Pareto-dominates
``v``; when ``r`` is feasible and ``v`` is not (an infeasible running trial can be
pruned by feasible ones whatever its objectives); or when both are infeasible and
``d < c``. ``a`` Pareto-dominates ``b`` when ``a`` is no worse in every objective and
strictly better in one (directions applied). A NaN objective counts as the worst
value. Without constraints the rule is plain Pareto dominance by completed trials.

Everything is read through Optuna's public API (``Study.get_trials``,
``FrozenTrial.user_attrs`` / ``constraints``): Optuna's own ``Trial.report`` is
refused in multi-objective studies, so the epoch vectors travel as user attributes
(:func:`epoch_reference`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import optuna
from optuna.trial import FrozenTrial, TrialState
from pydantic import BaseModel, ConfigDict, Field

#: Trial user attribute: ``{epoch: [objective values]}`` (None for NaN).
HISTORY_ATTR = "objective_history"
#: Trial user attribute: ``{epoch: total constraint violation}`` (None: unknown).
VIOLATION_HISTORY_ATTR = "violation_history"


def to_minimization(values: np.ndarray, signs: Sequence[float]) -> np.ndarray:
    """Flip maximised objectives (``signs`` -1) so that lower is better; NaN -> +inf."""
    out = np.asarray(values, dtype=np.float64) * np.asarray(signs, dtype=np.float64)
    return np.where(np.isnan(out), np.inf, out)


def dominated_count(vector: np.ndarray, reference: np.ndarray) -> int:
    """How many rows of ``reference`` Pareto-dominate ``vector`` (minimisation)."""
    ref = np.asarray(reference, dtype=np.float64).reshape(-1, np.asarray(vector).size)
    if ref.shape[0] == 0:
        return 0
    no_worse = np.all(ref <= vector, axis=1)
    better = np.any(ref < vector, axis=1)
    return int(np.count_nonzero(no_worse & better))


def constrained_dominated_count(
    vector: np.ndarray,
    violation: float,
    reference: np.ndarray,
    reference_violations: np.ndarray | None = None,
) -> int:
    """How many rows of ``reference`` constrained-dominate ``vector`` (Deb et al. 2002).

    Args:
        vector: the running trial's vector (minimisation form), shape ``(m,)``.
        violation: its total constraint violation (0: feasible).
        reference: the reference vectors, shape ``(n, m)``.
        reference_violations: their violations, shape ``(n,)`` (default all 0).
    """
    vec = np.asarray(vector, dtype=np.float64)
    ref = np.asarray(reference, dtype=np.float64).reshape(-1, vec.size)
    if ref.shape[0] == 0:
        return 0
    d = (
        np.zeros(ref.shape[0])
        if reference_violations is None
        else np.nan_to_num(np.asarray(reference_violations, dtype=np.float64), nan=0.0)
    )
    c = 0.0 if not math.isfinite(violation) else max(0.0, float(violation))
    if c > 0.0:
        return int(np.count_nonzero((d <= 0.0) | (d < c)))
    no_worse = np.all(ref <= vec, axis=1)
    better = np.any(ref < vec, axis=1)
    return int(np.count_nonzero((d <= 0.0) & no_worse & better))


def total_violation(constraints: dict[str, float] | None) -> float:
    """Sum of the positive constraint values (Optuna's convention: feasible when ``<= 0``)."""
    if not constraints:
        return 0.0
    return float(sum(max(0.0, float(v)) for v in constraints.values()))


def is_feasible_trial(trial: FrozenTrial) -> bool:
    """Every Optuna constraint of ``trial`` is met (``<= 0``); no constraint: feasible."""
    return all(float(v) <= 0.0 for v in trial.constraints.values())


def epoch_reference(
    trials: list[FrozenTrial], epoch: int, signs: list[float]
) -> tuple[np.ndarray, np.ndarray]:
    """The pruner's reference at ``epoch``: feasible COMPLETE trials' vectors and violations.

    Args:
        trials: the study's trials (any states; only feasible COMPLETE ones are kept).
        epoch: the epoch ``k``.
        signs: one per objective, +1 minimise, -1 maximise.

    Returns:
        ``(vectors, violations)``: shape ``(n, m)`` in minimisation form and ``(n,)``.
    """
    key = str(int(epoch))
    rows: list[list[float]] = []
    viol: list[float] = []
    for t in trials:
        if t.state != TrialState.COMPLETE or not is_feasible_trial(t):
            continue
        vec = t.user_attrs.get(HISTORY_ATTR, {}).get(key)
        if vec is None or len(vec) != len(signs):
            continue
        rows.append([math.nan if v is None else float(v) for v in vec])
        d = t.user_attrs.get(VIOLATION_HISTORY_ATTR, {}).get(key)
        viol.append(0.0 if d is None else float(d))
    arr = np.asarray(rows, dtype=np.float64).reshape(-1, len(signs))
    return to_minimization(arr, signs), np.asarray(viol, dtype=np.float64)


def study_epoch_reference(
    study: optuna.Study, epoch: int, signs: list[float]
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`epoch_reference` over ``study``'s COMPLETE trials."""
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return epoch_reference(list(complete), epoch, signs)


class DominancePruner(BaseModel):
    """Stops a trial that enough feasible completed trials dominate at epoch k.

    Defaults (``min_dominating=3``, ``warmup_trials=4``, ``warmup_epochs=1``) kept after
    measuring on the real objective (``bench/bench_study_real.py``, docs/studies.md):
    ``min_dominating=1`` saves more CPU (0.55x against 0.68x of no pruning) but, with a
    budget that counts pruned trials, leaves the built-in study 5 complete trials and a
    front of 2 instead of 12 and 5.

    Args:
        min_dominating: dominating completed trials needed to prune (when no fraction).
        fraction: when set, the threshold is ``max(1, ceil(fraction * n))`` of the
            ``n`` completed trials that reported the same epoch.
        warmup_trials: no pruning until this many completed trials reported the epoch.
        warmup_epochs: no pruning at epochs ``k <= warmup_epochs``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_dominating: int = Field(default=3, ge=1)
    fraction: float | None = Field(default=None, gt=0.0, le=1.0)
    warmup_trials: int = Field(default=4, ge=1)
    warmup_epochs: int = Field(default=1, ge=0)

    def threshold(self, n_reference: int) -> int:
        """Dominating vectors needed among ``n_reference`` completed ones."""
        if self.fraction is not None:
            return max(1, math.ceil(self.fraction * n_reference))
        return self.min_dominating

    def should_prune(
        self,
        epoch: int,
        vector: np.ndarray,
        reference: np.ndarray,
        *,
        violation: float = 0.0,
        reference_violations: np.ndarray | None = None,
    ) -> bool:
        """Apply the rule to one report (all vectors already in minimisation form).

        Args:
            epoch: the reported epoch ``k``.
            vector: this trial's epoch-k vector, shape ``(m,)``.
            reference: feasible completed trials' epoch-k vectors, shape ``(n, m)``
                (:func:`epoch_reference` keeps only those).
            violation: this trial's constraint violation at epoch ``k`` (0: feasible).
            reference_violations: the reference rows' violations at epoch ``k``.
        """
        if epoch <= self.warmup_epochs:
            return False
        ref = np.asarray(reference, dtype=np.float64).reshape(-1, np.asarray(vector).size)
        n = ref.shape[0]
        if n < self.warmup_trials:
            return False
        count = constrained_dominated_count(
            np.asarray(vector, dtype=np.float64), violation, ref, reference_violations
        )
        return count >= self.threshold(n)
