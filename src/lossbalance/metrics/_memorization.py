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
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from pydantic import BaseModel, ConfigDict
from scipy.stats import rankdata

from lossbalance.data._cohort import concat_ranges
from lossbalance.metrics._space import EncodedCohort, sorted_unique

_Job = tuple[sp.csr_matrix, "sp.csr_matrix | Targets", "npt.NDArray[np.int64] | None"]
_Out = npt.NDArray[np.float64]

BLOCK_BYTES = 1 << 25
"""Most bytes of the intersections of one block of target patients with every query."""

HISTORY_TOKENS = 1 << 22
"""Tokens (codes and visit separators) hashed at once by :func:`compute_history_keys`."""

DENSE_BYTES = 1 << 20
"""Target bytes of one dense code-by-patient block (about a core's L2 cache)."""

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


_HISTORY_KEYS: weakref.WeakKeyDictionary[EncodedCohort, npt.NDArray[np.void]] = (
    weakref.WeakKeyDictionary()
)


def history_keys(enc: EncodedCohort) -> npt.NDArray[np.void]:
    """:func:`compute_history_keys` of ``enc``, computed once per encoded cohort."""
    keys = _HISTORY_KEYS.get(enc)
    if keys is None:
        keys = _HISTORY_KEYS[enc] = compute_history_keys(enc)
    return keys


def compute_history_keys(enc: EncodedCohort) -> npt.NDArray[np.void]:
    """One 24-byte key per patient: equal keys are equal histories.

    A history is written as a token stream (each visit's sorted distinct codes, then a
    separator); the key is the stream's length and two independent polynomial hashes of
    it modulo ``2**64`` (128 bits: for a million patients the chance of any collision is
    below ``1e-26``). Vectorised, over chunks of patients of about
    :data:`HISTORY_TOKENS` tokens each (bounded memory).
    """
    cohort = enc.cohort
    vo = cohort.visit_offsets
    start = enc.indptr[vo] + vo  # stream offset of each patient (and the end)
    keys = np.zeros((cohort.n_patients, 3), dtype=np.uint64)
    keys[:, 0] = np.diff(start).astype(np.uint64)
    cuts = np.searchsorted(start, np.arange(HISTORY_TOKENS, int(start[-1]), HISTORY_TOKENS))
    bounds = np.unique(np.concatenate([[0], cuts, [cohort.n_patients]]))
    for p_lo, p_hi in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        keys[p_lo:p_hi, 1:] = _hash_patients(enc, p_lo, p_hi, start)
    return np.ascontiguousarray(keys).view(np.dtype((np.void, 24))).ravel()


def _hash_patients(
    enc: EncodedCohort, p_lo: int, p_hi: int, start: npt.NDArray[np.int64]
) -> npt.NDArray[np.uint64]:
    """The two hashes of patients ``p_lo:p_hi`` (an array of shape ``(n, 2)``)."""
    vo = enc.cohort.visit_offsets
    v_lo, v_hi = int(vo[p_lo]), int(vo[p_hi])
    c_lo, c_hi = int(enc.indptr[v_lo]), int(enc.indptr[v_hi])
    nv, nnz = v_hi - v_lo, c_hi - c_lo
    stream = np.zeros(nnz + nv, dtype=np.uint64)
    code_visit = np.repeat(np.arange(nv, dtype=np.int64), enc.distinct_per_visit[v_lo:v_hi])
    # separators (token 0) sit after each visit's codes
    stream[np.arange(nnz, dtype=np.int64) + code_visit] = enc.indices[c_lo:c_hi].astype(
        np.uint64
    ) + np.uint64(1)
    del code_visit
    first = start[p_lo : p_hi + 1] - start[p_lo]
    lengths = np.diff(first)
    owner = np.repeat(np.arange(p_hi - p_lo, dtype=np.int64), lengths)
    pos = (np.arange(len(stream), dtype=np.int64) - first[owner]).astype(np.uint64)
    del owner
    out = np.zeros((p_hi - p_lo, 2), dtype=np.uint64)
    nonempty = lengths > 0
    with np.errstate(over="ignore"):
        for j, (base, salt) in enumerate(zip(_BASES, _SALTS, strict=True)):
            terms = _splitmix(stream ^ np.uint64(salt))
            terms *= np.power(np.uint64(base), pos, dtype=np.uint64)
            # a trailing 0 keeps every start a valid index (empty patients at the end)
            sums = np.add.reduceat(np.append(terms, np.uint64(0)), first[:-1])
            out[:, j] = np.where(nonempty, sums, 0)
    return out


def distinct_histories(enc: EncodedCohort) -> int:
    """Number of distinct patient histories."""
    return int(np.unique(history_keys(enc)).size)


def copied(query: npt.NDArray[np.void], train: npt.NDArray[np.void]) -> npt.NDArray[np.bool_]:
    """Whether each query history key is also a key of ``train``."""
    return np.isin(query, np.unique(train))


# ------------------------------------------------------------------ code sets
def code_sets(enc: EncodedCohort) -> sp.csr_matrix:
    """The binary patient-by-code matrix (row ``p``: the code set of patient ``p``;
    ``uint8`` ones, sorted indices)."""
    cohort = enc.cohort
    n_space = np.int64(enc.n_space)
    key = np.repeat(cohort.visit_patient(), enc.distinct_per_visit) * n_space + enc.indices
    key = sorted_unique(key, nearly_sorted=True)[0]  # patient-major, codes sorted, once
    rows = key // n_space
    indices = (key - rows * n_space).astype(np.int32)
    indptr = np.zeros(cohort.n_patients + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=cohort.n_patients), out=indptr[1:])
    del key, rows
    data = np.ones(len(indices), dtype=np.uint8)
    return sp.csr_matrix((data, indices, indptr), shape=(cohort.n_patients, enc.n_space))


@dataclass(frozen=True, eq=False)
class Targets:
    """A searched cohort prepared once for any number of searches: its patients ordered
    by code-set size, cut into groups of one size (:func:`nearest_distances`)."""

    n: int
    n_codes: int
    sizes: npt.NDArray[np.int64]
    """Code-set size of each patient, in search order."""
    position: npt.NDArray[np.int64]
    """Search-order position of each patient."""
    indptr: npt.NDArray[np.int64]
    indices: npt.NDArray[np.int32]
    groups: list[tuple[int, int]]
    """Search-order ranges of one code-set size."""

    @classmethod
    def of(cls, mat: sp.csr_matrix) -> Targets:
        n_t = mat.shape[0]
        size = np.diff(mat.indptr).astype(np.int64)
        order = np.argsort(size, kind="stable")
        sizes = size[order]
        position = np.empty(n_t, dtype=np.int64)
        position[order] = np.arange(n_t, dtype=np.int64)
        indptr = np.zeros(n_t + 1, dtype=np.int64)
        np.cumsum(sizes, out=indptr[1:])
        rows = concat_ranges(mat.indptr[:-1][order], sizes)
        indices = np.asarray(mat.indices, dtype=np.int32)[rows]
        del rows
        bounds = (np.flatnonzero(np.diff(sizes)) + 1).tolist()
        starts, ends = [0, *bounds], [*bounds, n_t]
        groups = [(a, b) for a, b in zip(starts, ends, strict=True) if b > a]
        return cls(n_t, mat.shape[1], sizes, position, indptr, indices, groups)


def nearest_distances(
    queries: sp.csr_matrix,
    targets: sp.csr_matrix | Targets,
    self_index: npt.NDArray[np.int64] | None = None,
    block_bytes: int | None = None,
) -> npt.NDArray[np.float64]:
    """Jaccard distance from each query row to its nearest target row (exact).

    The targets are ordered by set size and cut into blocks that never mix two sizes;
    each block becomes a dense code-by-patient matrix of small integers, and one sparse
    by dense product gives every query's intersection with every patient of the block.
    Within a block all unions are ``|q| + b - |q & x|`` for the block's one size ``b``,
    so the largest intersection is the nearest patient: one integer maximum per block,
    and the distances come out of exact integers at the end.

    Args:
        queries: binary ``(q, codes)`` CSR matrix.
        targets: binary ``(n, codes)`` CSR matrix, searched whole (or the same already
            prepared as :class:`Targets`, to share between searches).
        self_index: for a leave-one-out search within one cohort, the target row of each
            query (that row is skipped; an identical other row still counts).
        block_bytes: most bytes of one block's intersections (default
            :data:`BLOCK_BYTES`).

    Returns:
        ``q`` distances in ``[0, 1]``; 1.0 where no target is left (an empty target set
        after leave-one-out).
    """
    budget = BLOCK_BYTES if block_bytes is None else block_bytes
    t = targets if isinstance(targets, Targets) else Targets.of(targets.tocsr())
    queries = queries.tocsr()
    n_q = queries.shape[0]
    q_size = np.diff(queries.indptr).astype(np.int64)
    if n_q == 0:
        return np.zeros(0, dtype=np.float64)
    top = int(q_size.max(initial=0))
    dtype = np.uint8 if top < 2**8 else np.uint16 if top < 2**16 else np.int32
    q_mat = sp.csr_matrix(
        (np.ones(len(queries.indices), dtype=dtype), queries.indices, queries.indptr),
        shape=(n_q, t.n_codes),
    )
    item = np.dtype(dtype).itemsize
    # narrow blocks keep the dense block in a core's cache (the product streams it)
    width = min(budget // max(n_q * item, 1), DENSE_BYTES // max(t.n_codes * item, 1))
    width = max(width, 64)
    best = np.full(n_q, -1.0, dtype=np.float64)  # largest Jaccard similarity found
    self_pos = t.position[self_index] if self_index is not None else None
    rows_q = np.arange(n_q, dtype=np.int64)
    indptr, indices = t.indptr, t.indices
    for g_lo, g_hi in t.groups:
        b = int(t.sizes[g_lo])
        for lo in range(g_lo, g_hi, width):
            hi = min(g_hi, lo + width)
            a, z = int(indptr[lo]), int(indptr[hi])
            dense = np.zeros((t.n_codes, hi - lo), dtype=dtype)
            dense[indices[a:z], np.repeat(np.arange(hi - lo), b)] = 1
            inter = np.asarray(q_mat @ dense)
            if self_pos is not None:
                mine = (self_pos >= lo) & (self_pos < hi)
                if mine.any():  # the query's own row must not count
                    inter = inter.astype(np.int64)
                    inter[rows_q[mine], self_pos[mine] - lo] = -1
            most = inter.max(axis=1).astype(np.float64)
            valid = most >= 0  # -1: the block held only the query itself
            union = q_size + b - most
            with np.errstate(divide="ignore", invalid="ignore"):
                sim = np.where(union > 0, most / union, 1.0)  # both empty: identical
            best = np.where(valid, np.maximum(best, sim), best)
    return 1.0 - np.maximum(best, 0.0)


# -------------------------------------------------------------------- metrics
def sample_rows(n: int, k: int, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """``min(n, k)`` distinct sorted row indices out of ``n`` (all rows when ``k >= n``)."""
    if k >= n:
        return np.arange(n, dtype=np.int64)
    return np.sort(rng.choice(n, size=k, replace=False)).astype(np.int64)


def query_samples(
    n_g: int, n_t: int, n_f: int, sample: int, seed: int
) -> dict[str, npt.NDArray[np.int64]]:
    """The seeded query samples of every search (row indices, sorted):

    - ``dcr_g``, ``dcr_f``: up to ``sample`` patients of G and of F (closest records);
    - ``mia_t``, ``mia_f``: ``min(sample, n_t, n_f)`` members from T, as many
      non-members from F;
    - ``aa_g``, ``aa_t``, ``aa_f``: ``min(sample, n_g, n_t, n_f)`` patients of each
      (NNAAR).
    """

    def rng(tag: int) -> np.random.Generator:
        return np.random.default_rng([seed, 0x3E3, tag])

    m = min(sample, n_t, n_f)
    k = min(sample, n_g, n_t, n_f)
    return {
        "dcr_g": sample_rows(n_g, sample, rng(1)),
        "dcr_f": sample_rows(n_f, sample, rng(2)),
        "mia_t": sample_rows(n_t, m, rng(3)),
        "mia_f": sample_rows(n_f, m, rng(4)),
        "aa_g": sample_rows(n_g, k, rng(5)),
        "aa_t": sample_rows(n_t, k, rng(6)),
        "aa_f": sample_rows(n_f, k, rng(7)),
    }


def roc_auc(positive: npt.NDArray[np.float64], negative: npt.NDArray[np.float64]) -> float:
    """ROC AUC of scores of positives against negatives, ties counting one half
    (the Mann-Whitney U statistic over ``len(positive) * len(negative)``)."""
    n_p, n_n = len(positive), len(negative)
    if n_p == 0 or n_n == 0:
        return math.nan
    ranks = rankdata(np.concatenate([positive, negative]))
    u = float(ranks[:n_p].sum()) - n_p * (n_p + 1) / 2.0
    return u / (n_p * n_n)


Mapper = Callable[[Callable[[_Job], _Out], Iterable[_Job]], Iterator[_Out]]


def _search(job: _Job) -> npt.NDArray[np.float64]:
    queries, targets, self_index = job
    return nearest_distances(queries, targets, self_index)


def _adversarial_accuracy(d: Sequence[npt.NDArray[np.float64]]) -> float:
    """AA of Yale et al. 2020 from the four searches of :func:`_aa_jobs`:
    ``0.5 * (share of x whose nearest g is farther than its nearest other x
    + share of g whose nearest x is farther than its nearest other g)``."""
    own_x, own_g, x_to_g, g_to_x = d
    return 0.5 * (float(np.mean(x_to_g > own_x)) + float(np.mean(g_to_x > own_g)))


def _aa_jobs(x: sp.csr_matrix, g: sp.csr_matrix) -> list[_Job]:
    loo = np.arange(x.shape[0], dtype=np.int64)
    return [(x, x, loo), (g, g, loo), (x, g, None), (g, x, None)]


def compute_memorization(
    gen: EncodedCohort,
    train: EncodedCohort,
    reference: EncodedCohort,
    sample: int,
    seed: int,
    notes: dict[str, str],
    mapper: Mapper | None = None,
) -> MemorizationMetrics:
    """Memorization and privacy metrics of ``gen`` against ``train``, ``reference`` the
    non-member control. ``sample`` bounds every query side (seeded by ``seed``); why a
    value is NaN goes into ``notes``; ``mapper`` (a thread pool's ``map``) runs the
    nearest-neighbour searches side by side."""
    run: Mapper = map if mapper is None else mapper
    keys_t = history_keys(train)
    copies_g = int(copied(history_keys(gen), keys_t).sum())
    copies_f = int(copied(history_keys(reference), keys_t).sum())
    n_g, n_t, n_f = gen.cohort.n_patients, train.cohort.n_patients, reference.cohort.n_patients

    sets_g, sets_t, sets_f = code_sets(gen), code_sets(train), code_sets(reference)

    idx = query_samples(n_g, n_t, n_f, sample, seed)
    q_g, q_f, members, others = idx["dcr_g"], idx["dcr_f"], idx["mia_t"], idx["mia_f"]
    m = len(members)
    whole_t, whole_g = Targets.of(sets_t), Targets.of(sets_g)
    jobs: list[_Job] = [
        (sets_g[q_g], whole_t, None),
        (sets_f[q_f], whole_t, None),
        (sets_t[members], whole_g, None),
        (sets_f[others], whole_g, None),
    ]
    # NNAAR on equal-size samples of G, T and F
    k = len(idx["aa_g"])
    if k >= 2:
        s_g = sets_g[idx["aa_g"]]
        jobs += _aa_jobs(sets_t[idx["aa_t"]], s_g)
        jobs += _aa_jobs(sets_f[idx["aa_f"]], s_g)
    found = list(run(_search, jobs))

    med_g, med_f = float(np.median(found[0])), float(np.median(found[1]))
    if med_f == 0.0:
        dcr = math.nan
        notes["dcr_ratio"] = (
            "NaN: the median distance of the reference's patients to train is 0 "
            "(half of them have their code set in train)"
        )
    else:
        dcr = med_g / med_f
    auc = roc_auc(-found[2], -found[3])
    if k >= 2:
        aa_t = _adversarial_accuracy(found[4:8])
        aa_f = _adversarial_accuracy(found[8:12])
        nnaar = aa_f - aa_t
    else:
        aa_f = aa_t = nnaar = math.nan
        notes["nnaar"] = f"NaN: needs 2+ patients in each of G, T and F (smallest has {k})"
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
