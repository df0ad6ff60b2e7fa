"""The multi-objective dominance pruner: the rule, then whole studies of known histories."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import optuna
import pytest
from optuna.trial import TrialState

from lossbalance.study import (
    PRUNED_AT_ATTR,
    Choice,
    DominancePruner,
    Problem,
    SearchSpace,
    StudyConfig,
    create_or_load_study,
    dominated_count,
    parse_conditions,
    parse_objectives,
    register_problem,
    run_worker,
    to_minimization,
)
from lossbalance.study._pruner import (
    VIOLATION_HISTORY_ATTR,
    constrained_dominated_count,
    epoch_reference,
)
from lossbalance.study._trial_function import ReportFn


def test_dominated_count_by_hand() -> None:
    ref = np.array([[0.0, 0.0], [1.0, 1.0], [0.5, 2.0], [1.0, 0.5], [2.0, 2.0]])
    # minimisation: (0,0) dominates (1,1); (1,0.5) dominates it too; (1,1) is equal
    assert dominated_count(np.array([1.0, 1.0]), ref) == 2
    assert dominated_count(np.array([0.0, 0.0]), ref) == 0
    assert dominated_count(np.array([3.0, 3.0]), ref) == 5
    assert dominated_count(np.array([1.0, 1.0]), np.empty((0, 2))) == 0


def test_to_minimization_flips_maximised_and_nan_is_worst() -> None:
    out = to_minimization(np.array([[0.9, 0.2], [math.nan, 0.1]]), [-1.0, 1.0])
    np.testing.assert_array_equal(out, [[-0.9, 0.2], [np.inf, 0.1]])


def test_warmups_and_thresholds() -> None:
    ref = np.array([[0.0, 0.0], [0.1, 0.1], [0.2, 0.2]])
    v = np.array([1.0, 1.0])  # dominated by all 3
    p = DominancePruner(min_dominating=3, warmup_trials=3, warmup_epochs=2)
    assert not p.should_prune(2, v, ref)  # epoch 2 <= warm-up epochs
    assert p.should_prune(3, v, ref)
    assert not p.should_prune(3, v, ref[:2])  # only 2 completed trials: warm-up
    assert not DominancePruner(min_dominating=4, warmup_trials=3).should_prune(5, v, ref)
    # fraction: ceil(0.5 * 3) = 2 dominating needed
    frac = DominancePruner(fraction=0.5, warmup_trials=1, warmup_epochs=0)
    assert frac.threshold(3) == 2 and frac.threshold(1) == 1 and frac.threshold(10) == 5
    w = np.array([0.15, 0.15])  # dominated by (0,0), (0.1,0.1) only
    assert frac.should_prune(1, w, ref)
    assert not DominancePruner(fraction=0.9, warmup_trials=1).should_prune(5, w, ref)


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(ValueError):
        DominancePruner(min_dominating=0)
    with pytest.raises(ValueError):
        DominancePruner(fraction=1.5)


# Each synthetic trial reports its (validity, coherence) per epoch; both maximised.
HISTORIES: list[list[tuple[float, float]]] = [
    [(0.5, 0.5), (0.6, 0.6), (0.7, 0.7)],  # 0: completes (reference)
    [(0.4, 0.6), (0.5, 0.7), (0.6, 0.8)],  # 1: completes (reference)
    [(0.3, 0.3), (0.35, 0.35), (0.4, 0.4)],  # 2: epoch 2 dominated by 0 and 1 -> pruned at 2
    [(0.3, 0.3), (0.55, 0.65), (0.9, 0.9)],  # 3: epoch 2 dominated by none -> completes
    [(0.1, 0.1), (0.45, 0.65), (0.9, 0.9)],  # 4: epoch 2 dominated by 1 and 3 -> pruned at 2
    [(0.9, 0.9), (math.nan, 0.6), (0.9, 0.9)],  # 5: NaN is worst: dominated by 0, 1, 3
    [(0.2, 0.2), (0.6, 0.6), (0.65, 0.65)],  # 6: epoch 2 ties 0 (not dominated);
    # epoch 3 dominated by 0 (0.7, 0.7) and 3 (0.9, 0.9) -> pruned at 3
]
EXPECTED_PRUNED_AT = {2: 2, 4: 2, 5: 2, 6: 3}


def _synthetic(params: Mapping[str, Any], report: ReportFn) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for epoch, (v, c) in enumerate(HISTORIES[int(params["idx"])], start=1):
        metrics = {"validity": v, "coherence": c}
        report(epoch, metrics)
    return metrics


register_problem(
    "synthetic-histories",
    lambda options: Problem(
        space=SearchSpace(params={"idx": Choice(choices=list(range(len(HISTORIES))))}),
        function=_synthetic,
    ),
)


def _run_histories(pruner: DominancePruner | None) -> optuna.Study:
    storage = optuna.storages.InMemoryStorage()
    config = StudyConfig(
        objectives=parse_objectives("validity,coherence"),
        n_trials=len(HISTORIES),
        sampler="random",
        pruner=pruner,
        problem="synthetic-histories",
    )
    study = create_or_load_study(storage, "hist", config)
    for i in range(len(HISTORIES)):
        study.enqueue_trial({"idx": i})
    run_worker(storage, "hist")
    return study


def test_study_prunes_exactly_the_dominated_histories() -> None:
    study = _run_histories(DominancePruner(min_dominating=2, warmup_trials=2, warmup_epochs=1))
    trials = sorted(study.get_trials(), key=lambda t: t.number)
    assert [t.params["idx"] for t in trials] == list(range(len(HISTORIES)))
    pruned = {
        t.number: t.user_attrs[PRUNED_AT_ATTR] for t in trials if t.state == TrialState.PRUNED
    }
    assert pruned == EXPECTED_PRUNED_AT
    assert {t.number for t in trials if t.state == TrialState.COMPLETE} == {0, 1, 3}
    # the pruned trial's history stops at the pruning epoch
    assert sorted(trials[6].user_attrs["objective_history"]) == ["1", "2", "3"]
    assert sorted(trials[2].user_attrs["objective_history"]) == ["1", "2"]
    assert trials[5].user_attrs["objective_history"]["2"] == [None, 0.6]


def test_without_pruner_or_with_long_warmup_nothing_is_pruned() -> None:
    for pruner in (None, DominancePruner(min_dominating=2, warmup_trials=2, warmup_epochs=3)):
        study = _run_histories(pruner)
        states = [t.state for t in study.get_trials()]
        assert states.count(TrialState.COMPLETE) == len(HISTORIES)


def test_higher_threshold_prunes_less() -> None:
    # threshold 3: 2 and 4 (two dominating each) now complete; 5 is dominated by 0, 1, 3 at
    # epoch 2; 6 at epoch 3 by 0 (0.7, 0.7), 3 and 4 (0.9, 0.9): both pruned.
    study = _run_histories(DominancePruner(min_dominating=3, warmup_trials=2, warmup_epochs=1))
    pruned = {
        t.number: t.user_attrs[PRUNED_AT_ATTR]
        for t in study.get_trials()
        if t.state == TrialState.PRUNED
    }
    assert pruned == {5: 2, 6: 3}


# Feasibility (issue 13 item 4). The study constrains coherence >= 0.5.
CONSTRAINED: list[list[tuple[float, float]]] = [
    [(0.5, 0.5), (0.9, 0.9), (0.9, 0.4)],  # 0: completes INFEASIBLE (final coherence 0.4)
    [(0.5, 0.5), (0.5, 0.55), (0.6, 0.6)],  # 1: completes feasible
    [(0.5, 0.5), (0.55, 0.52), (0.7, 0.7)],  # 2: at 2 only the infeasible 0 dominates: completes
    [(0.5, 0.5), (0.45, 0.5), (0.7, 0.7)],  # 3: at 2 the feasible 1 dominates: pruned at 2
    [(0.5, 0.5), (0.95, 0.45), (0.9, 0.9)],  # 4: infeasible at 2 (0.45 < 0.5): 1 beats it
]


def _constrained(params: Mapping[str, Any], report: ReportFn) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for epoch, (v, c) in enumerate(CONSTRAINED[int(params["idx"])], start=1):
        metrics = {"validity": v, "coherence": c}
        report(epoch, metrics)
    return metrics


register_problem(
    "synthetic-constrained",
    lambda options: Problem(
        space=SearchSpace(params={"idx": Choice(choices=list(range(len(CONSTRAINED))))}),
        function=_constrained,
    ),
)


def test_infeasible_completed_trial_never_prunes_and_feasible_one_does() -> None:
    storage = optuna.storages.InMemoryStorage()
    config = StudyConfig(
        objectives=parse_objectives("validity,coherence"),
        constraints=parse_conditions(["coherence >= 0.5"]),
        n_trials=len(CONSTRAINED),
        sampler="random",
        pruner=DominancePruner(min_dominating=1, warmup_trials=1, warmup_epochs=1),
        problem="synthetic-constrained",
    )
    study = create_or_load_study(storage, "feasible", config)
    for i in range(len(CONSTRAINED)):
        study.enqueue_trial({"idx": i})
    run_worker(storage, "feasible")
    trials = sorted(study.get_trials(), key=lambda t: t.number)
    states = {t.number: t.state for t in trials}
    assert states == {
        0: TrialState.COMPLETE,
        1: TrialState.COMPLETE,
        2: TrialState.COMPLETE,
        3: TrialState.PRUNED,
        4: TrialState.PRUNED,
    }
    assert trials[0].constraints and not all(v <= 0 for v in trials[0].constraints.values())
    assert trials[4].user_attrs[PRUNED_AT_ATTR] == 2
    assert trials[4].user_attrs[VIOLATION_HISTORY_ATTR]["2"] == pytest.approx(0.05)
    assert study.metric_names == ["validity", "coherence"]


def _done(
    history: dict[str, list[float]],
    *,
    violation: dict[str, float] | None = None,
    constraints: dict[str, float] | None = None,
    state: TrialState = TrialState.COMPLETE,
) -> optuna.trial.FrozenTrial:
    attrs: dict[str, Any] = {"objective_history": history}
    if violation is not None:
        attrs[VIOLATION_HISTORY_ATTR] = violation
    return optuna.trial.create_trial(
        state=state,
        values=[0.5, 0.5] if state == TrialState.COMPLETE else None,
        user_attrs=attrs,
        constraints=constraints,
    )


def test_epoch_reference_keeps_only_feasible_completed_trials() -> None:
    trials = [
        _done({"2": [0.9, 0.9]}, constraints={"c": 0.1}),  # infeasible: left out
        _done({"2": [0.6, 0.7]}, constraints={"c": -0.2}, violation={"2": 0.0}),
        _done({"2": [0.5, 0.4]}),  # no constraint: feasible
        _done({"2": [0.99, 0.99]}, state=TrialState.PRUNED),  # not complete
        _done({"1": [0.99, 0.99]}),  # did not report epoch 2
    ]
    ref, viol = epoch_reference(trials, 2, [-1.0, -1.0])
    np.testing.assert_allclose(ref, [[-0.6, -0.7], [-0.5, -0.4]])
    np.testing.assert_allclose(viol, [0.0, 0.0])


def test_constrained_domination_by_hand() -> None:
    ref = np.array([[0.0, 0.0], [0.5, 0.5], [5.0, 5.0]])  # minimisation form
    # feasible running trial: only feasible-at-k rows that Pareto-dominate count
    assert constrained_dominated_count(np.array([1.0, 1.0]), 0.0, ref) == 2
    assert constrained_dominated_count(np.array([1.0, 1.0]), 0.0, ref, np.array([0.3, 0, 0])) == 1
    # infeasible running trial: every feasible row dominates it whatever the objectives,
    # an infeasible row only with a smaller violation
    assert constrained_dominated_count(np.array([-9.0, -9.0]), 0.2, ref) == 3
    d = np.array([0.1, 0.3, 0.0])
    assert constrained_dominated_count(np.array([-9.0, -9.0]), 0.2, ref, d) == 2
    assert constrained_dominated_count(np.array([1.0, 1.0]), 0.0, np.empty((0, 2))) == 0
    pruner = DominancePruner(min_dominating=3, warmup_trials=3, warmup_epochs=0)
    assert pruner.should_prune(1, np.array([-9.0, -9.0]), ref, violation=0.2)
    assert not pruner.should_prune(1, np.array([-9.0, -9.0]), ref)
