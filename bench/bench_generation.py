"""Benchmark: generation patients/s with the key/value cache against ``use_cache=False``.

The default-size generator is first trained for two epochs on the numpy cohort of
``bench_trainer`` (so that patients end at realistic lengths rather than running to
the length limit), then samples the same patients with the same seed both ways.
Goal: cache/no-cache >= 3x (medians of 3 cached runs; the no-cache run once: it is slow).
Threads: ``BENCH_THREADS`` (default 1).

Run: ``python -m pytest bench/bench_generation.py -s`` (or ``python bench/bench_generation.py``).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).parent))
from _common import set_bench_threads, zipf_cohort
from bench_trainer import N_CODES, make_trainer
from bench_trainer import N_PATIENTS as TRAIN_PATIENTS
from lossbalance.model import SamplingConfig, generate
from lossbalance.training import TrainerConfig

N_PATIENTS = 128
REPEATS = 3


def measure() -> dict[str, float]:
    set_bench_threads()
    cohort = zipf_cohort(TRAIN_PATIENTS, N_CODES)
    trainer = make_trainer(cohort, TrainerConfig(epochs=2, batch_size=32, lr=3e-3, device="cpu"))
    trainer.fit()
    model = trainer.model
    cached, uncached = [], []
    n_tokens = 0
    for i in range(REPEATS):  # the slow no-cache path runs once
        for use_cache, out in ((True, cached), (False, uncached))[: 2 if i == 0 else 1]:
            sampling = SamplingConfig(use_cache=use_cache, batch_size=N_PATIENTS)
            t0 = time.perf_counter()
            g = generate(model, N_PATIENTS, reference=cohort, sampling=sampling, seed=0)
            out.append(time.perf_counter() - t0)
            n_tokens = g.n_codes + g.n_visits
    c, u = statistics.median(cached), statistics.median(uncached)
    return {
        "patients": float(N_PATIENTS),
        "mean_tokens_per_patient": n_tokens / N_PATIENTS,
        "cache_patients_per_s": N_PATIENTS / c,
        "no_cache_patients_per_s": N_PATIENTS / u,
        "speedup": u / c,
        "threads": float(torch.get_num_threads()),
    }


def _print(m: dict[str, float]) -> None:
    print(
        f"\ngeneration of {m['patients']:.0f} patients (default size, "
        f"{m['mean_tokens_per_patient']:.1f} tokens each, {m['threads']:.0f} thread(s)): "
        f"cache {m['cache_patients_per_s']:.1f} patients/s, no cache "
        f"{m['no_cache_patients_per_s']:.1f} patients/s; speed-up {m['speedup']:.2f}x (goal >= 3)"
    )


def test_generation_cache(benchmark: Any) -> None:
    """pytest-benchmark suite: sampling with and without the cache, same seed."""
    m = benchmark.pedantic(measure, rounds=1, iterations=1)
    benchmark.extra_info.update(m)
    _print(m)


if __name__ == "__main__":
    _print(measure())
