"""Diversity of a generated cohort G against the floor sample S.

Definitions (DESIGN.md "Metric definitions (exact)"; a visit's codes are its distinct
codes):

- ``distinct_ratio`` = distinct codes of G / distinct codes of S;
- ``entropy_ratio`` = Shannon entropy (Shannon 1948, natural log, no smoothing) of G's
  code-occurrence distribution / that of S;
- ``unique_patient_rate`` = distinct histories of G / patients of G.

A collapsed generator (the 31 distinct codes of the seed's report) shows as a
``distinct_ratio`` far below 1 while validity still reads 100%.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.stats import entropy

from lossbalance.metrics._memorization import distinct_histories
from lossbalance.metrics._space import EncodedCohort


def code_entropy(counts: npt.NDArray[np.integer]) -> float:
    """Shannon entropy (nats) of a count vector (NaN when it is all zero)."""
    present = counts[counts > 0].astype(np.float64)
    if len(present) == 0:
        return math.nan
    return float(entropy(present))


def unique_patient_rate(enc: EncodedCohort) -> float:
    """Distinct histories / patients (NaN without patients)."""
    n = enc.cohort.n_patients
    return distinct_histories(enc) / n if n else math.nan


def diversity_ratios(
    gen: EncodedCohort, floor: EncodedCohort, notes: dict[str, str]
) -> tuple[float, float]:
    """``(distinct_ratio, entropy_ratio)`` of ``gen`` against ``floor``; why a value is
    NaN goes into ``notes``."""
    d_g = int((gen.visit_counts > 0).sum())
    d_s = int((floor.visit_counts > 0).sum())
    distinct = d_g / d_s if d_s else math.nan
    h_g, h_s = code_entropy(gen.visit_counts), code_entropy(floor.visit_counts)
    if h_s == 0.0 or math.isnan(h_s):
        notes["entropy_ratio"] = "NaN: the floor sample uses a single code (entropy 0)"
        ent = math.nan
    else:
        ent = h_g / h_s
    return distinct, ent
