"""Open vocabularies, MEDS in and out, long exports (issue 16)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import meds
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from _builders import tiny_model_doc
from lossbalance._errors import LossbalanceError
from lossbalance.cli import main
from lossbalance.data import (
    CodeTable,
    Cohort,
    LoadOptions,
    MedsOptions,
    load_meds,
    load_mimic4,
    simulate,
    system_index,
    vocabulary_name,
    write_long,
    write_meds,
)

FIXTURES = Path(__file__).parent / "fixtures"
SNOMED = FIXTURES / "meds_snomed"
RULES = FIXTURES / "snomed_rules.csv"
ALL = LoadOptions(keep_duplicates=True)


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err
    return err


def _validate_folder(root: Path) -> None:
    """Every file of a written dataset against the meds package's schemas."""
    for shard in sorted((root / "data").rglob("*.parquet")):
        meds.DataSchema.validate(pq.read_table(shard))
    meds.CodeMetadataSchema.validate(pq.read_table(root / "metadata" / "codes.parquet"))
    if (root / "metadata" / "subject_splits.parquet").exists():
        meds.SubjectSplitSchema.validate(pq.read_table(root / "metadata/subject_splits.parquet"))
    meds.DatasetMetadataSchema.validate(json.loads((root / "metadata/dataset.json").read_text()))


# ------------------------------------------------------------------ vocabularies
def test_vocabulary_names_and_aliases() -> None:
    assert vocabulary_name("icd10") == "ICD10CM"
    assert vocabulary_name("ICD9", "px") == "ICD9PROC"
    assert vocabulary_name("icd10", "px") == "ICD10PCS"
    assert vocabulary_name("icd10cm") == "ICD10CM"
    assert vocabulary_name("SNOMED") == "SNOMED"
    assert system_index("icd10") == system_index("ICD10CM") == 1
    assert system_index("RxNorm") == system_index("RxNorm") >= 4
    with pytest.raises(LossbalanceError, match="unknown code system 'ICD/10'"):
        vocabulary_name("ICD/10")


def test_icd_procedures_are_their_own_vocabularies() -> None:
    table = CodeTable.from_names(
        ["3893", "4019", "0DTJ4ZZ"], ["icd9", "icd9", "icd10"], ["px", "dx", "px"]
    )
    assert table.vocabulary_names().tolist() == ["ICD9PROC", "ICD9CM", "ICD10PCS"]
    # keys keep the short ICD names: tokens and saved vocabularies of earlier versions hold
    assert table.keys().tolist() == ["icd9:px:3893", "icd9:dx:4019", "icd10:px:0DTJ4ZZ"]
    snomed = CodeTable.from_names(["44054006"], ["SNOMED"], ["dx"])
    assert snomed.keys().tolist() == ["SNOMED:dx:44054006"]


def test_cohort_file_of_the_previous_release_loads(tmp_path: Path) -> None:
    """tests/fixtures/cohort_v1.npz was written by the release before open vocabularies."""
    old = Cohort.load(FIXTURES / "cohort_v1.npz")
    assert old.code_keys().tolist() == [
        "icd10:dx:O80",
        "icd10:dx:Z370",
        "icd10:px:0W8NXZZ",
        "icd9:dx:4019",
        "icd9:px:3893",
        "icd9:dx:4019",
    ]
    assert old.code_table.vocabulary_names().tolist() == [
        "ICD10CM",
        "ICD10CM",
        "ICD10PCS",
        "ICD9CM",
        "ICD9PROC",
    ]
    old.save(tmp_path / "v2.npz")
    with np.load(tmp_path / "v2.npz") as z:
        assert int(z["format_version"]) == 2 and "code_vocabularies" in z.files
    assert Cohort.load(tmp_path / "v2.npz").equals(old)


def test_any_vocabulary_round_trips_through_a_cohort_file(tmp_path: Path) -> None:
    c = Cohort.from_records(
        [
            {
                "age": 40,
                "sex": "F",
                "visits": [[("44054006", "SNOMED", "dx"), ("4548-4", "LOINC", "lab")]],
            },
            {
                "age": 9,
                "sex": "M",
                "visits": [[("860975", "RxNorm", "rx"), ("A10BA02", "ATC", "rx")]],
            },
        ]
    )
    c.save(tmp_path / "c.npz")
    back = Cohort.load(tmp_path / "c.npz")
    assert back.equals(c)
    assert back.code_table.vocabulary_names().tolist() == ["SNOMED", "LOINC", "RxNorm", "ATC"]


# ------------------------------------------------------------------ MEDS round trips
def test_simulator_meds_round_trip_with_splits(tmp_path: Path) -> None:
    cohort = simulate(120, seed=3).assign_splits(seed=1)
    out = write_meds(cohort, tmp_path / "sim", generator={"name": "simulator"})
    _validate_folder(out)
    meta = json.loads((out / "metadata" / "dataset.json").read_text())
    assert meta["etl_name"] == "lossbalance" and meta["generator"] == {"name": "simulator"}
    back = load_meds(out, ALL)
    assert back.equals(cohort)  # patients, visits, codes (keys), ages, sexes, ids, splits
    assert back.splits is not None


def test_mimic4_demo_meds_round_trip(mimic4_dir: Path, tmp_path: Path) -> None:
    direct = load_mimic4(mimic4_dir, LoadOptions(include_procedures=True))
    out = write_meds(direct, tmp_path / "m4")
    _validate_folder(out)
    codes = pq.read_table(out / "metadata" / "codes.parquet").column("code").to_pylist()
    assert {c.split("//")[0] for c in codes} >= {"ICD9CM", "ICD10CM", "ICD9PROC", "ICD10PCS"}
    back = load_meds(out)  # default: diagnoses and procedures of any vocabulary
    assert back.equals(direct)
    assert (back.n_patients, back.n_visits, back.n_codes) == (
        direct.n_patients,
        direct.n_visits,
        direct.n_codes,
    )
    dx_only = load_meds(out, LoadOptions(kinds=("dx",)))
    assert dx_only.equals(load_mimic4(mimic4_dir))


def test_generated_cohort_with_duplicates_round_trips(tmp_path: Path) -> None:
    c = Cohort.from_records(
        [{"id": "7", "age": 0.0, "sex": "F", "visits": [["Z38", "Z38"], ["P07"]]}]
    )
    back = load_meds(write_meds(c, tmp_path / "g"), ALL)
    assert back.equals(c)
    assert load_meds(tmp_path / "g").n_codes == 2  # duplicates dropped by default


# ------------------------------------------------------------------ the SNOMED fixture
def test_snomed_fixture_loads() -> None:
    c = load_meds(SNOMED)
    assert (c.n_patients, c.n_visits, c.n_codes) == (16, 32, 49)
    assert set(c.code_table.vocabulary_names().tolist()) == {"SNOMED"}
    assert c.patient_ids.tolist()[:3] == ["101", "102", "103"]
    assert c.sex.tolist()[:4] == [0, 1, 0, 1]
    # subject 101: born 1960-03-02, first visit 2019-05-01
    assert c.age[0] == pytest.approx(59.16, abs=0.01)
    assert c.splits is not None
    assert np.bincount(c.splits).tolist() == [10, 3, 3]
    labs = load_meds(SNOMED, LoadOptions(kinds=("dx", "lab")))
    assert set(labs.code_table.vocabulary_names().tolist()) == {"SNOMED", "LOINC"}
    assert labs.n_codes == 49 + 14
    only_loinc = load_meds(SNOMED, LoadOptions(kinds=("lab",), systems=("LOINC",)))
    assert set(only_loinc.code_table.kinds.tolist()) == {3}


@pytest.mark.parametrize("visits", ["timestamp", "day", "code"])
def test_visit_modes_agree_on_the_fixture(visits: str) -> None:
    c = load_meds(SNOMED, meds=MedsOptions(visits=visits))  # type: ignore[arg-type]
    assert (c.n_visits, c.n_codes) == (32, 49)


def test_visits_per_admission_code(tmp_path: Path) -> None:
    us = 1_000_000 * 3600
    t = pa.table(
        {
            "subject_id": pa.array([1, 1, 1, 1, 1, 1], pa.int64()),
            "time": pa.array([None, 0, 10 * us, 11 * us, 40 * us, 41 * us], pa.timestamp("us")),
            "code": [
                "SEX//M",
                "MEDS_BIRTH",
                "HOSPITAL_ADMISSION",
                "ICD10CM//I10",
                "HOSPITAL_ADMISSION//ER",
                "ICD10CM//E11.9",
            ],
        }
    )
    (tmp_path / "d" / "data").mkdir(parents=True)
    pq.write_table(t, tmp_path / "d" / "data" / "x.parquet")
    by_code = load_meds(tmp_path / "d", meds=MedsOptions(visits="code"))
    assert by_code.n_visits == 2 and by_code.code_keys().tolist() == [
        "icd10:dx:I10",
        "icd10:dx:E119",
    ]
    by_day = load_meds(tmp_path / "d", meds=MedsOptions(visits="day"))
    assert by_day.n_visits == 2  # 11 h and 41 h after 1970-01-01: days 0 and 1
    assert by_code.age[0] == pytest.approx(10 / (365.2425 * 24))


def test_mimic_etl_code_prefixes(tmp_path: Path) -> None:
    t = pa.table(
        {
            "subject_id": pa.array([5, 5, 5, 5], pa.int64()),
            "time": pa.array([None, 0, 10**12, 10**12], pa.timestamp("us")),
            "code": [
                "GENDER//F",
                "MEDS_BIRTH",
                "DIAGNOSIS//ICD//10//O80",
                "PROCEDURE//ICD//9//7359",
            ],
        }
    )
    (tmp_path / "d" / "data").mkdir(parents=True)
    pq.write_table(t, tmp_path / "d" / "data" / "0.parquet")
    c = load_meds(tmp_path / "d")
    assert c.code_keys().tolist() == ["icd10:dx:O80", "icd9:px:7359"]
    assert c.code_table.vocabulary_names().tolist() == ["ICD10CM", "ICD9PROC"]


# ------------------------------------------------------------------ rules and validity
def test_user_rules_and_rule_coverage() -> None:
    from lossbalance.clinical import cohort_conflicts, default_rules, load_rules
    from lossbalance.metrics import evaluate

    c = load_meds(SNOMED)
    plain = default_rules().edits_for(c.code_table)
    assert (plain.edit_type == "").all()  # the MCE tables know no SNOMED code
    rules = load_rules(RULES)
    edits = rules.edits_for(c.code_table)
    names = c.code_table.names.tolist()
    preg = names.index("72892002")
    assert (edits.min_age[preg], edits.max_age[preg], edits.sex_only[preg]) == (12, 55, 0)
    assert edits.sex_only[names.index("266569009")] == 1
    assert edits.max_age[names.index("65363002")] == 17
    assert not cohort_conflicts(c, edits).sex.any()  # the real fixture obeys its rules
    # a generated cohort that gives a man a pregnancy and an 80-year-old otitis media
    g = Cohort.from_records(
        [
            {
                "age": 40,
                "sex": "M",
                "visits": [[("72892002", "SNOMED", "dx"), ("38341003", "SNOMED", "dx")]],
            },
            {
                "age": 80,
                "sex": "F",
                "visits": [[("65363002", "SNOMED", "dx"), ("44054006", "SNOMED", "dx")]],
            },
        ]
    )
    real = c.select(np.arange(10))
    without = evaluate(g, real, floor=False).validity
    assert without.validity == 1.0 and without.rule_coverage == 0.0
    ruled = evaluate(g, real, rules=rules, floor=False).validity
    assert ruled.sex_conflicts == 1 and ruled.age_conflicts == 1
    assert ruled.rule_coverage == 0.5 and ruled.covered_codes == 2
    assert [t.code for t in ruled.top_sex] == ["SNOMED:dx:72892002"]
    assert ruled.top_sex[0].edit == "User_Rule"


def test_yaml_rule_table(tmp_path: Path) -> None:
    from lossbalance.clinical import load_user_rules

    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"rules": [{"vocabulary": "icd10", "code": "O*", "sex": "F"}]}))
    (rule,) = load_user_rules(path)
    assert rule.prefix and rule.code == "O" and rule.sex == 0
    assert set(rule.vocabularies) == {system_index("ICD10CM"), system_index("ICD10PCS")}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("SNOMED,1,60,20,,", "data row 1: bad age range: min_age 60 is above max_age 20"),
        ("SNOMED,1,-1,20,,", "data row 1: min_age '-1' must be a whole number"),
        ("SNOMED,1,1.5,20,,", "data row 1: min_age '1.5' must be a whole number"),
        ("SNOMED,1,,,X,", "data row 1: sex 'X' must be F, M or empty"),
        ("SNOMED,,1,2,,", "data row 1: code is empty"),
        ("SNO MED,1,1,2,,", "data row 1: unknown code system 'SNO MED'"),
        ("SNOMED,1,,,,", "data row 1: the rule restricts nothing"),
    ],
)
def test_bad_rule_tables(tmp_path: Path, row: str, message: str) -> None:
    from lossbalance.clinical import load_user_rules

    path = tmp_path / "r.csv"
    path.write_text("vocabulary,code,min_age,max_age,sex,kind\n" + row + "\n")
    with pytest.raises(LossbalanceError) as err:
        load_user_rules(path)
    assert str(err.value).startswith(f"{path}: {message}")


def test_evaluate_cli_with_a_bad_rule_table(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    c = load_meds(SNOMED)
    c.save(tmp_path / "g.npz")
    bad = tmp_path / "r.csv"
    bad.write_text("vocabulary,code,min_age,max_age,sex\nSNOMED,72892002,55,12,F\n")
    out = tmp_path / "m.json"
    g = str(tmp_path / "g.npz")
    args = ["evaluate", g, "--reference", g, "--json", str(out)]
    assert main([*args, "--rules", str(bad)]) == 2
    assert _one_line_error(capsys) == (
        f"error: {bad}: data row 1: bad age range: min_age 55 is above max_age 12"
    )
    assert not out.exists()


# ------------------------------------------------------------------ exports and CLI
def test_long_exports(tmp_path: Path) -> None:
    c = load_meds(SNOMED)
    write_long(c, tmp_path / "long.csv")
    write_long(c, tmp_path / "long.parquet")
    t = pq.read_table(tmp_path / "long.parquet")
    assert t.column_names == [
        "patient_id",
        "visit",
        "time",
        "code",
        "vocabulary",
        "kind",
        "age",
        "sex",
    ]
    assert t.num_rows == c.n_codes
    assert t.column("vocabulary").to_pylist()[0] == "SNOMED"
    import pandas as pd

    frame = pd.read_csv(tmp_path / "long.csv", dtype={"patient_id": str, "code": str})
    assert len(frame) == c.n_codes and frame["patient_id"].iloc[0] == "101"
    with pytest.raises(LossbalanceError, match=r"long\.txt: the long table is \.csv or \.parquet"):
        write_long(c, tmp_path / "long.txt")


def test_cli_load_export_describe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    npz = tmp_path / "snomed.npz"
    assert main(["data", "load", "meds", str(SNOMED), "--kind", "dx,lab", "--out", str(npz)]) == 0
    assert "16 patients, 32 visits, 63 codes" in capsys.readouterr().out
    assert main(["data", "export", str(npz), str(tmp_path / "m")]) == 0
    _validate_folder(tmp_path / "m")
    assert load_meds(tmp_path / "m", LoadOptions(kinds=("dx", "lab"))).equals(Cohort.load(npz))
    assert main(["data", "export", str(npz), str(tmp_path / "m")]) == 2
    assert "already exists" in _one_line_error(capsys)
    assert main(["data", "export", str(npz), str(tmp_path / "x.csv"), "--format", "parquet"]) == 2
    assert main(["data", "export", str(npz), str(tmp_path / "x.csv"), "--format", "csv"]) == 0
    capsys.readouterr()
    assert main(["data", "describe", str(SNOMED)]) == 0
    out = capsys.readouterr().out
    assert "SNOMED" in out and "16" in out


def _copy_fixture(tmp_path: Path) -> Path:
    root = tmp_path / "ds"
    shutil.copytree(SNOMED, root)
    return root


def _rewrite(path: Path, change: Any) -> None:
    pq.write_table(change(pq.read_table(path)), path)


def _set_code(table: pa.Table, row: int, code: str) -> pa.Table:
    codes = table.column("code").to_pylist()
    codes[row] = code
    return table.set_column(2, "code", pa.array(codes, pa.string()))


def _set_time_null(table: pa.Table, row: int) -> pa.Table:
    times = table.column("time").to_pylist()
    times[row] = None
    return table.set_column(1, "time", pa.array(times, pa.timestamp("us")))


def _bad_inputs(root: Path) -> dict[str, tuple[Any, str]]:
    d0 = root / "data" / "0.parquet"
    splits = root / "metadata" / "subject_splits.parquet"
    return {
        "no data files": (
            lambda: [p.unlink() for p in (root / "data").glob("*.parquet")],
            f"{root}: no MEDS data files (expected data/**/*.parquet)",
        ),
        "null time": (
            lambda: _rewrite(d0, lambda t: _set_time_null(t, 3)),
            f"{d0}: row 4: subject 101: code 'SNOMED//44054006' has no time "
            "(only static codes such as GENDER//F may)",
        ),
        "two sex codes": (
            lambda: _rewrite(d0, lambda t: _set_code(t, 2, "GENDER//M")),
            f"{d0}: row 3: subject 101 has two sex codes (F and M)",
        ),
        "bad split": (
            lambda: _rewrite(
                splits,
                lambda t: t.set_column(1, "split", pa.array(["train"] * 15 + ["test"])),
            ),
            f"{splits}: row 16: subject 116: split 'test' is not one of train, tuning, held_out",
        ),
    }


@pytest.mark.parametrize("case", ["no data files", "null time", "two sex codes", "bad split"])
def test_bad_meds_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    root = _copy_fixture(tmp_path)
    spoil, message = _bad_inputs(root)[case]
    spoil()
    out = tmp_path / "out.npz"
    assert main(["data", "load", "meds", str(root), "--out", str(out)]) == 2
    assert _one_line_error(capsys) == f"error: {message}"
    assert not out.exists()
    exported = tmp_path / "exported"
    assert main(["data", "export", str(root), str(exported)]) == 2
    assert not exported.exists() and not list(tmp_path.glob(".exported*"))


def test_missing_folder_and_column(tmp_path: Path) -> None:
    with pytest.raises(LossbalanceError, match="MEDS folder not found"):
        load_meds(tmp_path / "nope")
    (tmp_path / "d" / "data").mkdir(parents=True)
    pq.write_table(pa.table({"subject_id": [1], "code": ["X"]}), tmp_path / "d/data/0.parquet")
    with pytest.raises(LossbalanceError, match=r"0\.parquet: missing column 'time'"):
        load_meds(tmp_path / "d")


# ------------------------------------------------------------------ train and evaluate
@pytest.mark.usefixtures("one_torch_thread")
def test_snomed_fixture_trains_and_evaluates_on_its_splits(tmp_path: Path) -> None:
    from lossbalance.experiment import run_experiment
    from lossbalance.experiment._cohorts import split_data
    from lossbalance.spec import load_spec

    doc: dict[str, Any] = {
        "name": "snomed",
        "data": {"source": "meds", "path": str(SNOMED)},
        "model": tiny_model_doc(32),
        "training": {"epochs": 1, "batch_size": 8, "device": "cpu"},
        "evaluation": {"patients": 12, "rules": str(RULES)},
        "tiers": [{"name": "any"}],
    }
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(yaml.safe_dump(doc, sort_keys=False))
    spec = load_spec(spec_path)
    data = split_data(spec)
    assert data.origin == "carried"
    assert data.train.patient_ids.tolist() == [str(i) for i in range(101, 111)]
    assert data.tuning.patient_ids.tolist() == ["111", "112", "113"]
    assert data.held_out.patient_ids.tolist() == ["114", "115", "116"]
    result = run_experiment(spec_path, tmp_path / "out", progress=False)
    metrics = result.runs[0].metrics
    assert metrics is not None
    validity = metrics.validity
    assert validity.dx_codes > 0 and 0.0 <= validity.rule_coverage <= 1.0
    assert metrics.reference.patients == 3  # scored against held_out, the carried split


@pytest.mark.usefixtures("one_torch_thread")
def test_generate_format_meds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    load_meds(SNOMED).save(tmp_path / "cohort.npz")
    config = {
        "data": {"cohort": "cohort.npz"},
        "model": {"d_model": 16, "ffn_dim": 32, "attention_heads": 2, "max_length": 32},
        "training": {"epochs": 1, "batch_size": 8, "val_fraction": 0.2, "device": "cpu"},
        "out": "run",
    }
    (tmp_path / "train.yaml").write_text(yaml.safe_dump(config))
    assert main(["train", str(tmp_path / "train.yaml"), "--no-progress"]) == 0
    ckpt = str(tmp_path / "run" / "last.pt")
    base = ["generate", ckpt, "-n", "6", "--seed", "2"]
    assert main([*base, "-o", str(tmp_path / "g.npz")]) == 0
    assert main([*base, "-o", str(tmp_path / "g-meds"), "--format", "meds"]) == 0
    _validate_folder(tmp_path / "g-meds")
    meta = json.loads((tmp_path / "g-meds" / "metadata" / "dataset.json").read_text())
    assert meta["etl_name"] == "lossbalance" and meta["generator"]["checkpoint"] == ckpt
    generated = Cohort.load(tmp_path / "g.npz")
    assert load_meds(tmp_path / "g-meds", ALL).equals(generated)
    assert main([*base, "-o", str(tmp_path / "g.csv"), "--format", "csv"]) == 0
    capsys.readouterr()
    assert main([*base, "-o", str(tmp_path / "g-meds"), "--format", "meds"]) == 2
    assert "already exists" in _one_line_error(capsys)
    assert main([*base, "-o", str(tmp_path / "x"), "--format", "xml"]) == 2
    assert "--format: expected one of meds, csv, parquet, npz" in _one_line_error(capsys)
