"""The floor: S, a seeded sample of the training cohort T of G's size (at most |T|).

Real data of G's size is what a generator can hope to match: every metric of S against
the reference F is printed beside G's. S is drawn without replacement; when T has fewer
patients than G, S is all of T and the result records that it was capped.
"""

from __future__ import annotations

import numpy as np

from lossbalance.data import Cohort

FLOOR_SEED_TAG = 0xF100
"""Mixed into the seed of the floor's draw (so that it differs from other seeded draws)."""


def floor_sample(train: Cohort, n_patients: int, seed: int) -> tuple[Cohort, bool]:
    """S: ``min(n_patients, |train|)`` patients of ``train`` (seeded, in train order),
    and whether it was capped (``|train| < n_patients``)."""
    n = train.n_patients
    if n <= n_patients:
        return train, n < n_patients
    rng = np.random.default_rng([seed, FLOOR_SEED_TAG])
    return train.select(np.sort(rng.choice(n, size=n_patients, replace=False))), False
