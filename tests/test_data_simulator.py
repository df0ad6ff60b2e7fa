"""The reference cohort simulator: determinism, clinical validity, realism (against the
MIMIC demos) and its code catalogue (real codes, rule-consistent bands)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lossbalance._errors import LossbalanceError
from lossbalance.clinical import code_descriptions, cohort_conflicts, default_rules
from lossbalance.clinical._rules import _leaves
from lossbalance.data import CodeTable, Cohort, load_mimic3, load_mimic4, simulate
from lossbalance.data._sim_catalogue import CLUSTER_KINDS, load_catalogue
from lossbalance.data._simulator import AGE_EDGES, MAX_CODES_PER_VISIT

N = 20_000


@pytest.fixture(scope="module")
def cohorts() -> dict[str, Cohort]:
    return {system: simulate(N, seed=7, system=system) for system in ("icd10", "icd9")}


def _stats(c: Cohort) -> dict[str, float]:
    v = c.visits_per_patient()
    return {
        "visits_per_patient": float(v.mean()),
        "one_visit_share": float((v == 1).mean()),
        "codes_per_visit": float(c.codes_per_visit().mean()),
    }


def test_seeded_and_deterministic() -> None:
    a, b = simulate(500, seed=3), simulate(500, seed=3)
    assert a.equals(b)
    assert not a.equals(simulate(500, seed=4))
    # The ICD-9 cohort is the same simulated cohort, mapped.
    c9 = simulate(500, seed=3, system="icd9")
    assert np.array_equal(c9.age, a.age) and np.array_equal(c9.visit_offsets, a.visit_offsets)
    assert set(c9.code_table.systems.tolist()) == {0}
    assert set(a.code_table.systems.tolist()) == {1}


def test_tiny_cohorts_and_bad_input() -> None:
    one = simulate(1, seed=0)
    assert one.n_patients == 1 and one.n_visits >= 1 and one.n_codes >= 1
    with pytest.raises(LossbalanceError, match="patients"):
        simulate(0)
    with pytest.raises(LossbalanceError, match="unknown code system"):
        simulate(10, system="icd11")


@pytest.mark.parametrize("system", ["icd10", "icd9"])
def test_obeys_the_rules_and_has_no_duplicates(cohorts: dict[str, Cohort], system: str) -> None:
    c = cohorts[system]
    edits = default_rules().edits_for(c.code_table)
    conflicts = cohort_conflicts(c, edits)
    assert int(conflicts.age.sum()) == 0
    assert int(conflicts.sex.sum()) == 0
    key = c.code_visit() * len(c.code_table) + c.codes
    assert np.unique(key).size == key.size  # no code twice in a visit
    assert c.visits_per_patient().min() >= 1
    assert c.codes_per_visit().min() >= 1
    assert c.codes_per_visit().max() <= MAX_CODES_PER_VISIT
    # Every kind of restricted code does occur, so validity metrics have work to do.
    patient = c.code_patient()
    for edit in ("Newborn_Only", "Pediatric_Only", "Maternity_Only", "Adult_Only"):
        rows = np.char.find(edits.edit_type, edit) >= 0
        assert rows[c.codes].sum() > 0, edit
    female = np.flatnonzero(edits.sex_only == 0)
    male = np.flatnonzero(edits.sex_only == 1)
    assert np.isin(c.codes, female).sum() > 100 and np.isin(c.codes, male).sum() > 100
    # Maternity codes only for women of 12-55, newborn codes only at age 0.
    maternity = np.char.find(edits.edit_type, "Maternity_Only") >= 0
    m = maternity[c.codes]
    assert (c.sex[patient[m]] == 0).all()
    assert c.age[patient[m]].min() >= 12 and c.age[patient[m]].max() < 56
    newborn = (np.char.find(edits.edit_type, "Newborn_Only") >= 0)[c.codes]
    assert c.age[patient[newborn]].max() < 1


def test_heavy_tailed_frequencies_over_many_codes(cohorts: dict[str, Cohort]) -> None:
    c10, c9 = cohorts["icd10"], cohorts["icd9"]
    assert c10.distinct_codes() >= 1_500
    assert c9.distinct_codes() >= 1_300
    freq = np.sort(np.bincount(c10.codes))[::-1]
    share = np.cumsum(freq) / freq.sum()
    # A tenth of the codes carry most occurrences; the tail is long and thin.
    assert share[len(freq) // 10] > 0.55
    assert freq[0] / np.median(freq) > 100
    assert (freq <= 5).sum() > 100


def _pair_lift(c: Cohort, a: str, b: str) -> float:
    """P(a and b in a visit) / (P(a) P(b)) over visits."""
    names = c.code_table.names
    ia, ib = np.flatnonzero(names == a)[0], np.flatnonzero(names == b)[0]
    visit = c.code_visit()
    va = np.zeros(c.n_visits, bool)
    vb = np.zeros(c.n_visits, bool)
    va[visit[c.codes == ia]] = True
    vb[visit[c.codes == ib]] = True
    return float((va & vb).mean() / (va.mean() * vb.mean()))


def test_comorbidity_clusters_co_occur(cohorts: dict[str, Cohort]) -> None:
    c = cohorts["icd10"]
    assert _pair_lift(c, "E119", "I10") > 1.5  # diabetes with hypertension
    assert _pair_lift(c, "O80", "Z370") > 5  # delivery with a live birth
    assert _pair_lift(c, "N179", "E875") > 2  # acute kidney failure with hyperkalemia
    assert _pair_lift(c, "Z3800", "Z23") > 5  # a newborn with immunization
    # Chronic codes recur across a patient's visits.
    multi = np.flatnonzero(c.visits_per_patient() >= 2)
    first = c.visit_offsets[multi]
    names = c.code_table.names
    i10 = np.flatnonzero(names == "I10")[0]
    visit = c.code_visit()
    has = np.zeros(c.n_visits, bool)
    has[visit[c.codes == i10]] = True
    p_second = has[first + 1].mean()
    p_second_given_first = has[first + 1][has[first]].mean()
    assert p_second_given_first > 2 * p_second  # measured 0.74 vs 0.28


def test_summary_statistics_sit_between_the_mimic_demos(
    cohorts: dict[str, Cohort], mimic3_dir: Path, mimic4_dir: Path
) -> None:
    demos = {"mimic3": _stats(load_mimic3(mimic3_dir)), "mimic4": _stats(load_mimic4(mimic4_dir))}
    lines = [f"{'':20} {'mimic3':>8} {'mimic4':>8} {'sim icd10':>10} {'sim icd9':>9}"]
    sims = {s: _stats(c) for s, c in cohorts.items()}
    for key in demos["mimic3"]:
        lo = min(d[key] for d in demos.values())
        hi = max(d[key] for d in demos.values())
        lines.append(
            f"{key:20} {demos['mimic3'][key]:8.3f} {demos['mimic4'][key]:8.3f} "
            f"{sims['icd10'][key]:10.3f} {sims['icd9'][key]:9.3f}"
        )
        for system in sims:
            assert lo <= sims[system][key] <= hi, (key, system, sims[system][key], lo, hi)
    print("\n" + "\n".join(lines))
    # MIMIC-III demo: 1.29 visits per patient, 86% one-visit, 13.65 codes per visit;
    # MIMIC-IV demo: 2.75, 52%, 16.39.
    assert demos["mimic3"]["visits_per_patient"] == pytest.approx(1.29)
    assert demos["mimic4"]["visits_per_patient"] == pytest.approx(2.75)


def test_ages_and_sexes_look_like_a_hospital(cohorts: dict[str, Cohort]) -> None:
    c = cohorts["icd10"]
    assert 0.04 < (c.age < 1).mean() < 0.08
    assert 0.06 < ((c.age >= 1) & (c.age < 18)).mean() < 0.10
    assert 55 < c.age.mean() < 70
    assert 0.45 < c.sex.mean() < 0.60


# ------------------------------------------------------------------ the catalogue
def test_catalogue_bands_agree_with_the_rules() -> None:
    """Each code's simulated age band and sex lie inside what the rules allow, for the
    ICD-10-CM code and for its ICD-9-CM equivalent (the sampler's own intersection with
    the rules is then a no-op)."""
    cat = load_catalogue()
    rules = default_rules()
    for system, names in ((1, cat.icd10), (0, np.where(cat.icd9 == "", "-", cat.icd9))):
        table = CodeTable(names, np.full(len(cat), system, np.uint8), np.zeros(len(cat), np.uint8))
        e = rules.edits_for(table)
        assert (cat.age_lo >= e.min_age).all() and (cat.age_hi <= e.max_age).all()
        ruled = e.sex_only >= 0
        assert (cat.sex[ruled] == e.sex_only[ruled]).all()
    # Every band starts and ends on a sampler edge, so every code can be drawn.
    assert np.isin(cat.age_lo, AGE_EDGES).all() and np.isin(cat.age_hi + 1, AGE_EDGES).all()


def test_catalogue_shape() -> None:
    cat = load_catalogue()
    assert np.unique(cat.icd10).size >= 1_500
    assert np.unique(cat.icd9[cat.icd9 != ""]).size >= 1_300
    assert (np.char.str_len(cat.description) > 0).all()
    assert (cat.weight > 0).all()
    frame = pd.DataFrame({"c10": cat.icd10, "c9": cat.icd9, "d": cat.description})
    assert (frame.groupby("c10")["c9"].nunique() == 1).all()  # one equivalent per code
    assert not frame.assign(k=cat.cluster).duplicated(["c10", "k"]).any()
    kinds = {CLUSTER_KINDS[k] for k in cat.cluster_kind}
    assert kinds == set(CLUSTER_KINDS)
    assert len(cat.clusters) >= 25


def test_catalogue_codes_are_real(mimic3_dir: Path, mimic4_dir: Path) -> None:
    """Every ICD-10-CM code is a complete (leaf) code of MIMIC-IV's ICD-10 dictionary;
    every ICD-9-CM equivalent a complete code of the MIMIC ICD-9 dictionaries."""
    d4 = pd.read_csv(mimic4_dir / "hosp" / "d_icd_diagnoses.csv.gz", dtype=str)
    d4["icd_code"] = d4["icd_code"].str.strip()
    d3 = pd.read_csv(mimic3_dir / "D_ICD_DIAGNOSES.csv", dtype=str)
    leaves10 = _leaves(d4.loc[d4.icd_version == "10", "icd_code"].to_numpy(str))
    leaves9 = _leaves(
        np.concatenate(
            [d4.loc[d4.icd_version == "9", "icd_code"].to_numpy(str), d3["icd9_code"].to_numpy(str)]
        )
    )
    cat = load_catalogue()
    missing10 = np.setdiff1d(cat.icd10, leaves10)
    missing9 = np.setdiff1d(cat.icd9[cat.icd9 != ""], leaves9)
    assert missing10.tolist() == []
    assert missing9.tolist() == []


@pytest.mark.parametrize("system", ["icd10", "icd9"])
def test_every_simulated_code_has_a_description(cohorts: dict[str, Cohort], system: str) -> None:
    descriptions = code_descriptions(cohorts[system].code_table)
    assert all(descriptions)
    table = CodeTable(
        np.array(["I10", "401.9", "E11.9", "X999"]), np.array([1, 0, 1, 1]), np.array([0, 0, 0, 0])
    )
    assert code_descriptions(table) == [
        "Essential (primary) hypertension",
        "Essential (primary) hypertension",
        "Type 2 diabetes mellitus without complications",
        "",
    ]
