"""Benchmark: full evaluation (validity, coherence, diversity, memorization, floor).

Goals (issue 12, fixed here before any result): a 100,000-patient generated cohort G
against a 100,000-patient reference F and a 100,000-patient train T, floor and
memorization (default query sample, 5,000) included: median at most 15 s on the 2-core
CI machine; the coherence part (validity and coherence of G against F, no train) at
least 50x faster than the per-visit Python reference ``bench/reference_metrics.py``,
measured in the same process on the same cohorts; peak memory with 1,000,000 patients
in each of G, F and T under 4 GiB (a fresh subprocess, ``resource.getrusage`` and
``tracemalloc``).

Cohorts: ``lossbalance.data.simulate`` (G, F and T three seeded draws of one world)
when it is available, else :func:`numpy_cohort` (vectorised numpy draws of the same
shape). The rules are the package's own (``default_rules()``) when they load, else no
edits.

Run: ``python -m pytest bench/bench_metrics.py -s`` (or ``python bench/bench_metrics.py``;
``python bench/bench_metrics.py memory`` runs only the 1M memory check).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from lossbalance.clinical import RuleSet
from lossbalance.data import CodeTable, Cohort, offsets_from_lengths
from lossbalance.metrics import evaluate

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_metrics import reference_evaluate

N_PATIENTS = 100_000
N_MEMORY = 1_000_000
ROUNDS = 3
GOAL_SECONDS = 15.0
GOAL_SPEEDUP = 50.0
GOAL_BYTES = 4 * 2**30


def numpy_cohort(n_patients: int, seed: int, n_codes: int = 2_000) -> Cohort:
    """MIMIC-shaped random cohort: 1 + Poisson(0.8) visits, 1 + Poisson(12.7) codes per
    visit, codes from 20 clusters with Zipf-like frequencies (so pairs co-occur)."""
    rng = np.random.default_rng(seed)
    vpp = 1 + rng.poisson(0.8, n_patients)
    cpv = 1 + rng.poisson(12.7, int(vpp.sum()))
    n = int(cpv.sum())
    per = n_codes // 20
    cluster = np.repeat(rng.integers(0, 20, len(cpv)), cpv)
    codes = cluster * per + np.minimum(rng.zipf(1.3, n) - 1, per - 1)
    mixed = rng.random(n) < 0.3
    codes[mixed] = np.minimum(rng.zipf(1.2, int(mixed.sum())) - 1, n_codes - 1)
    names = np.char.add("C", np.char.zfill(np.arange(n_codes).astype(str), 4))
    table = CodeTable(names, np.ones(n_codes, np.uint8), np.zeros(n_codes, np.uint8))
    return Cohort(
        age=rng.uniform(0, 90, n_patients),
        sex=rng.integers(0, 2, n_patients).astype(np.uint8),
        visit_offsets=offsets_from_lengths(vpp),
        code_offsets=offsets_from_lengths(cpv),
        codes=codes.astype(np.int32),
        code_table=table,
    )


def cohorts(n_patients: int) -> tuple[Cohort, Cohort, Cohort, str]:
    """(G, F, T, what they are): seeded draws of the simulator, else of numpy_cohort."""
    try:
        from lossbalance.data import simulate

        g, f, t = (simulate(n_patients, seed=s) for s in (1, 2, 3))
        return g, f, t, "simulator"
    except NotImplementedError:
        g, f, t = (numpy_cohort(n_patients, s) for s in (1, 2, 3))
        return g, f, t, "numpy_cohort"


class _NoEdits(RuleSet):
    def __init__(self) -> None:  # a stand-in with no edit at all
        self.source = "no edits"

    def edits_for(self, table: CodeTable) -> Any:
        from lossbalance.metrics.testing import HandRules

        return HandRules().edits_for(table)


def rules() -> RuleSet:
    try:
        from lossbalance.clinical import default_rules

        return default_rules()
    except NotImplementedError:
        return _NoEdits()


def run_speed(benchmark: Any | None = None) -> dict[str, float]:
    g, f, t, what = cohorts(N_PATIENTS)
    rule_set = rules()
    evaluate(g, f, rules=rule_set, memorization=False)  # warm-up: imports, caches
    if benchmark is not None:
        benchmark.pedantic(
            evaluate, args=(g, f, t), kwargs={"rules": rule_set}, rounds=ROUNDS, iterations=1
        )
        full = benchmark.stats.stats.median
    else:
        times = []
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            evaluate(g, f, t, rules=rule_set)
            times.append(time.perf_counter() - t0)
        full = statistics.median(times)
    # CPU seconds of every thread: on a loaded shared machine, wall time is far longer
    c0 = time.process_time()
    evaluate(g, f, t, rules=rule_set)
    cpu = time.process_time() - c0
    parts = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        fast_values = evaluate(g, f, rules=rule_set).flat()
        parts.append(time.perf_counter() - t0)
    fast = statistics.median(parts)
    t0 = time.perf_counter()
    slow_values = reference_evaluate(g, f, rules=rule_set)
    slow = time.perf_counter() - t0
    worst = max(
        abs(fast_values[k] - slow_values[k])
        for k in fast_values
        if not (np.isnan(fast_values[k]) and np.isnan(slow_values[k]))
    )
    print(
        f"\n{N_PATIENTS:,} G vs {N_PATIENTS:,} F, {N_PATIENTS:,} T ({what}; G "
        f"{g.n_visits:,} visits, {g.n_codes:,} codes), rules: {getattr(rule_set, 'source', '?')}"
    )
    print(
        f"full evaluate (floor, memorization) median of {ROUNDS}: {full:.2f} s "
        f"(goal <= {GOAL_SECONDS} s); CPU time of one run, all threads: {cpu:.2f} s"
    )
    print(
        f"coherence part (validity + coherence, no train) median of {ROUNDS}: {fast:.3f} s; "
        f"per-visit reference, once: {slow:.2f} s; speedup {slow / fast:.1f}x "
        f"(goal >= {GOAL_SPEEDUP:.0f}x); largest difference {worst:.2e}"
    )
    return {
        "median_s": full,
        "cpu_s": cpu,
        "coherence_s": fast,
        "reference_s": slow,
        "speedup": slow / fast,
    }


MAKE_SCRIPT = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
from bench_metrics import N_MEMORY, cohorts
g, f, t, what = cohorts(N_MEMORY)
g.save(sys.argv[2] + "/g.npz")
f.save(sys.argv[2] + "/f.npz")
t.save(sys.argv[2] + "/t.npz")
print(json.dumps({"what": what}))
"""

MEMORY_SCRIPT = r"""
import json, resource, sys, time, tracemalloc
sys.path.insert(0, sys.argv[1])
from bench_metrics import rules
from lossbalance.data import Cohort
from lossbalance.metrics import evaluate
g, f, t = (Cohort.load(sys.argv[2] + f"/{x}.npz") for x in "gft")
rule_set = rules()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
tracemalloc.start()
t0 = time.perf_counter()
evaluate(g, f, t, rules=rule_set)
seconds = time.perf_counter() - t0
_, traced = tracemalloc.get_traced_memory()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"visits": g.n_visits, "codes": g.n_codes, "rss_before": before,
                  "rss_peak": peak, "traced_peak": traced, "seconds": seconds}))
"""


def run_memory() -> dict[str, Any]:
    """Peak memory of evaluate at 1M patients in each of G, F and T, floor and
    memorization included, in a fresh process that only loads the three cohort files
    (drawn and saved by another process) and evaluates."""
    here = str(Path(__file__).resolve().parent)
    with tempfile.TemporaryDirectory() as tmp:
        made = subprocess.run(
            [sys.executable, "-c", MAKE_SCRIPT, here, tmp],
            check=True,
            capture_output=True,
            text=True,
        )
        what = json.loads(made.stdout.strip().splitlines()[-1])["what"]
        out = subprocess.run(
            [sys.executable, "-c", MEMORY_SCRIPT, here, tmp],
            check=True,
            capture_output=True,
            text=True,
        )
    info: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    info["what"] = what
    gib = 2**30
    print(
        f"\n{N_MEMORY:,} patients in each of G, F, T ({what}; G {info['visits']:,} visits, "
        f"{info['codes']:,} codes), floor and memorization: evaluate {info['seconds']:.1f} s "
        f"(tracemalloc on)"
    )
    print(
        f"peak RSS of the process {info['rss_peak'] / gib:.2f} GiB (goal < 4 GiB; "
        f"{info['rss_before'] / gib:.2f} GiB after loading the three cohorts); "
        f"evaluate's own peak allocations (tracemalloc) {info['traced_peak'] / gib:.2f} GiB"
    )
    return info


def test_bench_evaluate_100k(benchmark: Any) -> None:
    run_speed(benchmark)


def test_bench_memory_1m() -> None:
    info = run_memory()
    assert info["rss_peak"] > 0


if __name__ == "__main__":
    if sys.argv[1:] != ["memory"]:
        run_speed()
    run_memory()
