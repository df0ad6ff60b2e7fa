"""Benchmark: the multi-objective pruner's saving (goal: CPU <= 0.6x, hypervolume within 5%).

The same study (default sampler, same seed, same budget of COMPLETE + PRUNED trials)
with and without :class:`~lossbalance.study.DominancePruner`, on the ``toy`` trial
function with a CPU-busy epoch (the real objective, train + generate + evaluate,
replaces it once the experiment runner lands). CPU time is this process's
``time.process_time`` (it includes the sampler's own cost, the same in both arms;
the ratio of training epochs run is printed too: with a real objective, where an
epoch costs minutes, CPU follows it); hypervolume uses the fixed reference point (0, 0) (the worst
validity and coherence), so both arms are measured on the same scale.

Run: ``python -m pytest bench/bench_study_pruning.py -s``
(or ``python bench/bench_study_pruning.py``).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import optuna
from optuna.trial import TrialState

from lossbalance.study import (
    HISTORY_ATTR,
    DominancePruner,
    StudyConfig,
    create_or_load_study,
    parse_objectives,
    run_worker,
)
from lossbalance.study._results import hypervolume, study_objectives

BUDGET = 60
EPOCHS = 8
EPOCH_CPU_S = 0.02
SEEDS = (0, 1, 2)
REFERENCE = np.array([0.0, 0.0])  # minimisation form of validity = 0, coherence = 0


def run_once(seed: int, pruner: DominancePruner | None) -> dict[str, float]:
    """One study in this process: CPU seconds, final hypervolume, pruned count."""
    storage = optuna.storages.InMemoryStorage()
    config = StudyConfig(
        objectives=parse_objectives("validity,coherence"),
        n_trials=BUDGET,
        sampler="auto",
        seed=seed,
        pruner=pruner,
        problem_options={"epochs": EPOCHS, "epoch_seconds": EPOCH_CPU_S, "busy": True},
    )
    study = create_or_load_study(storage, "bench", config)
    start = time.process_time()
    run_worker(storage, "bench")
    cpu = time.process_time() - start
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    values = np.array([t.values for t in done])
    hv = hypervolume(values, study_objectives(study), REFERENCE)
    pruned = len(study.get_trials(deepcopy=False, states=(TrialState.PRUNED,)))
    epochs = sum(len(t.user_attrs.get(HISTORY_ATTR, {})) for t in study.get_trials(deepcopy=False))
    return {"cpu_s": cpu, "hypervolume": hv, "pruned": float(pruned), "epochs": float(epochs)}


#: Pruner settings measured: the default, and the most aggressive threshold.
PRUNERS = {
    "min_dominating=3, warmup_trials=5": DominancePruner(warmup_trials=5),
    "min_dominating=1, warmup_trials=5": DominancePruner(min_dominating=1, warmup_trials=5),
}


def measure() -> dict[str, Any]:
    """Every setting of :data:`PRUNERS` against no pruner over :data:`SEEDS`: median ratios."""
    offs = {seed: run_once(seed, None) for seed in SEEDS}
    result: dict[str, Any] = {}
    for label, pruner in PRUNERS.items():
        rows = []
        for seed in SEEDS:
            off, on = offs[seed], run_once(seed, pruner)
            rows.append((off, on))
            print(
                f"[{label}] seed {seed}: no pruner {off['cpu_s']:.2f} s CPU, "
                f"HV {off['hypervolume']:.4f}; pruner {on['cpu_s']:.2f} s CPU, "
                f"HV {on['hypervolume']:.4f}, {on['pruned']:.0f}/{BUDGET} pruned; "
                f"epochs run {on['epochs']:.0f} vs {off['epochs']:.0f}"
            )
        cpu = float(np.median([on["cpu_s"] / off["cpu_s"] for off, on in rows]))
        hv = float(np.median([on["hypervolume"] / off["hypervolume"] for off, on in rows]))
        epochs = float(np.median([on["epochs"] / off["epochs"] for off, on in rows]))
        print(
            f"[{label}] median CPU ratio {cpu:.3f} (goal <= 0.6), hypervolume ratio "
            f"{hv:.4f} (goal >= 0.95), epochs-run ratio {epochs:.3f}"
        )
        result[label] = {"cpu_ratio": cpu, "hv_ratio": hv, "epoch_ratio": epochs}
    return result


def test_pruning_saves_cpu(benchmark: Any) -> None:
    """pytest-benchmark wrapper: one round of :func:`measure` (it has its own baseline)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    result = benchmark.pedantic(measure, rounds=1, iterations=1)
    benchmark.extra_info.update(result)


if __name__ == "__main__":
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    measure()
