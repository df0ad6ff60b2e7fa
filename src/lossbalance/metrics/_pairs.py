"""Code-pair counts: how many visits of a cohort contain each unordered pair of codes.

A pair ``a < b`` of space codes is the key ``a * n + b``. Visits are walked *by size*:
all visits with ``k`` distinct codes form a ``(visits, k)`` array whose
``k (k - 1) / 2`` pairs are gathered at once with the upper-triangle indices of ``k``;
the only Python loop is over the distinct visit sizes (and blocks that bound memory),
never over visits or codes. The keys are counted by ``np.bincount`` into a dense table.

With many codes (more than :data:`DENSE_MAX_CODES`), the counts come instead from the
sparse product ``X.T @ X`` of the binary visit-by-code matrix ``X`` (entry ``[a, b]``:
visits containing both ``a`` and ``b``), and are looked up with ``searchsorted``; both
ways give identical numbers (tests/test_metrics_reference.py checks both).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from lossbalance.metrics._space import EncodedCohort

DENSE_MAX_CODES = 4096
"""Up to this many space codes, pair counts accumulate in (and are looked up from) a
dense ``n * n`` table (128 MiB at the limit); above it, the sparse path is used."""

BLOCK_PAIRS = 1 << 22
"""Most pairs gathered at once (bounds the memory of the walk over visits)."""

COUNT_PAIRS = 1 << 23
"""Pair keys buffered before one ``np.bincount`` into the dense table (bounds memory)."""


@dataclass(frozen=True, eq=False)
class PairCounts:
    """Visits containing each pair of codes, over a space of ``n`` codes.

    Attributes:
        n: size of the code space.
        keys: sorted pair keys ``a * n + b`` (``a < b``) of the pairs present.
        counts: visits containing each pair of ``keys``.
        n_visits: visits of the cohort (the denominator of pair prevalence).
    """

    n: int
    keys: npt.NDArray[np.int64]
    counts: npt.NDArray[np.int64]
    n_visits: int

    @cached_property
    def _table(self) -> npt.NDArray[np.int32]:
        # int32: a pair count never exceeds the number of visits; half the memory traffic
        table = np.zeros(self.n * self.n, dtype=np.int32)
        table[self.keys] = self.counts
        return table

    def lookup(self, keys: npt.NDArray[np.signedinteger]) -> npt.NDArray[np.integer]:
        """The count of each pair key in ``keys`` (0 for an absent pair)."""
        if self.n <= DENSE_MAX_CODES:
            return np.take(self._table, keys)
        if len(self.keys) == 0:
            return np.zeros(keys.shape, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[pos] == keys, self.counts[pos], 0)


def key_dtype(n: int) -> type[np.signedinteger]:
    """``int32`` pair keys while ``n * n`` fits (half the memory traffic), else ``int64``."""
    return np.int32 if n * n < 2**31 else np.int64


def visit_pair_blocks(
    enc: EncodedCohort, block_pairs: int | None = None
) -> Iterator[npt.NDArray[np.signedinteger]]:
    """Yield ``(visits, pairs)`` arrays of pair keys ``a * n + b`` (``a < b``, dtype
    :func:`key_dtype`): row ``i`` holds every pair of one visit with two or more
    distinct codes.

    Visits come grouped by their number of distinct codes ``k``; each block holds at most
    ``block_pairs`` pairs (at least one visit).
    """
    block_pairs = BLOCK_PAIRS if block_pairs is None else block_pairs
    dtype = key_dtype(enc.n_space)
    n = dtype(enc.n_space)
    size = enc.distinct_per_visit
    indptr, indices = enc.indptr, enc.indices
    by_size = np.argsort(size, kind="stable")  # visits grouped by size, in visit order
    sizes, starts = np.unique(size[by_size], return_index=True)
    bounds = np.append(starts, len(size))
    for g, k in enumerate(sizes.tolist()):
        if k < 2:
            continue
        ids = by_size[bounds[g] : bounds[g + 1]]
        iu, ju = np.triu_indices(k, 1)
        per = max(1, block_pairs // len(iu))
        for start in range(0, len(ids), per):
            chunk = ids[start : start + per]
            codes = indices[indptr[chunk][:, None] + np.arange(k)].astype(dtype)
            yield (codes * n)[:, iu] + codes[:, ju]


@dataclass(frozen=True)
class Cooccurrence:
    """The co-occurrence metric of one cohort against the real pair counts."""

    value: float
    """Mean over visits with 2+ distinct codes of the mean pair count (0.0 if none)."""
    visits: int
    """Visits with two or more distinct codes (the visits averaged over)."""


def _sparse_counts(enc: EncodedCohort) -> PairCounts:
    x = enc.matrix()
    upper = sp.triu((x.T @ x).tocsr(), k=1, format="csr")
    upper.sort_indices()
    coo = upper.tocoo()
    keys = coo.row.astype(np.int64) * enc.n_space + coo.col
    order = np.argsort(keys, kind="stable")
    return PairCounts(
        enc.n_space, keys[order], coo.data[order].astype(np.int64), enc.cohort.n_visits
    )


def pair_walk(
    enc: EncodedCohort,
    real: PairCounts | None = None,
    block_pairs: int | None = None,
) -> tuple[PairCounts, Cooccurrence | None]:
    """The pair counts of ``enc`` and, given the real cohort's counts, its co-occurrence:
    for each visit with 2+ distinct codes, the mean over its unordered pairs of the
    number of real visits containing the pair; then the mean over those visits.
    """
    n = enc.n_space
    dense = n <= DENSE_MAX_CODES
    acc = np.zeros(n * n, dtype=np.int64) if dense else None
    buffer: list[npt.NDArray[np.signedinteger]] = []
    buffered = 0

    def flush() -> None:
        nonlocal buffered
        if acc is not None and buffer:
            # one bincount into the n * n table: measured (CPU time, 23M pair keys of the
            # simulator's 2,042 codes) 2.5-4x faster than sorting the keys
            keys = buffer[0] if len(buffer) == 1 else np.concatenate(buffer)
            np.add(acc, np.bincount(keys, minlength=n * n), out=acc)
            buffer.clear()
            buffered = 0

    total, n_visits = 0.0, 0
    if dense or real is not None:
        for keys in visit_pair_blocks(enc, block_pairs):
            if real is not None:
                per_visit = real.lookup(keys).sum(axis=1, dtype=np.int64) / keys.shape[1]
                total += float(per_visit.sum())
                n_visits += len(per_visit)
            if acc is not None:
                buffer.append(keys.ravel())
                buffered += keys.size
                if buffered >= COUNT_PAIRS:  # read at call time (tests shrink it)
                    flush()
        flush()
    if acc is not None:
        present = np.flatnonzero(acc)
        counts = PairCounts(n, present.astype(np.int64), acc[present], enc.cohort.n_visits)
    else:
        counts = _sparse_counts(enc)
    co = None
    if real is not None:
        co = Cooccurrence(total / n_visits if n_visits else 0.0, n_visits)
    return counts, co
