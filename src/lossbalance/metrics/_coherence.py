"""Semantic coherence of a cohort against the real cohort R.

Definitions (DESIGN.md, "Metric definitions (exact)"; decisions in docs/metrics.md):

- ``js``: Jensen-Shannon *distance* (Lin 1991; Endres and Schindelin 2003) between the
  code-occurrence distributions, counts add-one smoothed over the union of the codes of
  both cohorts, as :func:`scipy.spatial.distance.jensenshannon` computes it (natural log).
- ``top100``: Jaccard overlap of the top-K codes of each cohort (K = ``top_k``, 100 by
  default), ranked by occurrences, ties broken by code key ascending.
- ``cooccurrence``: see :func:`lossbalance.metrics._pairs.cooccurrence`; its ratio to the
  floor's (held-out real data) is ``cooccurrence_ratio``.
- ``coverage``: distinct codes of the cohort that R also has, over distinct codes of R.
- ``coherence = mean(1 - js / sqrt(ln 2), top100, min(1, cooccurrence_ratio))``.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict
from scipy.spatial.distance import jensenshannon

from lossbalance.metrics._pairs import Cooccurrence
from lossbalance.metrics._space import CodeSpace, EncodedCohort
from lossbalance.metrics._validity import CodeCount, top_codes

JS_MAX = math.sqrt(math.log(2.0))
"""The largest Jensen-Shannon distance (natural log): disjoint distributions."""


class CoherenceMetrics(BaseModel):
    """Coherence of one cohort against R, with the counts behind each value."""

    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="strings")

    js: float
    top100: float
    cooccurrence: float
    cooccurrence_ratio: float
    coverage: float
    coherence: float
    unknown_rate: float
    top_k: int
    top_k_shared: int
    top_k_union: int
    distinct_codes: int
    real_distinct_codes: int
    shared_codes: int
    unknown_codes: int
    unknown_occurrences: int
    pair_visits: int
    top_unknown: list[CodeCount]


def js_distance(a: npt.NDArray[np.int64], b: npt.NDArray[np.int64]) -> float:
    """JS distance of two count vectors, add-one smoothed over codes present in either."""
    union = (a > 0) | (b > 0)
    if not union.any():
        return 0.0
    value = float(jensenshannon(a[union] + 1.0, b[union] + 1.0))
    # rounding can leave a divergence of -1e-17 on near-identical inputs (sqrt -> nan)
    return 0.0 if math.isnan(value) else value


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


def coherence_composite(js: float, top: float, ratio: float) -> float:
    """``mean(1 - js / sqrt(ln 2), top, min(1, ratio))`` (NaN if the ratio is NaN)."""
    if math.isnan(ratio):
        return float("nan")
    return ((1.0 - js / JS_MAX) + top + min(1.0, ratio)) / 3.0


def compute_coherence(
    enc: EncodedCohort,
    real: EncodedCohort,
    co: Cooccurrence,
    space: CodeSpace,
    top_k: int = 100,
    floor_cooccurrence: float | None = None,
    top_n: int = 10,
) -> CoherenceMetrics:
    """Coherence metrics of ``enc`` against ``real``; ``co`` is ``enc``'s co-occurrence
    against ``real`` (:func:`lossbalance.metrics._pairs.cooccurrence`).

    ``floor_cooccurrence`` is the held-out cohort's co-occurrence against the same R; the
    ratio is NaN without it, and NaN when it is 0.
    """
    counts, rcounts = enc.counts, real.counts
    js = js_distance(counts, rcounts)
    top, shared_k, union_k = top_k_overlap(counts, rcounts, top_k)
    mine, theirs = counts > 0, rcounts > 0
    shared = int((mine & theirs).sum())
    n_real = int(theirs.sum())
    unknown = mine & ~theirs
    unknown_occ = int(counts[unknown].sum())
    if floor_cooccurrence is None or floor_cooccurrence == 0.0:
        ratio = float("nan")
    else:
        ratio = co.value / floor_cooccurrence
    return CoherenceMetrics(
        js=js,
        top100=top,
        cooccurrence=co.value,
        cooccurrence_ratio=ratio,
        coverage=shared / n_real if n_real else float("nan"),
        coherence=coherence_composite(js, top, ratio),
        unknown_rate=unknown_occ / len(enc.codes) if len(enc.codes) else float("nan"),
        top_k=top_k,
        top_k_shared=shared_k,
        top_k_union=union_k,
        distinct_codes=int(mine.sum()),
        real_distinct_codes=n_real,
        shared_codes=shared,
        unknown_codes=int(unknown.sum()),
        unknown_occurrences=unknown_occ,
        pair_visits=co.visits,
        top_unknown=top_codes(np.where(unknown, counts, 0), space.keys, top_n),
    )
