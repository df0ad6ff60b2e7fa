"""The ``lossbalance data`` commands, through ``lossbalance.cli.main``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from lossbalance.cli import main
from lossbalance.data import Cohort


def _write(path: Path, text: str) -> Path:
    path.write_text(text.strip().replace("\n    ", "\n") + "\n")
    return path


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: "), err
    assert "\n" not in err and "Traceback" not in err
    return err


@pytest.fixture
def tables(tmp_path: Path) -> tuple[Path, Path]:
    codes = _write(
        tmp_path / "codes.csv",
        """
    pid,visit,icd,when
    a,1,I10,2020-01-01
    a,1,E11.9,2020-01-01
    a,2,J45,2021-06-01
    b,7,O80,2022-02-02
    """,
    )
    patients = _write(
        tmp_path / "patients.csv",
        """
    pid,sex,birth_date
    a,M,1960-01-01
    b,F,1990-02-02
    """,
    )
    return codes, patients


_COLUMNS = [
    "--column",
    "patient_id=pid",
    "--column",
    "visit_id=visit",
    "--column",
    "code=icd",
    "--column",
    "visit_date=when",
    "--fixed-system",
    "icd10",
]


def _load_table(tables: tuple[Path, Path], *extra: str, columns: Sequence[str] = _COLUMNS) -> int:
    """``lossbalance data load table CODES PATIENTS`` with ``columns`` and ``extra``."""
    return main(["data", "load", "table", *map(str, tables), *columns, *extra])


def test_load_mimic3_writes_cohort(
    mimic3_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m3.npz"
    assert main(["data", "load", "mimic3", str(mimic3_dir), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "100 patients, 129 visits, 1,761 codes (581 distinct)" in text
    cohort = Cohort.load(out)
    assert (cohort.n_patients, cohort.n_visits, cohort.n_codes) == (100, 129, 1761)
    assert (
        main(
            [
                "data",
                "load",
                "mimic3",
                str(mimic3_dir),
                "--truncate",
                "--keep-duplicates",
                "--procedures",
                "--min-visits",
                "2",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert Cohort.load(out).n_patients == 14


def test_load_mimic4_one_system(mimic4_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "load", "mimic4", str(mimic4_dir), "--system", "icd10"]) == 0
    assert "44 patients, 123 visits, 2,313 codes" in capsys.readouterr().out
    assert main(["data", "load", "mimic4", str(mimic4_dir), "--max-codes-per-visit", "3"]) == 0
    # one visit has 2 codes
    assert "100 patients, 275 visits, 824 codes" in capsys.readouterr().out


def test_load_table_describe_split(
    tables: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "t.npz"
    assert _load_table(tables, "--out", str(out)) == 0
    assert "2 patients, 3 visits, 4 codes (4 distinct)" in capsys.readouterr().out
    cohort = Cohort.load(out)
    assert cohort.code_keys().tolist() == [
        "icd10:dx:I10",
        "icd10:dx:E119",
        "icd10:dx:J45",
        "icd10:dx:O80",
    ]
    assert cohort.age[0] == pytest.approx(
        21915 / 365.2425
    )  # 1960-01-01 to 2020-01-01: 60 y, 15 leap days

    summary = tmp_path / "summary.json"
    assert main(["data", "describe", str(out), "--json", str(summary)]) == 0
    shown = capsys.readouterr().out
    assert "code occurrences" in shown and "Top 4 codes" in shown
    data = json.loads(summary.read_text())
    assert data["patients"] == 2 and data["visits"] == 3 and data["code_occurrences"] == 4
    assert data["visits_per_patient"]["mean"] == 1.5
    assert data["sex"] == {"F": 1, "M": 1}

    train, held = tmp_path / "train.npz", tmp_path / "held.npz"
    args = [
        "data",
        "split",
        str(out),
        "--heldout-fraction",
        "0.5",
        "--seed",
        "0",
        "--train",
        str(train),
        "--heldout",
        str(held),
    ]
    assert main(args) == 0
    a, b = Cohort.load(train), Cohort.load(held)
    assert sorted(a.patient_ids.tolist() + b.patient_ids.tolist()) == ["a", "b"]
    assert main(args) == 0
    assert Cohort.load(train).equals(a)


def test_split_demo_counts(mimic3_dir: Path, tmp_path: Path) -> None:
    cohort = tmp_path / "m3.npz"
    assert main(["data", "load", "mimic3", str(mimic3_dir), "--out", str(cohort)]) == 0
    train, held = tmp_path / "tr.npz", tmp_path / "ho.npz"
    assert (
        main(
            [
                "data",
                "split",
                str(cohort),
                "--heldout-fraction",
                "0.2",
                "--seed",
                "7",
                "--train",
                str(train),
                "--heldout",
                str(held),
            ]
        )
        == 0
    )
    assert (Cohort.load(train).n_patients, Cohort.load(held).n_patients) == (80, 20)


def test_simulate_then_describe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sim.npz"
    assert main(["data", "simulate", "--patients", "300", "--seed", "5", "--out", str(out)]) == 0
    assert "300 patients" in capsys.readouterr().out
    cohort = Cohort.load(out)
    assert cohort.n_patients == 300
    assert set(cohort.code_table.systems.tolist()) == {1}
    again = tmp_path / "again.npz"
    assert main(["data", "simulate", "--patients", "300", "--seed", "5", "--out", str(again)]) == 0
    assert Cohort.load(again).equals(cohort)
    assert (
        main(
            [
                "data",
                "simulate",
                "--patients",
                "50",
                "--seed",
                "5",
                "--system",
                "icd9",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert set(Cohort.load(out).code_table.systems.tolist()) == {0}
    capsys.readouterr()
    assert main(["data", "describe", str(out)]) == 0
    assert "50" in capsys.readouterr().out


# ------------------------------------------------------------------ bad input
def test_missing_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "describe", str(tmp_path / "none.npz")]) == 2
    assert _one_line_error(capsys) == f"error: {tmp_path / 'none.npz'}: cohort file not found"
    assert main(["data", "load", "mimic3", str(tmp_path / "nowhere")]) == 2
    assert "nowhere: MIMIC-III folder not found" in _one_line_error(capsys)
    assert main(["data", "load", "mimic4", str(tmp_path)]) == 2
    assert "MIMIC-IV folder not found" in _one_line_error(capsys)
    assert main(["data", "load", "table", str(tmp_path / "c.csv"), str(tmp_path / "p.csv")]) == 2
    assert _one_line_error(capsys) == f"error: {tmp_path / 'c.csv'}: file not found"


def test_missing_column(tables: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    codes, _ = tables
    assert _load_table(tables, "--column", "code=diagnosis") == 2
    assert _one_line_error(capsys) == f"error: {codes}: missing column 'diagnosis'"
    assert _load_table(tables, "--column", "colour=red") == 2
    assert "--column: unknown field 'colour'" in _one_line_error(capsys)


def test_unparsable_date(tables: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    codes, _ = tables
    codes.write_text(codes.read_text().replace("2021-06-01", "June 2021?"))
    assert _load_table(tables) == 2
    assert _one_line_error(capsys) == (
        f"error: {codes}: column 'when': unparsable date 'June 2021?' (data row 3)"
    )


def test_unknown_code_system(tables: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    codes, _ = tables
    text = codes.read_text().replace("when\n", "when,system\n").replace("01\n", "01,ICD-10\n")
    codes.write_text(text.replace("02-02\n", "02-02,read 2\n"))
    columns = [c for c in _COLUMNS if c not in ("--fixed-system", "icd10")]
    assert _load_table(tables, columns=columns) == 2
    err = _one_line_error(capsys)
    assert f"{codes}: column 'system': unknown code system 'read 2' (data row 4" in err
    assert main(["data", "simulate", "--patients", "5", "--system", "snomed", "--out", "x"]) == 2


def test_empty_cohort_after_filters(mimic3_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["data", "load", "mimic3", str(mimic3_dir), "--min-visits", "16"]) == 2
    err = _one_line_error(capsys)
    assert "empty cohort after min_visits=16" in err and "the most is 15" in err
    assert main(["data", "load", "mimic3", str(mimic3_dir), "--system", "icd10"]) == 2
    assert "empty cohort after systems=['icd10']" in _one_line_error(capsys)


def test_out_in_missing_folder_writes_nothing(
    tables: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(tmp_path.rglob("*"))
    out = tmp_path / "missing" / "c.npz"
    assert _load_table(tables, "--out", str(out)) == 2
    assert _one_line_error(capsys) == f"error: {out}: output folder {out.parent} does not exist"
    assert main(["data", "simulate", "--patients", "10", "--out", str(out)]) == 2
    assert "does not exist" in _one_line_error(capsys)
    good = tmp_path / "good.npz"
    assert _load_table(tables, "--out", str(good)) == 0
    before.append(good)
    assert main(["data", "describe", str(good), "--json", str(out)]) == 2
    assert (
        main(
            [
                "data",
                "split",
                str(good),
                "--heldout-fraction",
                "0.5",
                "--train",
                str(tmp_path / "t.npz"),
                "--heldout",
                str(out),
            ]
        )
        == 2
    )
    assert sorted(tmp_path.rglob("*")) == sorted(before)


def test_bad_numbers(tables: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert _load_table(tables, "--min-visits", "0") == 2
    assert "options: min_visits:" in _one_line_error(capsys)
