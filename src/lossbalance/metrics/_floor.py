"""The real-vs-real floor: a held-out real cohort H, sized like the generated cohort.

A generator cannot beat real data: the same metrics computed for H against R show what
a perfect generator would score, and the gap to them is what is left to gain. H is made
the size of G (patients): resampled with replacement when smaller, subsampled without
replacement when larger, kept as is when equal (all seeded). With no H at hand, R is
split in two halves (seeded): one half plays R for both G and the floor, the other is H.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from lossbalance._errors import LossbalanceError
from lossbalance.data import Cohort

Sampling = Literal["as_is", "resampled", "subsampled"]

SPLIT_FRACTION = 0.5
"""Share of R's patients that becomes H when R is split (the rest stays R)."""


def split_real(real: Cohort, seed: int, fraction: float = SPLIT_FRACTION) -> tuple[Cohort, Cohort]:
    """Split R by patient into (R', H), seeded (see :meth:`Cohort.split`)."""
    if real.n_patients < 2:
        raise LossbalanceError(
            f"real cohort has {real.n_patients} patient(s): too few to split off a "
            f"held-out half for the floor (give a held-out cohort or turn the floor off)"
        )
    return real.split(fraction, seed)


def size_like(heldout: Cohort, n_patients: int, seed: int) -> tuple[Cohort, Sampling]:
    """``heldout`` with exactly ``n_patients`` patients (seeded), and how it was made."""
    n = heldout.n_patients
    if n == 0:
        raise LossbalanceError("held-out cohort is empty: it has no patients")
    if n == n_patients:
        return heldout, "as_is"
    rng = np.random.default_rng([seed, 0xF100])
    if n < n_patients:
        return heldout.select(np.sort(rng.integers(0, n, size=n_patients))), "resampled"
    return heldout.select(np.sort(rng.choice(n, size=n_patients, replace=False))), "subsampled"
