"""The oracle ladder on the simulator: the metrics rank known degradations below real
data (issue 12, "Tests"). Train 6,000 patients, reference 2,000, fresh = an independent
draw of 6,000, 20 seeds; bench/ladder_metrics.py prints the same ladder as a table."""

from __future__ import annotations

import numpy as np
import pytest

from lossbalance.data import simulate
from lossbalance.metrics import evaluate
from lossbalance.testing import oracles

SEEDS = range(20)
DEGRADATIONS = ("sharpen", "flatten", "independent", "collapse", "stretch")


def _one_seed(seed: int) -> dict[str, dict[str, float]]:
    train = simulate(6000, 3 * seed)
    reference = simulate(2000, 3 * seed + 1)
    fresh = simulate(6000, 3 * seed + 2)
    rungs = oracles.ladder(fresh, train, seed)
    out = {}
    for name, cohort in rungs.items():
        # only what is asserted: the floor for fresh and collapse (distinct_ratio),
        # memorization for fresh and copy_of
        out[name] = evaluate(
            cohort,
            reference,
            train,
            seed=seed,
            floor=name in ("fresh", "collapse"),
            memorization=name in ("fresh", "copy_of"),
        ).flat()
    return out


@pytest.fixture(scope="module")
def ladder() -> list[dict[str, dict[str, float]]]:
    return [_one_seed(s) for s in SEEDS]


@pytest.mark.slow
def test_every_degradation_scores_below_fresh(ladder: list[dict[str, dict[str, float]]]) -> None:
    for name in DEGRADATIONS:
        wins = sum(r[name]["coherence"] < r["fresh"]["coherence"] for r in ladder)
        assert wins >= 19, f"{name}: below fresh in {wins}/20 seeds"
    assert all(r["collapse"]["distinct_ratio"] < 0.1 for r in ladder)


@pytest.mark.slow
def test_fresh_scores_like_the_floor(ladder: list[dict[str, dict[str, float]]]) -> None:
    diff = np.array([r["fresh"]["coherence"] - r["fresh"]["floor_coherence"] for r in ladder])
    assert abs(diff.mean()) <= 0.006, diff
    assert np.abs(diff).max() <= 0.04, diff
    auc = np.array([r["fresh"]["mia_auc"] for r in ladder])
    assert np.all(np.abs(auc - 0.5) <= 0.05), auc


@pytest.mark.slow
def test_copies_are_caught(ladder: list[dict[str, dict[str, float]]]) -> None:
    for r in ladder:
        copy = r["copy_of"]
        assert copy["mia_auc"] >= 0.95
        assert copy["copy_rate"] - copy["copy_rate_floor"] >= 0.8


@pytest.mark.slow
def test_copies_are_caught_with_a_large_train() -> None:
    # where subsampling the look-up side fails (mia_auc 0.58 at |T| = 30,000)
    train, reference = simulate(30000, 100), simulate(2000, 101)
    flat = evaluate(oracles.copy_of(train), reference, train, floor=False).flat()
    assert flat["mia_auc"] >= 0.95
    assert flat["copy_rate"] - flat["copy_rate_floor"] >= 0.8
