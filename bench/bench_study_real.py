"""Benchmarks of studies on the REAL objective (train, generate, evaluate), small size.

The three study benchmarks of issue 7, rerun with the ``experiment`` problem
instead of the toy (``bench_study_pruning.py``, ``bench_study_search.py`` and
``bench_study_scaleout.py`` keep the toy versions; the measuring code is
:mod:`_study_common`):

* **pruning** (goal: CPU <= 0.6x, hypervolume within 5%): the same study (auto
  sampler, same seed, :data:`BUDGET` COMPLETE + PRUNED trials of
  :data:`PRUNING_EPOCHS` epochs) without a pruner and with each of :data:`PRUNERS`;
* **search** (goal: hypervolume >= 1.2x, median of 3 seeds): auto sampler + default
  pruner against ``RandomSampler`` without pruning, each arm running trials until it
  has spent ``CPU_BUDGET_S`` of its process's CPU;
* **scale-out** (goal: >= 1.8x trials per hour): 2 spawned workers of one thread
  against 1, on PostgreSQL (``LOSSBALANCE_TEST_POSTGRES``), :data:`N_SCALE_TRIALS`
  random trials each (``BENCH_SCALE_TRIALS``), trials per hour from the storage's
  timestamps, ``BENCH_SCALE_REPS`` (default 3) repetitions: the mean ratio with its
  95% t-interval.

Every trial trains the built-in study's base at a smaller size (:data:`BASE`: 400
simulated patients, the tiny generator, an evaluation of 60 patients after each
epoch, 150 patients in the final evaluation) in one thread, over
``default_schedule_space()``. CPU is ``time.process_time`` of the process that runs
the arm (``BENCH_JOBS=2`` runs two arms side by side). Hypervolume is reported at
(0, 0) and, for the goals, at the front point of :func:`_study_common.front_reference`
(the nadir of the arms' own fronts plus 10% of their range; printed).

Run: ``BENCH_JOBS=2 python bench/bench_study_real.py pruning`` (``search``,
``scale``), or ``python -m pytest bench/bench_study_real.py -s -k pruning``; a quick
check of the scale-out at reduced size:
``BENCH_SCALE_TRIALS=8 python bench/bench_study_real.py scale``.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Any

import optuna

import _study_common as common
from lossbalance.study import DominancePruner, StudyConfig, default_base_spec, parse_study_spec

BASE: dict[str, Any] = {
    **default_base_spec(),
    "data": {"source": "simulator", "patients": 400, "seed": 0},
    "training": {**default_base_spec()["training"], "eval_patients": 60},
    "evaluation": {"patients": 150, "seed": 0},
}
EPOCHS = 4  # search and scale-out trials
PRUNING_EPOCHS = 8  # pruning trials: longer, as a study that trains to convergence
BUDGET = 24  # trials of each pruning study (the built-in study's budget)
SEEDS = (0, 1, 2)
CPU_BUDGET_S = 180.0
#: Trials of each scale-out arm: the 2-worker arm ends with one worker idle for up to a
#: trial, so fewer trials understate its rate.
N_SCALE_TRIALS = int(os.environ.get("BENCH_SCALE_TRIALS", "40"))

PRUNERS = {
    "default (min_dominating=3)": DominancePruner(),
    "min_dominating=2": DominancePruner(min_dominating=2),
}


def _config(
    epochs: int,
    runs: str,
    seed: int,
    sampler: str,
    pruner: DominancePruner | None,
    n_trials: int,
) -> StudyConfig:
    """The ``experiment`` problem on :data:`BASE` trained ``epochs`` epochs, runs under
    ``runs``."""
    base = {**BASE, "training": {**BASE["training"], "epochs": epochs}}
    spec = parse_study_spec(
        {"base": base, "sampler": {"name": sampler, "seed": seed}, "budget": {"trials": n_trials}}
    )
    config = spec.to_config(runs)
    return config.model_copy(update={"pruner": pruner, "timeout_s": None})


REAL = common.BenchProblem("real", functools.partial(_config, EPOCHS), one_thread=True)
REAL_LONG = common.BenchProblem(
    "real-long", functools.partial(_config, PRUNING_EPOCHS), one_thread=True
)


def measure_pruning() -> dict[str, Any]:
    """Each pruner of :data:`PRUNERS` against none over :data:`SEEDS`: median ratios."""
    return common.measure_pruning(REAL_LONG, PRUNERS, SEEDS, BUDGET)


def measure_search() -> dict[str, Any]:
    """Random without pruning vs auto + pruner over :data:`SEEDS`; median HV ratios."""
    return common.measure_search(REAL, SEEDS, CPU_BUDGET_S)


def measure_scaleout() -> dict[str, Any]:
    """1 worker and 2 workers on PostgreSQL, repeated; the mean ratio and its interval."""
    return common.measure_scaleout(REAL, N_SCALE_TRIALS)


def test_real_pruning(benchmark: Any) -> None:
    """pytest-benchmark wrapper: one round of :func:`measure_pruning`."""
    common.run_benchmark(benchmark, measure_pruning)


def test_real_search(benchmark: Any) -> None:
    """pytest-benchmark wrapper: one round of :func:`measure_search`."""
    common.run_benchmark(benchmark, measure_search)


def test_real_scaleout(benchmark: Any) -> None:
    """pytest-benchmark wrapper: one round of :func:`measure_scaleout`."""
    common.run_benchmark(benchmark, measure_scaleout)


if __name__ == "__main__":
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    which = sys.argv[1] if len(sys.argv) > 1 else "pruning"
    {"pruning": measure_pruning, "search": measure_search, "scale": measure_scaleout}[which]()
