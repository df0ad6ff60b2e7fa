"""``evaluate``: every metric of a generated cohort against the real one, with the floor."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from lossbalance._errors import LossbalanceError
from lossbalance.clinical import RuleSet, default_rules
from lossbalance.data import Cohort
from lossbalance.metrics._coherence import compute_coherence
from lossbalance.metrics._distributions import DistributionMetrics, compute_distributions
from lossbalance.metrics._floor import size_like, split_real
from lossbalance.metrics._pairs import Cooccurrence, PairCounts, pair_walk
from lossbalance.metrics._result import CohortSize, MetricsResult, SideMetrics
from lossbalance.metrics._space import CodeSpace, EncodedCohort, check_systems
from lossbalance.metrics._validity import ValidityMetrics, compute_validity

_T = TypeVar("_T")
_R = TypeVar("_R")


def _size(c: Cohort) -> CohortSize:
    return CohortSize(patients=c.n_patients, visits=c.n_visits, codes=c.n_codes)


def default_threads() -> int:
    """Up to 2 threads, fewer when the process may use fewer CPUs (its affinity) or when
    ``OMP_NUM_THREADS`` gives it a smaller share (as study workers do)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    share = os.environ.get("OMP_NUM_THREADS", "")
    if share.isdigit() and int(share) > 0:
        cpus = min(cpus, int(share))
    return max(1, min(2, cpus))


class _Pool:
    """A thread pool's ``map``, or a plain loop for one thread (profilers see through it)."""

    def __init__(self, threads: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None

    def __enter__(self) -> _Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def map(self, fn: Callable[[_T], _R], items: Iterable[_T]) -> Iterator[_R]:
        if self._pool is None:
            return map(fn, items)
        return self._pool.map(fn, items)


@dataclass(frozen=True)
class _Partial:
    """What one side's worker thread measures (coherence needs both sides' results)."""

    co: Cooccurrence
    validity: ValidityMetrics
    distributions: DistributionMetrics

    def side(
        self,
        enc: EncodedCohort,
        enc_r: EncodedCohort,
        space: CodeSpace,
        top_k: int,
        floor_cooccurrence: float | None,
        top_codes: int,
    ) -> SideMetrics:
        return SideMetrics(
            size=_size(enc.cohort),
            validity=self.validity,
            coherence=compute_coherence(
                enc, enc_r, self.co, space, top_k, floor_cooccurrence, top_codes
            ),
            distributions=self.distributions,
        )


def _check_not_empty(c: Cohort, name: str) -> None:
    if c.n_codes == 0:
        raise LossbalanceError(
            f"{name} cohort is empty: {c.n_patients} patients, {c.n_visits} visits and "
            f"no codes, nothing to evaluate"
        )


def evaluate(
    generated: Cohort,
    real: Cohort,
    heldout: Cohort | None = None,
    *,
    rules: RuleSet | None = None,
    top_k: int = 100,
    floor: bool = True,
    seed: int = 0,
    top_codes: int = 10,
    threads: int | None = None,
) -> MetricsResult:
    """Validity, coherence and distribution metrics of ``generated`` (G) against ``real``
    (R), with the real-vs-real floor beside them.

    Definitions: DESIGN.md "Metric definitions (exact)"; every decision on an ambiguous
    point is in docs/metrics.md.

    Args:
        generated: the generated cohort G.
        real: the real training cohort R.
        heldout: a held-out real cohort H for the floor. Sized like G (patients):
            resampled with replacement if smaller, subsampled if larger (seeded).
            Without it, and with ``floor=True``, R is split in halves (seeded): one half
            is the R of every coherence metric (G's and the floor's), the other is H.
        rules: age/sex edits (:func:`lossbalance.clinical.default_rules` by default).
        top_k: K of the top-K overlap (reported as ``top100``).
        floor: compute the floor (else the ``floor_*`` values and
            ``cooccurrence_ratio`` / ``coherence`` are NaN).
        seed: seeds the split of R and the sizing of H.
        top_codes: how many top offending codes each list reports.
        threads: worker threads (default :func:`default_threads`: up to 2, capped by the
            CPU affinity and ``OMP_NUM_THREADS``); the numbers never depend on it.

    Raises:
        LossbalanceError: an empty cohort (no code at all), a cohort with a code system
            R does not use, ``top_k < 1``.
    """
    if top_k < 1:
        raise LossbalanceError(f"top_k: must be at least 1, got {top_k}")
    _check_not_empty(generated, "generated")
    _check_not_empty(real, "real")
    if heldout is not None:
        _check_not_empty(heldout, "held-out")
    rules = default_rules() if rules is None else rules

    source = None
    if floor and heldout is None:
        real, heldout = split_real(real, seed)
        source = "split"
    elif floor:
        source = "heldout"
    h_patients = heldout.n_patients if (floor and heldout is not None) else None
    sampling = None
    if floor and heldout is not None:
        heldout, sampling = size_like(heldout, generated.n_patients, seed)

    cohorts = [generated, real] + ([heldout] if floor and heldout is not None else [])
    space = CodeSpace.union(*cohorts)
    n_threads = default_threads() if threads is None else max(1, threads)
    with _Pool(n_threads) as pool:
        # numpy and scipy.sparse release the GIL in the heavy steps, so the cohorts are
        # worked on side by side; each number is computed exactly as in one thread.
        def first(job: tuple[Cohort, bool]) -> tuple[EncodedCohort, ValidityMetrics | PairCounts]:
            c, is_real = job
            enc = EncodedCohort.encode(c, space)
            if is_real:  # R: its pair counts (G and H need them next)
                counts, _ = pair_walk(enc)
                counts.lookup(np.zeros(0, dtype=np.int64))  # build the lookup table once
                return enc, counts
            edits = rules.edits_for(c.code_table)
            return enc, compute_validity(enc, space, edits, top_codes)

        jobs = [(real, True), (generated, False)]
        if floor and heldout is not None:
            jobs.append((heldout, False))
        done = list(pool.map(first, jobs))
        enc_r, real_pairs = done[0][0], done[0][1]
        assert isinstance(real_pairs, PairCounts)
        enc_g = done[1][0]
        enc_h = done[2][0] if len(done) > 2 else None
        check_systems(enc_g, enc_r, space, "generated")
        if enc_h is not None:
            check_systems(enc_h, enc_r, space, "held-out")

        def second(enc: EncodedCohort) -> tuple[Cooccurrence, DistributionMetrics]:
            pairs, co = pair_walk(enc, real_pairs)
            assert co is not None
            return co, compute_distributions(enc, enc_r, pairs, real_pairs)

        walked = list(pool.map(second, [e for e in (enc_g, enc_h) if e is not None]))
    sides = [
        _Partial(co=co, validity=val, distributions=dist)
        for (co, dist), (_, val) in zip(walked, done[1:], strict=True)
        if isinstance(val, ValidityMetrics)
    ]
    g_part = sides[0]
    floor_side = None
    floor_co = None
    if enc_h is not None:
        h_part = sides[1]
        floor_co = h_part.co.value
        floor_side = h_part.side(enc_h, enc_r, space, top_k, floor_co, top_codes)
    g_side = g_part.side(enc_g, enc_r, space, top_k, floor_co, top_codes)
    return MetricsResult(
        seed=seed,
        top_k=top_k,
        real=_size(real),
        generated=g_side,
        floor=floor_side,
        floor_source=source,  # type: ignore[arg-type]
        floor_sampling=sampling,
        heldout_patients=h_patients,
    )
