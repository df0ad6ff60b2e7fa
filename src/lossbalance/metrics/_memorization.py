"""Memorization and privacy of a generated cohort G against its training cohort T.

Definitions (DESIGN.md "Metric definitions (exact)"; decisions in docs/metrics.md). A
patient's *history* is the sequence of its visits' sorted distinct-code sets; its *code
set* is the union of its visits' codes. Distances are Jaccard distances between code
sets, ``1 - |a & b| / |a | b|`` (two empty sets are identical: distance 0).

- ``copy_rate``: share of G's patients whose history equals some T patient's history
  (all patients, by hashing: :func:`history_keys`); ``copy_rate_floor``: the same share
  for the reference F, which never met the generator.
- ``dcr_ratio``: median distance to the closest record in T (Park et al. 2018, "Data
  synthesis based on generative adversarial networks", PVLDB 11(10)) over a sample of G,
  divided by the same median over a sample of F.
- ``mia_auc``: a distance-based membership inference attack (Hayes et al. 2019, "LOGAN:
  membership inference attacks against generative models", PoPETs): members (a sample of
  T) and non-members (a sample of F, same size) each score minus their distance to the
  closest patient of all of G; the ROC AUC of members against non-members, ties one half.
- ``nnaar``: the nearest-neighbour adversarial accuracy risk of Yale et al. 2020
  ("Generation and evaluation of privacy preserving synthetic health data",
  Neurocomputing 416), ``AA(F) - AA(T)`` on equal-size samples of G, T and F.

Only the *query* side is ever subsampled; every nearest-neighbour look-up searches the
whole other cohort through sparse patient-by-code matrices: the intersections of a block
of queries with every target are one sparse product ``Q @ X.T`` (the union follows as
``|a| + |b| - |a & b|``), blocks sized so that memory stays bounded.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict
from scipy.stats import rankdata

from lossbalance.metrics._space import EncodedCohort

BLOCK_PAIRS = 1 << 22
"""Most (query, target) pairs whose intersections one sparse product may produce."""

_MASK64 = (1 << 64) - 1
_BASES = (0x100000001B3, 0x9E3779B97F4A7C15)
_SALTS = (0x632BE59BD9B4E019, 0x85EBCA77C2B2AE63)


class MemorizationMetrics(BaseModel):
    """Memorization and privacy of G against T, and the samples behind each value."""

    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="strings")

    copy_rate: float
    copy_rate_floor: float
    dcr_ratio: float
    mia_auc: float
    nnaar: float
    copies: int
    """G's patients whose history is some T patient's history."""
    reference_copies: int
    """F's patients whose history is some T patient's history."""
    dcr_queries: int
    """Patients of G (and, separately, of F) whose closest-record distance was taken."""
    dcr_median: float
    dcr_median_reference: float
    mia_members: int
    """Members (and, as many, non-members) of the attack."""
    nnaar_sample: int
    """Patients of each of G, T and F in the samples of ``nnaar``."""
    aa_reference: float
    aa_train: float


# ----------------------------------------------------------------- histories
def _splitmix(x: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """SplitMix64's finaliser (Steele, Lea and Flood 2014), elementwise, mod 2**64."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def history_keys(enc: EncodedCohort) -> npt.NDArray[np.void]:
    """One 24-byte key per patient: equal keys are equal histories.

    A history is written as a token stream (each visit's sorted distinct codes, then a
    separator); the key is the stream's length and two independent polynomial hashes of
    it modulo ``2**64`` (128 bits: for a million patients the chance of any collision is
    below ``1e-26``). Vectorised: one pass over the code occurrences.
    """
    cohort = enc.cohort
    nv = cohort.n_visits
    nnz = len(enc.indices)
    stream = np.zeros(nnz + nv, dtype=np.uint64)
    code_visit = np.repeat(np.arange(nv, dtype=np.int64), enc.distinct_per_visit)
    stream[np.arange(nnz, dtype=np.int64) + code_visit] = enc.indices.astype(np.uint64) + 1
    # separators (token 0) sit at indptr[v + 1] + v
    vo = cohort.visit_offsets
    start = enc.indptr[vo] + vo  # stream offset of each patient (and the end)
    lengths = np.diff(start)
    owner = np.repeat(np.arange(cohort.n_patients, dtype=np.int64), lengths)
    pos = (np.arange(len(stream), dtype=np.int64) - start[owner]).astype(np.uint64)
    keys = np.zeros((cohort.n_patients, 3), dtype=np.uint64)
    keys[:, 0] = lengths.astype(np.uint64)
    nonempty = lengths > 0
    with np.errstate(over="ignore"):
        for j, (base, salt) in enumerate(zip(_BASES, _SALTS, strict=True)):
            terms = _splitmix(stream ^ np.uint64(salt)) * np.power(
                np.uint64(base), pos, dtype=np.uint64
            )
            if len(terms):
                sums = np.add.reduceat(terms, np.minimum(start[:-1], len(terms) - 1))
                keys[:, j + 1] = np.where(nonempty, sums, 0)
    return np.ascontiguousarray(keys).view(np.dtype((np.void, 24))).ravel()


def distinct_histories(enc: EncodedCohort) -> int:
    """Number of distinct patient histories."""
    return int(np.unique(history_keys(enc)).size)


def copied(query: npt.NDArray[np.void], train: npt.NDArray[np.void]) -> npt.NDArray[np.bool_]:
    """Whether each query history key is also a key of ``train``."""
    return np.isin(query, np.unique(train))


# ------------------------------------------------------------------ code sets
def code_sets(enc: EncodedCohort) -> sp.csr_matrix:
    """The binary patient-by-code matrix (row ``p``: the code set of patient ``p``)."""
    cohort = enc.cohort
    rows = np.repeat(cohort.visit_patient(), enc.distinct_per_visit)
    data = np.ones(len(rows), dtype=np.float32)
    mat = sp.csr_matrix(
        (data, (rows, enc.indices)), shape=(cohort.n_patients, enc.n_space), dtype=np.float32
    )
    mat.sum_duplicates()
    mat.data[:] = 1.0
    return mat


def nearest_distances(
    queries: sp.csr_matrix,
    targets: sp.csr_matrix,
    self_index: npt.NDArray[np.int64] | None = None,
    block_pairs: int | None = None,
) -> npt.NDArray[np.float64]:
    """Jaccard distance from each query row to its nearest target row (exact).

    Args:
        queries: binary ``(q, codes)`` CSR matrix.
        targets: binary ``(n, codes)`` CSR matrix, searched whole.
        self_index: for a leave-one-out search within one cohort, the target row of each
            query (that row is skipped; an identical other row still counts).
        block_pairs: most (query, target) pairs per sparse product (default
            :data:`BLOCK_PAIRS`).

    Returns:
        ``q`` distances in ``[0, 1]``; 1.0 where no target is left (an empty target set
        after leave-one-out).
    """
    block_pairs = BLOCK_PAIRS if block_pairs is None else block_pairs
    n_q, n_t = queries.shape[0], targets.shape[0]
    q_size = np.asarray(queries.getnnz(axis=1), dtype=np.float64)
    t_size = np.asarray(targets.getnnz(axis=1), dtype=np.float64)
    t_empty = np.flatnonzero(t_size == 0)
    best = np.zeros(n_q, dtype=np.float64)  # largest Jaccard similarity found
    tt = targets.T.tocsr()
    step = max(1, block_pairs // max(n_t, 1))
    for lo in range(0, n_q, step):
        hi = min(n_q, lo + step)
        inter = (queries[lo:hi] @ tt).tocsr()
        if inter.nnz:
            rows = np.repeat(np.arange(lo, hi), np.diff(inter.indptr))
            cols = inter.indices
            d = inter.data.astype(np.float64)
            sim = d / (q_size[rows] + t_size[cols] - d)
            if self_index is not None:
                sim[cols == self_index[rows]] = -1.0
            has = np.diff(inter.indptr) > 0
            starts = inter.indptr[:-1][has]
            best[lo:hi][has] = np.maximum(np.maximum.reduceat(sim, starts), 0.0)
    # an empty query set is identical to an empty target set (distance 0)
    empty_q = np.flatnonzero(q_size == 0)
    if len(empty_q) and len(t_empty):
        if self_index is None:
            best[empty_q] = 1.0
        else:
            others = len(t_empty) - np.isin(self_index[empty_q], t_empty).astype(np.int64)
            best[empty_q[others > 0]] = 1.0
    return 1.0 - best


# -------------------------------------------------------------------- metrics
def sample_rows(n: int, k: int, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """``min(n, k)`` distinct sorted row indices out of ``n`` (all rows when ``k >= n``)."""
    if k >= n:
        return np.arange(n, dtype=np.int64)
    return np.sort(rng.choice(n, size=k, replace=False)).astype(np.int64)


def roc_auc(positive: npt.NDArray[np.float64], negative: npt.NDArray[np.float64]) -> float:
    """ROC AUC of scores of positives against negatives, ties counting one half
    (the Mann-Whitney U statistic over ``len(positive) * len(negative)``)."""
    n_p, n_n = len(positive), len(negative)
    if n_p == 0 or n_n == 0:
        return math.nan
    ranks = rankdata(np.concatenate([positive, negative]))
    u = float(ranks[:n_p].sum()) - n_p * (n_p + 1) / 2.0
    return u / (n_p * n_n)


def adversarial_accuracy(x: sp.csr_matrix, g: sp.csr_matrix) -> float:
    """AA of Yale et al. 2020 between equal-size samples ``x`` and ``g``:
    ``0.5 * (share of x whose nearest g is farther than its nearest other x
    + share of g whose nearest x is farther than its nearest other g)``."""
    own_x = nearest_distances(x, x, np.arange(x.shape[0], dtype=np.int64))
    own_g = nearest_distances(g, g, np.arange(g.shape[0], dtype=np.int64))
    x_to_g = nearest_distances(x, g)
    g_to_x = nearest_distances(g, x)
    return 0.5 * (float(np.mean(x_to_g > own_x)) + float(np.mean(g_to_x > own_g)))


def compute_memorization(
    gen: EncodedCohort,
    train: EncodedCohort,
    reference: EncodedCohort,
    sample: int,
    seed: int,
    notes: dict[str, str],
) -> MemorizationMetrics:
    """Memorization and privacy metrics of ``gen`` against ``train``, ``reference`` the
    non-member control. ``sample`` bounds every query side (seeded by ``seed``); why a
    value is NaN goes into ``notes``."""
    keys_t = history_keys(train)
    copies_g = int(copied(history_keys(gen), keys_t).sum())
    copies_f = int(copied(history_keys(reference), keys_t).sum())
    n_g, n_t, n_f = gen.cohort.n_patients, train.cohort.n_patients, reference.cohort.n_patients

    sets_g, sets_t, sets_f = code_sets(gen), code_sets(train), code_sets(reference)

    def rng(tag: int) -> np.random.Generator:
        return np.random.default_rng([seed, 0x3E3, tag])

    # distance to closest record: queries from G and from F, T searched whole
    q_g = sample_rows(n_g, sample, rng(1))
    q_f = sample_rows(n_f, sample, rng(2))
    med_g = float(np.median(nearest_distances(sets_g[q_g], sets_t)))
    med_f = float(np.median(nearest_distances(sets_f[q_f], sets_t)))
    if med_f == 0.0:
        dcr = math.nan
        notes["dcr_ratio"] = (
            "NaN: the median distance of the reference's patients to train is 0 "
            "(half of them have their code set in train)"
        )
    else:
        dcr = med_g / med_f

    # membership inference: members from T, as many non-members from F; G searched whole
    m = min(sample, n_t, n_f)
    members = sample_rows(n_t, m, rng(3))
    others = sample_rows(n_f, m, rng(4))
    auc = roc_auc(
        -nearest_distances(sets_t[members], sets_g), -nearest_distances(sets_f[others], sets_g)
    )

    # NNAAR on equal-size samples of G, T and F
    k = min(sample, n_g, n_t, n_f)
    if k < 2:
        aa_f = aa_t = nnaar = math.nan
        notes["nnaar"] = f"NaN: needs 2+ patients in each of G, T and F (smallest has {k})"
    else:
        s_g = sets_g[sample_rows(n_g, k, rng(5))]
        aa_t = adversarial_accuracy(sets_t[sample_rows(n_t, k, rng(6))], s_g)
        aa_f = adversarial_accuracy(sets_f[sample_rows(n_f, k, rng(7))], s_g)
        nnaar = aa_f - aa_t
    return MemorizationMetrics(
        copy_rate=copies_g / n_g if n_g else math.nan,
        copy_rate_floor=copies_f / n_f if n_f else math.nan,
        dcr_ratio=dcr,
        mia_auc=auc,
        nnaar=nnaar,
        copies=copies_g,
        reference_copies=copies_f,
        dcr_queries=len(q_g),
        dcr_median=med_g,
        dcr_median_reference=med_f,
        mia_members=m,
        nnaar_sample=k,
        aa_reference=aa_f,
        aa_train=aa_t,
    )
