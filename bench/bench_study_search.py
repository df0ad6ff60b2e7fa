"""Benchmark: default sampler + pruner vs RandomSampler without pruning at equal CPU budget.

Goal: hypervolume at least 1.2x (median over 3 seeds). Each arm runs in this
process until it has spent ``CPU_BUDGET_S`` seconds of ``time.process_time``
(checked after every trial) on the ``toy`` trial function with a CPU-busy epoch.
Reference point (0, 0): the worst validity and coherence (docs/studies.md).

The toy's front is easy to reach, so this measures the machinery; the figure that
matters is the real objective's (``bench_study_real.py``; the measuring code is
:mod:`_study_common`).

Run: ``python -m pytest bench/bench_study_search.py -s``
(or ``python bench/bench_study_search.py``).
"""

from __future__ import annotations

from typing import Any

import optuna

import _study_common as common

CPU_BUDGET_S = 6.0
EPOCHS = 8
EPOCH_CPU_S = 0.02
SEEDS = (0, 1, 2)


def measure() -> dict[str, Any]:
    """Both arms over :data:`SEEDS`; the median hypervolume ratio."""
    problem = common.toy_problem(EPOCHS, EPOCH_CPU_S)
    return common.measure_search(problem, SEEDS, CPU_BUDGET_S)


def test_search_beats_random(benchmark: Any) -> None:
    """pytest-benchmark wrapper: one round of :func:`measure` (it has its own baseline)."""
    common.run_benchmark(benchmark, measure)


if __name__ == "__main__":
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    measure()
