"""The columnar Cohort: construction, select, split, compact, recode, save/load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from lossbalance import LossbalanceError
from lossbalance.data import CodeTable, Cohort, CohortSummary, Distribution, describe

RECORDS: list[dict[str, Any]] = [
    {"id": "a", "age": 30.5, "sex": "F", "visits": [["O80", "Z370"], ["J45"]]},
    {"id": "b", "age": 71.0, "sex": "M", "visits": [["I10", "E119", "I10"]]},
    {"id": "c", "age": 0.0, "sex": "F", "visits": [["P07", ("4019", "icd9", "dx")], ["J45"]]},
    {"id": "d", "age": 45.0, "sex": "M", "visits": [[("0DTJ4ZZ", "icd10", "px")]]},
]


@pytest.fixture
def cohort() -> Cohort:
    return Cohort.from_records(RECORDS)


def test_from_records_builds_csr_arrays(cohort: Cohort) -> None:
    assert cohort.n_patients == 4
    assert cohort.n_visits == 6
    assert cohort.n_codes == 10
    assert cohort.visit_offsets.tolist() == [0, 2, 3, 5, 6]
    assert cohort.code_offsets.tolist() == [0, 2, 3, 6, 8, 9, 10]
    assert cohort.sex.tolist() == [0, 1, 0, 1]
    # I10 twice in b's visit is kept: from_records does not deduplicate
    assert cohort.code_keys()[3:6].tolist() == ["icd10:dx:I10", "icd10:dx:E119", "icd10:dx:I10"]
    assert cohort.code_keys()[7] == "icd9:dx:4019"
    assert cohort.distinct_codes() == 8
    assert cohort.code_keys()[-1] == "icd10:px:0DTJ4ZZ"
    assert cohort.code_visit().tolist() == [0, 0, 1, 2, 2, 2, 3, 3, 4, 5]
    assert cohort.code_patient().tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3]


def test_records_round_trip(cohort: Cohort) -> None:
    again = Cohort.from_records(cohort.to_records())
    assert again.equals(cohort)
    assert cohort.to_records()[2]["visits"][0][1] == ("4019", "icd9", "dx")


def test_select_keeps_given_order(cohort: Cohort) -> None:
    sub = cohort.select([2, 0])
    assert sub.patient_ids.tolist() == ["c", "a"]
    assert sub.age.tolist() == [0.0, 30.5]
    assert sub.visit_offsets.tolist() == [0, 2, 4]
    assert sub.code_keys().tolist() == [
        "icd10:dx:P07",
        "icd9:dx:4019",
        "icd10:dx:J45",
        "icd10:dx:O80",
        "icd10:dx:Z370",
        "icd10:dx:J45",
    ]


def test_select_by_mask(cohort: Cohort) -> None:
    sub = cohort.select(np.array([False, True, False, True]))
    assert sub.patient_ids.tolist() == ["b", "d"]
    assert sub.n_codes == 4
    assert cohort.select(np.zeros(4, dtype=bool)).n_patients == 0


def test_split_is_seeded_disjoint_and_complete() -> None:
    big = Cohort.from_records(
        {"id": str(i), "age": float(i % 90), "sex": "FM"[i % 2], "visits": [[f"A{i % 7}"]]}
        for i in range(50)
    )
    train, held = big.split(0.2, seed=3)
    assert (train.n_patients, held.n_patients) == (40, 10)
    ids_t, ids_h = set(train.patient_ids.tolist()), set(held.patient_ids.tolist())
    assert not ids_t & ids_h
    assert ids_t | ids_h == set(big.patient_ids.tolist())
    again_t, again_h = big.split(0.2, seed=3)
    assert again_t.equals(train) and again_h.equals(held)
    other_t, _ = big.split(0.2, seed=4)
    assert not other_t.equals(train)
    # patients keep their data through the split
    for i in (0, 5):
        pid = int(held.patient_ids[i])
        assert held.age[i] == float(pid % 90)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, 0.01])
def test_split_rejects_bad_fractions(cohort: Cohort, fraction: float) -> None:
    with pytest.raises(LossbalanceError, match=r"heldout_fraction|too small"):
        cohort.split(fraction, seed=0)


def test_compact_drops_unused_rows(cohort: Cohort) -> None:
    sub = cohort.select([1])
    assert len(sub.code_table) == 8
    small = sub.compact()
    assert len(small.code_table) == 2
    assert small.equals(sub)
    assert sorted(small.code_table.keys().tolist()) == ["icd10:dx:E119", "icd10:dx:I10"]


def test_recode_onto_a_larger_table(cohort: Cohort) -> None:
    table = CodeTable(
        np.array(["ZZZ", *cohort.code_table.names[::-1]]),
        np.array([1, *cohort.code_table.systems[::-1]]),
        np.array([0, *cohort.code_table.kinds[::-1]]),
    )
    moved = cohort.recode(table)
    assert moved.code_table is table
    assert moved.equals(cohort)
    assert not np.array_equal(moved.codes, cohort.codes)


def test_recode_onto_a_table_missing_codes_raises(cohort: Cohort) -> None:
    table = CodeTable(np.array(["I10"]), np.array([1]), np.array([0]))
    with pytest.raises(LossbalanceError, match="lacks codes"):
        cohort.recode(table)


def test_save_load_round_trip(cohort: Cohort, tmp_path: Path) -> None:
    out = cohort.save(tmp_path / "c.npz")
    back = Cohort.load(out)
    assert back.equals(cohort)
    assert back.code_table.keys().tolist() == cohort.code_table.keys().tolist()
    assert [p.name for p in tmp_path.iterdir()] == ["c.npz"]


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(LossbalanceError, match=r"missing\.npz: cohort file not found"):
        Cohort.load(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_text("not a cohort")
    with pytest.raises(LossbalanceError, match=r"junk\.npz: not a lossbalance cohort file"):
        Cohort.load(junk)


def test_save_into_missing_folder_writes_nothing(cohort: Cohort, tmp_path: Path) -> None:
    with pytest.raises(LossbalanceError, match="does not exist"):
        cohort.save(tmp_path / "nope" / "c.npz")
    assert list(tmp_path.iterdir()) == []


_codes = st.one_of(
    st.sampled_from(["I10", "E119", "J45", "O80", "Z370"]),
    st.tuples(
        st.sampled_from(["4019", "25000", "V3000", "3605"]),
        st.sampled_from(["icd9", "icd10"]),
        st.sampled_from(["dx", "px"]),
    ),
)
_patients = st.fixed_dictionaries(
    {
        "age": st.floats(0, 110, allow_nan=False),
        "sex": st.sampled_from(["F", "M"]),
        "visits": st.lists(st.lists(_codes, max_size=5), max_size=4),
    }
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=st.lists(_patients, max_size=8), data=st.data())
def test_property_save_load_select_split(
    records: list[dict[str, Any]], data: st.DataObject, tmp_path: Path
) -> None:
    cohort = Cohort.from_records(records)
    back = Cohort.load(cohort.save(tmp_path / "p.npz"))
    assert back.equals(cohort)
    assert Cohort.from_records(back.to_records()).equals(cohort)
    assert cohort.select(np.arange(cohort.n_patients)).equals(cohort)
    assert cohort.compact().equals(cohort)
    if cohort.n_patients >= 2:
        seed = data.draw(st.integers(0, 2**31 - 1))
        train, held = cohort.split(0.5, seed)
        assert train.n_patients + held.n_patients == cohort.n_patients
        assert train.n_codes + held.n_codes == cohort.n_codes
        both = sorted(train.patient_ids.tolist() + held.patient_ids.tolist(), key=int)
        assert both == cohort.patient_ids.tolist()


def test_describe_hand_computed(cohort: Cohort, monkeypatch: pytest.MonkeyPatch) -> None:
    # descriptions come from lossbalance.clinical (another module's dictionary): fake one
    import lossbalance.clinical

    def fake(table: CodeTable) -> list[str]:
        return ["Essential hypertension" if n == "I10" else "" for n in table.names.tolist()]

    monkeypatch.setattr(lossbalance.clinical, "code_descriptions", fake)
    s = describe(cohort)
    assert (s.patients, s.visits, s.code_occurrences, s.distinct_codes) == (4, 6, 10, 8)
    # visits per patient [2, 1, 2, 1]; codes per visit [2, 1, 3, 2, 1, 1]
    assert s.visits_per_patient == Distribution(mean=1.5, q10=1.0, q50=1.5, q90=2.0, max=2.0)
    assert s.codes_per_visit.model_dump() == pytest.approx(
        {"mean": 10 / 6, "q10": 1.0, "q50": 1.5, "q90": 2.5, "max": 3.0}
    )
    assert s.one_visit_share == 0.5
    assert s.age.mean == pytest.approx(36.625) and s.age_min == 0.0 and s.age.max == 71.0
    assert s.sex == {"F": 2, "M": 2}
    assert s.systems == {"ICD9CM": 1, "ICD10CM": 8, "ICD10PCS": 1}
    assert s.kinds == {"dx": 9, "px": 1, "rx": 0, "lab": 0, "other": 0}
    assert [(t.code, t.count) for t in s.top_codes] == [
        ("I10", 2),
        ("J45", 2),
        ("E119", 1),
        ("O80", 1),
        ("P07", 1),
        ("Z370", 1),
        ("0DTJ4ZZ", 1),
        ("4019", 1),
    ]
    assert s.top_codes[0].share == 0.2
    assert s.top_codes[6].kind == "px" and s.top_codes[7].system == "ICD9CM"
    assert CohortSummary.model_validate_json(s.model_dump_json()) == s
    console = Console(record=True, width=120)
    s.print(console)
    text = console.export_text()
    assert "distinct codes" in text and "0DTJ4ZZ" in text and "50.0%" in text
    assert s.top_codes[0].description == "Essential hypertension"
    assert "Essential hypertension" in text
