"""The built-in reference cohort simulator: a seeded, vectorised synthetic EHR cohort.

The simulator plays the role of real data when none is at hand, so it is shaped like
an inpatient EHR extract in the ways the metrics can see (see ``docs/simulator.md``):

1. **Patients.** An age (6% newborns under one year, 8% children, 86% adults skewed
   old, as in MIMIC), a sex and a frailty drawn from a gamma distribution.
2. **Chronic conditions.** Each chronic cluster of the catalogue (cardiometabolic,
   renal, respiratory, mental health, substance use, neurology, GI, musculoskeletal,
   oncology, hematology, endocrine, chronic infections, male and female
   genitourinary, pediatric) is present with probability ``1 - exp(-frailty *
   rate(age))``; the shared frailty makes clusters co-occur in a patient. A present
   cluster contributes ``1 + Poisson`` codes that the patient keeps across visits.
3. **Visits.** One visit, or with a probability that grows with the number of chronic
   clusters, ``2 + NegBin`` visits (a long tail).
4. **Visit codes.** An episode (the reason for the visit: sepsis, pneumonia, an MI,
   a stroke, a fracture, a delivery, a birth ...) drawn from weights that depend on
   age, sex and the patient's chronic clusters, with ``1 + Poisson`` codes of that
   episode; sometimes a second episode; each of the patient's chronic codes with
   probability 0.75; and ``Poisson`` symptom and status codes. A newborn's first
   visit is its birth.

Every code is drawn only for patients inside its catalogue age band and sex, which lie
inside the rules of :func:`lossbalance.clinical.default_rules` for both code systems,
so the output has no age or sex conflict; repeated codes in a visit are removed.
Sampling is one ``searchsorted`` over the concatenated, per-(cluster, age band, sex)
cumulative weights, so a million patients take seconds, not minutes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from lossbalance._errors import LossbalanceError
from lossbalance.data._cohort import (
    SPLITS,
    CodeTable,
    Cohort,
    concat_ranges,
    offsets_from_lengths,
    system_index,
)

AGE_EDGES = np.array([0, 1, 2, 5, 12, 15, 18, 25, 35, 45, 56, 65, 75, 85, 125], dtype=np.int64)
"""Age bands (whole years, ``[edge_i, edge_{i+1})``) the sampler distinguishes; every
catalogue band and every clinical-edit boundary (0, 12, 15, 18, 56) falls on an edge."""
N_BANDS = len(AGE_EDGES) - 1
N_STRATA = 2 * N_BANDS
MAX_CODES_PER_VISIT = 39
"""MIMIC's largest diagnosis sequence number per admission."""
CHRONIC_KEEP = 0.75
"""Probability that a chronic code of the patient is coded at a given visit."""

# Per chronic cluster: (floor, amplitude, age midpoint, age scale) of the yearly rate
# floor + amplitude * sigmoid((age - midpoint) / scale), and the mean number of extra
# codes a present cluster brings (1 + Poisson(extra)).
_CHRONIC: dict[str, tuple[float, float, float, float, float]] = {
    "cardiometabolic": (0.03, 1.40, 58, 9, 3.0),
    "renal": (0.01, 0.45, 65, 9, 1.8),
    "respiratory": (0.10, 0.30, 60, 10, 1.2),
    "mental": (0.22, 0.0, 50, 10, 1.0),
    "substance": (0.0, 0.22, 20, 4, 1.2),
    "neuro": (0.06, 0.45, 75, 7, 1.2),
    "gi_chronic": (0.10, 0.30, 50, 10, 1.0),
    "msk": (0.04, 0.50, 58, 9, 1.2),
    "oncology": (0.02, 0.28, 60, 9, 2.5),
    "hematology": (0.12, 0.15, 60, 10, 0.8),
    "endocrine": (0.10, 0.25, 55, 10, 0.8),
    "chronic_infection": (0.05, 0.0, 50, 10, 0.6),
    "male_gu": (0.0, 0.60, 65, 7, 1.0),
    "female_gyn": (0.30, 0.0, 50, 10, 0.8),
    "pediatric_chronic": (0.35, 0.0, 50, 10, 1.0),
}
# Per episode cluster: (floor, amplitude, age midpoint, age scale) of its base weight,
# and the mean number of extra codes (1 + Poisson(extra)). Obstetric, pediatric and
# newborn weights are set separately (sex- and age-specific).
_EPISODE: dict[str, tuple[float, float, float, float, float]] = {
    "infection": (1.0, 1.0, 60, 10, 3.5),
    "respiratory_acute": (0.7, 0.8, 60, 10, 3.0),
    "cardiac_acute": (0.0, 1.6, 58, 8, 3.5),
    "stroke": (0.0, 0.8, 65, 8, 4.0),
    "gi_acute": (0.8, 0.0, 50, 10, 3.0),
    "renal_acute": (0.0, 0.6, 55, 10, 3.0),
    "injury": (0.8, 0.4, 75, 6, 4.0),
    "poisoning": (0.2, 0.0, 50, 10, 3.0),
    "skin": (0.35, 0.0, 50, 10, 2.0),
    "oncology_care": (0.05, 0.0, 50, 10, 4.0),
    "obstetric": (0.0, 0.0, 50, 10, 5.0),
    "pediatric_acute": (0.0, 0.0, 50, 10, 2.0),
    "newborn": (0.0, 0.0, 50, 10, 4.0),
}
_OBSTETRIC_WEIGHT = 2.2  # women 15-44
_PEDIATRIC_WEIGHT = 3.0  # children 0-17
# Chronic cluster -> episode weight it adds (comorbidity drives the reason for a visit).
_LINKS: dict[str, dict[str, float]] = {
    "cardiometabolic": {"cardiac_acute": 1.0, "stroke": 0.4, "renal_acute": 0.3},
    "renal": {"renal_acute": 1.2},
    "respiratory": {"respiratory_acute": 1.2},
    "oncology": {"oncology_care": 2.5, "infection": 0.3},
    "substance": {"poisoning": 0.7, "gi_acute": 0.4},
    "mental": {"poisoning": 0.4},
    "neuro": {"infection": 0.3, "injury": 0.4},
    "gi_chronic": {"gi_acute": 1.0},
    "msk": {"injury": 0.3},
    "hematology": {"gi_acute": 0.2},
    "pediatric_chronic": {"pediatric_acute": 0.5},
}
_SECOND_EPISODE = 0.25
_SYMPTOM_SHARE = 0.55  # general codes: symptoms vs status


def _sigmoid(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return 1.0 / (1.0 + np.exp(-x))


def age_band(ages: npt.NDArray[np.floating]) -> npt.NDArray[np.int64]:
    """The band of :data:`AGE_EDGES` each age (years, floored) falls in."""
    whole = np.clip(np.floor(ages), 0, AGE_EDGES[-1] - 1)
    return (np.searchsorted(AGE_EDGES, whole, side="right") - 1).astype(np.int64)


@dataclass(frozen=True)
class _Sampler:
    """Cumulative weights of every (cluster, stratum, primary) key, concatenated.

    ``key = (cluster * N_STRATA + stratum) * 2 + primary``; ``primary`` keys leave out
    codes without an ICD-9-CM equivalent, so a visit's first code survives in ICD-9.
    Within a key the cumulative weights run from ``key`` to ``key + 1``.
    """

    cdf: npt.NDArray[np.float64]
    code: npt.NDArray[np.int32]
    start: npt.NDArray[np.int64]
    stop: npt.NDArray[np.int64]
    names10: npt.NDArray[np.str_]
    names9: npt.NDArray[np.str_]
    code9: npt.NDArray[np.int32]
    """Per ICD-10 code: its row in ``names9`` (``-1`` when it has no equivalent)."""
    clusters: tuple[str, ...]

    def has(self, cluster: int, primary: int) -> npt.NDArray[np.bool_]:
        """Per stratum: does the cluster have a code to draw?"""
        keys = (cluster * N_STRATA + np.arange(N_STRATA)) * 2 + primary
        return self.stop[keys] > self.start[keys]

    def draw(
        self, keys: npt.NDArray[np.int64], u: npt.NDArray[np.float64]
    ) -> npt.NDArray[np.int32]:
        pos = np.searchsorted(self.cdf, keys + u, side="right")
        pos = np.clip(pos, self.start[keys], self.stop[keys] - 1)
        return self.code[pos]


@lru_cache(maxsize=1)
def _sampler() -> _Sampler:
    from lossbalance.clinical import default_rules
    from lossbalance.data._sim_catalogue import load_catalogue

    cat = load_catalogue()
    names10, row_code = np.unique(cat.icd10, return_inverse=True)
    # Effective bands: the catalogue's, intersected with the rules of both systems (the
    # tests check that the intersection changes nothing).
    rules = default_rules()
    lo, hi, sex = cat.age_lo.copy(), cat.age_hi.copy(), cat.sex.copy()
    for system, names in ((1, cat.icd10), (0, np.where(cat.icd9 == "", "-", cat.icd9))):
        table = CodeTable(names, np.full(len(cat), system, np.uint8), np.zeros(len(cat), np.uint8))
        edits = rules.edits_for(table)
        lo = np.maximum(lo, edits.min_age)
        hi = np.minimum(hi, edits.max_age)
        ruled = edits.sex_only.astype(np.int64)
        clash = (ruled >= 0) & (sex >= 0) & (ruled != sex)
        hi = np.where(clash, -1, hi)
        sex = np.where(sex < 0, ruled, sex)
    band_lo, band_hi = AGE_EDGES[:-1], AGE_EDGES[1:] - 1
    in_band = (lo[:, None] <= band_lo[None, :]) & (hi[:, None] >= band_hi[None, :])
    strata_sex = np.tile(np.array([0, 1]), N_BANDS)
    eligible = np.repeat(in_band, 2, axis=1) & (
        (sex[:, None] < 0) | (sex[:, None] == strata_sex[None, :])
    )
    has9 = cat.icd9 != ""
    parts_key, parts_row = [], []
    for primary in (0, 1):
        mask = eligible & (has9[:, None] if primary else True)
        rows, strata = np.nonzero(mask)
        parts_key.append((cat.cluster[rows] * N_STRATA + strata) * 2 + primary)
        parts_row.append(rows)
    key = np.concatenate(parts_key)
    row = np.concatenate(parts_row)
    order = np.lexsort((row, key))
    key, row = key[order], row[order]
    n_keys = len(cat.clusters) * N_STRATA * 2
    counts = np.bincount(key, minlength=n_keys)
    stop = np.cumsum(counts)
    start = stop - counts
    weight = cat.weight[row]
    cum = np.cumsum(weight)
    first = np.repeat(start, counts)
    before = cum[first] - weight[first]
    cdf = key + (cum - before) / (cum[np.repeat(stop - 1, counts)] - before)
    names9, code9_rows = np.unique(np.where(has9, cat.icd9, ""), return_inverse=True)
    code9 = np.full(len(names10), -1, dtype=np.int32)
    code9[row_code] = np.where(has9, code9_rows, -1)
    # names9[0] is "" when some code lacks an equivalent; keep it as a sentinel row.
    return _Sampler(
        cdf=cdf.astype(np.float64),
        code=row_code[row].astype(np.int32),
        start=start.astype(np.int64),
        stop=stop.astype(np.int64),
        names10=names10,
        names9=names9,
        code9=code9,
        clusters=cat.clusters,
    )


def _entry_keys(
    visit: npt.NDArray[np.integer],
    code: npt.NDArray[np.integer],
    order: int,
    n_codes: int,
    n_order: int,
) -> npt.NDArray[np.int64]:
    """One int64 key per code entry: ``(visit * n_codes + code) * n_order + order``."""
    return (visit.astype(np.int64) * n_codes + code) * n_order + order


def _dedupe(
    keys: npt.NDArray[np.int64], n_codes: int, n_order: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Drop repeated codes within a visit (keeping the lowest order), then sort the
    survivors by (visit, order, code); ``keys`` from :func:`_entry_keys`.

    Two plain ``np.sort`` calls on int64 keys (much faster than ``argsort`` or
    ``np.unique`` at tens of millions of entries).
    """
    k1 = np.sort(keys)
    del keys
    pair = k1 // n_order
    first = np.ones(len(k1), dtype=bool)
    first[1:] = pair[1:] != pair[:-1]
    del pair
    k1 = k1[first]
    visit, rest = np.divmod(k1, n_codes * n_order)
    del k1
    code, order = np.divmod(rest, n_order)
    k2 = np.sort((visit * n_order + order) * n_codes + code)
    del visit, code, order, rest
    visit, rest = np.divmod(k2, n_order * n_codes)
    return visit, rest % n_codes


def _poisson(
    rng: np.random.Generator, lam: npt.NDArray[np.float64] | float
) -> npt.NDArray[np.int64]:
    return rng.poisson(lam).astype(np.int64)


def simulate(n_patients: int, seed: int = 0, system: str = "icd10") -> Cohort:
    """A seeded, deterministic synthetic cohort of ``n_patients`` patients.

    Args:
        n_patients: number of patients (at least 1).
        seed: random seed; the same seed and size give the same cohort.
        system: ``"icd10"`` (ICD-10-CM, the default) or ``"icd9"`` (the ICD-9-CM
            equivalents of the same simulated codes).

    Returns:
        A cohort of diagnosis codes; its code table holds the codes it uses.

    Raises:
        LossbalanceError: ``n_patients`` below 1 or an unknown code system.
    """
    sys_index = system_index(system)
    if int(n_patients) < 1:
        raise LossbalanceError(f"patients: must be at least 1, got {n_patients}")
    n = int(n_patients)
    s = _sampler()
    cl = {name: i for i, name in enumerate(s.clusters)}
    rng = np.random.default_rng(seed)

    # ---------------------------------------------------------------- patients
    u = rng.random(n)
    newborn, child = u < 0.06, (u >= 0.06) & (u < 0.14)
    age = np.where(
        newborn,
        rng.random(n) * 0.99,
        np.where(child, 1.0 + rng.random(n) * 16.99, 18.0 + 82.0 * rng.beta(3.2, 1.8, n)),
    )
    age = np.floor(age * 10.0) / 10.0
    sex = (rng.random(n) < np.where(age >= 18, 0.53, 0.51)).astype(np.uint8)  # 1 = M
    stratum = age_band(age) * 2 + sex
    frailty = rng.gamma(2.0, 0.5, n)

    # ------------------------------------------------------- chronic clusters
    chronic = [c for c in _CHRONIC if c in cl]
    has_chronic = np.zeros((n, len(chronic)), dtype=bool)
    for j, name in enumerate(chronic):
        floor, amp, mid, scale, _ = _CHRONIC[name]
        rate = floor + amp * _sigmoid((age - mid) / scale)
        ok = s.has(cl[name], 0)[stratum]
        has_chronic[:, j] = ok & (rng.random(n) < 1.0 - np.exp(-frailty * rate))
    pat, which = np.nonzero(has_chronic)
    extra = np.array([_CHRONIC[c][4] for c in chronic])[which]
    k = 1 + _poisson(rng, extra)
    draw_pat = np.repeat(pat, k)
    draw_key = np.repeat(
        (np.array([cl[c] for c in chronic])[which] * N_STRATA + stratum[pat]) * 2, k
    )
    chronic_code = s.draw(draw_key, rng.random(len(draw_key))).astype(np.int64)
    n_codes = len(s.names10)
    pc = np.sort(draw_pat * n_codes + chronic_code)  # np.sort: far faster than np.unique
    pc = pc[np.concatenate([[True], pc[1:] != pc[:-1]])] if len(pc) else pc
    pc_patient, pc_code = np.divmod(pc, n_codes)
    pc_count = np.bincount(pc_patient, minlength=n)
    pc_start = offsets_from_lengths(pc_count)[:-1]

    # ------------------------------------------------------------------ visits
    n_clusters = has_chronic.sum(axis=1)
    p_multi = np.clip(0.12 + 0.10 * n_clusters, 0.0, 0.65)
    p_multi = np.where(newborn, 0.2, p_multi)
    multi = rng.random(n) < p_multi
    nb = rng.negative_binomial(0.9, 0.9 / (0.9 + 1.6), n)
    visits_per_patient = 1 + np.where(multi, 1 + np.minimum(nb, 58), 0)
    visit_offsets = offsets_from_lengths(visits_per_patient)
    n_visits = int(visit_offsets[-1])
    vp = np.repeat(np.arange(n, dtype=np.int64), visits_per_patient)
    first_visit = np.zeros(n_visits, dtype=bool)
    first_visit[visit_offsets[:-1]] = True
    v_stratum = stratum[vp]

    # ----------------------------------------------------------------- episodes
    episodes = [e for e in _EPISODE if e in cl]
    n_ep = len(episodes)
    band_mid = (AGE_EDGES[:-1] + np.minimum(AGE_EDGES[1:], 95)) / 2.0
    st_age = np.repeat(band_mid, 2)
    st_female = np.tile(np.array([True, False]), N_BANDS)
    base = np.zeros((N_STRATA, n_ep))
    for j, name in enumerate(episodes):
        floor, amp, mid, scale, _ = _EPISODE[name]
        w = floor + amp * _sigmoid((st_age - mid) / scale)
        if name == "obstetric":
            w = np.where(st_female & (st_age >= 15) & (st_age < 45), _OBSTETRIC_WEIGHT, 0.0)
        elif name == "pediatric_acute":
            w = np.where(st_age < 18, _PEDIATRIC_WEIGHT, 0.0)
        elif name == "newborn":
            w = np.zeros(N_STRATA)
        base[:, j] = w * s.has(cl[name], 1)
    link = np.zeros((len(chronic), n_ep))
    for i, c in enumerate(chronic):
        for e, lw in _LINKS.get(c, {}).items():
            if e in episodes:
                link[i, episodes.index(e)] = lw
    has_primary = np.stack([s.has(cl[e], 1) for e in episodes], axis=1)  # strata x episodes
    patient_w = has_chronic.astype(np.float32) @ link.astype(np.float32)
    weights = base.astype(np.float32)[v_stratum] + patient_w[vp]
    weights *= has_primary[v_stratum]
    cum = np.cumsum(weights, axis=1)
    pick = (cum < (rng.random(n_visits, dtype=np.float32) * cum[:, -1])[:, None]).sum(axis=1)
    pick2 = (cum < (rng.random(n_visits, dtype=np.float32) * cum[:, -1])[:, None]).sum(axis=1)
    del weights, cum, patient_w
    episode = np.array([cl[e] for e in episodes])[np.minimum(pick, n_ep - 1)]
    if "newborn" in cl:
        episode = np.where(first_visit & newborn[vp], cl["newborn"], episode)
    second = np.array([cl[e] for e in episodes])[np.minimum(pick2, n_ep - 1)]
    has_second = (rng.random(n_visits) < _SECOND_EPISODE) & (age[vp] >= 1)

    extra_by_cluster = np.zeros(len(s.clusters))
    for e in episodes:
        extra_by_cluster[cl[e]] = _EPISODE[e][4]
    visits_all = np.arange(n_visits, dtype=np.int64)
    # Primary code: one per visit, from codes with an ICD-9 equivalent.
    prim_code = s.draw((episode * N_STRATA + v_stratum) * 2 + 1, rng.random(n_visits))
    # Further codes of the episode, and of the second episode.
    k_ep = _poisson(rng, extra_by_cluster[episode])
    k_2nd = np.where(has_second, 1 + _poisson(rng, 0.6 * extra_by_cluster[second]), 0)
    ep_visit = np.repeat(visits_all, k_ep)
    ep_code = s.draw(
        np.repeat((episode * N_STRATA + v_stratum) * 2, k_ep), rng.random(len(ep_visit))
    )
    nd_visit = np.repeat(visits_all, k_2nd)
    nd_code = s.draw(
        np.repeat((second * N_STRATA + v_stratum) * 2, k_2nd), rng.random(len(nd_visit))
    )

    # Chronic codes carried into each visit.
    rows = concat_ranges(pc_start[vp], pc_count[vp])
    ch_visit = np.repeat(visits_all, pc_count[vp])
    keep = rng.random(len(rows)) < CHRONIC_KEEP
    ch_visit, ch_code = ch_visit[keep], pc_code[rows[keep]]

    # General codes (symptoms, status).
    k_gen = _poisson(rng, 1.3 + 4.6 * _sigmoid((age[vp] - 50.0) / 12.0))
    gen_visit = np.repeat(visits_all, k_gen)
    gen_cluster = np.where(
        rng.random(len(gen_visit)) < _SYMPTOM_SHARE, cl["symptoms"], cl["status"]
    )
    gen_code = s.draw(
        (gen_cluster * N_STRATA + v_stratum[gen_visit]) * 2, rng.random(len(gen_visit))
    )

    keys = np.concatenate(
        [
            _entry_keys(visits_all, prim_code, 0, n_codes, 5),
            _entry_keys(ep_visit, ep_code, 1, n_codes, 5),
            _entry_keys(nd_visit, nd_code, 2, n_codes, 5),
            _entry_keys(ch_visit, ch_code, 3, n_codes, 5),
            _entry_keys(gen_visit, gen_code, 4, n_codes, 5),
        ]
    )
    del ep_visit, ep_code, nd_visit, nd_code, ch_visit, ch_code, gen_visit, gen_code, rows, keep
    visit, code = _dedupe(keys, n_codes, 5)
    names = s.names10
    if sys_index == 0:
        code9 = s.code9[code].astype(np.int64)
        ok = code9 >= 0
        visit, code9 = visit[ok], code9[ok]
        counts = np.bincount(visit, minlength=n_visits)
        rank = np.arange(len(visit)) - np.repeat(offsets_from_lengths(counts)[:-1], counts)
        keys = _entry_keys(visit, code9, 0, len(s.names9), 64) + np.minimum(rank, 63)
        visit, code = _dedupe(keys, len(s.names9), 64)
        names = s.names9
    counts = np.bincount(visit, minlength=n_visits)
    rank = np.arange(len(visit)) - np.repeat(offsets_from_lengths(counts)[:-1], counts)
    keep = rank < MAX_CODES_PER_VISIT
    visit, code = visit[keep], code[keep]
    code_offsets = offsets_from_lengths(np.bincount(visit, minlength=n_visits))
    used = np.flatnonzero(np.bincount(code, minlength=len(names)))
    remap = np.full(len(names), -1, dtype=np.int32)
    remap[used] = np.arange(len(used), dtype=np.int32)
    table = CodeTable(
        names[used], np.full(len(used), sys_index, np.uint8), np.zeros(len(used), np.uint8)
    )
    return Cohort(
        age=age,
        sex=sex,
        visit_offsets=visit_offsets,
        code_offsets=code_offsets,
        codes=remap[code],
        code_table=table,
    )


def reference_seed(seed: int, split: str) -> int:
    """The seed of the ``split`` reference draw for data seed ``seed``.

    Derived with :class:`numpy.random.SeedSequence` from ``(seed, split index)``, so the
    ``tuning`` and ``held_out`` draws are independent of each other and of the
    training cohort ``simulate(n, seed)``.
    """
    if split not in SPLITS[1:]:
        raise LossbalanceError(f"reference split must be tuning or held_out, got {split!r}")
    state = np.random.SeedSequence([int(seed), SPLITS.index(split)]).generate_state(1)
    return int(state[0])


def simulate_splits(
    n_patients: int, reference_patients: int = 2000, seed: int = 0, system: str = "icd10"
) -> dict[str, Cohort]:
    """A simulated ``train`` cohort and independent ``tuning`` / ``held_out`` reference cohorts.

    DESIGN.md "Evaluation protocol": the simulator can draw as much data as it likes
    from one world, so its evaluation references are fresh draws rather than slices of
    the training cohort: ``train`` is ``simulate(n_patients, seed, system)`` itself (the
    same cohort as before), ``tuning`` and ``held_out`` are
    ``simulate(reference_patients, reference_seed(seed, split), system)``. Patient ids
    are prefixed ``tuning-`` and ``held_out-`` in the reference draws; each cohort
    carries its split.

    Raises:
        LossbalanceError: a size below 1 or an unknown code system.
    """
    if int(reference_patients) < 1:
        raise LossbalanceError(f"reference_patients: must be at least 1, got {reference_patients}")
    out = {"train": simulate(n_patients, seed, system)}
    for split in SPLITS[1:]:
        drawn = simulate(reference_patients, reference_seed(seed, split), system)
        out[split] = replace(drawn, patient_ids=np.char.add(f"{split}-", drawn.patient_ids))
    return {
        name: cohort.with_splits(np.full(cohort.n_patients, SPLITS.index(name), np.uint8))
        for name, cohort in out.items()
    }
