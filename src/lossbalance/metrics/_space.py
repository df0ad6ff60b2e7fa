"""A shared code space for the cohorts under comparison, and each cohort encoded in it.

Cohorts compare codes by :meth:`CodeTable.keys` (``system:kind:code``), never by their
row numbers: each cohort has its own code table. :class:`CodeSpace` is the sorted union
of the keys of every cohort, so that index order is key order (the tie-break of the
top-K ranking), and :class:`EncodedCohort` holds one cohort's code occurrences as indices
into it plus its binary visit-by-code matrix (a visit contains a code or not).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from lossbalance._errors import LossbalanceError
from lossbalance.data import Cohort


def sorted_unique(
    values: npt.NDArray[np.int64], nearly_sorted: bool = False
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Sorted distinct values of an integer array and their counts.

    Sort-based: ``np.unique`` of numpy 2.3+ hashes integers, which is many times slower
    than numpy's SIMD sort. ``nearly_sorted`` picks the stable sort (runs of sorted
    keys, as in visit-major order), which is faster still on such input and much slower
    on random input.
    """
    s = np.sort(values, kind="stable" if nearly_sorted else None)
    if len(s) == 0:
        return s, np.zeros(0, dtype=np.int64)
    first = np.empty(len(s), dtype=bool)
    first[0] = True
    np.not_equal(s[1:], s[:-1], out=first[1:])
    starts = np.flatnonzero(first)
    counts = np.diff(np.append(starts, len(s)))
    return s[starts], counts


@dataclass(frozen=True)
class CodeSpace:
    """The sorted union of code keys of several cohorts."""

    keys: npt.NDArray[np.str_]

    @classmethod
    def union(cls, *cohorts: Cohort) -> CodeSpace:
        """The code space holding every code-table row of ``cohorts``."""
        parts = [c.code_table.keys() for c in cohorts]
        keys = np.unique(np.concatenate(parts)) if parts else np.array([], dtype=np.str_)
        return cls(keys)

    def __len__(self) -> int:
        return len(self.keys)

    def rows_of(self, cohort: Cohort) -> npt.NDArray[np.int32]:
        """The space index of every row of ``cohort``'s code table."""
        return np.searchsorted(self.keys, cohort.code_table.keys()).astype(np.int32)


CHUNK_CODES = 1 << 22
"""Code occurrences handled at once by the per-occurrence passes (bounds memory)."""


def visit_chunks(code_offsets: npt.NDArray[np.int64], target: int | None = None) -> list[slice]:
    """Consecutive visit ranges holding about ``target`` (default :data:`CHUNK_CODES`)
    code occurrences each."""
    target = CHUNK_CODES if target is None else target
    n_visits = len(code_offsets) - 1
    total = int(code_offsets[-1])
    cuts = np.searchsorted(code_offsets, np.arange(target, total, target), side="right") - 1
    bounds = np.unique(np.concatenate([[0], cuts, [n_visits]]))
    return [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds.tolist())]


@dataclass(frozen=True, eq=False)
class EncodedCohort:
    """One cohort in a :class:`CodeSpace`.

    Attributes:
        cohort: the cohort itself.
        n_space: size of the code space.
        codes: space index of every code occurrence (duplicates kept).
        indptr, indices: the binary visit-by-code matrix in CSR form: visit ``v`` holds
            the distinct codes ``indices[indptr[v]:indptr[v + 1]]``, sorted.
        multiplicity: occurrences of each entry of ``indices`` in its visit (2 for a code
            written twice in one visit).
    """

    cohort: Cohort
    n_space: int
    codes: npt.NDArray[np.int32]
    indptr: npt.NDArray[np.int64]
    indices: npt.NDArray[np.int32]
    multiplicity: npt.NDArray[np.int32]

    @classmethod
    def encode(cls, cohort: Cohort, space: CodeSpace) -> EncodedCohort:
        n = np.int64(len(space))
        codes = space.rows_of(cohort)[cohort.codes]
        offsets = cohort.code_offsets
        distinct = np.zeros(cohort.n_visits, dtype=np.int64)
        parts: list[tuple[npt.NDArray[np.int32], npt.NDArray[np.int32]]] = []
        # visit-major keys: each chunk of visits sorts (and dedupes) on its own
        for chunk in visit_chunks(offsets):
            lo, hi = int(offsets[chunk.start]), int(offsets[chunk.stop])
            visit = np.repeat(
                np.arange(chunk.start, chunk.stop, dtype=np.int64),
                np.diff(offsets[chunk.start : chunk.stop + 1]),
            )
            keys, mult = sorted_unique(visit * n + codes[lo:hi], nearly_sorted=True)
            del visit
            v_of = keys // n
            distinct[chunk] = np.bincount(v_of - chunk.start, minlength=chunk.stop - chunk.start)
            parts.append(((keys - v_of * n).astype(np.int32), mult.astype(np.int32)))
        indptr = np.zeros(cohort.n_visits + 1, dtype=np.int64)
        np.cumsum(distinct, out=indptr[1:])
        indices = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int32)
        mult_all = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int32)
        return cls(cohort, int(n), codes, indptr, indices, mult_all)

    def matrix(self) -> sp.csr_matrix:
        """The binary visit-by-code matrix as a scipy CSR matrix (built on demand)."""
        data = np.ones(len(self.indices), dtype=np.float64)
        mat = sp.csr_matrix(
            (data, self.indices, self.indptr), shape=(self.cohort.n_visits, self.n_space)
        )
        mat.has_sorted_indices = True
        mat.has_canonical_format = True
        return mat

    @cached_property
    def counts(self) -> npt.NDArray[np.int64]:
        """Occurrences of every space code (duplicates within a visit counted)."""
        return np.bincount(self.codes, minlength=self.n_space).astype(np.int64)

    @cached_property
    def visit_counts(self) -> npt.NDArray[np.int64]:
        """Number of visits containing every space code."""
        return np.bincount(self.indices, minlength=self.n_space).astype(np.int64)

    @property
    def present(self) -> npt.NDArray[np.bool_]:
        """Space codes that occur at least once."""
        return self.counts > 0

    @cached_property
    def distinct_per_visit(self) -> npt.NDArray[np.int64]:
        return np.diff(self.indptr)

    def used_systems(self, space: CodeSpace) -> set[str]:
        """Code systems of the codes that occur (not of unused table rows)."""
        keys = space.keys[self.present]
        if len(keys) == 0:
            return set()
        return {str(s) for s in np.unique(np.char.partition(keys, ":")[:, 0])}


def cohort_systems(cohort: Cohort) -> set[str]:
    """Code systems of the codes a cohort uses (not of unused table rows)."""
    used = np.bincount(cohort.codes, minlength=len(cohort.code_table)) > 0
    return {str(s) for s in np.unique(cohort.code_table.key_prefixes()[used])}


def check_systems(
    generated: EncodedCohort | set[str],
    real: EncodedCohort,
    space: CodeSpace,
    name: str = "generated",
) -> None:
    """Raise when ``generated`` (a cohort, or the systems it uses) uses a code system the
    reference cohort never uses."""
    mine = generated if isinstance(generated, set) else generated.used_systems(space)
    theirs = real.used_systems(space)
    extra = sorted(mine - theirs)
    if extra:
        has = ", ".join(sorted(theirs)) or "no codes"
        raise LossbalanceError(
            f"{name} cohort has {', '.join(extra)} codes but the reference cohort has none "
            f"(it uses {has}): cohorts with different code systems cannot be compared"
        )
