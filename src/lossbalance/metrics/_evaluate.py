"""``evaluate``: every metric of a generated cohort against a reference split, beside its
floor (a sample of train), with memorization against train."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

from lossbalance._errors import LossbalanceError
from lossbalance.clinical import RuleSet, default_rules
from lossbalance.data import Cohort
from lossbalance.metrics._coherence import JS_MAX, CoherenceMetrics, compute_coherence
from lossbalance.metrics._diversity import diversity_ratios, unique_patient_rate
from lossbalance.metrics._floor import floor_sample
from lossbalance.metrics._memorization import MemorizationMetrics, compute_memorization
from lossbalance.metrics._names import METRIC_GROUPS, METRIC_NAMES
from lossbalance.metrics._pairs import PairCounts, pair_walk
from lossbalance.metrics._result import IDEAL_FLOOR, CohortSize, MetricsResult
from lossbalance.metrics._space import CodeSpace, EncodedCohort, check_systems, cohort_systems
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


def _check_not_empty(c: Cohort, name: str) -> None:
    if c.n_codes == 0:
        raise LossbalanceError(
            f"{name} cohort is empty: {c.n_patients} patients, {c.n_visits} visits and "
            f"no codes, nothing to evaluate"
        )


def _ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(b) else math.nan


def evaluate(
    generated: Cohort,
    reference: Cohort,
    train: Cohort | None = None,
    *,
    rules: RuleSet | None = None,
    seed: int = 0,
    top_k: int = 100,
    floor: bool = True,
    memorization: bool = True,
    memorization_sample: int = 5000,
    threads: int | None = None,
    top_codes: int = 10,
) -> MetricsResult:
    """Validity, coherence, diversity and memorization of ``generated`` (G) against the
    reference split ``reference`` (F), beside the floor.

    Definitions: DESIGN.md "Evaluation protocol" and "Metric definitions (exact)"; every
    decision on an ambiguous point is in docs/metrics.md.

    Args:
        generated: the generated cohort G.
        reference: the reference split F (``tuning`` in studies, ``held_out`` in
            confirmation and reports); never the training cohort.
        train: the generator's training cohort T. Gives the floor S (a seeded sample of
            T of G's size, capped at |T|) and is what memorization is measured against.
            Without it the floor, the diversity ratios and memorization are NaN, with
            the reason in ``result.notes``.
        rules: age/sex edits (:func:`lossbalance.clinical.default_rules` by default).
        seed: seeds the floor sample and every query sample of memorization.
        top_k: K of the top-K overlap (reported as ``top100``).
        floor: compute the floor (needs ``train``).
        memorization: compute the memorization metrics (needs ``train``).
        memorization_sample: most query patients of each nearest-neighbour search (the
            searched cohort is always whole).
        threads: worker threads (default :func:`default_threads`: up to 2, capped by the
            CPU affinity and ``OMP_NUM_THREADS``); the numbers never depend on it.
        top_codes: how many top offending codes each list reports.

    Raises:
        LossbalanceError: an empty cohort (no code at all), a cohort with a code system
            F does not use, ``top_k < 1``, ``memorization_sample < 1``.
    """
    if top_k < 1:
        raise LossbalanceError(f"top_k: must be at least 1, got {top_k}")
    if memorization_sample < 1:
        raise LossbalanceError(
            f"memorization_sample: must be at least 1, got {memorization_sample}"
        )
    _check_not_empty(generated, "generated")
    _check_not_empty(reference, "reference")
    if train is not None:
        _check_not_empty(train, "train")
    rules = default_rules() if rules is None else rules
    notes: dict[str, str] = {}

    sample: Cohort | None = None
    capped = False
    if floor and train is not None:
        sample, capped = floor_sample(train, generated.n_patients, seed)
    use_train = memorization and train is not None

    space = CodeSpace.union(generated, reference, *([train] if train is not None else []))
    n_threads = default_threads() if threads is None else max(1, threads)
    with _Pool(n_threads) as pool:
        # numpy and scipy release the GIL in the heavy steps, so the cohorts are worked on
        # side by side; each number is computed exactly as in one thread.
        def first(
            job: tuple[Cohort, str],
        ) -> tuple[EncodedCohort, ValidityMetrics | PairCounts | None]:
            c, role = job
            enc = EncodedCohort.encode(c, space)
            if role == "F":  # its pair counts (G and S need them next)
                counts, _ = pair_walk(enc)
                counts.lookup(np.zeros(0, dtype=np.int64))  # build the lookup table once
                return enc, counts
            if role == "T":
                return enc, None
            return enc, compute_validity(enc, space, rules.edits_for(c.code_table), top_codes)

        jobs = [(reference, "F"), (generated, "G")]
        if sample is not None:
            jobs.append((sample, "S"))
        if use_train and train is not None and sample is not train:
            jobs.append((train, "T"))  # (S is T itself when |T| <= |G|: encoded once)
        done = dict(zip([r for _, r in jobs], pool.map(first, jobs), strict=True))
        if use_train and "T" not in done:
            done["T"] = done["S"]
        enc_f, ref_pairs = done["F"]
        assert isinstance(ref_pairs, PairCounts)
        enc_g, val_g = done["G"]
        assert isinstance(val_g, ValidityMetrics)
        check_systems(enc_g, enc_f, space, "generated")
        if train is not None:
            check_systems(cohort_systems(train), enc_f, space, "train")

        def second(enc: EncodedCohort) -> CoherenceMetrics:
            pairs, co = pair_walk(enc, ref_pairs)
            assert co is not None
            return compute_coherence(enc, enc_f, pairs, ref_pairs, co, space, top_k, top_codes)

        sides = [enc_g] + ([done["S"][0]] if "S" in done else [])
        coh = list(pool.map(second, sides))
        mem: MemorizationMetrics | None = None
        if use_train:
            mem = compute_memorization(
                enc_g, done["T"][0], enc_f, memorization_sample, seed, notes, pool.map
            )
    coh_g = coh[0]
    coh_s = coh[1] if len(coh) > 1 else None
    enc_s = done["S"][0] if "S" in done else None
    val_s = done["S"][1] if "S" in done else None
    assert val_s is None or isinstance(val_s, ValidityMetrics)

    values, floor_values = _assemble(
        val_g, coh_g, val_s, coh_s, enc_g, enc_s, mem, notes, train is not None
    )
    if capped:
        notes["floor"] = (
            f"the floor sample is all of train ({train.n_patients if train else 0:,} "
            f"patients), fewer than G's {generated.n_patients:,}"
        )
    return MetricsResult(
        seed=seed,
        top_k=top_k,
        memorization_sample=memorization_sample,
        generated=_size(generated),
        reference=_size(reference),
        train=_size(train) if train is not None else None,
        floor=_size(sample) if sample is not None else None,
        floor_capped=capped,
        values=values,
        floor_values=floor_values,
        notes=notes,
        validity=val_g,
        coherence=coh_g,
        floor_validity=val_s,
        floor_coherence=coh_s,
        memorization=mem,
    )


def _assemble(
    val_g: ValidityMetrics,
    coh_g: CoherenceMetrics,
    val_s: ValidityMetrics | None,
    coh_s: CoherenceMetrics | None,
    enc_g: EncodedCohort,
    enc_s: EncodedCohort | None,
    mem: MemorizationMetrics | None,
    notes: dict[str, str],
    has_train: bool,
) -> tuple[dict[str, float], dict[str, float]]:
    """G's and the floor's value of every metric name, NaN (with a note) where undefined."""
    nan = math.nan
    g: dict[str, float] = dict.fromkeys(METRIC_NAMES, nan)
    s: dict[str, float] = dict.fromkeys(METRIC_NAMES, nan)
    for name in METRIC_GROUPS["validity"]:
        g[name] = float(getattr(val_g, name))
        if val_s is not None:
            s[name] = float(getattr(val_s, name))
    plain = ("code_js", "pair_js", "top100", "codes_per_visit_ks", "visits_per_patient_ks")
    for name in (*plain, "coherence", "cooccurrence", "coverage"):
        g[name] = float(getattr(coh_g, name))
        if coh_s is not None:
            s[name] = float(getattr(coh_s, name))
    g["js"], s["js"] = g["code_js"], s["code_js"]
    if math.isnan(coh_g.pair_js):
        notes["pair_js"] = (
            "NaN, left out of coherence: the reference has no visit with two or more codes"
        )
    elif coh_g.pair_visits == 0:
        notes["pair_js"] = f"sqrt(ln 2) = {JS_MAX:.4f}: G has no visit with two or more codes"
    g["unique_patient_rate"] = unique_patient_rate(enc_g)
    why_no_floor = "no train cohort given" if not has_train else "floor turned off"
    if coh_s is not None and enc_s is not None:
        g["coherence_gap"] = coh_s.coherence - coh_g.coherence
        s["coherence_gap"] = 0.0
        g["cooccurrence_ratio"] = _ratio(coh_g.cooccurrence, coh_s.cooccurrence)
        s["cooccurrence_ratio"] = _ratio(coh_s.cooccurrence, coh_s.cooccurrence)
        if math.isnan(g["cooccurrence_ratio"]):
            notes["cooccurrence_ratio"] = "NaN: the floor's cooccurrence is 0"
        g["distinct_ratio"], g["entropy_ratio"] = diversity_ratios(enc_g, enc_s, notes)
        s["distinct_ratio"], s["entropy_ratio"] = diversity_ratios(enc_s, enc_s, {})
        s["unique_patient_rate"] = unique_patient_rate(enc_s)
    else:
        for name in ("coherence_gap", "cooccurrence_ratio", "distinct_ratio", "entropy_ratio"):
            notes[name] = f"NaN: no floor ({why_no_floor})"
    if mem is not None:
        for name in METRIC_GROUPS["memorization"]:
            g[name] = float(getattr(mem, name))
        s["copy_rate"] = s["copy_rate_floor"] = mem.copy_rate_floor
        s.update(IDEAL_FLOOR)
    else:
        why = "no train cohort given" if not has_train else "memorization turned off"
        for name in METRIC_GROUPS["memorization"]:
            notes[name] = f"NaN: {why}"
    return g, s
