"""``lossbalance evaluate``: output, JSON, targets, exit codes and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import lossbalance.metrics._evaluate as evaluate_module
from lossbalance.cli import main
from lossbalance.data import Cohort
from lossbalance.metrics import METRIC_NAMES, MetricsResult, evaluate
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
    paths = {"g": tmp_path / "g.npz", "f": tmp_path / "f.npz", "t": tmp_path / "t.npz"}
    G.save(paths["g"])
    R.save(paths["f"])
    R.select([1, 0]).save(paths["t"])
    return paths


def evaluate_args(files: dict[str, Path], *extra: str, train: bool = False) -> list[str]:
    """``lossbalance evaluate G --reference F`` (``--train T`` with ``train``) + ``extra``."""
    args = ["evaluate", str(files["g"]), "--reference", str(files["f"])]
    if train:
        args += ["--train", str(files["t"])]
    return [*args, *extra]


def test_evaluate_prints_table_and_writes_json(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.json"
    code = main(evaluate_args(files, "--json", str(out), "--top-k", "3", train=True))
    text = capsys.readouterr().out
    assert code == 0
    for group in ("validity", "coherence", "diversity", "memorization", "floor", "gap"):
        assert group in text
    back = MetricsResult.from_json(out.read_text())
    expected = evaluate(G, R, R.select([1, 0]), rules=RULES, top_k=3)
    assert back.flat() == pytest.approx(expected.flat(), nan_ok=True)
    assert back.top_k == 3 and back.definitions_version == "lossbalance-metrics/2"
    assert back.validity.sex_conflicts == 1
    data = json.loads(out.read_text())
    assert set(data["values"]) == set(data["floor_values"]) == set(METRIC_NAMES)


def test_evaluate_without_train_says_so(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(evaluate_args(files, "--seed", "7"))
    text = " ".join(capsys.readouterr().out.split())
    assert code == 0
    assert "no --train given" in text and "no floor" in text


@pytest.mark.parametrize("flag", ["--generated", "-g", "--real", "-r", "--heldout"])
def test_old_flags_name_the_new_ones(
    files: dict[str, Path], flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["evaluate", flag, str(files["g"]), "--reference", str(files["f"])])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--reference" in err and "--train" in err and "removed" in err


def test_missing_reference_is_one_line(
    files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate", str(files["g"])]) == 2
    assert "--reference" in capsys.readouterr().err


def test_targets_pass_and_fail(
    files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    easy = tmp_path / "easy.yaml"
    easy.write_text("coverage: '>=0.5'\n")
    hard = tmp_path / "hard.json"
    hard.write_text('{"validity": ">=0.95", "coverage": ">=0.5"}')
    args = evaluate_args(files, train=True)
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
    ref = ["--reference", str(files["f"])]
    cases = {
        "generated cohort has icd9 codes": [str(icd9), *ref],
        "train cohort has icd9 codes": [str(files["g"]), *ref, "--train", str(icd9)],
        "generated cohort is empty": [str(empty), *ref],
        "cohort file not found": [str(tmp_path / "none.npz"), *ref],
        "does not exist": [str(files["g"]), *ref, "--json", str(tmp_path / "no" / "m.json")],
    }
    for message, args in cases.items():
        code = main(["evaluate", *args])
        err = " ".join(capsys.readouterr().err.split())
        assert code == 2, message
        assert message in err, err
    # the file names are in the message of an evaluation error
    main(["evaluate", str(icd9), *ref])
    assert str(icd9) in " ".join(capsys.readouterr().err.split())


def test_unknown_codes_are_counted_not_an_error(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    assert main(evaluate_args(files, "--json", str(out), train=True)) == 0
    c = MetricsResult.from_json(out.read_text()).coherence
    assert [t.code for t in c.top_unknown] == ["icd10:dx:E"]


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
            str(g),
            "--reference",
            str(r),
            "--json",
            str(out),
            "--rules",
            str(mce_dir / "mce_v37_age_sex_edits.tsv"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    v = MetricsResult.from_json(out.read_text()).validity
    assert (v.age_conflicts, v.dx_codes) == (1, 2)
    assert v.top_age[0].code == "icd10:dx:O80"
