"""Validity metrics: hand-computed cohorts and exact counts of injected conflicts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossbalance.data import CodeTable, Cohort, offsets_from_lengths
from lossbalance.metrics import evaluate
from lossbalance.metrics.testing import Edit, HandRules

RULES = HandRules(
    {
        "O80": Edit(12, 55, "F", "Maternity_Only"),
        "P07": Edit(0, 0, None, "Newborn_Only"),
        "N40": Edit(sex="M", name="Male_Only"),
        "0VT0": Edit(sex="M", name="Male_Only"),  # a procedure: never judged
    }
)
REAL = Cohort.from_records([{"age": 40, "sex": "F", "visits": [["Z00", "O80"], ["P07"]]}])


def validity_of(g: Cohort, rules: HandRules = RULES) -> dict[str, float]:
    flat = evaluate(g, REAL, rules=rules, floor=False).flat()
    return {k: flat[k] for k in ("validity", "age_valid", "sex_valid", "duplicate_rate")}


def test_hand_computed_validity() -> None:
    g = Cohort.from_records(
        [
            # 30-year-old man: O80 sex conflict, Z00 written twice, P07 age conflict (30 > 0)
            {"age": 30, "sex": "M", "visits": [["O80", "Z00", "Z00"], ["P07"]]},
            # 6 months old (whole years: 0): P07 fine, O80 age conflict (0 < 12); the male-only
            # procedure 0VT0 on a girl is no diagnosis, so it is not judged
            {"age": 0.5, "sex": "F", "visits": [["P07", "O80", ("0VT0", "icd10", "px")]]},
            # 124.7 counts as 124: O80 age conflict (124 > 55)
            {"age": 124.7, "sex": "F", "visits": [["O80"]]},
        ]
    )
    res = evaluate(g, REAL, rules=RULES, floor=False)
    v = res.validity
    # 7 diagnosis occurrences: O80 Z00 Z00 P07 | P07 O80 | O80
    assert v.dx_codes == 7
    assert (v.age_conflicts, v.sex_conflicts, v.duplicates) == (3, 1, 1)
    assert v.age_valid == pytest.approx(4 / 7)
    assert v.sex_valid == pytest.approx(6 / 7)
    assert v.duplicate_rate == pytest.approx(1 / 7)
    assert v.validity == pytest.approx((4 / 7 + 6 / 7) / 2 * (1 - 1 / 7))  # 30/49
    assert [(c.code, c.count, c.edit) for c in v.top_age] == [
        ("icd10:dx:O80", 2, "Maternity_Only"),
        ("icd10:dx:P07", 1, "Newborn_Only"),
    ]
    assert [(c.code, c.count) for c in v.top_sex] == [("icd10:dx:O80", 1)]
    assert [(c.code, c.count) for c in v.top_duplicates] == [("icd10:dx:Z00", 1)]


def test_age_over_124_counts_as_124() -> None:
    g = Cohort.from_records([{"age": 300.0, "sex": "F", "visits": [["X1"]]}])
    assert validity_of(g, HandRules({"X1": Edit(124, 124)}))["age_valid"] == 1.0
    assert validity_of(g, HandRules({"X1": Edit(0, 123)}))["age_valid"] == 0.0


def test_duplicates_count_by_key_and_per_visit() -> None:
    # the same code in two visits is no duplicate; three times in one visit is two
    g = Cohort.from_records(
        [{"age": 40, "sex": "F", "visits": [["A", "A", "A", "B"], ["A"], ["B", "B"]]}]
    )
    res = evaluate(g, REAL, rules=RULES, floor=False).validity
    assert (res.dx_codes, res.duplicates) == (7, 3)
    assert res.duplicate_rate == pytest.approx(3 / 7)
    assert [(c.code, c.count) for c in res.top_duplicates] == [("icd10:dx:A", 2), ("icd10:dx:B", 1)]


def test_two_table_rows_with_one_key_are_one_code() -> None:
    table = CodeTable(np.array(["A", "A"]), np.array([1, 1]), np.array([0, 0]))
    g = Cohort(
        age=[40.0],
        sex=[0],
        visit_offsets=[0, 1],
        code_offsets=[0, 2],
        codes=[0, 1],
        code_table=table,
    )
    assert validity_of(g)["duplicate_rate"] == 0.5


def test_same_code_in_another_system_or_kind_is_no_duplicate() -> None:
    g = Cohort.from_records(
        [
            {
                "age": 40,
                "sex": "F",
                "visits": [["4019", ("4019", "icd9", "dx"), ("4019", "icd10", "px")]],
            }
        ]
    )
    r = Cohort.from_records([{"age": 40, "sex": "F", "visits": [[("4019", "icd9", "dx"), "4019"]]}])
    res = evaluate(g, r, rules=RULES, floor=False).validity
    assert (res.dx_codes, res.duplicates) == (2, 0)


def test_procedures_are_not_judged_and_no_diagnosis_gives_nan() -> None:
    g = Cohort.from_records(
        [{"age": 40, "sex": "F", "visits": [[("0VT0", "icd10", "px"), ("0VT0", "icd10", "px")]]}]
    )
    flat = validity_of(g)
    for name in ("validity", "age_valid", "sex_valid", "duplicate_rate"):
        assert math.isnan(flat[name])
    assert evaluate(g, REAL, rules=RULES, floor=False).validity.dx_codes == 0


# ----------------------------------------------------------------- properties
BASE_CODES = ["A", "B", "C", "D", "E"]  # no edit under RULES


@st.composite
def clean_cohorts(draw: st.DrawFn) -> Cohort:
    """Cohorts with no conflict and no duplicate under RULES (distinct codes per visit)."""
    n = draw(st.integers(1, 6))
    records = []
    for _ in range(n):
        visits = draw(
            st.lists(
                st.lists(st.sampled_from(BASE_CODES), min_size=1, max_size=5, unique=True),
                min_size=1,
                max_size=4,
            )
        )
        records.append(
            {"age": draw(st.floats(0, 110)), "sex": draw(st.sampled_from("FM")), "visits": visits}
        )
    return Cohort.from_records(records)


def _inject(cohort: Cohort, where: list[int], code: str) -> Cohort:
    """Append ``code`` once to visit ``v`` for each ``v`` in ``where`` (repeats allowed)."""
    records = cohort.to_records()
    visits = [v for rec in records for v in rec["visits"]]
    for v in where:
        visits[v].append((code, "icd10", "dx"))
    return Cohort.from_records(records)


@settings(max_examples=40, deadline=None)
@given(clean_cohorts(), st.data())
def test_injected_sex_conflicts_are_counted_exactly(g: Cohort, data: st.DataObject) -> None:
    where = data.draw(st.lists(st.integers(0, g.n_visits - 1), max_size=8))
    injected = _inject(g, where, "N40")  # male-only
    women = g.sex[g.visit_patient()] == 0
    expected = int(sum(women[v] for v in where))
    v = evaluate(injected, REAL, rules=RULES, floor=False).validity
    assert v.sex_conflicts == expected
    assert v.age_conflicts == 0
    assert v.dx_codes == g.n_codes + len(where)
    assert v.sex_valid == pytest.approx(1 - expected / (g.n_codes + len(where)))


@settings(max_examples=40, deadline=None)
@given(clean_cohorts(), st.data())
def test_injected_age_conflicts_are_counted_exactly(g: Cohort, data: st.DataObject) -> None:
    where = data.draw(st.lists(st.integers(0, g.n_visits - 1), max_size=8))
    injected = _inject(g, where, "P07")  # newborn only: whole age must be 0
    older = np.floor(g.age[g.visit_patient()]) >= 1
    expected = int(sum(older[v] for v in where))
    # P07 written k times in one visit: k - 1 duplicates
    dups = sum(n - 1 for n in np.bincount(where, minlength=g.n_visits) if n > 1)
    v = evaluate(injected, REAL, rules=RULES, floor=False).validity
    assert (v.age_conflicts, v.sex_conflicts, v.duplicates) == (expected, 0, dups)


@settings(max_examples=40, deadline=None)
@given(clean_cohorts(), st.data())
def test_injected_duplicates_are_counted_exactly(g: Cohort, data: st.DataObject) -> None:
    # repeat existing codes of chosen visits: each repeat is exactly one duplicate
    records = g.to_records()
    visits = [v for rec in records for v in rec["visits"]]
    picks = data.draw(
        st.lists(st.tuples(st.integers(0, g.n_visits - 1), st.integers(0, 9)), max_size=10)
    )
    for v, j in picks:
        visits[v].append(visits[v][j % len(visits[v])])
    v = evaluate(Cohort.from_records(records), REAL, rules=RULES, floor=False)
    assert v.validity.duplicates == len(picks)
    assert v.validity.duplicate_rate == pytest.approx(len(picks) / (g.n_codes + len(picks)))
    assert v.validity.validity == pytest.approx(1 - len(picks) / (g.n_codes + len(picks)))


def test_offsets_helper_is_consistent() -> None:
    # a cohort built from arrays scores like the same cohort built from records
    table = CodeTable(np.array(["O80", "Z00"]), np.array([1, 1]), np.array([0, 0]))
    g = Cohort(
        age=[30.0, 20.0],
        sex=[1, 0],
        visit_offsets=offsets_from_lengths([1, 1]),
        code_offsets=offsets_from_lengths([2, 1]),
        codes=[0, 1, 0],
        code_table=table,
    )
    same = Cohort.from_records(
        [
            {"age": 30, "sex": "M", "visits": [["O80", "Z00"]]},
            {"age": 20, "sex": "F", "visits": [["O80"]]},
        ]
    )
    assert validity_of(g) == validity_of(same)
    assert validity_of(g)["sex_valid"] == pytest.approx(2 / 3)
