"""Cross-check: the vectorised metrics equal the per-visit Python reference to 1e-9."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

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


@pytest.mark.parametrize("dense", [True, False], ids=["dense-pairs", "sparse-pairs"])
@pytest.mark.parametrize("heldout", [True, False], ids=["heldout", "split"])
@pytest.mark.parametrize("chunks", ["one", "many"], ids=["one-chunk", "many-chunks"])
def test_vectorised_equals_reference_on_2000_patients(
    dense: bool, heldout: bool, chunks: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not dense:
        monkeypatch.setattr(pairs_module, "DENSE_MAX_CODES", 0)
    if chunks == "many":  # the memory bounds of 1M-patient cohorts, at 2,000 patients
        monkeypatch.setattr(space_module, "CHUNK_CODES", 997)
        monkeypatch.setattr(pairs_module, "BLOCK_PAIRS", 500)
        monkeypatch.setattr(pairs_module, "COUNT_PAIRS", 3000)
    g = random_cohort(2000, 1)
    r = random_cohort(2600, 2, n_codes=350)  # codes of G unknown to R, and of R to G
    h = random_cohort(1500, 3) if heldout else None
    fast = evaluate(g, r, h, rules=RULES, top_k=50, seed=11).flat()
    slow = reference.reference_evaluate(g, r, h, rules=RULES, top_k=50, seed=11)
    _assert_same(fast, slow)
    # the cohorts exercise every part of the definitions
    assert 0 < fast["age_valid"] < 1 and 0 < fast["sex_valid"] < 1
    assert 0 < fast["duplicate_rate"] < 1 and 0 < fast["unknown_rate"] < 1


def test_reference_agrees_on_the_simulator() -> None:
    from lossbalance.data import simulate

    g, r = simulate(2000, seed=1), simulate(2000, seed=2)
    from lossbalance.clinical import default_rules

    rules = default_rules()
    _assert_same(
        evaluate(g, r, rules=rules).flat(), reference.reference_evaluate(g, r, rules=rules)
    )


def test_threads_do_not_change_the_numbers() -> None:
    g, r = random_cohort(2000, 1), random_cohort(2000, 2)
    one = evaluate(g, r, rules=RULES, threads=1)
    two = evaluate(g, r, rules=RULES, threads=2)
    assert one.to_json() == two.to_json()


def test_default_threads_respects_omp_share(monkeypatch: pytest.MonkeyPatch) -> None:
    from lossbalance.metrics._evaluate import default_threads

    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert default_threads() == 1
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert 1 <= default_threads() <= 2
