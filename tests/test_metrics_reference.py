"""Cross-check: the vectorised metrics equal the per-visit Python reference to 1e-9."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

import lossbalance.metrics._memorization as memorization_module
import lossbalance.metrics._pairs as pairs_module
import lossbalance.metrics._space as space_module
from lossbalance.data import CodeTable, Cohort, offsets_from_lengths
from lossbalance.metrics import evaluate
from lossbalance.metrics.testing import Edit, HandRules

BENCH = Path(__file__).resolve().parents[1] / "bench" / "reference_metrics.py"


def _load_reference() -> ModuleType:
    spec = importlib.util.spec_from_file_location("lossbalance_bench_reference", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


reference = _load_reference()

RULES = HandRules(
    {
        "D0": Edit(0, 0, None, "Newborn_Only"),
        "D1": Edit(0, 17, None, "Pediatric_Only"),
        "D2": Edit(12, 55, "F", "Maternity_Only"),
        "D3": Edit(15, 124, None, "Adult_Only"),
        "D4": Edit(sex="M", name="Male_Only"),
        "P0": Edit(sex="F", name="Female_Only"),  # a procedure: not judged
    }
)


def random_cohort(n_patients: int, seed: int, n_codes: int = 400) -> Cohort:
    """Heavy-tailed codes (dx and px), duplicates, empty visits, rule conflicts."""
    rng = np.random.default_rng(seed)
    vpp = rng.poisson(1.3, n_patients)
    cpv = rng.poisson(6.0, int(vpp.sum()))
    n = int(cpv.sum())
    codes = np.minimum(rng.zipf(1.4, n) - 1, n_codes - 1).astype(np.int32)
    kinds = (np.arange(n_codes) % 7 == 6).astype(np.uint8)
    names = np.where(
        kinds == 1,
        np.char.add("P", np.arange(n_codes).astype(str)),
        np.char.add("D", np.arange(n_codes).astype(str)),
    )
    names[6] = "P0"
    table = CodeTable(names, np.ones(n_codes, np.uint8), kinds)
    return Cohort(
        age=rng.uniform(0, 100, n_patients),
        sex=rng.integers(0, 2, n_patients).astype(np.uint8),
        visit_offsets=offsets_from_lengths(vpp),
        code_offsets=offsets_from_lengths(cpv),
        codes=codes,
        code_table=table,
    )


def _assert_same(fast: dict[str, float], slow: dict[str, float]) -> None:
    assert set(fast) == set(slow)
    for name, value in fast.items():
        if math.isnan(slow[name]):
            assert math.isnan(value), name
        else:
            assert value == pytest.approx(slow[name], rel=1e-9, abs=1e-9), name


SAMPLE = 300  # the reference compares every pair of code sets: keep its searches small


@pytest.fixture(scope="module")
def cohorts_and_reference() -> tuple[Cohort, Cohort, Cohort, dict[str, float]]:
    g = random_cohort(2000, 1)
    f = random_cohort(1200, 2, n_codes=350)  # codes of G unknown to F, and of F to G
    t = random_cohort(2600, 3)
    slow = reference.reference_evaluate(
        g, f, t, rules=RULES, top_k=50, seed=11, memorization_sample=SAMPLE
    )
    return g, f, t, slow


@pytest.mark.slow
@pytest.mark.parametrize("dense", [True, False], ids=["dense-pairs", "sparse-pairs"])
@pytest.mark.parametrize("chunks", ["one", "many"], ids=["one-chunk", "many-chunks"])
def test_vectorised_equals_reference_on_2000_patients(
    dense: bool,
    chunks: str,
    monkeypatch: pytest.MonkeyPatch,
    cohorts_and_reference: tuple[Cohort, Cohort, Cohort, dict[str, float]],
) -> None:
    g, f, t, slow = cohorts_and_reference
    if not dense:
        monkeypatch.setattr(pairs_module, "DENSE_MAX_CODES", 0)
    if chunks == "many":  # the memory bounds of 1M-patient cohorts, at 2,000 patients
        monkeypatch.setattr(space_module, "CHUNK_CODES", 997)
        monkeypatch.setattr(pairs_module, "BLOCK_PAIRS", 500)
        monkeypatch.setattr(pairs_module, "COUNT_PAIRS", 3000)
        monkeypatch.setattr(memorization_module, "BLOCK_BYTES", 1000)
        monkeypatch.setattr(memorization_module, "HISTORY_TOKENS", 97)
    fast = evaluate(g, f, t, rules=RULES, top_k=50, seed=11, memorization_sample=SAMPLE).flat()
    _assert_same(fast, slow)
    # the cohorts exercise every part of the definitions
    assert 0 < fast["age_valid"] < 1 and 0 < fast["sex_valid"] < 1
    assert 0 < fast["duplicate_rate"] < 1 and 0 < fast["coverage"] < 1
    assert 0 < fast["copy_rate"] < 1 and 0 < fast["unique_patient_rate"] < 1


@pytest.mark.slow
def test_reference_agrees_on_the_simulator() -> None:
    from lossbalance.clinical import default_rules
    from lossbalance.data import simulate

    g, f, t = simulate(400, seed=1), simulate(300, seed=2), simulate(500, seed=3)
    rules = default_rules()
    _assert_same(
        evaluate(g, f, t, rules=rules, memorization_sample=200).flat(),
        reference.reference_evaluate(g, f, t, rules=rules, memorization_sample=200),
    )


def test_threads_do_not_change_the_numbers() -> None:
    g, f, t = random_cohort(1000, 1), random_cohort(800, 2), random_cohort(900, 3)
    one = evaluate(g, f, t, rules=RULES, threads=1, memorization_sample=200)
    two = evaluate(g, f, t, rules=RULES, threads=2, memorization_sample=200)
    assert one.to_json() == two.to_json()


def test_default_threads_respects_omp_share(monkeypatch: pytest.MonkeyPatch) -> None:
    from lossbalance.metrics._evaluate import default_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert default_threads() == 1
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert 1 <= default_threads() <= 2
