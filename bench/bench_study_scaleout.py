"""Benchmark: 2 workers x 1 thread vs 1 worker x 1 thread on PostgreSQL (goal: >= 1.8x).

Throughput is trials per hour between the first trial's start and the last
trial's end (from the storage's timestamps, so process start-up is left out).
Both arms run ``N_TRIALS`` trials of the ``toy`` trial function with a CPU-busy
epoch, as spawned worker processes (``run_study``; the measuring code is
:mod:`_study_common`). The machine's other load counts: on a 2-core machine shared
with other work, 2 workers cannot reach 2x.

Needs the PostgreSQL server of the test fixtures (``LOSSBALANCE_TEST_POSTGRES``).
Run: ``python -m pytest bench/bench_study_scaleout.py -s``.
"""

from __future__ import annotations

from typing import Any

import optuna

import _study_common as common

N_TRIALS = 24
EPOCHS = 4
EPOCH_CPU_S = 0.1


def measure() -> dict[str, Any]:
    """Both arms; the ratio."""
    return common.measure_scaleout(common.toy_problem(EPOCHS, EPOCH_CPU_S), N_TRIALS)


def test_scale_out(benchmark: Any) -> None:
    """pytest-benchmark wrapper: one round of :func:`measure` (it has its own baseline)."""
    common.run_benchmark(benchmark, measure)


if __name__ == "__main__":
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    measure()
