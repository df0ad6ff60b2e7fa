"""Measuring code the study benchmarks share, parametrised by the problem.

The three study benchmarks of issue 7 (pruning, search at equal CPU budget,
scale-out on PostgreSQL) run on two problems: the ``toy`` trial function with a
CPU-busy epoch (``bench_study_pruning.py``, ``bench_study_search.py``,
``bench_study_scaleout.py``) and the real ``experiment`` objective (train, generate,
evaluate; ``bench_study_real.py``). A :class:`BenchProblem` says how to build the
study's config and whether to run one thread and report the *tight* reference point
too; the functions here do the measuring and printing once.

Hypervolume uses the fixed reference point (0, 0) (the minimisation form of the
worst validity and coherence, docs/studies.md); with ``tight=True`` also a point
shared by the arms compared (:func:`tight_reference`).

Imported as ``from _study_common import ...``: pytest (default ``prepend`` import
mode) and ``python bench/<file>.py`` both put this folder on ``sys.path``.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
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
    make_sampler,
    open_storage,
    parse_objectives,
    run_study,
    run_worker,
)
from lossbalance.study._results import hypervolume, study_objectives
from lossbalance.study._workers import set_thread_share

FIXED_REF = np.array([0.0, 0.0])  # minimisation form of validity = 0, coherence = 0
POSTGRES_URL = os.environ.get(
    "LOSSBALANCE_TEST_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)

#: ``(runs_dir, seed, sampler, pruner, n_trials) -> StudyConfig``
ConfigFactory = Callable[[str, int, str, DominancePruner | None, int], StudyConfig]


@dataclass(frozen=True)
class BenchProblem:
    """What the study benchmarks run on.

    Attributes:
        name: Short label, used in the PostgreSQL study names.
        config: Builds the study's config (the runs folder is a fresh temporary one).
        one_thread: Give this process one intra-op thread, run workers with one
            thread and let failed trials count as failed (the real objective).
        tight: Report hypervolume at the tight reference point as well as at (0, 0).
    """

    name: str
    config: ConfigFactory
    one_thread: bool = False
    tight: bool = False


def toy_problem(epochs: int, epoch_seconds: float) -> BenchProblem:
    """The ``toy`` trial function with ``epochs`` CPU-busy epochs of ``epoch_seconds``."""

    def config(
        _runs: str, seed: int, sampler: str, pruner: DominancePruner | None, n_trials: int
    ) -> StudyConfig:
        return StudyConfig(
            objectives=parse_objectives("validity,coherence"),
            n_trials=n_trials,
            sampler=sampler,  # type: ignore[arg-type]
            seed=seed,
            pruner=pruner,
            problem_options={"epochs": epochs, "epoch_seconds": epoch_seconds, "busy": True},
        )

    return BenchProblem("toy", config)


def completed_values(study: optuna.Study) -> np.ndarray:
    """The COMPLETE trials' values, shape ``(n, 2)``."""
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return np.array([t.values for t in done], dtype=np.float64).reshape(-1, 2)


def tight_reference(*arms: np.ndarray) -> np.ndarray:
    """Per objective (both maximised), the worst value of any arm minus 10% of the range,
    in minimisation form."""
    both = np.vstack([a for a in arms if a.size])
    lo, hi = both.min(axis=0), both.max(axis=0)
    return -(lo - 0.1 * np.maximum(hi - lo, 1e-9))


def arm_hv(arm: Mapping[str, Any], ref: np.ndarray) -> float:
    """Hypervolume of one arm's complete trials at ``ref`` (0 without any)."""
    values = arm["values"]
    return hypervolume(values, study_objectives(arm["study"]), ref) if values.size else 0.0


def _threads(problem: BenchProblem) -> int | None:
    if problem.one_thread:
        set_thread_share(1)
        return 1
    return None


# --------------------------------------------------------------------------- pruning
def pruning_once(
    problem: BenchProblem, seed: int, pruner: DominancePruner | None, budget: int
) -> dict[str, Any]:
    """One study of ``budget`` trials in this process: CPU, values, pruned, epochs."""
    threads = _threads(problem)
    storage = optuna.storages.InMemoryStorage()
    with tempfile.TemporaryDirectory() as runs:
        config = problem.config(runs, seed, "auto", pruner, budget)
        study = create_or_load_study(storage, "bench", config)
        start = time.process_time()
        run_worker(storage, "bench", threads=threads)
        cpu = time.process_time() - start
    trials = study.get_trials(deepcopy=False)
    return {
        "study": study,
        "cpu_s": cpu,
        "values": completed_values(study),
        "pruned": sum(t.state == TrialState.PRUNED for t in trials),
        "failed": sum(t.state == TrialState.FAIL for t in trials),
        "epochs": sum(len(t.user_attrs.get(HISTORY_ATTR, {})) for t in trials),
    }


def measure_pruning(
    problem: BenchProblem,
    pruners: Mapping[str, DominancePruner],
    seeds: Sequence[int],
    budget: int,
) -> dict[str, Any]:
    """Each pruner of ``pruners`` against none over ``seeds``: median ratios, printed."""
    runs = {seed: {"none": pruning_once(problem, seed, None, budget)} for seed in seeds}
    for seed in seeds:
        for label, pruner in pruners.items():
            runs[seed][label] = pruning_once(problem, seed, pruner, budget)
    result: dict[str, Any] = {}
    for label in pruners:
        cpu, hv0, hvt, ep = [], [], [], []
        for seed in seeds:
            off, on = runs[seed]["none"], runs[seed][label]
            f_off, f_on = arm_hv(off, FIXED_REF), arm_hv(on, FIXED_REF)
            cpu.append(on["cpu_s"] / off["cpu_s"])
            hv0.append(f_on / f_off)
            ep.append(on["epochs"] / off["epochs"])
            line = f"[{label}] seed {seed}: no pruner {off['cpu_s']:.2f} s CPU, HV(0,0) {f_off:.4f}"
            if problem.tight:
                ref = tight_reference(*(r["values"] for r in runs[seed].values()))
                h_off, h_on = arm_hv(off, ref), arm_hv(on, ref)
                hvt.append(h_on / h_off)
                line += f", HV(tight) {h_off:.5f}"
            line += f"; pruner {on['cpu_s']:.2f} s CPU, HV(0,0) {f_on:.4f}"
            if problem.tight:
                line += f", HV(tight) {h_on:.5f}"
            print(
                f"{line}, {on['pruned']}/{budget} pruned, {on['failed']} failed; "
                f"epochs run {on['epochs']} vs {off['epochs']}"
            )
        row = {"cpu_ratio": float(np.median(cpu))}
        if problem.tight:
            row["hv_ratio_fixed_ref"] = float(np.median(hv0))
            row["hv_ratio_tight_ref"] = float(np.median(hvt))
            hv_text = (
                f"{row['hv_ratio_fixed_ref']:.4f} at (0,0), {row['hv_ratio_tight_ref']:.4f} "
                "at the tight point"
            )
        else:
            row["hv_ratio"] = float(np.median(hv0))
            hv_text = f"{row['hv_ratio']:.4f}"
        row["epoch_ratio"] = float(np.median(ep))
        print(
            f"[{label}] median CPU ratio {row['cpu_ratio']:.3f} (goal <= 0.6), hypervolume "
            f"ratio {hv_text} (goal >= 0.95), epochs-run ratio {row['epoch_ratio']:.3f}"
        )
        result[label] = row
    return result


# ---------------------------------------------------------------------------- search
def search_arm(
    problem: BenchProblem,
    seed: int,
    sampler: str,
    pruner: DominancePruner | None,
    cpu_budget_s: float,
) -> dict[str, Any]:
    """Trials until ``cpu_budget_s`` of this process's CPU is spent (checked after every
    trial); the study, its complete trials' values and its trial count."""
    _threads(problem)
    storage = optuna.storages.InMemoryStorage()
    with tempfile.TemporaryDirectory() as runs:
        config = problem.config(runs, seed, sampler, pruner, 10_000)
        study = create_or_load_study(storage, "bench", config)
        built = build_problem(config.problem, config.problem_options)
        study.sampler = make_sampler(
            sampler, seed=seed, n_trials=config.n_trials, n_objectives=2, space=built.space
        )
        objective = StudyObjective(config, built)
        start = time.process_time()

        def stop_at_budget(st: optuna.Study, _trial: Any) -> None:
            if time.process_time() - start >= cpu_budget_s:
                st.stop()

        catch: tuple[type[Exception], ...] = (Exception,) if problem.one_thread else ()
        study.optimize(objective, callbacks=[stop_at_budget], catch=catch)
    return {"study": study, "values": completed_values(study), "trials": len(study.trials)}


def measure_search(
    problem: BenchProblem, seeds: Sequence[int], cpu_budget_s: float
) -> dict[str, Any]:
    """Random without pruning vs auto + the default pruner over ``seeds``; median
    hypervolume ratios, printed."""
    fixed, tight = [], []
    for seed in seeds:
        base = search_arm(problem, seed, "random", None, cpu_budget_s)
        ours = search_arm(problem, seed, "auto", DominancePruner(), cpu_budget_s)
        f_base, f_ours = arm_hv(base, FIXED_REF), arm_hv(ours, FIXED_REF)
        fixed.append(f_ours / f_base)
        line = (
            f"seed {seed}: random {f_base:.4f} ({base['trials']} trials), auto+pruner "
            f"{f_ours:.4f} ({ours['trials']} trials), {cpu_budget_s:g} s CPU each; "
            f"HV ratio {fixed[-1]:.4f} at (0,0)"
        )
        if problem.tight:
            ref = tight_reference(base["values"], ours["values"])
            tight.append(arm_hv(ours, ref) / arm_hv(base, ref))
            line += f", {tight[-1]:.4f} at the tight point {(-ref).round(4).tolist()}"
        print(line)
    if not problem.tight:
        median = float(np.median(fixed))
        print(f"median hypervolume ratio (auto+pruner / random): {median:.3f}  (goal >= 1.2)")
        return {"hv_ratio": median, "ratios": fixed}
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
def trials_per_hour(problem: BenchProblem, workers: int, n_trials: int) -> float:
    """One study of ``n_trials`` random trials with ``workers`` spawned processes of one
    thread on PostgreSQL; trials per hour between the first trial's start and the last
    trial's end (storage timestamps, so process start-up is left out)."""
    name = f"lb-bench-{problem.name}-{uuid.uuid4().hex[:8]}"
    storage = open_storage(POSTGRES_URL)
    with tempfile.TemporaryDirectory() as runs:
        config = problem.config(runs, 0, "random", None, n_trials)
        try:
            study = run_study(POSTGRES_URL, name, config, workers=workers, threads=workers)
            done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            first = min(t.datetime_start for t in done if t.datetime_start is not None)
            last = max(t.datetime_complete for t in done if t.datetime_complete is not None)
            return len(done) / ((last - first).total_seconds() / 3600.0)
        finally:
            optuna.delete_study(study_name=name, storage=storage)


def measure_scaleout(problem: BenchProblem, n_trials: int) -> dict[str, float]:
    """1 worker, then 2 workers; the ratio, printed."""
    one = trials_per_hour(problem, 1, n_trials)
    two = trials_per_hour(problem, 2, n_trials)
    ratio = two / one
    print(
        f"{problem.name} objective on PostgreSQL: 1 worker {one:.0f} trials/h; 2 workers "
        f"{two:.0f} trials/h; ratio {ratio:.2f} (goal >= 1.8; {os.cpu_count()} CPUs, load "
        f"{os.getloadavg()[0]:.1f})"
    )
    return {"one_worker_per_h": one, "two_workers_per_h": two, "ratio": ratio}


def strip_studies(result: Mapping[str, Any]) -> dict[str, Any]:
    """``result`` without optuna studies (for pytest-benchmark's ``extra_info``)."""
    return {k: v for k, v in result.items() if not isinstance(v, optuna.Study)}


def run_benchmark(benchmark: Any, measure: Callable[[], Mapping[str, Any]]) -> None:
    """pytest-benchmark wrapper: one round of ``measure`` (it has its own baseline)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    result = benchmark.pedantic(measure, rounds=1, iterations=1)
    benchmark.extra_info.update(strip_studies(result))
