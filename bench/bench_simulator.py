"""Benchmark: the reference simulator at 1,000,000 patients (goal: at most 60 s, 2 cores).

Baseline, measured in the same process: the same simulator at 100,000 patients. The
per-patient ratio (seconds per patient at 1M / at 100k) says whether the cost grows
linearly (ratio ~1) or worse. The summary statistics of the 1M cohort are printed beside
those of the two MIMIC demos (read from ``../shared/data`` when it is there).

Run: ``python -m pytest bench/bench_simulator.py -s`` (or ``python bench/bench_simulator.py``).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from lossbalance.data import Cohort, load_mimic3, load_mimic4, simulate

N_PATIENTS = 1_000_000
N_BASELINE = 100_000
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def _seconds(n: int, repeat: int) -> float:
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        simulate(n, seed=i)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def summary(c: Cohort) -> dict[str, float]:
    """Visits per patient, one-visit share, codes per visit, distinct codes."""
    v = c.visits_per_patient()
    k = c.codes_per_visit()
    return {
        "patients": float(c.n_patients),
        "visits_per_patient": float(v.mean()),
        "one_visit_share": float((v == 1).mean()),
        "codes_per_visit": float(k.mean()),
        "codes_per_visit_p90": float(np.percentile(k, 90)),
        "distinct_codes": float(c.distinct_codes()),
    }


def demo_summaries() -> dict[str, dict[str, float]]:
    out = {}
    if (SHARED / "mimic-iii-demo").is_dir():
        out["MIMIC-III demo"] = summary(load_mimic3(SHARED / "mimic-iii-demo"))
    if (SHARED / "mimic-iv-demo").is_dir():
        out["MIMIC-IV demo"] = summary(load_mimic4(SHARED / "mimic-iv-demo"))
    return out


def report(median_1m: float, cohort: Cohort) -> dict[str, float]:
    base = _seconds(N_BASELINE, repeat=3)
    ratio = (median_1m / N_PATIENTS) / (base / N_BASELINE)
    print(
        f"\nsimulate({N_PATIENTS:,}) median {median_1m:.2f} s; baseline simulate"
        f"({N_BASELINE:,}) median {base:.2f} s; per-patient ratio {ratio:.2f}"
    )
    cols = {"simulator (1M, icd10)": summary(cohort), **demo_summaries()}
    keys = list(next(iter(cols.values())))
    print(f"{'':22}" + "".join(f"{name:>24}" for name in cols))
    for key in keys:
        print(f"{key:22}" + "".join(f"{cols[name][key]:24.3f}" for name in cols))
    return {"median_1m_s": median_1m, "baseline_100k_s": base, "per_patient_ratio": ratio}


def test_simulate_1m(benchmark: Any) -> None:
    """pytest-benchmark suite: simulate 1M patients, 3 rounds, with the 100k baseline."""
    cohort = benchmark.pedantic(simulate, args=(N_PATIENTS,), rounds=3, iterations=1)
    assert cohort.n_patients == N_PATIENTS
    benchmark.extra_info.update(report(benchmark.stats.stats.median, cohort))


if __name__ == "__main__":
    simulate(10)  # build the sampler once, as the benchmark's warm-up does
    t = time.perf_counter()
    c = simulate(N_PATIENTS)
    report(time.perf_counter() - t, c)
