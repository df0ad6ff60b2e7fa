"""Real data and the simulator score validity 1.0 under the package's rules; R vs itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from lossbalance.clinical import default_rules
from lossbalance.data import Cohort, LoadOptions, load_mimic3, load_mimic4
from lossbalance.metrics import evaluate


def _assert_valid_and_self_identical(cohort: Cohort) -> None:
    res = evaluate(cohort, cohort, cohort, rules=default_rules())
    v = res.validity
    assert (v.age_conflicts, v.sex_conflicts, v.duplicates) == (0, 0, 0)
    assert v.validity == 1.0 and v.dx_codes == cohort.n_codes
    flat = res.flat()
    assert (flat["js"], flat["top100"], flat["coverage"]) == (0.0, 1.0, 1.0)
    assert flat["cooccurrence_ratio"] == 1.0 and flat["coherence"] == 1.0


def test_mimic3_demo_scores_validity_one(mimic3_dir: Path) -> None:
    _assert_valid_and_self_identical(load_mimic3(mimic3_dir))
    # not thanks to de-duplication: the raw demo has no code twice in one admission
    raw = load_mimic3(mimic3_dir, LoadOptions(keep_duplicates=True))
    assert raw.n_codes == 1761
    _assert_valid_and_self_identical(raw)


def test_mimic3_truncated_duplicates_are_reported_exactly(mimic3_dir: Path) -> None:
    # 3-digit truncation makes 137 within-admission duplicates (shared data README)
    kept = load_mimic3(mimic3_dir, LoadOptions(truncate=True, keep_duplicates=True))
    v = evaluate(kept, kept, floor=False, rules=default_rules()).validity
    assert (v.duplicates, v.dx_codes) == (137, 1761)
    assert v.duplicate_rate == pytest.approx(137 / 1761)
    assert v.validity == pytest.approx(1 - 137 / 1761)
    assert sum(c.count for c in v.top_duplicates) <= 137
    deduped = load_mimic3(mimic3_dir, LoadOptions(truncate=True))
    assert evaluate(deduped, kept, floor=False, rules=default_rules()).flat()["validity"] == 1.0


def test_mimic4_demo_scores_validity_one(mimic4_dir: Path) -> None:
    cohort = load_mimic4(mimic4_dir, LoadOptions(keep_duplicates=True, include_procedures=True))
    res = evaluate(cohort, cohort, floor=False, rules=default_rules())
    assert res.validity.validity == 1.0
    assert res.validity.dx_codes == 4506  # procedures are not judged
    _assert_valid_and_self_identical(load_mimic4(mimic4_dir))


@pytest.mark.parametrize("system", ["icd10", "icd9"])
def test_simulator_scores_validity_one(system: str) -> None:
    from lossbalance.data import simulate

    try:
        cohort = simulate(3000, seed=0, system=system)
    except NotImplementedError:
        pytest.skip("lossbalance.data.simulate has not landed yet")
    _assert_valid_and_self_identical(cohort)
