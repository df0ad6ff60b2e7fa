"""The oracle ladder (``lossbalance.testing.oracles``): each degradation does exactly
what it says, seeded."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import entropy

from lossbalance._errors import LossbalanceError
from lossbalance.data import Cohort, simulate
from lossbalance.testing import oracles

C = simulate(400, seed=4)


def _distinct_sizes(c: Cohort) -> np.ndarray:
    key = c.code_visit() * len(c.code_table) + c.codes
    return np.bincount(np.unique(key) // len(c.code_table), minlength=c.n_visits)


def _no_duplicates(c: Cohort) -> bool:
    return bool(np.array_equal(_distinct_sizes(c), c.codes_per_visit()))


def _entropy(c: Cohort) -> float:
    counts = np.bincount(c.codes, minlength=len(c.code_table))
    return float(entropy(counts[counts > 0]))


def _same_people(a: Cohort, b: Cohort) -> None:
    assert np.array_equal(a.age, b.age) and np.array_equal(a.sex, b.sex)
    assert np.array_equal(a.patient_ids, b.patient_ids)


@pytest.mark.parametrize("name", ["sharpen", "flatten"])
def test_reweighting_keeps_visit_sizes_and_changes_the_entropy(name: str) -> None:
    out = getattr(oracles, name)(C, seed=1)
    _same_people(out, C)
    assert np.array_equal(out.visit_offsets, C.visit_offsets)
    assert np.array_equal(out.codes_per_visit(), _distinct_sizes(C))
    assert _no_duplicates(out)
    if name == "sharpen":
        assert _entropy(out) < _entropy(C) - 0.3
    else:
        assert _entropy(out) > _entropy(C) + 0.1
    assert getattr(oracles, name)(C, seed=1).codes.tolist() == out.codes.tolist()
    assert getattr(oracles, name)(C, seed=2).codes.tolist() != out.codes.tolist()


def test_tau_one_is_a_plain_resample() -> None:
    b = np.bincount(C.codes, minlength=len(C.code_table)) / C.n_codes

    def distance(out: Cohort) -> float:
        return float(np.abs(np.bincount(out.codes, minlength=len(b)) / out.n_codes - b).sum())

    plain = distance(oracles.sharpen(C, seed=0, tau=1.0))
    assert plain < distance(oracles.sharpen(C, seed=0)) - 0.2
    assert plain < distance(oracles.flatten(C, seed=0)) - 0.1


def test_independent_keeps_sizes_and_marginals() -> None:
    d = oracles._distinct(C)
    out = oracles.independent(C, seed=3)
    _same_people(out, C)
    assert np.array_equal(out.code_offsets, d.code_offsets)
    assert np.array_equal(np.sort(out.codes), np.sort(d.codes))
    assert not np.array_equal(out.codes, d.codes)


def test_collapse_keeps_only_the_top_k() -> None:
    out = oracles.collapse(C, seed=0, k=31)
    counts = np.bincount(C.codes, minlength=len(C.code_table))
    top = set(np.lexsort((np.arange(len(counts)), -counts))[:31].tolist())
    assert set(np.unique(out.codes).tolist()) <= top
    assert len(np.unique(out.codes)) <= 31
    assert _no_duplicates(out)
    assert np.array_equal(out.visit_offsets, C.visit_offsets)
    assert oracles.collapse(C, k=1).distinct_codes() == 1


def test_stretch_writes_each_history_twice() -> None:
    out = oracles.stretch(C)
    _same_people(out, C)
    assert np.array_equal(out.visits_per_patient(), 2 * C.visits_per_patient())
    for p in (0, 7, 399):
        rec = out.to_records()[p]["visits"]
        half = len(rec) // 2
        assert rec[:half] == rec[half:]
        assert [sorted(v) for v in rec[:half]] == [
            sorted(set(v)) for v in C.to_records()[p]["visits"]
        ]


def test_copy_of_is_the_cohort() -> None:
    out = oracles.copy_of(C)
    assert out.to_records() == C.to_records()


def test_bad_parameters_are_one_line_errors() -> None:
    with pytest.raises(LossbalanceError, match="tau must be positive"):
        oracles.sharpen(C, tau=0.0)
    with pytest.raises(LossbalanceError, match="k must be at least 1"):
        oracles.collapse(C, k=0)
    empty = Cohort.from_records([{"age": 1, "sex": "F", "visits": [[]]}])
    with pytest.raises(LossbalanceError, match=r"oracles\.stretch: the cohort has no codes"):
        oracles.stretch(empty)
