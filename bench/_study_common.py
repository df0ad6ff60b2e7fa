"""Measuring code the study benchmarks share, parametrised by the problem.

The three study benchmarks of issue 7 (pruning, search at equal CPU budget,
scale-out on PostgreSQL) run on two problems: the ``toy`` trial function with a
CPU-busy epoch (``bench_study_pruning.py``, ``bench_study_search.py``,
``bench_study_scaleout.py``) and the real ``experiment`` objective (train, generate,
evaluate; ``bench_study_real.py``). A :class:`BenchProblem` says how to build the
study's config and whether to run one thread; the functions here do the measuring and printing once.

Hypervolume uses the fixed reference point (0, 0) (the minimisation form of the
worst validity and coherence, docs/studies.md) and, for the goals, the front point
of :func:`front_reference`.

Imported as ``from _study_common import ...``: pytest (default ``prepend`` import
mode) and ``python bench/<file>.py`` both put this folder on ``sys.path``.
"""

from __future__ import annotations

import functools
import math
import multiprocessing
import os
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
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
from lossbalance.study._pruner import dominated_count
from lossbalance.study._results import hypervolume
from lossbalance.study._workers import set_thread_share

FIXED_REF = np.array([0.0, 0.0])  # minimisation form of validity = 0, coherence = 0
POSTGRES_URL = os.environ.get(
    "LOSSBALANCE_TEST_POSTGRES", "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
)

#: Processes that run the arms of the pruning and search benchmarks side by side
#: (``BENCH_JOBS``, default 1). Each arm's CPU is its own process's; with 2 jobs on
#: 2 cores the wall time halves and CPU times stay comparable (both arms share it).
JOBS = int(os.environ.get("BENCH_JOBS", "1"))
_OBJECTIVES = parse_objectives("validity,coherence")

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
    """

    name: str
    config: ConfigFactory
    one_thread: bool = False


def _toy_config(
    epochs: int,
    epoch_seconds: float,
    _runs: str,
    seed: int,
    sampler: str,
    pruner: DominancePruner | None,
    n_trials: int,
) -> StudyConfig:
    return StudyConfig(
        objectives=_OBJECTIVES,
        n_trials=n_trials,
        sampler=sampler,  # type: ignore[arg-type]
        seed=seed,
        pruner=pruner,
        problem_options={"epochs": epochs, "epoch_seconds": epoch_seconds, "busy": True},
    )


def toy_problem(epochs: int, epoch_seconds: float) -> BenchProblem:
    """The ``toy`` trial function with ``epochs`` CPU-busy epochs of ``epoch_seconds``."""
    return BenchProblem("toy", functools.partial(_toy_config, epochs, epoch_seconds))


def completed_values(study: optuna.Study) -> np.ndarray:
    """The COMPLETE trials' values, shape ``(n, 2)``."""
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return np.array([t.values for t in done], dtype=np.float64).reshape(-1, 2)


def front_reference(*arms: np.ndarray) -> np.ndarray:
    """The reference point of the benchmarks' goals, in minimisation form.

    Per objective, the worst value on any arm's own Pareto front (every arm and seed
    of the benchmark run), pushed out by 10% of the range those fronts span (at
    least 1e-3): the nadir-plus-margin rule of Ishibuchi et al. 2018 ("How to
    specify a reference point in hypervolume calculation for fair performance
    comparison"), over the fronts compared, so that every arm's front counts. One
    point per benchmark run, so the seeds' ratios are comparable, and near the
    fronts, so a ratio shows how much more of the front an arm found (at (0, 0) the
    fronts lie near (0.99, 0.55) and a ratio of 1.2 would need coherence 20%
    higher everywhere).
    """
    fronts = [-a[_non_dominated(-a)] for a in arms if a.size]  # minimisation form
    both = np.vstack(fronts)
    lo, hi = both.min(axis=0), both.max(axis=0)
    return hi + np.maximum(0.1 * (hi - lo), 1e-3)


def pareto_points(values: np.ndarray) -> list[tuple[float, float]]:
    """The non-dominated rows of ``values`` (both maximised), rounded, by validity."""
    if not values.size:
        return []
    front = values[_non_dominated(-values)]
    return sorted((round(float(v), 4), round(float(c), 4)) for v, c in front)


def _non_dominated(points: np.ndarray) -> np.ndarray:
    """Mask of the rows of ``points`` (minimisation) that no other row dominates (the
    pruner's dominance rule, :func:`lossbalance.study._pruner.dominated_count`)."""
    return np.array([dominated_count(p, points) == 0 for p in points], dtype=bool)


def _threads(problem: BenchProblem) -> int | None:
    if problem.one_thread:
        set_thread_share(1)
        return 1
    return None


# ---------------------------------------------------------------------- parallel arms
def _in_processes(
    fn: Callable[..., dict[str, Any]], calls: Sequence[tuple[Any, ...]]
) -> list[dict[str, Any]]:
    """``[fn(*c) for c in calls]``, in :data:`JOBS` spawned processes (each measures its own
    CPU with ``time.process_time``; the problem must be picklable)."""
    if JOBS <= 1:
        return [fn(*c) for c in calls]
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=JOBS, mp_context=ctx) as pool:
        return list(pool.map(fn, *zip(*calls, strict=True)))


def _summary(study: optuna.Study, cpu_s: float) -> dict[str, Any]:
    trials = study.get_trials(deepcopy=False)
    return {
        "cpu_s": cpu_s,
        "values": completed_values(study),
        "trials": len(trials),
        "pruned": sum(t.state == TrialState.PRUNED for t in trials),
        "failed": sum(t.state == TrialState.FAIL for t in trials),
        "epochs": sum(len(t.user_attrs.get(HISTORY_ATTR, {})) for t in trials),
    }


def _hv(arm: Mapping[str, Any], ref: np.ndarray) -> float:
    """Hypervolume of an arm's complete (validity, coherence) values at ``ref``."""
    return hypervolume(arm["values"], _OBJECTIVES, ref) if arm["values"].size else 0.0


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.inf


# --------------------------------------------------------------------------- pruning
def pruning_once(
    problem: BenchProblem, seed: int, pruner: DominancePruner | None, budget: int
) -> dict[str, Any]:
    """One study of ``budget`` trials in this process: CPU, values, pruned, epochs."""
    threads = _threads(problem)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.InMemoryStorage()
    with tempfile.TemporaryDirectory() as runs:
        config = problem.config(runs, seed, "auto", pruner, budget)
        study = create_or_load_study(storage, "bench", config)
        start = time.process_time()
        run_worker(storage, "bench", threads=threads)
        cpu = time.process_time() - start
    return _summary(study, cpu)


def measure_pruning(
    problem: BenchProblem,
    pruners: Mapping[str, DominancePruner],
    seeds: Sequence[int],
    budget: int,
) -> dict[str, Any]:
    """Each pruner of ``pruners`` against none over ``seeds``: median ratios, printed."""
    arms = {"none": None, **pruners}
    calls = [(problem, seed, pruner, budget) for seed in seeds for pruner in arms.values()]
    flat = iter(_in_processes(pruning_once, calls))
    runs = {seed: {label: next(flat) for label in arms} for seed in seeds}
    ref = front_reference(*(r["values"] for by in runs.values() for r in by.values()))
    print(f"reference points: (0, 0) and the front point {(-ref).round(4).tolist()}")
    result: dict[str, Any] = {"front_reference": (-ref).tolist()}
    for label in pruners:
        cpu, hv0, hvf, ep = [], [], [], []
        for seed in seeds:
            off, on = runs[seed]["none"], runs[seed][label]
            cpu.append(on["cpu_s"] / off["cpu_s"])
            hv0.append(_ratio(_hv(on, FIXED_REF), _hv(off, FIXED_REF)))
            hvf.append(_ratio(_hv(on, ref), _hv(off, ref)))
            ep.append(on["epochs"] / off["epochs"])
            print(
                f"[{label}] seed {seed}: no pruner {off['cpu_s']:.1f} s CPU, "
                f"HV {_hv(off, ref):.3g}; pruner {on['cpu_s']:.1f} s CPU, "
                f"HV {_hv(on, ref):.3g} (front point); "
                f"{on['pruned']}/{budget} pruned, {on['failed']} failed; epochs run "
                f"{on['epochs']} vs {off['epochs']}"
            )
        row = {
            "cpu_ratio": float(np.median(cpu)),
            "hv_ratio_front_ref": float(np.median(hvf)),
            "hv_ratio_fixed_ref": float(np.median(hv0)),
            "epoch_ratio": float(np.median(ep)),
        }
        print(
            f"[{label}] median CPU ratio {row['cpu_ratio']:.3f} (goal <= 0.6); hypervolume "
            f"ratio {row['hv_ratio_front_ref']:.4f} at the front point, "
            f"{row['hv_ratio_fixed_ref']:.4f} at (0,0) (goal >= 0.95); epochs-run ratio "
            f"{row['epoch_ratio']:.3f}"
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
    trial); the summary of :func:`pruning_once`."""
    _threads(problem)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
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
        cpu = time.process_time() - start
    return _summary(study, cpu)


def measure_search(
    problem: BenchProblem, seeds: Sequence[int], cpu_budget_s: float
) -> dict[str, Any]:
    """Random without pruning vs auto + the default pruner over ``seeds``; median
    hypervolume ratios, printed."""
    arms = {"random": ("random", None), "auto+pruner": ("auto", DominancePruner())}
    calls = [(problem, seed, s, p, cpu_budget_s) for seed in seeds for s, p in arms.values()]
    flat = iter(_in_processes(search_arm, calls))
    runs = {seed: {label: next(flat) for label in arms} for seed in seeds}
    ref = front_reference(*(r["values"] for by in runs.values() for r in by.values()))
    print(f"reference points: (0, 0) and the front point {(-ref).round(4).tolist()}")
    fixed, front = [], []
    for seed in seeds:
        base, ours = runs[seed]["random"], runs[seed]["auto+pruner"]
        fixed.append(_ratio(_hv(ours, FIXED_REF), _hv(base, FIXED_REF)))
        front.append(_ratio(_hv(ours, ref), _hv(base, ref)))
        print(
            f"seed {seed}: random HV {_hv(base, ref):.3g} ({base['trials']} trials, "
            f"{base['cpu_s']:.0f} s CPU), auto+pruner HV {_hv(ours, ref):.3g} "
            f"({ours['trials']} trials, {ours['pruned']} pruned, {ours['cpu_s']:.0f} s CPU); "
            f"ratio {front[-1]:.3f} at the front point, {fixed[-1]:.4f} at (0,0)"
        )
        for label, arm in runs[seed].items():
            print(f"  {label} front (validity, coherence): {pareto_points(arm['values'])}")
    out = {
        "front_reference": (-ref).tolist(),
        "hv_ratio_front_ref": float(np.median(front)),
        "hv_ratio_fixed_ref": float(np.median(fixed)),
        "ratios_front_ref": front,
    }
    print(
        f"median hypervolume ratio (auto+pruner / random): {out['hv_ratio_front_ref']:.3f} at "
        f"the front point (goal >= 1.2), {out['hv_ratio_fixed_ref']:.4f} at (0,0)"
    )
    return out


# ------------------------------------------------------------------------- scale-out
#: Repetitions of the scale-out benchmark (``BENCH_SCALE_REPS``, default 3).
SCALE_REPS = int(os.environ.get("BENCH_SCALE_REPS", "3"))


def trials_per_hour(
    problem: BenchProblem, workers: int, n_trials: int, seed: int = 0
) -> dict[str, float]:
    """One study of ``n_trials`` random trials with ``workers`` spawned processes of one
    thread on PostgreSQL; trials per hour between the first trial's start and the last
    trial's end (storage timestamps, so process start-up is left out).

    Returns:
        ``per_h`` (COMPLETE trials per hour), ``complete``, ``failed``, ``span_s`` and
        ``wall_s`` (the whole run, start-up included).
    """
    name = f"lb-bench-{problem.name}-{uuid.uuid4().hex[:8]}"
    storage = open_storage(POSTGRES_URL)
    with tempfile.TemporaryDirectory() as runs:
        config = problem.config(runs, seed, "random", None, n_trials)
        try:
            start = time.perf_counter()
            study = run_study(POSTGRES_URL, name, config, workers=workers, threads=workers)
            wall = time.perf_counter() - start
            trials = study.get_trials(deepcopy=False)
            done = [t for t in trials if t.state == TrialState.COMPLETE]
            first = min(t.datetime_start for t in done if t.datetime_start is not None)
            last = max(t.datetime_complete for t in done if t.datetime_complete is not None)
            span = (last - first).total_seconds()
            return {
                "per_h": len(done) / (span / 3600.0),
                "complete": len(done),
                "failed": sum(t.state == TrialState.FAIL for t in trials),
                "span_s": span,
                "wall_s": wall,
            }
        finally:
            optuna.delete_study(study_name=name, storage=storage)


def mean_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """Mean and the two-sided Student-t interval of the mean (NaN ends for one value)."""
    from scipy import stats

    x = np.asarray(values, dtype=np.float64)
    mean = float(x.mean())
    if x.size < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return mean, mean - half, mean + half


def measure_scaleout(
    problem: BenchProblem, n_trials: int, repetitions: int = SCALE_REPS
) -> dict[str, Any]:
    """``repetitions`` x (1 worker, 2 workers), alternating which arm runs first (drift in
    the machine's other load hits both); per repetition the ratio of trials per hour;
    the mean ratio and each arm's mean with their 95% t-intervals, printed."""
    rows = []
    for rep in range(repetitions):
        order = (1, 2) if rep % 2 == 0 else (2, 1)
        arms = {w: trials_per_hour(problem, w, n_trials, seed=rep) for w in order}
        ratio = arms[2]["per_h"] / arms[1]["per_h"]
        rows.append({"one": arms[1], "two": arms[2], "ratio": ratio})
        print(
            f"  rep {rep} (seed {rep}, {order[0]} worker(s) first): 1 worker "
            f"{arms[1]['per_h']:.0f} trials/h ({arms[1]['complete']:.0f} in "
            f"{arms[1]['span_s']:.1f} s, wall {arms[1]['wall_s']:.1f} s), 2 workers "
            f"{arms[2]['per_h']:.0f} trials/h ({arms[2]['complete']:.0f} in "
            f"{arms[2]['span_s']:.1f} s, wall {arms[2]['wall_s']:.1f} s): {ratio:.2f}x; "
            f"load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    ratio, lo, hi = mean_interval([r["ratio"] for r in rows])
    one, one_lo, one_hi = mean_interval([r["one"]["per_h"] for r in rows])
    two, two_lo, two_hi = mean_interval([r["two"]["per_h"] for r in rows])
    print(
        f"{problem.name} objective on PostgreSQL, {n_trials} trials per arm, {repetitions} "
        f"repetition(s): 1 worker {one:.0f} trials/h [{one_lo:.0f}, {one_hi:.0f}]; 2 workers "
        f"{two:.0f} trials/h [{two_lo:.0f}, {two_hi:.0f}]; ratio {ratio:.2f}x "
        f"[{lo:.2f}, {hi:.2f}] (mean, 95% t-interval over repetitions; goal >= 1.8; "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f})"
    )
    return {
        "one_worker_per_h": one,
        "two_workers_per_h": two,
        "ratio": ratio,
        "ratio_low": lo,
        "ratio_high": hi,
        "ratios": [r["ratio"] for r in rows],
    }


def run_benchmark(benchmark: Any, measure: Callable[[], Mapping[str, Any]]) -> None:
    """pytest-benchmark wrapper: one round of ``measure`` (it has its own baseline)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    result = benchmark.pedantic(measure, rounds=1, iterations=1)
    benchmark.extra_info.update(result)
