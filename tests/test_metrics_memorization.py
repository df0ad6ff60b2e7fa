"""Exact nearest neighbours, history keys and the AUC against brute force."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from lossbalance.data import Cohort
from lossbalance.metrics._memorization import (
    history_keys,
    nearest_distances,
    roc_auc,
)
from lossbalance.metrics._space import CodeSpace, EncodedCohort


def _sets(rows: list[set[int]], n_codes: int) -> sp.csr_matrix:
    indptr = np.cumsum([0] + [len(r) for r in rows])
    indices = np.concatenate([sorted(r) for r in rows] + [[]]).astype(np.int64)
    return sp.csr_matrix((np.ones(len(indices)), indices, indptr), shape=(len(rows), n_codes))


def _brute(q: list[set[int]], t: list[set[int]], loo: bool = False) -> list[float]:
    out = []
    for i, a in enumerate(q):
        best = 1.0
        for j, b in enumerate(t):
            if loo and i == j:
                continue
            union = len(a | b)
            best = min(best, 0.0 if union == 0 else 1 - len(a & b) / union)
        out.append(best)
    return out


set_lists = st.lists(st.sets(st.integers(0, 11), max_size=6), min_size=1, max_size=12)


@settings(max_examples=60, deadline=None)
@given(set_lists, set_lists, st.sampled_from([1, 50, 1 << 20]))
def test_nearest_distances_equal_brute_force(
    q: list[set[int]], t: list[set[int]], block: int
) -> None:
    got = nearest_distances(_sets(q, 12), _sets(t, 12), block_bytes=block)
    assert got.tolist() == pytest.approx(_brute(q, t), abs=1e-15)
    loo = nearest_distances(_sets(t, 12), _sets(t, 12), np.arange(len(t)), block_bytes=block)
    assert loo.tolist() == pytest.approx(_brute(t, t, loo=True), abs=1e-15)


def test_large_sets_use_wider_integers() -> None:
    big = set(range(300))  # an intersection of 300 does not fit in uint8
    q = [big, set(range(10))]
    t = [big - {0}, set(range(5, 400))]
    got = nearest_distances(_sets(q, 400), _sets(t, 400))
    assert got.tolist() == pytest.approx(_brute(q, t), abs=1e-15)


def test_history_keys_equal_exactly_for_equal_histories() -> None:
    c = Cohort.from_records(
        [
            {"age": 1, "sex": "F", "visits": [["A", "B"], ["C"]]},
            {"age": 2, "sex": "M", "visits": [["B", "A", "A"], ["C"]]},  # same history
            {"age": 3, "sex": "F", "visits": [["C"], ["A", "B"]]},  # other order
            {"age": 4, "sex": "F", "visits": [["A", "B", "C"]]},  # same code set
            {"age": 5, "sex": "F", "visits": [["A", "B"], ["C"], []]},  # an empty visit more
            {"age": 6, "sex": "F", "visits": []},
            {"age": 7, "sex": "M", "visits": []},  # two empty histories, at the end
        ]
    )
    keys = history_keys(EncodedCohort.encode(c, CodeSpace.union(c)))
    assert keys[0] == keys[1] and keys[5] == keys[6]
    assert len({bytes(k) for k in keys}) == 5


def test_auc_counts_ties_one_half() -> None:
    assert roc_auc(np.array([1.0, 0.0]), np.array([0.0, -1.0])) == pytest.approx(
        (1 + 1 + 0.5 + 1) / 4
    )
    assert roc_auc(np.array([0.0]), np.array([0.0])) == 0.5
