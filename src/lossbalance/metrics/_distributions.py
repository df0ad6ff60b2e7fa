"""Distribution checks beside validity and coherence.

- ``ks_codes_per_visit`` and ``ks_visits_per_patient``: the two-sample
  Kolmogorov-Smirnov statistic (:func:`scipy.stats.ks_2samp`) between the cohorts'
  codes-per-visit (occurrences, duplicates and empty visits included) and
  visits-per-patient samples.
- ``r2_unigram`` and ``r2_pair``: the coefficient of determination of the cohort's
  per-visit prevalence of each code (each unordered code pair) against R's, the fidelity
  measure reported by HALO (Theodorou, Xiao and Sun 2023, "Synthesize extremely
  high-dimensional longitudinal electronic health records via hierarchical
  autoregressive language model", Nat. Commun. 14:5305):
  ``R^2 = 1 - sum (g - r)^2 / sum (r - mean r)^2`` over the codes (pairs) present in
  either cohort, with R's prevalence as the truth. A constant truth gives 1.0 when the
  fit is perfect and 0.0 otherwise (scikit-learn's ``force_finite`` convention).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict
from scipy.stats import ks_2samp

from lossbalance.metrics._pairs import PairCounts
from lossbalance.metrics._space import EncodedCohort


class DistributionMetrics(BaseModel):
    """KS statistics and prevalence R-squared of one cohort against R."""

    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="strings")

    ks_codes_per_visit: float
    ks_visits_per_patient: float
    r2_unigram: float
    r2_pair: float
    unigrams: int
    """Codes present in either cohort (the points of ``r2_unigram``)."""
    pairs: int
    """Code pairs present in either cohort (the points of ``r2_pair``)."""


def ks_statistic(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]) -> float:
    """Two-sample KS statistic (NaN if a sample is empty)."""
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    with np.errstate(divide="ignore", invalid="ignore"):  # the p-value of tiny samples
        return float(ks_2samp(a, b, method="asymp").statistic)


def _r2_from_parts(ss_res: float, ss_tot: float) -> float:
    if ss_tot > 0.0:
        return 1.0 - ss_res / ss_tot
    return 1.0 if ss_res == 0.0 else 0.0


def r2_dense(pred: npt.NDArray[np.float64], true: npt.NDArray[np.float64]) -> float:
    """R-squared of ``pred`` against ``true`` over the entries where either is nonzero."""
    keep = (pred != 0) | (true != 0)
    p, t = pred[keep], true[keep]
    if len(t) == 0:
        return float("nan")
    return _r2_from_parts(float(((p - t) ** 2).sum()), float(((t - t.mean()) ** 2).sum()))


def r2_pairs(pred: PairCounts, true: PairCounts) -> tuple[float, int]:
    """R-squared of pair prevalence (counts over visits) over the pairs present in either
    cohort; returns it and the number of such pairs."""
    nv_p, nv_t = max(pred.n_visits, 1), max(true.n_visits, 1)
    g = pred.counts / nv_p
    t = true.counts / nv_t
    if len(true.keys):
        pos = np.minimum(np.searchsorted(true.keys, pred.keys), len(true.keys) - 1)
        hit = true.keys[pos] == pred.keys
    else:
        pos = np.zeros(len(pred.keys), dtype=np.int64)
        hit = np.zeros(len(pred.keys), dtype=bool)
    t_at_g = np.where(hit, t[pos] if len(t) else 0.0, 0.0)
    n = len(pred.keys) + len(true.keys) - int(hit.sum())
    if n == 0:
        return float("nan"), 0
    t_only = np.ones(len(t), dtype=bool)
    t_only[pos[hit]] = False
    ss_res = float(((g - t_at_g) ** 2).sum()) + float((t[t_only] ** 2).sum())
    mean = float(t.sum()) / n
    ss_tot = float(((t - mean) ** 2).sum()) + (n - len(t)) * mean**2
    return _r2_from_parts(ss_res, ss_tot), n


def compute_distributions(
    enc: EncodedCohort,
    real: EncodedCohort,
    pairs: PairCounts,
    real_pairs: PairCounts,
) -> DistributionMetrics:
    """Distribution checks of ``enc`` against ``real``; ``pairs`` / ``real_pairs`` are
    their pair counts (:func:`lossbalance.metrics._pairs.pair_walk`)."""
    g, r = enc.cohort, real.cohort
    nv_g, nv_r = max(g.n_visits, 1), max(r.n_visits, 1)
    uni_g = enc.visit_counts / nv_g
    uni_r = real.visit_counts / nv_r
    r2_pair, n_pairs = r2_pairs(pairs, real_pairs)
    return DistributionMetrics(
        ks_codes_per_visit=ks_statistic(g.codes_per_visit(), r.codes_per_visit()),
        ks_visits_per_patient=ks_statistic(g.visits_per_patient(), r.visits_per_patient()),
        r2_unigram=r2_dense(uni_g, uni_r),
        r2_pair=r2_pair,
        unigrams=int(((uni_g != 0) | (uni_r != 0)).sum()),
        pairs=n_pairs,
    )
