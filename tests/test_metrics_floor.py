"""The real-vs-real floor: sizing H like G, splitting R when no H is given."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lossbalance._errors import LossbalanceError
from lossbalance.data import Cohort
from lossbalance.metrics import METRIC_NAMES, evaluate
from lossbalance.metrics._floor import size_like, split_real
from lossbalance.metrics.testing import HandRules

RULES = HandRules()


def cohort(n: int, seed: int) -> Cohort:
    rng = np.random.default_rng(seed)
    return Cohort.from_records(
        [
            {
                "age": 40,
                "sex": "F",
                "visits": [
                    [f"C{c}" for c in rng.choice(12, size=3, replace=False)]
                    for _ in range(1 + i % 2)
                ],
            }
            for i in range(n)
        ]
    )


G, R = cohort(10, 1), cohort(30, 2)


@pytest.mark.parametrize(("n_h", "sampling"), [(10, "as_is"), (4, "resampled"), (25, "subsampled")])
def test_heldout_is_sized_like_generated(n_h: int, sampling: str) -> None:
    h = cohort(n_h, 3)
    res = evaluate(G, R, h, rules=RULES, seed=5)
    assert res.floor is not None
    assert res.floor.size.patients == G.n_patients
    assert (res.floor_source, res.floor_sampling, res.heldout_patients) == (
        "heldout",
        sampling,
        n_h,
    )
    assert res.real.patients == R.n_patients
    again = evaluate(G, R, h, rules=RULES, seed=5)
    assert again.to_json() == res.to_json()


def test_sizing_draws_patients_of_h() -> None:
    h = cohort(4, 3)
    big, how = size_like(h, 9, seed=0)
    assert how == "resampled" and big.n_patients == 9
    assert set(big.patient_ids) <= set(h.patient_ids)
    small, how = size_like(cohort(25, 3), 7, seed=0)
    assert how == "subsampled" and len(set(small.patient_ids)) == 7
    same, how = size_like(h, 4, seed=0)
    assert how == "as_is" and same is h


def test_no_heldout_splits_real_in_halves() -> None:
    res = evaluate(G, R, rules=RULES, seed=3)
    assert res.floor_source == "split"
    assert res.real.patients == 15 and res.heldout_patients == 15
    assert res.floor_sampling == "subsampled"
    # the same as giving the halves explicitly
    r_half, h_half = split_real(R, 3)
    explicit = evaluate(G, r_half, h_half, rules=RULES, seed=3)
    assert explicit.flat() == pytest.approx(res.flat(), nan_ok=True)
    # another seed, another split
    assert evaluate(G, R, rules=RULES, seed=4).flat() != pytest.approx(res.flat(), nan_ok=True)


def test_floor_off_gives_nan_floor_values() -> None:
    res = evaluate(G, R, rules=RULES, floor=False)
    flat = res.flat()
    assert res.floor is None and res.floor_source is None
    assert all(math.isnan(flat[f"floor_{n}"]) for n in METRIC_NAMES)
    assert math.isnan(flat["cooccurrence_ratio"])
    assert res.real.patients == R.n_patients


def test_real_too_small_to_split() -> None:
    one = cohort(1, 0)
    with pytest.raises(LossbalanceError, match="too few to split"):
        evaluate(G, one, rules=RULES)
    assert evaluate(G, one, rules=RULES, floor=False).real.patients == 1


def test_heldout_without_patients() -> None:
    with pytest.raises(LossbalanceError, match="held-out cohort is empty"):
        evaluate(G, R, G.select(np.array([], dtype=np.int64)), rules=RULES)


def test_heldout_sample_without_codes_is_allowed() -> None:
    # H: one patient with codes, three without; G has one patient, so H is subsampled to
    # one patient; a draw of a codeless patient leaves the floor with nothing to judge
    g = Cohort.from_records([{"age": 40, "sex": "F", "visits": [["C1", "C2"]]}])
    h = Cohort.from_records(
        [{"age": 40, "sex": "F", "visits": [["C1"]]}] + [{"age": 40, "sex": "F", "visits": []}] * 3
    )
    seeds = [s for s in range(20) if size_like(h, 1, s)[0].n_codes == 0]
    res = evaluate(g, g, h, rules=RULES, seed=seeds[0])
    assert res.floor is not None and res.floor.size.codes == 0
    flat = res.flat()
    assert math.isnan(flat["floor_validity"]) and flat["floor_cooccurrence"] == 0.0
    assert math.isnan(flat["cooccurrence_ratio"])  # the floor's co-occurrence is 0
