"""Semantic coherence of a cohort against the reference split F, two-sided, no smoothing.

Definitions (DESIGN.md, "Metric definitions (exact)"; decisions in docs/metrics.md). A
visit's codes are its *distinct* codes.

- ``code_js`` (alias ``js``): Jensen-Shannon *distance* (Lin 1991, "Divergence measures
  based on the Shannon entropy", IEEE Trans. Inf. Theory 37(1); Endres and Schindelin
  2003) between the code-occurrence distributions, counts over the union of both
  cohorts' codes with no smoothing, as :func:`scipy.spatial.distance.jensenshannon`
  computes it (natural log): 0 identical, ``sqrt(ln 2)`` disjoint.
- ``pair_js``: the same over within-visit unordered pairs of distinct codes (each pair
  once per visit). NaN when F has no visit with two codes; ``sqrt(ln 2)`` when only the
  cohort has none.
- ``top100``: Jaccard overlap of the top-K codes (K = ``top_k``, 100 by default), ranked
  by occurrences, ties by code key ascending.
- ``codes_per_visit_ks``, ``visits_per_patient_ks``: two-sample Kolmogorov-Smirnov
  statistics (:func:`scipy.stats.ks_2samp`) of distinct codes per visit and of visits
  per patient.
- ``coherence``: the mean of ``1 - code_js / sqrt(ln 2)``, ``1 - pair_js / sqrt(ln 2)``,
  ``top100``, ``1 - codes_per_visit_ks`` and ``1 - visits_per_patient_ks`` over the
  components that are defined.
- ``cooccurrence`` (the seed's figure): for each visit with 2+ codes, the mean over its
  pairs of the number of F's visits containing the pair; the mean over those visits.
- ``coverage``: distinct codes of the cohort that F also has / distinct codes of F.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict
from scipy.spatial.distance import jensenshannon
from scipy.stats import ks_2samp

from lossbalance.metrics._pairs import Cooccurrence, PairCounts
from lossbalance.metrics._space import CodeSpace, EncodedCohort, sorted_unique
from lossbalance.metrics._validity import CodeCount, top_codes

JS_MAX = math.sqrt(math.log(2.0))
"""The largest Jensen-Shannon distance (natural log): disjoint distributions."""


class CoherenceMetrics(BaseModel):
    """Coherence of one cohort against F, with the counts behind each value."""

    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="strings")

    code_js: float
    pair_js: float
    top100: float
    codes_per_visit_ks: float
    visits_per_patient_ks: float
    coherence: float
    cooccurrence: float
    coverage: float
    top_k: int
    top_k_shared: int
    top_k_union: int
    distinct_codes: int
    reference_distinct_codes: int
    shared_codes: int
    pair_visits: int
    """Visits with two or more distinct codes."""
    reference_pair_visits: int
    distinct_pairs: int
    reference_distinct_pairs: int
    top_unknown: list[CodeCount]
    """The codes most often used that F never uses."""


def js_distance(a: npt.NDArray[np.integer], b: npt.NDArray[np.integer]) -> float:
    """JS distance of two count vectors, no smoothing (NaN if both are all zero,
    ``sqrt(ln 2)`` if only one is)."""
    sa, sb = float(a.sum()), float(b.sum())
    if sa == 0.0 and sb == 0.0:
        return math.nan
    if sa == 0.0 or sb == 0.0:
        return JS_MAX
    union = (a > 0) | (b > 0)
    value = float(jensenshannon(a[union].astype(np.float64), b[union].astype(np.float64)))
    # rounding can leave a divergence of -1e-17 on identical inputs (sqrt -> nan)
    return 0.0 if math.isnan(value) else min(value, JS_MAX)


def pair_js_distance(pairs: PairCounts, reference: PairCounts) -> float:
    """JS distance between the within-visit pair distributions (NaN when the reference
    has no pair, ``sqrt(ln 2)`` when only ``pairs`` has none)."""
    if len(reference.keys) == 0:
        return math.nan
    if len(pairs.keys) == 0:
        return JS_MAX
    keys = sorted_unique(np.concatenate([pairs.keys, reference.keys]))[0]  # both sorted
    a = np.zeros(len(keys), dtype=np.int64)
    b = np.zeros(len(keys), dtype=np.int64)
    a[np.searchsorted(keys, pairs.keys)] = pairs.counts
    b[np.searchsorted(keys, reference.keys)] = reference.counts
    return js_distance(a, b)


def top_k_codes(counts: npt.NDArray[np.int64], k: int) -> npt.NDArray[np.int64]:
    """Indices of the ``k`` most frequent present codes; ties by index (= key) ascending."""
    present = np.flatnonzero(counts > 0)
    order = present[np.argsort(-counts[present], kind="stable")]
    return order[:k]


def top_k_overlap(
    a: npt.NDArray[np.int64], b: npt.NDArray[np.int64], k: int
) -> tuple[float, int, int]:
    """``(|top_a & top_b| / |top_a | top_b|, shared, union)`` of the top-``k`` code sets."""
    ta, tb = top_k_codes(a, k), top_k_codes(b, k)
    shared = int(np.intersect1d(ta, tb, assume_unique=True).size)
    union = len(ta) + len(tb) - shared
    return (shared / union if union else 1.0), shared, union


def ks_statistic(a: npt.NDArray[np.integer], b: npt.NDArray[np.integer]) -> float:
    """Two-sample KS statistic (NaN if a sample is empty)."""
    if len(a) == 0 or len(b) == 0:
        return math.nan
    with np.errstate(divide="ignore", invalid="ignore"):  # the p-value of tiny samples
        return float(ks_2samp(a, b, method="asymp").statistic)


def coherence_composite(
    code_js: float, pair_js: float, top: float, cpv_ks: float, vpp_ks: float
) -> float:
    """The mean of the defined components (NaN ones are left out)."""
    parts = [1.0 - code_js / JS_MAX, 1.0 - pair_js / JS_MAX, top, 1.0 - cpv_ks, 1.0 - vpp_ks]
    defined = [p for p in parts if not math.isnan(p)]
    return sum(defined) / len(defined) if defined else math.nan


def compute_coherence(
    enc: EncodedCohort,
    reference: EncodedCohort,
    pairs: PairCounts,
    reference_pairs: PairCounts,
    co: Cooccurrence,
    space: CodeSpace,
    top_k: int = 100,
    top_n: int = 10,
) -> CoherenceMetrics:
    """Coherence metrics of ``enc`` against ``reference``; ``pairs`` are the pair counts
    of each, ``co`` the co-occurrence of ``enc`` against the reference's pair counts
    (:func:`lossbalance.metrics._pairs.pair_walk`)."""
    counts, rcounts = enc.visit_counts, reference.visit_counts
    code_js = js_distance(counts, rcounts)
    pair_js = pair_js_distance(pairs, reference_pairs)
    top, shared_k, union_k = top_k_overlap(counts, rcounts, top_k)
    cpv = ks_statistic(enc.distinct_per_visit, reference.distinct_per_visit)
    vpp = ks_statistic(enc.cohort.visits_per_patient(), reference.cohort.visits_per_patient())
    mine, theirs = counts > 0, rcounts > 0
    shared = int((mine & theirs).sum())
    n_ref = int(theirs.sum())
    return CoherenceMetrics(
        code_js=code_js,
        pair_js=pair_js,
        top100=top,
        codes_per_visit_ks=cpv,
        visits_per_patient_ks=vpp,
        coherence=coherence_composite(code_js, pair_js, top, cpv, vpp),
        cooccurrence=co.value,
        coverage=shared / n_ref if n_ref else math.nan,
        top_k=top_k,
        top_k_shared=shared_k,
        top_k_union=union_k,
        distinct_codes=int(mine.sum()),
        reference_distinct_codes=n_ref,
        shared_codes=shared,
        pair_visits=int((enc.distinct_per_visit >= 2).sum()),
        reference_pair_visits=int((reference.distinct_per_visit >= 2).sum()),
        distinct_pairs=len(pairs.keys),
        reference_distinct_pairs=len(reference_pairs.keys),
        top_unknown=top_codes(np.where(mine & ~theirs, counts, 0), space.keys, top_n),
    )
