"""Coherence, diversity and memorization on hand-computed cohorts, edge cases and
hypothesis properties (DESIGN.md "Metric definitions (exact)")."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lossbalance._errors import LossbalanceError
from lossbalance.data import Cohort
from lossbalance.metrics import JS_MAX, METRIC_NAMES, evaluate
from lossbalance.metrics.testing import HandRules

RULES = HandRules()

# F (reference): visits {A,B,C} {A,B} | {B,C} {D}. Distinct-code counts A2 B3 C2 D1 (8);
# pairs AB 2, AC 1, BC 2 (5).
F = Cohort.from_records(
    [
        {"age": 50, "sex": "F", "visits": [["A", "B", "C"], ["A", "B"]]},
        {"age": 60, "sex": "M", "visits": [["B", "C"], ["D"]]},
    ]
)
# G: visits {A,B,A} {C,E} | {A,B,C}. Distinct-code counts A2 B2 C2 E1 (7); pairs AB 2,
# AC 1, BC 1, CE 1 (5). E is unknown to F.
G = Cohort.from_records(
    [
        {"age": 30, "sex": "F", "visits": [["A", "B", "A"], ["C", "E"]]},
        {"age": 40, "sex": "M", "visits": [["A", "B", "C"]]},
    ]
)
# T (train, as many patients as G, so the floor sample S is all of T): visits
# {A,B} {B,C,D} | {A}. Distinct-code counts A2 B2 C1 D1 (6).
T = Cohort.from_records(
    [
        {"age": 35, "sex": "F", "visits": [["A", "B"], ["B", "C", "D"]]},
        {"age": 45, "sex": "M", "visits": [["A"]]},
    ]
)


def _js(p: Sequence[float], q: Sequence[float]) -> float:
    """JS distance of two probability vectors, written out from the definition."""
    m = [(a + b) / 2 for a, b in zip(p, q, strict=True)]
    kl_p = sum(a * math.log(a / c) for a, c in zip(p, m, strict=True) if a > 0)
    kl_q = sum(b * math.log(b / c) for b, c in zip(q, m, strict=True) if b > 0)
    return math.sqrt((kl_p + kl_q) / 2)


def _entropy(counts: Sequence[int]) -> float:
    total = sum(counts)
    return -sum(c / total * math.log(c / total) for c in counts)


# over A B C D E
CODE_JS = _js([2 / 7, 2 / 7, 2 / 7, 0, 1 / 7], [2 / 8, 3 / 8, 2 / 8, 1 / 8, 0])
# over AB AC BC CE
PAIR_JS = _js([2 / 5, 1 / 5, 1 / 5, 1 / 5], [2 / 5, 1 / 5, 2 / 5, 0])
TOP = 3 / 5  # {A,B,C,E} vs {A,B,C,D}
CPV_KS = 0.25  # distinct codes per visit: G 2 2 3, F 3 2 2 1 (at 1: 0 vs 1/4)
VPP_KS = 0.5  # visits per patient: G 2 1, F 2 2 (at 1: 1/2 vs 0)
COHERENCE = (1 - CODE_JS / JS_MAX + 1 - PAIR_JS / JS_MAX + TOP + 1 - CPV_KS + 1 - VPP_KS) / 5
COOC_G = (2 + 0 + 5 / 3) / 3  # {A,B}: AB=2; {C,E}: 0; {A,B,C}: (2+1+2)/3


def test_hand_computed_coherence() -> None:
    res = evaluate(G, F, T, rules=RULES)
    flat = res.flat()
    assert flat["code_js"] == pytest.approx(CODE_JS, abs=1e-12)
    assert flat["js"] == flat["code_js"]
    assert flat["pair_js"] == pytest.approx(PAIR_JS, abs=1e-12)
    assert flat["top100"] == pytest.approx(TOP)
    assert flat["codes_per_visit_ks"] == pytest.approx(CPV_KS)
    assert flat["visits_per_patient_ks"] == pytest.approx(VPP_KS)
    assert flat["coherence"] == pytest.approx(COHERENCE, abs=1e-12)
    assert flat["cooccurrence"] == pytest.approx(COOC_G)
    assert flat["coverage"] == pytest.approx(3 / 4)
    c = res.coherence
    assert (c.top_k_shared, c.top_k_union, c.pair_visits, c.distinct_pairs) == (3, 5, 3, 4)
    assert [t.code for t in c.top_unknown] == ["icd10:dx:E"]


def test_hand_computed_floor_and_diversity() -> None:
    res = evaluate(G, F, T, rules=RULES)
    flat = res.flat()
    assert res.floor is not None and res.floor.patients == 2 and not res.floor_capped
    # S = T: counts A2 B2 C1 D1; pairs AB 1, BC 1, BD 1, CD 1 (F: AB 2, AC 1, BC 2)
    s_js = _js([2 / 6, 2 / 6, 1 / 6, 1 / 6], [2 / 8, 3 / 8, 2 / 8, 1 / 8])
    s_pair = _js([1 / 4, 0, 1 / 4, 1 / 4, 1 / 4], [2 / 5, 1 / 5, 2 / 5, 0, 0])
    s_top = 1.0  # {A,B,C,D} both
    s_cpv = max(abs(1 / 3 - 1 / 4), abs(2 / 3 - 3 / 4))  # S 2 3 1, F 3 2 2 1
    s_vpp = 0.5  # S: 2 1; F: 2 2
    s_coh = (1 - s_js / JS_MAX + 1 - s_pair / JS_MAX + s_top + 1 - s_cpv + 1 - s_vpp) / 5
    assert flat["floor_coherence"] == pytest.approx(s_coh, abs=1e-12)
    assert flat["coherence_gap"] == pytest.approx(s_coh - COHERENCE, abs=1e-12)
    assert flat["floor_coherence_gap"] == 0.0
    # S's cooccurrence: {A,B}: 2; {B,C,D}: (BC 2 + BD 0 + CD 0) / 3
    s_cooc = (2 + 2 / 3) / 2
    assert flat["cooccurrence_ratio"] == pytest.approx(COOC_G / s_cooc)
    assert flat["floor_cooccurrence_ratio"] == 1.0
    assert flat["distinct_ratio"] == 1.0  # 4 codes each
    assert flat["entropy_ratio"] == pytest.approx(_entropy([2, 2, 2, 1]) / _entropy([2, 2, 1, 1]))
    assert flat["unique_patient_rate"] == 1.0 and flat["floor_unique_patient_rate"] == 1.0
    # validity: A twice in one visit, 8 diagnosis occurrences
    assert flat["duplicate_rate"] == pytest.approx(1 / 8)
    assert flat["validity"] == pytest.approx(7 / 8)
    assert flat["floor_validity"] == 1.0


def test_hand_computed_memorization() -> None:
    # code sets G g1 {A,B,C,E} g2 {A,B,C}; T t1 {A,B,C,D} t2 {A}; F f1 {A,B,C} f2 {B,C,D}
    flat = evaluate(G, F, T, rules=RULES).flat()
    assert flat["copy_rate"] == 0.0 and flat["copy_rate_floor"] == 0.0
    # nearest T: g1 -> t1 1 - 3/5, g2 -> t1 1 - 3/4; f1 -> t1 1 - 3/4, f2 -> t1 1 - 3/4
    assert flat["dcr_ratio"] == pytest.approx(((0.4 + 0.25) / 2) / 0.25)
    # members t1 (0.25 to g2), t2 (1 - 1/3 to g2); non-members f1 (0 to g2), f2 (0.5 to g2):
    # scores -d; members beat non-members in 1 of 4 pairs
    assert flat["mia_auc"] == pytest.approx(0.25)
    # AA(T) = 0.5 (0 + 1/2): g1's nearest t (0.4) is farther than its nearest g (0.25);
    # AA(F) = 0: no f or g is farther from the other side than from its own
    assert flat["nnaar"] == pytest.approx(0.0 - 0.25)
    assert flat["floor_copy_rate"] == flat["copy_rate_floor"]
    assert (flat["floor_dcr_ratio"], flat["floor_mia_auc"], flat["floor_nnaar"]) == (1, 0.5, 0)


def test_copies_are_found_and_exact() -> None:
    copy = T.select([1, 0])  # patient order does not matter
    flat = evaluate(copy, F, T, rules=RULES).flat()
    assert flat["copy_rate"] == 1.0 and flat["dcr_ratio"] == 0.0
    assert flat["mia_auc"] == 1.0  # every member at distance 0, no non-member is
    # same code set, other history: not a copy, but at distance 0
    moved = Cohort.from_records(
        [
            {"age": 35, "sex": "F", "visits": [["B", "C", "D"], ["A", "B"]]},
            {"age": 45, "sex": "M", "visits": [["A"], ["A"]]},
        ]
    )
    flat = evaluate(moved, F, T, rules=RULES).flat()
    assert flat["copy_rate"] == 0.0 and flat["dcr_ratio"] == 0.0


def test_no_pair_in_the_reference_leaves_pair_js_out() -> None:
    f = Cohort.from_records([{"age": 50, "sex": "F", "visits": [["A"], ["B"]]}])
    res = evaluate(G, f, rules=RULES)
    flat = res.flat()
    assert math.isnan(flat["pair_js"])
    assert "pair_js" in res.notes and "left out" in res.notes["pair_js"]
    assert not math.isnan(flat["coherence"])  # the mean of the other four
    g1 = Cohort.from_records([{"age": 50, "sex": "F", "visits": [["A"], ["C"]]}])
    only_g = evaluate(g1, F, rules=RULES)
    assert only_g.flat()["pair_js"] == JS_MAX and "pair_js" in only_g.notes


def test_without_train_floor_and_memorization_are_nan_with_reasons() -> None:
    res = evaluate(G, F, rules=RULES)
    flat = res.flat()
    for name in ("coherence_gap", "distinct_ratio", "entropy_ratio", "copy_rate", "mia_auc"):
        assert math.isnan(flat[name]), name
        assert "no train" in res.notes[name]
    assert all(math.isnan(flat[f"floor_{n}"]) for n in METRIC_NAMES)
    assert not math.isnan(flat["unique_patient_rate"])  # G alone
    assert res.floor is None and res.train is None and res.memorization is None
    off = evaluate(G, F, T, rules=RULES, memorization=False, floor=False)
    assert "turned off" in off.notes["mia_auc"] and "turned off" in off.notes["distinct_ratio"]


def test_floor_is_capped_at_train() -> None:
    small = T.select([0])
    res = evaluate(G, F, small, rules=RULES)
    assert res.floor is not None and res.floor.patients == 1 and res.floor_capped
    assert "fewer than" in res.notes["floor"]
    assert "capped" in res.caption()


def test_disjoint_codes_reach_the_js_bound() -> None:
    g = Cohort.from_records([{"age": 30, "sex": "F", "visits": [["X", "Y"]]}])
    flat = evaluate(g, F, rules=RULES).flat()
    assert flat["code_js"] == pytest.approx(JS_MAX) and flat["pair_js"] == pytest.approx(JS_MAX)
    assert flat["top100"] == 0.0 and flat["coverage"] == 0.0


def test_different_code_systems_are_an_error() -> None:
    icd9 = Cohort.from_records([{"age": 30, "sex": "F", "visits": [[("401", "icd9", "dx")]]}])
    with pytest.raises(LossbalanceError, match="generated cohort has icd9 codes"):
        evaluate(icd9, F, rules=RULES)
    with pytest.raises(LossbalanceError, match="train cohort has icd9 codes"):
        evaluate(G, F, icd9, rules=RULES)


@pytest.mark.parametrize("which", ["generated", "reference", "train"])
def test_empty_cohorts_are_an_error(which: str) -> None:
    empty = Cohort.from_records([{"age": 30, "sex": "F", "visits": [[]]}])
    args = {"generated": G, "reference": F, "train": T} | {which: empty}
    with pytest.raises(LossbalanceError, match=f"{which} cohort is empty"):
        evaluate(args["generated"], args["reference"], args["train"], rules=RULES)


def test_bad_arguments() -> None:
    with pytest.raises(LossbalanceError, match="top_k"):
        evaluate(G, F, rules=RULES, top_k=0)
    with pytest.raises(LossbalanceError, match="memorization_sample"):
        evaluate(G, F, T, rules=RULES, memorization_sample=0)


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


SYMMETRIC = ("code_js", "pair_js", "top100", "codes_per_visit_ks", "visits_per_patient_ks")
UNIT = (
    "top100",
    "codes_per_visit_ks",
    "visits_per_patient_ks",
    "coherence",
    "coverage",
    "unique_patient_rate",
    "copy_rate",
    "copy_rate_floor",
    "mia_auc",
)


@settings(max_examples=40, deadline=None)
@given(cohorts(), cohorts(), cohorts())
def test_symmetric_and_bounded(g: Cohort, f: Cohort, t: Cohort) -> None:
    ab = evaluate(g, f, t, rules=RULES, threads=1).flat()
    ba = evaluate(f, g, rules=RULES, threads=1, floor=False, memorization=False).flat()
    for name in SYMMETRIC:
        if math.isnan(ab[name]) or math.isnan(ba[name]):
            continue  # pair_js: NaN when the reference side has no pair
        assert ab[name] == pytest.approx(ba[name], abs=1e-12), name
    for name in ("code_js", "pair_js"):
        assert math.isnan(ab[name]) or 0.0 <= ab[name] <= JS_MAX + 1e-12
    for name in UNIT:
        assert math.isnan(ab[name]) or 0.0 <= ab[name] <= 1.0, name
    assert math.isnan(ab["nnaar"]) or -1.0 <= ab["nnaar"] <= 1.0
    assert math.isnan(ab["dcr_ratio"]) or ab["dcr_ratio"] >= 0.0
    same = evaluate(g, g, rules=RULES, threads=1, memorization=False).flat()
    assert same["code_js"] == 0.0 and same["top100"] == 1.0 and same["coherence"] == 1.0


def _permuted(c: Cohort, seed: int, patients: bool = True) -> Cohort:
    """Patients shuffled and each visit's codes shuffled (visit order is part of a
    history, so it stays)."""
    rng = np.random.default_rng(seed)
    records = c.to_records()
    for rec in records:
        for visit in rec["visits"]:
            rng.shuffle(visit)
    order = rng.permutation(len(records)) if patients else np.arange(len(records))
    return Cohort.from_records([records[i] for i in order])


@settings(max_examples=30, deadline=None)
@given(cohorts(), cohorts(), cohorts(), st.integers(0, 2**31))
def test_invariant_to_patient_and_code_order(g: Cohort, f: Cohort, t: Cohort, seed: int) -> None:
    # G's samples take every patient (sample >= sizes): its order cannot matter. The
    # floor samples T and the attack samples F by patient index, so T and F keep their
    # patient order here (the same samples).
    base = evaluate(g, f, t, rules=RULES, threads=1).flat()
    moved = evaluate(
        _permuted(g, seed), _permuted(f, seed + 1, patients=False), t, rules=RULES, threads=1
    )
    # NNAAR is defined on samples of k = min(|G|, |T|, |F|) patients of each: when that
    # is fewer than G's patients, which k depends on G's order (a seeded draw by index)
    g_sampled = g.n_patients > min(t.n_patients, f.n_patients)
    for name, value in base.items():
        if g_sampled and name == "nnaar":
            continue
        other = moved.flat()[name]
        if math.isnan(value):
            assert math.isnan(other), name
        else:
            assert other == pytest.approx(value, rel=1e-12, abs=1e-12), name


def test_coherence_counts_every_kind_as_its_own_code() -> None:
    # procedure "A" and diagnosis "A" are two codes; both count for coherence
    g = Cohort.from_records([{"age": 30, "sex": "F", "visits": [["A", ("A", "icd10", "px")]]}])
    r = Cohort.from_records([{"age": 30, "sex": "F", "visits": [["A"], [("A", "icd10", "px")]]}])
    res = evaluate(g, r, rules=RULES)
    c = res.coherence
    assert (c.code_js, c.top100, c.coverage, c.distinct_codes) == (0.0, 1.0, 1.0, 2)
    assert c.cooccurrence == 0.0  # the reference never has both in one visit
    assert res.validity.dx_codes == 1
