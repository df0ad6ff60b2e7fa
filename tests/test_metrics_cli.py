"""``lossbalance evaluate``: output, JSON, targets, exit codes and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import lossbalance.metrics._evaluate as evaluate_module
from lossbalance.cli import main
from lossbalance.data import Cohort
from lossbalance.metrics import MetricsResult, evaluate
from lossbalance.metrics.testing import Edit, HandRules

RULES = HandRules({"O80": Edit(12, 55, "F", "Maternity_Only")})
R = Cohort.from_records(
    [
        {"age": 50, "sex": "F", "visits": [["A", "B", "C"], ["A", "B"]]},
        {"age": 60, "sex": "M", "visits": [["B", "C"], ["D"]]},
        {"age": 30, "sex": "F", "visits": [["O80", "A"]]},
        {"age": 20, "sex": "M", "visits": [["B", "D"]]},
    ]
)
G = Cohort.from_records(
    [
        {"age": 30, "sex": "M", "visits": [["O80", "B"], ["C", "E"]]},
        {"age": 40, "sex": "M", "visits": [["A", "B", "C"]]},
    ]
)


@pytest.fixture(autouse=True)
def hand_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's default rules are the package's tables; these tests use hand-made ones."""
    monkeypatch.setattr(evaluate_module, "default_rules", lambda: RULES)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {"g": tmp_path / "g.npz", "r": tmp_path / "r.npz", "h": tmp_path / "h.npz"}
    G.save(paths["g"])
    R.save(paths["r"])
    R.select([0, 1]).save(paths["h"])
    return paths


def evaluate_args(files: dict[str, Path], *extra: str, heldout: bool = False) -> list[str]:
    """``lossbalance evaluate -g G -r R`` (``--heldout H`` with ``heldout``) plus ``extra``."""
    args = ["evaluate", "-g", str(files["g"]), "-r", str(files["r"])]
    if heldout:
        args += ["--heldout", str(files["h"])]
    return [*args, *extra]


def test_evaluate_prints_table_and_writes_json(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.json"
    code = main(evaluate_args(files, "--json", str(out), "--top-k", "3", heldout=True))
    text = capsys.readouterr().out
    assert code == 0
    assert "validity" in text and "floor (H vs R)" in text and "split" not in text
    back = MetricsResult.from_json(out.read_text())
    expected = evaluate(G, R, R.select([0, 1]), rules=RULES, top_k=3)
    assert back.flat() == pytest.approx(expected.flat(), nan_ok=True)
    assert back.top_k == 3 and back.floor_source == "heldout"
    assert back.generated.validity.sex_conflicts == 1


def test_evaluate_splits_real_without_heldout_and_says_so(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(evaluate_args(files, "--seed", "7"))
    text = " ".join(capsys.readouterr().out.split())
    assert code == 0
    assert "no --heldout given: split" in text and "(seed 7)" in text


def test_targets_pass_and_fail(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    easy = tmp_path / "easy.yaml"
    easy.write_text("coverage: '>=0.5'\n")
    hard = tmp_path / "hard.json"
    hard.write_text('{"validity": ">=0.95", "coverage": ">=0.5"}')
    args = evaluate_args(files, heldout=True)
    assert main([*args, "--targets", str(easy)]) == 0
    assert "pass" in capsys.readouterr().out
    assert main([*args, "--targets", str(hard)]) == 1  # G's validity is 5/6 * 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "targets failed: validity" in " ".join(out.split())


def test_unknown_metric_in_targets_is_one_line_exit_2(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "t.yaml"
    bad.write_text("validty: '>=0.9'\n")
    code = main(evaluate_args(files, "--targets", str(bad)))
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert str(bad) in " ".join(err.split()) and "'validty'" in err


def test_bad_inputs_are_one_line_exit_2(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    icd9 = tmp_path / "icd9.npz"
    Cohort.from_records([{"age": 1, "sex": "F", "visits": [["4019"]]}], system="icd9").save(icd9)
    empty = tmp_path / "empty.npz"
    Cohort.from_records([{"age": 1, "sex": "F", "visits": [[]]}]).save(empty)
    cases = {
        "cannot be compared": ["-g", str(icd9), "-r", str(files["r"])],
        "generated cohort is empty": ["-g", str(empty), "-r", str(files["r"])],
        "cohort file not found": ["-g", str(tmp_path / "none.npz"), "-r", str(files["r"])],
        "does not exist": [
            "-g",
            str(files["g"]),
            "-r",
            str(files["r"]),
            "--json",
            str(tmp_path / "no" / "m.json"),
        ],
    }
    for message, args in cases.items():
        code = main(["evaluate", *args])
        err = " ".join(capsys.readouterr().err.split())
        assert code == 2, message
        assert message in err, err
    # the file names are in the message of an evaluation error
    main(["evaluate", "-g", str(icd9), "-r", str(files["r"])])
    assert str(icd9) in " ".join(capsys.readouterr().err.split())


def test_unknown_codes_are_counted_not_an_error(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    assert main(evaluate_args(files, "--json", str(out), heldout=True)) == 0
    c = MetricsResult.from_json(out.read_text()).generated.coherence
    assert (c.unknown_codes, c.unknown_occurrences) == (1, 1)  # E


def test_rules_from_an_mce_table(
    mce_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # O80 (normal delivery) is Maternity_Only (12-55) and Female_Only in MCE v37
    g, r = tmp_path / "g.npz", tmp_path / "r.npz"
    Cohort.from_records([{"age": 70, "sex": "F", "visits": [["O80", "I10"]]}]).save(g)
    Cohort.from_records([{"age": 30, "sex": "F", "visits": [["O80", "I10"]]}]).save(r)
    out = tmp_path / "m.json"
    code = main(
        [
            "evaluate",
            "-g",
            str(g),
            "-r",
            str(r),
            "--no-floor",
            "--json",
            str(out),
            "--rules",
            str(mce_dir / "mce_v37_age_sex_edits.tsv"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    v = MetricsResult.from_json(out.read_text()).generated.validity
    assert (v.age_conflicts, v.dx_codes) == (1, 2)
    assert v.top_age[0].code == "icd10:dx:O80"
