"""The floor: S, a seeded sample of train of G's size (capped at |train|)."""

from __future__ import annotations

import numpy as np
import pytest

from lossbalance.data import simulate
from lossbalance.metrics import evaluate
from lossbalance.metrics._floor import floor_sample
from lossbalance.metrics.testing import HandRules

RULES = HandRules()
T = simulate(300, seed=1)
F = simulate(120, seed=2)
G = simulate(100, seed=3)


def test_floor_sample_is_seeded_and_sized_like_g() -> None:
    s, capped = floor_sample(T, 100, seed=5)
    again, _ = floor_sample(T, 100, seed=5)
    other, _ = floor_sample(T, 100, seed=6)
    assert s.n_patients == 100 and not capped
    assert np.array_equal(s.patient_ids, again.patient_ids)
    assert not np.array_equal(s.patient_ids, other.patient_ids)
    assert len(set(s.patient_ids.tolist())) == 100  # without replacement
    assert set(s.patient_ids.tolist()) <= set(T.patient_ids.tolist())


def test_floor_is_capped_when_train_is_smaller() -> None:
    s, capped = floor_sample(T, 1000, seed=0)
    assert s.n_patients == T.n_patients and capped
    same, capped_eq = floor_sample(T, T.n_patients, seed=0)
    assert same.n_patients == T.n_patients and not capped_eq


def test_evaluate_uses_the_sample_and_the_seed() -> None:
    res = evaluate(G, F, T, rules=RULES, seed=5, memorization=False)
    s, _ = floor_sample(T, G.n_patients, seed=5)
    direct = evaluate(s, F, rules=RULES, memorization=False).flat()
    flat = res.flat()
    for name in ("coherence", "code_js", "pair_js", "top100", "validity", "cooccurrence"):
        assert flat[f"floor_{name}"] == pytest.approx(direct[name], abs=1e-12), name
    assert res.floor is not None and res.floor.patients == G.n_patients
    assert evaluate(G, F, T, rules=RULES, seed=5, memorization=False).to_json() == res.to_json()
