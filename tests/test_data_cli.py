"""The ``lossbalance data`` commands, through ``lossbalance.cli.main``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from lossbalance.cli import main
from lossbalance.data import SPLITS, Cohort


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

    # two patients cannot fill three splits: one line naming the fraction
    split_dir = tmp_path / "splits"
    args = ["data", "split", str(out), "--seed", "0", "--out-dir", str(split_dir)]
    assert main(args) == 2
    assert "split fraction tuning=0.2 leaves split 'tuning' empty" in _one_line_error(capsys)
    assert not split_dir.exists()


def test_split_demo_counts(mimic3_dir: Path, tmp_path: Path) -> None:
    cohort = tmp_path / "m3.npz"
    assert main(["data", "load", "mimic3", str(mimic3_dir), "--out", str(cohort)]) == 0
    out = tmp_path / "splits"
    assert main(["data", "split", str(cohort), "--seed", "7", "--out-dir", str(out)]) == 0
    sizes = [Cohort.load(out / f"{name}.npz").n_patients for name in SPLITS]
    assert sizes == [60, 20, 20]


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
    codes.write_text(text.replace("02-02\n", "02-02,read2\n"))
    columns = [c for c in _COLUMNS if c not in ("--fixed-system", "icd10")]
    assert _load_table(tables, columns=columns) == 2
    err = _one_line_error(capsys)
    assert f"{codes}: column 'system': unknown code system 'read2' (data row 4" in err
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
    assert main(["data", "split", str(good), "--out-dir", str(out.parent / "deeper")]) == 2
    assert sorted(tmp_path.rglob("*")) == sorted(before)


def test_bad_numbers(tables: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert _load_table(tables, "--min-visits", "0") == 2
    assert "options: min_visits:" in _one_line_error(capsys)


def test_split_writes_three_files_seeded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim = tmp_path / "sim.npz"
    assert main(["data", "simulate", "--patients", "40", "--seed", "1", "--out", str(sim)]) == 0
    out = tmp_path / "parts"
    args = ["data", "split", str(sim), "--out-dir", str(out), "--fractions", "0.5,0.25,0.25"]
    assert main([*args, "--seed", "3"]) == 0
    shown = capsys.readouterr().out
    assert "drew a split by patient: fractions 0.5,0.25,0.25, seed 3" in shown
    assert sorted(p.name for p in out.iterdir()) == ["held_out.npz", "train.npz", "tuning.npz"]
    parts = {name: Cohort.load(out / f"{name}.npz") for name in SPLITS}
    assert [parts[n].n_patients for n in SPLITS] == [20, 10, 10]
    ids = sorted(i for p in parts.values() for i in p.patient_ids.tolist())
    assert ids == sorted(Cohort.load(sim).patient_ids.tolist())
    assert main([*args, "--seed", "3"]) == 0  # rerun: same files
    assert Cohort.load(out / "tuning.npz").equals(parts["tuning"])
    assert main([*args, "--seed", "4"]) == 0
    assert not Cohort.load(out / "tuning.npz").equals(parts["tuning"])


def test_split_keeps_the_files_splits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cohort = Cohort.from_records(
        {"id": f"p{i}", "age": 40.0, "sex": "F", "visits": [["I10"]]} for i in range(5)
    ).with_splits(["tuning", "train", "held_out", "train", "tuning"])
    src = cohort.save(tmp_path / "c.npz")
    out = tmp_path / "parts"
    assert main(["data", "split", str(src), "--out-dir", str(out)]) == 0
    assert "kept the splits" in capsys.readouterr().out
    assert Cohort.load(out / "tuning.npz").patient_ids.tolist() == ["p0", "p4"]
    assert Cohort.load(out / "held_out.npz").patient_ids.tolist() == ["p2"]
    # --redraw ignores them: 5 patients at 0.6/0.2/0.2 -> 3/1/1
    assert main(["data", "split", str(src), "--out-dir", str(out), "--redraw"]) == 0
    assert [Cohort.load(out / f"{n}.npz").n_patients for n in SPLITS] == [3, 1, 1]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--fractions", "0.6,0.4"], "--fractions '0.6,0.4': expected three fractions"),
        (["--fractions", "0.6,x,0.2"], "--fractions '0.6,x,0.2': fractions must be numbers"),
        (["--fractions", "0.7,0.2,0.2"], "split fractions 0.7,0.2,0.2: must sum to 1"),
        (["--fractions", "0.98,0.01,0.01"], "split fraction tuning=0.01 leaves split 'tuning'"),
        (["--heldout-fraction", "0.2"], "--heldout-fraction was removed; use --out-dir DIR"),
    ],
)
def test_split_bad_input_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    src = Cohort.from_records(
        {"id": f"p{i}", "age": 40.0, "sex": "F", "visits": [["I10"]]} for i in range(20)
    ).save(tmp_path / "c.npz")
    out = tmp_path / "parts"
    assert main(["data", "split", str(src), "--out-dir", str(out), *extra]) == 2
    assert message in _one_line_error(capsys)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npz"]


def test_save_splits_is_all_or_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from lossbalance.data import save_splits, split_cohort

    cohort = Cohort.from_records(
        {"id": f"p{i}", "age": 40.0, "sex": "F", "visits": [["I10"]]} for i in range(10)
    )
    parts = split_cohort(cohort)
    out = tmp_path / "parts"
    out.mkdir()
    (out / "train.npz").write_text("old")
    real_save = Cohort.save
    calls: list[Path] = []

    def failing_save(self: Cohort, path: Path) -> Path:
        calls.append(Path(path))
        if len(calls) == 3:
            raise OSError("disk full")
        return real_save(self, path)

    monkeypatch.setattr(Cohort, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        save_splits(parts, out)
    assert sorted(p.name for p in out.iterdir()) == ["train.npz"]
    assert (out / "train.npz").read_text() == "old"
