"""The built-in reference cohort simulator (placeholder: being written)."""

from __future__ import annotations

from lossbalance.data._cohort import Cohort


def simulate(n_patients: int, seed: int = 0, system: str = "icd10") -> Cohort:
    """A seeded, deterministic synthetic cohort of ``n_patients`` patients."""
    raise NotImplementedError
