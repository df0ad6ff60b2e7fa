"""Benchmark: the multi-objective pruner's saving (goal: CPU <= 0.6x, hypervolume within 5%).

The same study (default sampler, same seed, same budget of COMPLETE + PRUNED trials)
with and without :class:`~lossbalance.study.DominancePruner`, on the ``toy`` trial
function with a CPU-busy epoch (``bench_study_real.py`` runs it on the real
objective; the measuring code is :mod:`_study_common`). CPU time is this process's
``time.process_time`` (it includes the sampler's own cost, the same in both arms;
the ratio of training epochs run is printed too: with a real objective, where an
epoch costs minutes, CPU follows it); hypervolume uses the fixed reference point (0, 0) (the worst
validity and coherence), so both arms are measured on the same scale.

Run: ``python -m pytest bench/bench_study_pruning.py -s``
(or ``python bench/bench_study_pruning.py``).
"""

from __future__ import annotations

from typing import Any

import optuna

import _study_common as common
from lossbalance.study import DominancePruner

BUDGET = 60
EPOCHS = 8
EPOCH_CPU_S = 0.02
SEEDS = (0, 1, 2)

#: Pruner settings measured: the default, and the most aggressive threshold.
PRUNERS = {
    "min_dominating=3, warmup_trials=5": DominancePruner(warmup_trials=5),
    "min_dominating=1, warmup_trials=5": DominancePruner(min_dominating=1, warmup_trials=5),
}


def measure() -> dict[str, Any]:
    """Every setting of :data:`PRUNERS` against no pruner over :data:`SEEDS`: median ratios."""
    problem = common.toy_problem(EPOCHS, EPOCH_CPU_S)
    return common.measure_pruning(problem, PRUNERS, SEEDS, BUDGET)


def test_pruning_saves_cpu(benchmark: Any) -> None:
    """pytest-benchmark wrapper: one round of :func:`measure` (it has its own baseline)."""
    common.run_benchmark(benchmark, measure)


if __name__ == "__main__":
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    measure()
