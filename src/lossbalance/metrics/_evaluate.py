"""``evaluate``: every metric of a generated cohort against the real one, with the floor."""

from __future__ import annotations

from lossbalance._errors import LossbalanceError
from lossbalance.clinical import RuleSet, default_rules
from lossbalance.data import Cohort
from lossbalance.metrics._coherence import compute_coherence
from lossbalance.metrics._distributions import compute_distributions
from lossbalance.metrics._floor import size_like, split_real
from lossbalance.metrics._pairs import Cooccurrence, PairCounts, pair_walk
from lossbalance.metrics._result import CohortSize, MetricsResult, SideMetrics
from lossbalance.metrics._space import CodeSpace, EncodedCohort, check_systems
from lossbalance.metrics._validity import compute_validity


def _size(c: Cohort) -> CohortSize:
    return CohortSize(patients=c.n_patients, visits=c.n_visits, codes=c.n_codes)


def _side(
    enc: EncodedCohort,
    enc_r: EncodedCohort,
    space: CodeSpace,
    rules: RuleSet,
    pairs: PairCounts,
    real_pairs: PairCounts,
    co: Cooccurrence,
    floor_cooccurrence: float | None,
    top_k: int,
    top_codes: int,
) -> SideMetrics:
    cohort = enc.cohort
    return SideMetrics(
        size=_size(cohort),
        validity=compute_validity(enc, space, rules.edits_for(cohort.code_table), top_codes),
        coherence=compute_coherence(enc, enc_r, co, space, top_k, floor_cooccurrence, top_codes),
        distributions=compute_distributions(enc, enc_r, pairs, real_pairs),
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
    enc_g = EncodedCohort.encode(generated, space)
    enc_r = EncodedCohort.encode(real, space)
    check_systems(enc_g, enc_r, space, "generated")
    enc_h = None
    if floor and heldout is not None:
        enc_h = EncodedCohort.encode(heldout, space)
        check_systems(enc_h, enc_r, space, "held-out")

    real_pairs, _ = pair_walk(enc_r)
    co_h = None
    floor_side = None
    if enc_h is not None and heldout is not None:
        h_pairs, co_h = pair_walk(enc_h, real_pairs)
        assert co_h is not None
        floor_side = _side(
            enc_h, enc_r, space, rules, h_pairs, real_pairs, co_h, co_h.value, top_k, top_codes
        )
    g_pairs, co_g = pair_walk(enc_g, real_pairs)
    assert co_g is not None
    g_side = _side(
        enc_g,
        enc_r,
        space,
        rules,
        g_pairs,
        real_pairs,
        co_g,
        co_h.value if co_h is not None else None,
        top_k,
        top_codes,
    )
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
