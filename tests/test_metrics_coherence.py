"""Coherence metrics: a hand-computed example, edge cases and hypothesis properties."""

from __future__ import annotations

import math
from math import log, sqrt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossbalance._errors import LossbalanceError
from lossbalance.data import Cohort
from lossbalance.metrics import JS_MAX, evaluate
from lossbalance.metrics.testing import HandRules

RULES = HandRules()

# R: visits {A,B,C} {A,B} | {B,C} {D}. Occurrences A2 B3 C2 D1. Pair counts (visits
# containing the pair): AB 2, AC 1, BC 2; every other pair 0.
R = Cohort.from_records(
    [
        {"age": 50, "sex": "F", "visits": [["A", "B", "C"], ["A", "B"]]},
        {"age": 60, "sex": "M", "visits": [["B", "C"], ["D"]]},
    ]
)
# G: visits {A,B,A} {C,E} | {A,B,C}. Occurrences A3 B2 C2 E1; E is unknown to R.
G = Cohort.from_records(
    [
        {"age": 30, "sex": "F", "visits": [["A", "B", "A"], ["C", "E"]]},
        {"age": 40, "sex": "M", "visits": [["A", "B", "C"]]},
    ]
)
# H (held out, as many patients as G): visits {A,B} {B,C,D} | {A}
H = Cohort.from_records(
    [
        {"age": 35, "sex": "F", "visits": [["A", "B"], ["B", "C", "D"]]},
        {"age": 45, "sex": "M", "visits": [["A"]]},
    ]
)

# add-one smoothed counts over A..E: G 4 3 3 1 2 (13), R 3 4 3 2 1 (13); the mixture is
# 3.5 3.5 3 1.5 1.5 (/13); both halves of the divergence are equal by symmetry.
JS = sqrt((4 * log(4 / 3.5) + 3 * log(3 / 3.5) + 1 * log(1 / 1.5) + 2 * log(2 / 1.5)) / 13)
# G's visits with 2+ distinct codes: {A,B}: AB=2 -> 2; {C,E}: 0; {A,B,C}: (2+1+2)/3
COOC_G = (2 + 0 + 5 / 3) / 3
# H's: {A,B}: 2; {B,C,D}: (BC 2 + BD 0 + CD 0)/3; {A} has no pair
COOC_H = (2 + 2 / 3) / 2


def test_hand_computed_coherence() -> None:
    res = evaluate(G, R, H, rules=RULES)
    c = res.generated.coherence
    assert c.js == pytest.approx(JS, abs=1e-12)
    # top-100: all codes; G {A,B,C,E}, R {A,B,C,D} -> 3 / 5
    assert (c.top100, c.top_k_shared, c.top_k_union) == (pytest.approx(0.6), 3, 5)
    assert c.cooccurrence == pytest.approx(COOC_G)
    assert c.pair_visits == 3
    assert res.floor is not None
    assert res.floor.coherence.cooccurrence == pytest.approx(COOC_H)
    assert c.cooccurrence_ratio == pytest.approx(COOC_G / COOC_H)  # 11/12
    assert c.coverage == pytest.approx(3 / 4)
    assert (c.unknown_codes, c.unknown_occurrences) == (1, 1)
    assert c.unknown_rate == pytest.approx(1 / 8)
    assert [(u.code, u.count) for u in c.top_unknown] == [("icd10:dx:E", 1)]
    assert c.coherence == pytest.approx(
        ((1 - JS / sqrt(log(2))) + 0.6 + min(1.0, COOC_G / COOC_H)) / 3
    )


def test_floor_hand_computed() -> None:
    f = evaluate(G, R, H, rules=RULES).floor
    assert f is not None
    # H occurrences A2 B2 C1 D1 (+1: 3 3 2 2 1 over A..E? E absent from both: not counted)
    p = np.array([3, 3, 2, 2]) / 10
    q = np.array([3, 4, 3, 2]) / 12
    m = (p + q) / 2
    js = sqrt((np.sum(p * np.log(p / m)) + np.sum(q * np.log(q / m))) / 2)
    assert f.coherence.js == pytest.approx(js, abs=1e-12)
    assert f.coherence.cooccurrence_ratio == 1.0
    assert f.coherence.coverage == 1.0
    # top codes: H A2 B2 C1 D1 -> all four; R all four -> 1
    assert f.coherence.top100 == 1.0
    assert f.coherence.coherence == pytest.approx((1 - js / JS_MAX + 1 + 1) / 3)


@pytest.mark.parametrize(
    ("k", "expected"),
    [
        # G ranks A3 then B2/C2 tied (B first by key), E1; R ranks B3 then A2/C2 (A first), D1
        (1, 0.0),  # {A} vs {B}
        (2, 1.0),  # {A,B} vs {B,A}: the tie B < C decides it (C would give 1/3)
        (3, 1.0),  # {A,B,C} vs {B,A,C}
        (4, 3 / 5),  # {A,B,C,E} vs {B,A,C,D}
    ],
)
def test_top_k_ties_broken_by_code(k: int, expected: float) -> None:
    res = evaluate(G, R, rules=RULES, top_k=k, floor=False)
    assert res.generated.coherence.top100 == pytest.approx(expected)
    assert res.top_k == k


def test_no_floor_gives_nan_ratio_and_coherence() -> None:
    c = evaluate(G, R, rules=RULES, floor=False).generated.coherence
    assert math.isnan(c.cooccurrence_ratio) and math.isnan(c.coherence)
    assert c.cooccurrence == pytest.approx(COOC_G)


def test_no_pair_visit_gives_zero_cooccurrence_and_zero_floor_gives_nan_ratio() -> None:
    single = Cohort.from_records([{"age": 30, "sex": "F", "visits": [["A"], ["B", "B"]]}])
    res = evaluate(single, R, single, rules=RULES)
    c = res.generated.coherence
    assert (c.cooccurrence, c.pair_visits) == (0.0, 0)
    assert math.isnan(c.cooccurrence_ratio)  # the floor's co-occurrence is 0 as well


def test_real_against_itself() -> None:
    res = evaluate(R, R, R, rules=RULES)
    flat = res.flat()
    assert flat["js"] == 0.0
    assert flat["top100"] == 1.0
    assert flat["coverage"] == 1.0
    assert flat["cooccurrence_ratio"] == 1.0
    assert flat["coherence"] == 1.0
    assert flat["unknown_rate"] == 0.0
    assert flat["r2_unigram"] == 1.0 and flat["r2_pair"] == 1.0
    assert flat["ks_codes_per_visit"] == 0.0 and flat["ks_visits_per_patient"] == 0.0
    assert res.gap()["js"] == 0.0


def test_disjoint_codes_reach_the_js_bound_only_without_smoothing_mass() -> None:
    # add-one smoothing keeps js below sqrt(ln 2) for disjoint cohorts
    other = Cohort.from_records([{"age": 30, "sex": "F", "visits": [["X", "Y"]]}])
    c = evaluate(other, R, rules=RULES, floor=False).generated.coherence
    assert 0.0 < c.js < JS_MAX
    assert (c.top100, c.coverage, c.unknown_rate) == (0.0, 0.0, 1.0)


def test_different_code_systems_are_an_error() -> None:
    icd9 = Cohort.from_records([{"age": 30, "sex": "F", "visits": [["4019"]]}], system="icd9")
    with pytest.raises(LossbalanceError, match="icd9 codes but the real cohort has none") as e:
        evaluate(icd9, R, rules=RULES, floor=False)
    assert "\n" not in str(e.value)
    with pytest.raises(LossbalanceError, match="held-out cohort has icd9"):
        evaluate(G, R, icd9, rules=RULES)
    # a mixed real cohort accepts a generated cohort of either system
    mixed = Cohort.from_records(
        [{"age": 30, "sex": "F", "visits": [["A", ("4019", "icd9", "dx")]]}]
    )
    assert evaluate(icd9, mixed, rules=RULES, floor=False).flat()["coverage"] == 0.5


@pytest.mark.parametrize("which", ["generated", "real", "held-out"])
def test_empty_cohorts_are_an_error(which: str) -> None:
    empty = Cohort.from_records([{"age": 30, "sex": "F", "visits": [[]]}])
    args = {"generated": (empty, R, H), "real": (G, empty, H), "held-out": (G, R, empty)}[which]
    with pytest.raises(LossbalanceError, match=f"^{which} cohort is empty"):
        evaluate(*args, rules=RULES)
    no_patients = empty.select(np.array([], dtype=np.int64))
    with pytest.raises(LossbalanceError, match="generated cohort is empty: 0 patients"):
        evaluate(no_patients, R, rules=RULES)


def test_top_k_must_be_positive() -> None:
    with pytest.raises(LossbalanceError, match="top_k"):
        evaluate(G, R, rules=RULES, top_k=0)


# ----------------------------------------------------------------- properties
CODES = ["A", "B", "C", "D", "E", "F", "G"]


@st.composite
def cohorts(draw: st.DrawFn, max_patients: int = 6) -> Cohort:
    n = draw(st.integers(1, max_patients))
    records = [
        {
            "age": draw(st.floats(0, 100)),
            "sex": draw(st.sampled_from("FM")),
            "visits": draw(st.lists(st.lists(st.sampled_from(CODES), max_size=5), max_size=4)),
        }
        for _ in range(n)
    ]
    records[0]["visits"].append([draw(st.sampled_from(CODES))])  # at least one code
    return Cohort.from_records(records)


@settings(max_examples=60, deadline=None)
@given(cohorts(), cohorts())
def test_js_symmetric_bounded_zero_on_identical(g: Cohort, r: Cohort) -> None:
    ab = evaluate(g, r, rules=RULES, floor=False).flat()
    ba = evaluate(r, g, rules=RULES, floor=False).flat()
    assert ab["js"] == pytest.approx(ba["js"], abs=1e-12)
    assert 0.0 <= ab["js"] <= JS_MAX
    assert evaluate(g, g, rules=RULES, floor=False).flat()["js"] == 0.0
    for name in ("top100", "coverage", "unknown_rate"):
        assert 0.0 <= ab[name] <= 1.0
        assert 0.0 <= ba[name] <= 1.0


def _permuted(c: Cohort, seed: int) -> Cohort:
    """Patients shuffled, each patient's visits shuffled, each visit's codes shuffled."""
    rng = np.random.default_rng(seed)
    records = c.to_records()
    for rec in records:
        for visit in rec["visits"]:
            rng.shuffle(visit)
        rng.shuffle(rec["visits"])
    order = rng.permutation(len(records))
    return Cohort.from_records([records[i] for i in order])


@settings(max_examples=40, deadline=None)
@given(cohorts(), cohorts(), cohorts(), st.integers(0, 2**31))
def test_permuting_patients_visits_and_codes_changes_nothing(
    g: Cohort, r: Cohort, h: Cohort, seed: int
) -> None:
    base = evaluate(g, r, h, rules=RULES).flat()
    # the floor samples H by patient index, so H keeps its order here (same sample)
    moved = evaluate(_permuted(g, seed), _permuted(r, seed + 1), h, rules=RULES).flat()
    assert set(base) == set(moved)
    for name, value in base.items():
        if math.isnan(value):
            assert math.isnan(moved[name]), name
        else:
            assert moved[name] == pytest.approx(value, rel=1e-12, abs=1e-12), name


def test_coherence_counts_every_kind_as_its_own_code() -> None:
    # procedure "A" and diagnosis "A" are two codes; both count for coherence
    g = Cohort.from_records([{"age": 30, "sex": "F", "visits": [["A", ("A", "icd10", "px")]]}])
    r = Cohort.from_records([{"age": 30, "sex": "F", "visits": [["A"], [("A", "icd10", "px")]]}])
    res = evaluate(g, r, rules=RULES, floor=False)
    c = res.generated.coherence
    assert (c.js, c.top100, c.coverage, c.distinct_codes) == (0.0, 1.0, 1.0, 2)
    assert c.cooccurrence == 0.0  # R never has both in one visit
    assert res.generated.validity.dx_codes == 1
