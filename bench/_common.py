"""Setup the trainer, generation and scheduler benchmarks share.

Imported as ``from _common import ...``: pytest (default ``prepend`` import mode) and
``python bench/<file>.py`` both put this folder on ``sys.path``.
"""

from __future__ import annotations

import os

import numpy as np
import torch

from lossbalance.data import CodeTable, Cohort, offsets_from_lengths
from lossbalance.model import Generator, GeneratorConfig
from lossbalance.training import build_generator

VALIDATION_PATIENTS = 8
"""The first patients of the cohort, held out as the validation set."""


def set_bench_threads() -> None:
    """Torch threads from ``BENCH_THREADS`` (default 1, so that a shared machine's other
    jobs do not stall the measurement)."""
    torch.set_num_threads(int(os.environ.get("BENCH_THREADS", "1")))


def zipf_cohort(n_patients: int, n_codes: int = 300, seed: int = 0) -> Cohort:
    """A cohort from vectorised numpy draws: 1-6 visits of 1-10 codes, Zipf-like code
    frequencies (exponent 1.05)."""
    rng = np.random.default_rng(seed)
    vpp = rng.integers(1, 7, n_patients)
    cpv = rng.integers(1, 11, int(vpp.sum()))
    p = 1.0 / np.arange(1, n_codes + 1) ** 1.05
    codes = rng.choice(n_codes, size=int(cpv.sum()), p=p / p.sum()).astype(np.int32)
    names = np.char.add("C", np.arange(n_codes).astype(str))
    table = CodeTable(names, np.ones(n_codes, np.uint8), np.zeros(n_codes, np.uint8))
    return Cohort(
        rng.uniform(0, 95, n_patients),
        rng.integers(0, 2, n_patients, dtype=np.uint8),
        offsets_from_lengths(vpp),
        offsets_from_lengths(cpv),
        codes,
        table,
    )


def default_generator(cohort: Cohort, seed: int) -> tuple[Cohort, Cohort, Generator]:
    """Training and validation cohorts (the first ``VALIDATION_PATIENTS`` patients held
    out) and a default-size generator (about 1M parameters) built on the training one."""
    train = cohort.select(np.arange(VALIDATION_PATIENTS, cohort.n_patients))
    val = cohort.select(np.arange(VALIDATION_PATIENTS))
    return train, val, build_generator(train, GeneratorConfig(), seed)
