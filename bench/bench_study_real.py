"""Benchmarks of studies on the REAL objective (train, generate, evaluate), small size.

The three study benchmarks of issue 7, rerun with the ``experiment`` problem
instead of the toy (``bench_study_pruning.py``, ``bench_study_search.py`` and
``bench_study_scaleout.py`` keep the toy versions):

* **pruning** (goal: CPU <= 0.6x, hypervolume within 5%): the same study (auto
  sampler, same seed, same budget of COMPLETE + PRUNED trials) without a pruner, with
  ``min_dominating`` 3 (the default), 2 and 1;
* **search** (goal: hypervolume >= 1.2x, median of 3 seeds): auto sampler + default
  pruner against ``RandomSampler`` without pruning, each arm running trials until it
  has spent ``CPU_BUDGET_S`` of this process's CPU;
* **scale-out** (goal: >= 1.8x trials per hour): 2 spawned workers of one thread
  against 1, on PostgreSQL (``LOSSBALANCE_TEST_POSTGRES``).

Every trial trains the built-in study's base at a smaller size (:data:`BASE`: 400
simulated patients, the tiny generator, 4 epochs with an evaluation each, 150
patients in the final evaluation) in one thread. CPU is ``time.process_time``
(training runs in this process). Hypervolume is reported against two reference
points: the fixed (0, 0) (worst validity and coherence, docs/studies.md; the same for
every study, but far from a front near (0.99, 0.7), so every ratio is close to 1),
and a *tight* point shared by the arms compared (per objective, the worst value any
arm observed minus 10% of the observed range), which shows the differences.

Run: ``python -m pytest bench/bench_study_real.py -s -k pruning`` (``-k search``,
``-k scale``), or ``python bench/bench_study_real.py pruning``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from typing import Any

import numpy as np
import optuna
from optuna.trial import TrialState

from lossbalance.study import (
    HISTORY_ATTR,
    DominancePruner,
    StudyConfig,
    StudyObjective,
    build_problem,
    create_or_load_study,
    default_base_spec,
    make_sampler,
    open_storage,
    parse_study_spec,
    run_study,
    run_worker,
)
from lossbalance.study._results import hypervolume, study_objectives
from lossbalance.study._workers import set_thread_share

BASE: dict[str, Any] = {
    **default_base_spec(),
    "data": {"source": "simulator", "patients": 400, "seed": 0},
    "training": {**default_base_spec()["training"], "epochs": 4, "eval_patients": 60},
    "evaluation": {"patients": 150, "seed": 0},
}
BUDGET = 16
SEEDS = (0, 1, 2)
CPU_BUDGET_S = 60.0
N_SCALE_TRIALS = 20  # with 8, the lone last trial of the 2-worker arm dominated the ratio
FIXED_REF = np.array([0.0, 0.0])  # minimisation form of validity = 0, coherence = 0
URL = os.environ.get(
    "LOSSBALANCE_TEST_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)


def _config(
    runs: str, seed: int, sampler: str, pruner: DominancePruner | None, n_trials: int
) -> StudyConfig:
    spec = parse_study_spec(
        {"base": BASE, "sampler": {"name": sampler, "seed": seed}, "budget": {"trials": n_trials}}
    )
    config = spec.to_config(runs)
    return config.model_copy(update={"pruner": pruner, "timeout_s": None})


def _values(study: optuna.Study) -> np.ndarray:
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return np.array([t.values for t in done], dtype=np.float64).reshape(-1, 2)


def tight_reference(*arms: np.ndarray) -> np.ndarray:
    """Per objective (both maximised), the worst value of any arm minus 10% of the range,
    in minimisation form."""
    both = np.vstack([a for a in arms if a.size])
    lo, hi = both.min(axis=0), both.max(axis=0)
    return -(lo - 0.1 * np.maximum(hi - lo, 1e-9))


def _hv(values: np.ndarray, study: optuna.Study, ref: np.ndarray) -> float:
    return hypervolume(values, study_objectives(study), ref) if values.size else 0.0


# --------------------------------------------------------------------------- pruning
def pruning_once(seed: int, pruner: DominancePruner | None) -> dict[str, Any]:
    """One study of :data:`BUDGET` trials in this process: CPU, values, pruned, epochs."""
    set_thread_share(1)
    storage = optuna.storages.InMemoryStorage()
    with tempfile.TemporaryDirectory() as runs:
        config = _config(runs, seed, "auto", pruner, BUDGET)
        study = create_or_load_study(storage, "bench", config)
        start = time.process_time()
        run_worker(storage, "bench", threads=1)
        cpu = time.process_time() - start
    trials = study.get_trials(deepcopy=False)
    return {
        "study": study,
        "cpu_s": cpu,
        "values": _values(study),
        "pruned": sum(t.state == TrialState.PRUNED for t in trials),
        "failed": sum(t.state == TrialState.FAIL for t in trials),
        "epochs": sum(len(t.user_attrs.get(HISTORY_ATTR, {})) for t in trials),
    }


PRUNERS = {
    "default (min_dominating=3)": DominancePruner(),
    "min_dominating=2": DominancePruner(min_dominating=2),
    "min_dominating=1": DominancePruner(min_dominating=1),
}


def measure_pruning() -> dict[str, Any]:
    """Each pruner of :data:`PRUNERS` against none over :data:`SEEDS`: median ratios."""
    runs = {seed: {"none": pruning_once(seed, None)} for seed in SEEDS}
    for seed in SEEDS:
        for label, pruner in PRUNERS.items():
            runs[seed][label] = pruning_once(seed, pruner)
    result: dict[str, Any] = {}
    for label in PRUNERS:
        cpu, hv0, hvt, ep = [], [], [], []
        for seed in SEEDS:
            off, on = runs[seed]["none"], runs[seed][label]
            ref = tight_reference(*(r["values"] for r in runs[seed].values()))
            h_off, h_on = (
                _hv(off["values"], off["study"], ref),
                _hv(on["values"], on["study"], ref),
            )
            f_off = _hv(off["values"], off["study"], FIXED_REF)
            f_on = _hv(on["values"], on["study"], FIXED_REF)
            cpu.append(on["cpu_s"] / off["cpu_s"])
            hv0.append(f_on / f_off)
            hvt.append(h_on / h_off)
            ep.append(on["epochs"] / off["epochs"])
            print(
                f"[{label}] seed {seed}: no pruner {off['cpu_s']:.1f} s CPU, HV(0,0) "
                f"{f_off:.4f}, HV(tight) {h_off:.5f}; pruner {on['cpu_s']:.1f} s CPU, HV(0,0) "
                f"{f_on:.4f}, HV(tight) {h_on:.5f}, {on['pruned']}/{BUDGET} pruned, "
                f"{on['failed']} failed; epochs {on['epochs']} vs {off['epochs']}"
            )
        row = {
            "cpu_ratio": float(np.median(cpu)),
            "hv_ratio_fixed_ref": float(np.median(hv0)),
            "hv_ratio_tight_ref": float(np.median(hvt)),
            "epoch_ratio": float(np.median(ep)),
        }
        print(
            f"[{label}] median CPU ratio {row['cpu_ratio']:.3f} (goal <= 0.6), hypervolume "
            f"ratio {row['hv_ratio_fixed_ref']:.4f} at (0,0), {row['hv_ratio_tight_ref']:.4f} "
            f"at the tight point (goal >= 0.95), epochs-run ratio {row['epoch_ratio']:.3f}"
        )
        result[label] = row
    return result


# ---------------------------------------------------------------------------- search
def search_arm(seed: int, sampler: str, pruner: DominancePruner | None) -> dict[str, Any]:
    """Trials until :data:`CPU_BUDGET_S` of CPU is spent; the complete trials' values."""
    set_thread_share(1)
    storage = optuna.storages.InMemoryStorage()
    with tempfile.TemporaryDirectory() as runs:
        config = _config(runs, seed, sampler, pruner, 10_000)
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

        study.optimize(objective, callbacks=[stop_at_budget], catch=(Exception,))
    return {"study": study, "values": _values(study), "trials": len(study.trials)}


def measure_search() -> dict[str, Any]:
    """Random without pruning vs auto + pruner over :data:`SEEDS`; median HV ratios."""
    fixed, tight = [], []
    for seed in SEEDS:
        base = search_arm(seed, "random", None)
        ours = search_arm(seed, "auto", DominancePruner())
        ref = tight_reference(base["values"], ours["values"])
        f = _hv(ours["values"], ours["study"], FIXED_REF) / _hv(
            base["values"], base["study"], FIXED_REF
        )
        t = _hv(ours["values"], ours["study"], ref) / _hv(base["values"], base["study"], ref)
        fixed.append(f)
        tight.append(t)
        print(
            f"seed {seed}: random {base['trials']} trials, auto+pruner {ours['trials']} trials "
            f"({CPU_BUDGET_S:.0f} s CPU each); HV ratio {f:.4f} at (0,0), {t:.4f} at the tight "
            f"point {(-ref).round(4).tolist()}"
        )
    out = {
        "hv_ratio_fixed_ref": float(np.median(fixed)),
        "hv_ratio_tight_ref": float(np.median(tight)),
    }
    print(
        f"median hypervolume ratio (auto+pruner / random): {out['hv_ratio_fixed_ref']:.4f} at "
        f"(0,0), {out['hv_ratio_tight_ref']:.4f} at the tight point (goal >= 1.2)"
    )
    return out


# ------------------------------------------------------------------------- scale-out
def trials_per_hour(workers: int) -> float:
    """One study with ``workers`` spawned processes of one thread; its throughput."""
    name = f"lb-bench-real-{uuid.uuid4().hex[:8]}"
    storage = open_storage(URL)
    with tempfile.TemporaryDirectory() as runs:
        config = _config(runs, 0, "random", None, N_SCALE_TRIALS)
        try:
            study = run_study(URL, name, config, workers=workers, threads=workers)
            done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            first = min(t.datetime_start for t in done if t.datetime_start is not None)
            last = max(t.datetime_complete for t in done if t.datetime_complete is not None)
            return len(done) / ((last - first).total_seconds() / 3600.0)
        finally:
            optuna.delete_study(study_name=name, storage=storage)


def measure_scaleout() -> dict[str, float]:
    """1 worker, then 2 workers; the ratio."""
    one = trials_per_hour(1)
    two = trials_per_hour(2)
    ratio = two / one
    print(
        f"real objective on PostgreSQL: 1 worker {one:.0f} trials/h; 2 workers {two:.0f} "
        f"trials/h; ratio {ratio:.2f} (goal >= 1.8; {os.cpu_count()} CPUs, load "
        f"{os.getloadavg()[0]:.1f})"
    )
    return {"one_worker_per_h": one, "two_workers_per_h": two, "ratio": ratio}


def _strip(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if not isinstance(v, optuna.Study)}


def test_real_pruning(benchmark: Any) -> None:
    """pytest-benchmark wrapper: one round of :func:`measure_pruning`."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    result = benchmark.pedantic(measure_pruning, rounds=1, iterations=1)
    benchmark.extra_info.update(_strip(result))


def test_real_search(benchmark: Any) -> None:
    """pytest-benchmark wrapper: one round of :func:`measure_search`."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    result = benchmark.pedantic(measure_search, rounds=1, iterations=1)
    benchmark.extra_info.update(result)


def test_real_scaleout(benchmark: Any) -> None:
    """pytest-benchmark wrapper: one round of :func:`measure_scaleout`."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    result = benchmark.pedantic(measure_scaleout, rounds=1, iterations=1)
    benchmark.extra_info.update(result)


if __name__ == "__main__":
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    which = sys.argv[1] if len(sys.argv) > 1 else "pruning"
    {"pruning": measure_pruning, "search": measure_search, "scale": measure_scaleout}[which]()
