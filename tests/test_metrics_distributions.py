"""KS statistics and prevalence R-squared, hand-computed."""

from __future__ import annotations

import pytest

from lossbalance.data import Cohort
from lossbalance.metrics import evaluate
from lossbalance.metrics.testing import HandRules

RULES = HandRules()
R = Cohort.from_records(
    [
        {"age": 50, "sex": "F", "visits": [["A", "B", "C"], ["A", "B"]]},
        {"age": 60, "sex": "M", "visits": [["B", "C"], ["D"]]},
    ]
)
G = Cohort.from_records(
    [
        {"age": 30, "sex": "F", "visits": [["A", "B", "A"], ["C", "E"]]},
        {"age": 40, "sex": "M", "visits": [["A", "B", "C"]]},
    ]
)


def r2(pred: list[float], true: list[float]) -> float:
    mean = sum(true) / len(true)
    ss_res = sum((p - t) ** 2 for p, t in zip(pred, true, strict=True))
    return 1 - ss_res / sum((t - mean) ** 2 for t in true)


def test_hand_computed_distributions() -> None:
    d = evaluate(G, R, rules=RULES, floor=False).generated.distributions
    # codes per visit (occurrences, the duplicate A too): G 3 2 3, R 3 2 2 1
    # ECDF at 1: G 0, R 1/4; at 2: G 1/3, R 3/4 (gap 5/12); at 3: 1, 1
    assert d.ks_codes_per_visit == pytest.approx(5 / 12)
    # visits per patient: G 2 1, R 2 2 -> at 1: 1/2 vs 0
    assert d.ks_visits_per_patient == pytest.approx(0.5)
    # per-visit prevalence over A B C D E: G (3 visits) 2/3 2/3 2/3 0 1/3,
    # R (4 visits) 2/4 3/4 2/4 1/4 0
    assert d.unigrams == 5
    assert d.r2_unigram == pytest.approx(
        r2([2 / 3, 2 / 3, 2 / 3, 0, 1 / 3], [2 / 4, 3 / 4, 2 / 4, 1 / 4, 0])
    )
    assert d.r2_unigram == pytest.approx(1 - (34 / 144) / 0.325)
    # pairs AB AC BC CE: G 2/3 1/3 1/3 1/3, R 2/4 1/4 2/4 0
    assert d.pairs == 4
    assert d.r2_pair == pytest.approx(r2([2 / 3, 1 / 3, 1 / 3, 1 / 3], [2 / 4, 1 / 4, 2 / 4, 0]))


def test_constant_truth_follows_the_force_finite_convention() -> None:
    # R has one code: its prevalence is the only point and constant -> 1.0 iff equal
    one = Cohort.from_records([{"age": 1, "sex": "F", "visits": [["A"], ["A"]]}])
    same = Cohort.from_records([{"age": 1, "sex": "F", "visits": [["A"]]}])
    half = Cohort.from_records([{"age": 1, "sex": "F", "visits": [["A"], ["B"]]}])
    assert evaluate(same, one, rules=RULES, floor=False).flat()["r2_unigram"] == 1.0
    # points A (0.5 vs 1) and B (0.5 vs 0): truth 1, 0 -> mean 0.5, ss_tot 0.5, ss_res 0.5
    assert evaluate(half, one, rules=RULES, floor=False).flat()["r2_unigram"] == 0.0
    # no pair anywhere: r2_pair is NaN (no point to fit)
    flat = evaluate(same, one, rules=RULES, floor=False).flat()
    assert flat["r2_pair"] != flat["r2_pair"]


def test_empty_visits_and_patients_without_visits_count() -> None:
    g = Cohort.from_records(
        [
            {"age": 1, "sex": "F", "visits": [["A"], []]},
            {"age": 1, "sex": "F", "visits": []},
        ]
    )
    r = Cohort.from_records([{"age": 1, "sex": "F", "visits": [["A"], ["A"]]}])
    d = evaluate(g, r, rules=RULES, floor=False).generated.distributions
    assert d.ks_codes_per_visit == pytest.approx(0.5)  # G 1 0 vs R 1 1
    assert d.ks_visits_per_patient == pytest.approx(0.5)  # G 2 0 vs R 2
    # prevalence of A: G 1/2 (2 visits, one empty), R 1: single point, constant truth
    assert d.r2_unigram == 0.0
