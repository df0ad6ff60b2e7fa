"""Benchmark: default sampler + pruner vs RandomSampler without pruning at equal CPU budget.

Goal: hypervolume at least 1.2x (median over 3 seeds). Each arm runs in this
process until it has spent ``CPU_BUDGET_S`` seconds of ``time.process_time``
(checked after every trial) on the ``toy`` trial function with a CPU-busy epoch.
Reference point (0, 0): the worst validity and coherence (docs/studies.md).

The toy's front is easy to reach, so this measures the machinery; the figure that
matters comes when the real objective replaces the toy (experiment runner).

Run: ``python -m pytest bench/bench_study_search.py -s``
(or ``python bench/bench_study_search.py``).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import optuna
from optuna.trial import TrialState

from lossbalance.study import (
    DominancePruner,
    StudyConfig,
    StudyObjective,
    build_problem,
    create_or_load_study,
    make_sampler,
    parse_objectives,
)
from lossbalance.study._results import hypervolume, study_objectives

CPU_BUDGET_S = 6.0
EPOCHS = 8
EPOCH_CPU_S = 0.02
SEEDS = (0, 1, 2)
REFERENCE = np.array([0.0, 0.0])


def run_arm(seed: int, sampler: str, pruner: DominancePruner | None) -> dict[str, float]:
    """Run trials until the CPU budget is spent; final hypervolume and trial count."""
    storage = optuna.storages.InMemoryStorage()
    config = StudyConfig(
        objectives=parse_objectives("validity,coherence"),
        n_trials=10_000,
        sampler=sampler,  # type: ignore[arg-type]
        seed=seed,
        pruner=pruner,
        problem_options={"epochs": EPOCHS, "epoch_seconds": EPOCH_CPU_S, "busy": True},
    )
    study = create_or_load_study(storage, "bench", config)
    problem = build_problem(config.problem, config.problem_options)
    study.sampler = make_sampler(
        sampler, seed=seed, n_trials=config.n_trials, n_objectives=2, space=problem.space
    )
    objective = StudyObjective(config, problem)
    start = time.process_time()

    def stop_at_budget(st: optuna.Study, _trial: Any) -> None:
        if time.process_time() - start >= CPU_BUDGET_S:
            st.stop()

    study.optimize(objective, callbacks=[stop_at_budget])
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    hv = hypervolume(np.array([t.values for t in done]), study_objectives(study), REFERENCE)
    return {"hypervolume": hv, "trials": float(len(study.trials))}


def measure() -> dict[str, Any]:
    """Both arms over :data:`SEEDS`; the median hypervolume ratio."""
    ratios = []
    for seed in SEEDS:
        base = run_arm(seed, "random", None)
        ours = run_arm(seed, "auto", DominancePruner())
        ratios.append(ours["hypervolume"] / base["hypervolume"])
        print(
            f"seed {seed}: random {base['hypervolume']:.4f} ({base['trials']:.0f} trials), "
            f"auto+pruner {ours['hypervolume']:.4f} ({ours['trials']:.0f} trials), "
            f"ratio {ratios[-1]:.3f}"
        )
    median = float(np.median(ratios))
    print(f"median hypervolume ratio (auto+pruner / random): {median:.3f}  (goal >= 1.2)")
    return {"hv_ratio": median, "ratios": ratios}


def test_search_beats_random(benchmark: Any) -> None:
    """pytest-benchmark wrapper: one round of :func:`measure` (it has its own baseline)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    result = benchmark.pedantic(measure, rounds=1, iterations=1)
    benchmark.extra_info.update(result)


if __name__ == "__main__":
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    measure()
