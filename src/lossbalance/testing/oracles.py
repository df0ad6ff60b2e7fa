"""The oracle ladder: known degradations of a cohort, to calibrate metrics on your data.

Each oracle takes a real cohort and returns a "generated" one whose flaw is known, so a
metric can be checked to see it: a sound coherence score ranks a fresh draw of real data
above every degradation; a sound memorization score flags :func:`copy_of`. Called as
``oracles.sharpen(cohort, seed=0)``; demographics (age, sex, patient ids) are always
kept, and so is the code table.

- :func:`sharpen` / :func:`flatten`: every visit's codes redrawn from the cohort's
  unigram distribution raised to ``1 / tau`` (tau < 1 sharpens, tau > 1 flattens), visit
  sizes kept;
- :func:`independent`: codes shuffled across visits (sizes and marginals kept, pairs
  broken);
- :func:`collapse`: every code outside the ``k`` most frequent replaced by a
  frequency-weighted draw from them (the 31-code mode collapse of the seed's report);
- :func:`stretch`: each patient's visit sequence written twice in a row;
- :func:`copy_of`: the training cohort itself (perfect memorization).

A visit's codes are its distinct codes throughout (duplicates within a visit are
dropped first), as in the metrics' definitions.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from lossbalance._errors import LossbalanceError
from lossbalance.data import Cohort
from lossbalance.data._cohort import concat_ranges, offsets_from_lengths

__all__ = [
    "RUNGS",
    "collapse",
    "copy_of",
    "flatten",
    "independent",
    "ladder",
    "sharpen",
    "stretch",
]

_MAX_ROUNDS = 10_000


def _distinct(cohort: Cohort) -> Cohort:
    """``cohort`` with each visit's duplicate codes dropped (codes sorted in a visit)."""
    n = np.int64(max(len(cohort.code_table), 1))
    key = cohort.code_visit() * n + cohort.codes.astype(np.int64)
    uniq = np.unique(key)
    visit = uniq // n
    sizes = np.bincount(visit, minlength=cohort.n_visits)
    return _with_codes(cohort, offsets_from_lengths(sizes), (uniq - visit * n).astype(np.int32))


def _with_codes(
    cohort: Cohort, code_offsets: npt.NDArray[np.int64], codes: npt.NDArray[np.int32]
) -> Cohort:
    return Cohort(
        age=cohort.age,
        sex=cohort.sex,
        visit_offsets=cohort.visit_offsets,
        code_offsets=code_offsets,
        codes=codes,
        code_table=cohort.code_table,
        patient_ids=cohort.patient_ids,
    )


def _check(cohort: Cohort, name: str) -> Cohort:
    if cohort.n_codes == 0:
        raise LossbalanceError(f"oracles.{name}: the cohort has no codes")
    return _distinct(cohort)


def _draw_distinct(
    visit_of: npt.NDArray[np.int64],
    p: npt.NDArray[np.float64],
    rng: np.random.Generator,
) -> npt.NDArray[np.int32]:
    """One code per slot from ``p``, distinct within each visit (``visit_of``, sorted):
    a weighted draw without replacement, by redrawing the repeats until none is left."""
    n = np.int64(len(p))
    codes = rng.choice(len(p), size=len(visit_of), p=p).astype(np.int64)
    for _ in range(_MAX_ROUNDS):
        key = visit_of * n + codes
        order = np.argsort(key, kind="stable")
        repeat = order[1:][key[order][1:] == key[order][:-1]]
        if len(repeat) == 0:
            return codes.astype(np.int32)
        codes[repeat] = rng.choice(len(p), size=len(repeat), p=p)
    raise LossbalanceError("oracles: could not draw distinct codes (distribution too peaked)")


def _reweighted(cohort: Cohort, seed: int, tau: float, name: str) -> Cohort:
    if not tau > 0:
        raise LossbalanceError(f"oracles.{name}: tau must be positive, got {tau}")
    c = _check(cohort, name)
    counts = np.bincount(c.codes, minlength=len(c.code_table)).astype(np.float64)
    present = counts > 0
    w = np.zeros_like(counts)
    # counts ** (1 / tau), scaled first so that sharp powers stay finite
    w[present] = np.exp((np.log(counts[present]) - np.log(counts.max())) / tau)
    p = w / w.sum()
    sizes = np.minimum(c.codes_per_visit(), int(present.sum()))
    rng = np.random.default_rng([seed, 0x0AC1E])
    codes = _draw_distinct(np.repeat(np.arange(c.n_visits, dtype=np.int64), sizes), p, rng)
    return _with_codes(c, offsets_from_lengths(sizes), codes)


def sharpen(cohort: Cohort, seed: int = 0, tau: float = 0.5) -> Cohort:
    """Every visit's codes redrawn (distinct, visit sizes kept) from the cohort's unigram
    distribution raised to ``1 / tau``: frequent codes more frequent still."""
    return _reweighted(cohort, seed, tau, "sharpen")


def flatten(cohort: Cohort, seed: int = 0, tau: float = 2.0) -> Cohort:
    """Every visit's codes redrawn (distinct, visit sizes kept) from the cohort's unigram
    distribution raised to ``1 / tau``: rare codes more frequent."""
    return _reweighted(cohort, seed, tau, "flatten")


def independent(cohort: Cohort, seed: int = 0) -> Cohort:
    """Code occurrences shuffled across all visits: visit sizes and code marginals are
    kept, co-occurrence is broken. (A code landing twice in one visit stays twice: the
    marginals are exact; that is rare, and the metrics count distinct codes.)"""
    c = _check(cohort, "independent")
    rng = np.random.default_rng([seed, 0x1DE])
    return _with_codes(c, c.code_offsets, rng.permutation(c.codes).astype(np.int32))


def collapse(cohort: Cohort, seed: int = 0, k: int = 31) -> Cohort:
    """Every code outside the ``k`` most frequent (ties: lower code-table row) replaced
    by a frequency-weighted draw from those ``k``; duplicates within a visit dropped."""
    if k < 1:
        raise LossbalanceError(f"oracles.collapse: k must be at least 1, got {k}")
    c = _check(cohort, "collapse")
    counts = np.bincount(c.codes, minlength=len(c.code_table))
    order = np.lexsort((np.arange(len(counts)), -counts))
    top = order[: min(k, int((counts > 0).sum()))]
    keep = np.zeros(len(counts), dtype=bool)
    keep[top] = True
    p = counts[top] / counts[top].sum()
    rng = np.random.default_rng([seed, 0xC011])
    codes = c.codes.copy()
    outside = ~keep[codes]
    codes[outside] = top[rng.choice(len(top), size=int(outside.sum()), p=p)]
    return _distinct(_with_codes(c, c.code_offsets, codes))


def stretch(cohort: Cohort, seed: int = 0) -> Cohort:
    """Each patient's visit sequence written twice in a row (``seed`` is unused: the
    oracle is deterministic)."""
    del seed
    c = _check(cohort, "stretch")
    vpp = c.visits_per_patient()
    starts = np.repeat(c.visit_offsets[:-1], 2)
    visits = concat_ranges(starts, np.repeat(vpp, 2))  # each patient's visits, twice
    cpv = c.codes_per_visit()[visits]
    rows = concat_ranges(c.code_offsets[visits], cpv)
    return Cohort(
        age=c.age,
        sex=c.sex,
        visit_offsets=offsets_from_lengths(2 * vpp),
        code_offsets=offsets_from_lengths(cpv),
        codes=c.codes[rows],
        code_table=c.code_table,
        patient_ids=c.patient_ids,
    )


def copy_of(train: Cohort, seed: int = 0) -> Cohort:
    """The training cohort itself, patient for patient (``seed`` is unused)."""
    del seed
    return train.select(np.arange(train.n_patients, dtype=np.int64))


RUNGS: tuple[str, ...] = (
    "fresh",
    "sharpen",
    "flatten",
    "independent",
    "collapse",
    "stretch",
    "copy_of",
)
"""The rungs of :func:`ladder`, best first (``fresh`` and ``copy_of`` score as real data
on coherence; ``copy_of`` must fail memorization)."""


def ladder(fresh: Cohort, train: Cohort, seed: int = 0) -> dict[str, Cohort]:
    """Every rung of the ladder: ``fresh`` (real data the generator never saw, e.g. an
    independent draw or a held-out split), each degradation of it, and a copy of
    ``train``. Score each against a reference split with
    :func:`lossbalance.metrics.evaluate` (``train`` as train) to calibrate the metrics."""
    return {
        "fresh": fresh,
        "sharpen": sharpen(fresh, seed),
        "flatten": flatten(fresh, seed),
        "independent": independent(fresh, seed),
        "collapse": collapse(fresh, seed),
        "stretch": stretch(fresh, seed),
        "copy_of": copy_of(train, seed),
    }
