"""Loaders (MIMIC-III, MIMIC-IV, generic table) and the LoadOptions they share."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from lossbalance import LossbalanceError
from lossbalance.data import (
    AGE_OVER_89,
    Cohort,
    LoadOptions,
    TableColumns,
    load_mimic3,
    load_mimic4,
    load_table,
)


def visits_of(cohort: Cohort, patient: int) -> list[list[str]]:
    """The code strings of each visit of ``patient``."""
    names = cohort.code_table.names
    vo, co = cohort.visit_offsets, cohort.code_offsets
    return [
        names[cohort.codes[co[v] : co[v + 1]]].tolist() for v in range(vo[patient], vo[patient + 1])
    ]


def by_id(cohort: Cohort, pid: str) -> int:
    return int(np.flatnonzero(cohort.patient_ids == pid)[0])


# ---------------------------------------------------------------- a tiny MIMIC-III
def _write(path: Path, text: str) -> None:
    data = text.strip().replace("\n    ", "\n") + "\n"
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(data.encode()))
    else:
        path.write_text(data)


@pytest.fixture
def tiny3(tmp_path: Path) -> Path:
    """A hand-written MIMIC-III folder: lower-case file names, upper-case headers, gzip,
    rows out of order, an over-89 patient, a patient without codes, an unknown patient."""
    folder = tmp_path / "tiny3"
    folder.mkdir()
    _write(
        folder / "patients.csv.gz",
        """
    ROW_ID,SUBJECT_ID,GENDER,DOB
    1,1,F,2100-01-01 00:00:00
    2,2,M,1800-06-01 00:00:00
    3,3,M,2080-01-01 00:00:00
    """,
    )
    _write(
        folder / "admissions.csv.gz",
        """
    ROW_ID,SUBJECT_ID,HADM_ID,ADMITTIME
    1,1,11,2130-05-01 10:00:00
    2,1,10,2130-01-01 10:00:00
    3,2,20,2100-06-01 00:00:00
    4,3,30,2090-01-01 00:00:00
    """,
    )
    _write(
        folder / "diagnoses_icd.csv",
        """
    ROW_ID,SUBJECT_ID,HADM_ID,SEQ_NUM,ICD9_CODE
    1,1,11,2,4280
    2,1,11,1,41401
    3,1,10,3,E8790
    4,1,10,1,25000
    5,1,10,2,25001
    6,1,10,4,E8791
    7,2,20,1,V3000
    8,2,20,2,
    9,2,20,3,4019
    10,9,99,1,1234
    """,
    )
    _write(
        folder / "Procedures_ICD.csv",
        """
    ROW_ID,SUBJECT_ID,HADM_ID,SEQ_NUM,ICD9_CODE
    1,1,11,2,3606
    2,1,11,1,3605
    """,
    )
    return folder


def test_tiny_mimic3_orders_visits_and_codes(tiny3: Path) -> None:
    c = load_mimic3(tiny3)
    assert c.patient_ids.tolist() == ["1", "2"]  # patient 3 has no codes, 9 is unknown
    assert c.sex.tolist() == [0, 1]
    assert visits_of(c, 0) == [["25000", "25001", "E8790", "E8791"], ["41401", "4280"]]
    assert visits_of(c, 1) == [["V3000", "4019"]]  # the empty code is skipped
    # 2100-01-01 to 2130-01-01 10:00 is 10,957 days 10 h
    assert c.age[0] == pytest.approx((10957 + 10 / 24) / 365.2425)
    assert c.age[1] == AGE_OVER_89 == 91.4  # DOB 300 years back: clamped, kept
    assert set(c.code_table.systems.tolist()) == {0}


def test_tiny_mimic3_options(tiny3: Path) -> None:
    short = load_mimic3(tiny3, LoadOptions(truncate=True))
    assert visits_of(short, 0) == [["250", "E879"], ["414", "428"]]
    assert visits_of(short, 1) == [["V30", "401"]]
    dups = load_mimic3(tiny3, LoadOptions(truncate=True, keep_duplicates=True))
    assert visits_of(dups, 0)[0] == ["250", "250", "E879", "E879"]
    first = load_mimic3(tiny3, LoadOptions(max_codes_per_visit=1))
    assert [visits_of(first, p) for p in (0, 1)] == [[["25000"], ["41401"]], [["V3000"]]]
    two = load_mimic3(tiny3, LoadOptions(min_visits=2))
    assert two.patient_ids.tolist() == ["1"]
    px = load_mimic3(tiny3, LoadOptions(include_procedures=True))
    assert visits_of(px, 0)[1] == ["41401", "4280", "3605", "3606"]
    assert px.code_table.kinds[px.codes].tolist().count(1) == 2
    px_short = load_mimic3(tiny3, LoadOptions(include_procedures=True, truncate=True))
    assert visits_of(px_short, 0)[1] == ["414", "428", "36"]


def test_tiny_mimic3_empty_after_filters(tiny3: Path) -> None:
    with pytest.raises(LossbalanceError, match=r"empty cohort after systems=\['icd10'\]"):
        load_mimic3(tiny3, LoadOptions(systems=("icd10",)))
    with pytest.raises(LossbalanceError, match=r"empty cohort after min_visits=3"):
        load_mimic3(tiny3, LoadOptions(min_visits=3))


def test_mimic3_bad_input(tiny3: Path, tmp_path: Path) -> None:
    with pytest.raises(LossbalanceError, match="MIMIC-III folder not found"):
        load_mimic3(tmp_path / "nowhere")
    diag = tiny3 / "diagnoses_icd.csv"
    text = diag.read_text()
    diag.write_text(text.replace("ICD9_CODE", "ICD_CODE"))
    with pytest.raises(LossbalanceError) as err:
        load_mimic3(tiny3)
    assert str(err.value) == f"{diag}: missing column 'icd9_code'"
    diag.unlink()
    with pytest.raises(LossbalanceError, match="no DIAGNOSES_ICD table"):
        load_mimic3(tiny3)
    diag.write_text(text)
    _write(
        tiny3 / "admissions.csv.gz",
        """
    ROW_ID,SUBJECT_ID,HADM_ID,ADMITTIME
    1,1,11,2130-05-01 10:00:00
    2,1,10,yesterday
    """,
    )
    with pytest.raises(LossbalanceError) as err:
        load_mimic3(tiny3)
    assert "admissions.csv.gz: column 'ADMITTIME': unparsable date 'yesterday'" in str(err.value)


def test_load_options_validate() -> None:
    assert LoadOptions().systems is None  # every vocabulary
    assert LoadOptions(systems=("icd9", "SNOMED")).systems == ("icd9", "SNOMED")
    with pytest.raises(ValidationError):
        LoadOptions(min_visits=0)
    with pytest.raises(ValidationError):
        LoadOptions(max_codes_per_visit=0)
    with pytest.raises(ValidationError):
        LoadOptions(systems=("sno med",))
    with pytest.raises(ValidationError):
        LoadOptions(systems=())
    with pytest.raises(ValidationError):
        LoadOptions(truncated=True)  # type: ignore[call-arg]


# ---------------------------------------------------------------- the real demos
def test_mimic3_demo_counts_and_order(mimic3_dir: Path) -> None:
    c = load_mimic3(mimic3_dir)
    assert (c.n_patients, c.n_visits, c.n_codes) == (100, 129, 1761)
    assert set(c.code_table.systems.tolist()) == {0} and set(c.code_table.kinds.tolist()) == {0}
    p = by_id(c, "41976")
    visits = visits_of(c, p)
    assert len(visits) == 15
    # ADMITTIME order: 2198-10-29 (hadm 125449), then 2199-01-13 (hadm 173269)
    assert visits[0][:4] == ["0389", "5070", "51881", "5849"]
    assert visits[1][:4] == ["03812", "78552", "5849", "0383"]
    first = by_id(c, "10006")
    assert visits_of(c, first)[0][:3] == ["99591", "99662", "5672"]


def test_mimic3_demo_ages_clamped_never_dropped(mimic3_dir: Path) -> None:
    c = load_mimic3(mimic3_dir)
    assert int(np.sum(c.age == AGE_OVER_89)) == 8
    assert c.age[by_id(c, "10026")] == AGE_OVER_89  # DOB 1895-05-17, admitted 2195-05-17
    others = c.age[c.age != AGE_OVER_89]
    assert others.max() < 90 and others.min() > 17
    # DOB 2094-03-05, first admission 2164-10-23 21:09
    assert c.age[by_id(c, "10006")] == pytest.approx(70.6377, abs=1e-4)


def test_mimic3_demo_truncation_duplicates(mimic3_dir: Path) -> None:
    kept = load_mimic3(mimic3_dir, LoadOptions(truncate=True, keep_duplicates=True))
    once = load_mimic3(mimic3_dir, LoadOptions(truncate=True))
    assert kept.n_codes == 1761
    assert kept.n_codes - once.n_codes == 137
    names = set(once.code_table.names.tolist())
    assert all(len(n) == (4 if n.startswith("E") else 3) for n in names)
    px = load_mimic3(mimic3_dir, LoadOptions(include_procedures=True))
    # 506 procedures, 20 of them repeated within their admission
    assert px.n_codes == 1761 + 486
    assert load_mimic3(mimic3_dir, LoadOptions(min_visits=2)).n_patients == 14


def test_mimic4_demo_counts_and_systems(mimic4_dir: Path) -> None:
    c = load_mimic4(mimic4_dir)
    assert (c.n_patients, c.n_visits, c.n_codes) == (100, 275, 4506)
    assert np.bincount(c.code_table.systems[c.codes]).tolist() == [2193, 2313]
    p = by_id(c, "10014729")
    # admissions listed 2125-03-19 then 2125-02-27: the earlier one comes first
    assert [v[:3] for v in visits_of(c, p)] == [
        ["9010", "9962", "49390"],
        ["99859", "5109", "99832"],
    ]
    assert c.age[p] == 21.0  # anchor_age 21 in anchor_year 2125
    assert c.age[by_id(c, "10004720")] == 64.0  # 61 in 2183, admitted 2186
    ten = load_mimic4(mimic4_dir, LoadOptions(systems=("icd10",)))
    assert (ten.n_patients, ten.n_visits, ten.n_codes) == (44, 123, 2313)
    assert set(ten.code_table.systems.tolist()) == {1}
    nine = load_mimic4(mimic4_dir.joinpath("hosp"), LoadOptions(systems=("icd9",)))
    assert (nine.n_patients, nine.n_visits, nine.n_codes) == (76, 152, 2193)
    px = load_mimic4(mimic4_dir, LoadOptions(include_procedures=True))
    assert np.bincount(px.code_table.kinds[px.codes]).tolist() == [4506, 667]


# ---------------------------------------------------------------- generic tables
@pytest.fixture
def table_csv(tmp_path: Path) -> tuple[Path, Path]:
    codes, patients = tmp_path / "codes.csv", tmp_path / "patients.csv"
    _write(
        codes,
        """
    Patient_ID,visit_id,code,system,kind,seq
    p1,v2,I10,icd10,dx,1
    p1,v1,E11.9,ICD-10-CM,dx,2
    p1,v1,O80,10,dx,1
    p1,v1,0DTJ4ZZ,icd10,px,3
    p2,x,401.9,icd9,dx,1
    """,
    )
    _write(
        patients,
        """
    patient_id,SEX,age
    p1,female,30
    p2,M,70.5
    p3,F,1
    """,
    )
    return codes, patients


def test_table_csv_with_visit_ids(table_csv: tuple[Path, Path]) -> None:
    c = load_table(*table_csv, columns=TableColumns(seq="seq"))
    assert c.patient_ids.tolist() == ["p1", "p2"]
    # no dates: visits in order of first appearance; codes by seq
    assert visits_of(c, 0) == [["I10"], ["O80", "E119"]]
    assert visits_of(c, 1) == [["4019"]]
    assert c.code_keys()[-1] == "icd9:dx:4019"
    assert c.age.tolist() == [30.0, 70.5]
    assert c.sex.tolist() == [0, 1]
    px = load_table(*table_csv, options=LoadOptions(include_procedures=True))
    assert visits_of(px, 0)[1] == ["E119", "O80", "0DTJ4ZZ"]  # file order without seq


def test_table_parquet_with_visit_dates(tmp_path: Path) -> None:
    codes, patients = tmp_path / "codes.parquet", tmp_path / "people.parquet"
    pd.DataFrame(
        {
            "pid": [1, 1, 1, 2],
            "date": pd.to_datetime(["2020-05-01", "2019-01-01", "2019-01-01", "2021-03-03"]),
            "dx": ["J45", "O80", "Z37.0", "I10"],
        }
    ).to_parquet(codes)
    pd.DataFrame(
        {
            "pid": [1, 2],
            "gender": ["F", "M"],
            "dob": ["1989-01-01", "1950-03-03"],
        }
    ).to_parquet(patients)
    cols = TableColumns(
        patient_id="pid",
        visit_id=None,
        visit_date="date",
        code="dx",
        fixed_system="icd10",
        kind=None,
        sex="gender",
        birth_date="dob",
    )
    c = load_table(codes, patients, cols)
    assert c.patient_ids.tolist() == ["1", "2"]
    assert visits_of(c, 0) == [["O80", "Z370"], ["J45"]]
    assert c.age[0] == pytest.approx(
        10957 / 365.2425
    )  # 1989-01-01 to 2019-01-01: 30 y, 7 leap days
    assert c.age[1] == pytest.approx(
        25933 / 365.2425
    )  # 1950-03-03 to 2021-03-03: 71 y, 18 leap days
    # min_visits drops patient 2; max_codes keeps the first code of each visit
    small = load_table(codes, patients, cols, LoadOptions(min_visits=2, max_codes_per_visit=1))
    assert small.patient_ids.tolist() == ["1"] and visits_of(small, 0) == [["O80"], ["J45"]]


def test_table_age_column_follows_first_kept_visit(tmp_path: Path) -> None:
    codes, patients = tmp_path / "c.csv", tmp_path / "p.csv"
    _write(
        codes,
        """
    patient_id,visit_date,code,system
    a,2019-01-01,O80,icd10
    a,2020-01-01,4019,icd9
    """,
    )
    _write(
        patients,
        """
    patient_id,sex,age
    a,F,30
    """,
    )
    assert load_table(codes, patients).age.tolist() == [30.0]
    nine = load_table(codes, patients, options=LoadOptions(systems=("icd9",)))
    assert nine.age[0] == pytest.approx(30 + 365 / 365.2425)


def test_table_bad_input(table_csv: tuple[Path, Path], tmp_path: Path) -> None:
    codes, patients = table_csv
    with pytest.raises(LossbalanceError, match=r"nope\.csv: file not found"):
        load_table(tmp_path / "nope.csv", patients)
    with pytest.raises(LossbalanceError) as err:
        load_table(codes, patients, TableColumns(code="icd"))
    assert str(err.value) == f"{codes}: missing column 'icd'"
    text = codes.read_text()
    codes.write_text(text.replace("401.9,icd9", "401.9,sno med!"))
    with pytest.raises(LossbalanceError) as err:
        load_table(codes, patients)
    assert str(err.value) == (
        f"{codes}: column 'system': unknown code system 'sno med!' "
        "(data row 5; expected a vocabulary name of letters, digits, _ and - such as "
        "ICD10CM, icd9, SNOMED)"
    )
    codes.write_text(text.replace("p2,x", "p9,x"))
    with pytest.raises(LossbalanceError, match="patient 'p9' is not in"):
        load_table(codes, patients)
    codes.write_text(text.replace("visit_id", "visit_date").replace(",v2,", ",2020-13-45,"))
    with pytest.raises(
        LossbalanceError, match=r"column 'visit_date': unparsable date '2020-13-45'"
    ):
        load_table(codes, patients)
    codes.write_text(text)
    with pytest.raises(LossbalanceError, match=r"empty cohort after min_visits=5"):
        load_table(codes, patients, options=LoadOptions(min_visits=5))


def test_table_patient_errors(table_csv: tuple[Path, Path]) -> None:
    codes, patients = table_csv
    text = patients.read_text()
    patients.write_text(text.replace("p2,M", "p2,X"))
    with pytest.raises(LossbalanceError) as err:
        load_table(codes, patients)
    assert str(err.value) == (
        f"{patients}: column 'SEX': unknown sex 'X' (data row 2; expected F or M)"
    )
    patients.write_text(text.replace("p3,F", "p1,F"))
    with pytest.raises(LossbalanceError, match=r"column 'patient_id': id 'p1' appears twice"):
        load_table(codes, patients)
    patients.write_text(text.replace("p2,M,70.5", "p2,M,"))
    with pytest.raises(LossbalanceError, match=r"column 'age' is empty for patient 'p2'"):
        load_table(codes, patients)
    patients.write_text(text.replace("age", "weight"))
    with pytest.raises(LossbalanceError, match=r"missing column 'birth_date' \(a birth date or"):
        load_table(codes, patients)
    patients.write_text(text)
    codes.write_text(codes.read_text().replace("icd10,px", "icd10,labs?"))
    with pytest.raises(LossbalanceError, match=r"column 'kind': unknown code kind 'labs\?'"):
        load_table(codes, patients)
