"""``lossbalance spec validate`` and ``lossbalance spec schema`` through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lossbalance.cli import main

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "studies" / "seed_aux_weights.yaml"


def one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert err.startswith("error: ")
    return err[len("error: ") :]


@pytest.mark.parametrize(
    "name", ["seed_aux_weights.yaml", "seed_aux_weights_ci.yaml", "seed_aux_weights_ci_worst.yaml"]
)
def test_validate_the_shipped_specs(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "validate", str(ROOT / "studies" / name)]) == 0
    out = capsys.readouterr().out
    assert "ok " in out and "3 tiers, 1 plans, 2 variants" in out
    assert "tier worst" in out and "tier acceptable" in out


def test_validate_reports_a_missing_baseline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "exp.yaml"
    spec.write_text(f"extends: {SEED}\nbaseline: {{checkpoint: ckpt/best.pt, train: null}}\n")
    assert main(["spec", "validate", str(spec)]) == 2
    assert one_error_line(capsys) == (
        f"{spec}: baseline.checkpoint: checkpoint file {tmp_path / 'ckpt' / 'best.pt'} "
        "does not exist"
    )
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "best.pt").write_bytes(b"\0")
    assert main(["spec", "validate", str(spec)]) == 0
    assert "found checkpoint" in capsys.readouterr().out


def test_validate_reports_a_missing_schedule_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "exp.yaml"
    spec.write_text(
        f"extends: {SEED}\n"
        "fallbacks:\n"
        "  - tier: worst\n"
        "    variants:\n"
        "      - {name: a, losses.age.schedule.params.weight: 0.1}\n"
        "      - {name: b, losses.age.schedule: {file: schedules/nope.yaml}}\n"
    )
    assert main(["spec", "validate", str(spec)]) == 2
    assert one_error_line(capsys) == (
        f"{spec}: fallbacks[0].variants[1].losses.age.schedule.file: schedule file "
        f"{tmp_path / 'schedules' / 'nope.yaml'} does not exist"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "fallbacks:\n  - tier: worst\n    variants:\n      - {name: a}\n"
            "      - {name: b, losses: {age: {schedule: {weight: 0.005}}}}\n",
            "fallbacks[0].variants[1].losses.age.schedule.weight: no such field "
            "(allowed: family, params, terms)",
        ),
        ("extends: exp.yaml\n", "circular extends:"),
        ("tiers: [{name: x, conditions: [validity >= 0.9, validity < 0.5]}]\n", "tiers[0]."),
    ],
)
def test_validate_bad_specs_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    spec = tmp_path / "exp.yaml"
    spec.write_text(f"extends: [{SEED}]\n" + text if "extends" not in text else text)
    assert main(["spec", "validate", str(spec)]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"{spec}: ") and expected in line, line


def test_schema_prints_and_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["$schema"].endswith("2020-12/schema") and "extends" in printed["properties"]
    out = tmp_path / "spec.schema.json"
    assert main(["spec", "schema", "--out", str(out)]) == 0
    assert json.loads(out.read_text()) == printed
    missing = tmp_path / "no" / "such" / "schema.json"
    assert main(["spec", "schema", "--out", str(missing)]) == 2
    assert "output folder" in one_error_line(capsys) and not missing.parent.exists()


def test_validate_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["spec", "validate"]) == 2
    assert "Missing argument 'SPEC.yaml'" in capsys.readouterr().err
    assert main(["spec", "validate", "/nonexistent/spec.yaml"]) == 2
    assert one_error_line(capsys) == "/nonexistent/spec.yaml: spec file not found"


def test_validate_detects_a_study_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``spec validate studies/default.yaml`` checks it as the study spec it is (it used to
    fail with experiment-spec errors: 'base: no such field'; issue 19 item 6)."""
    default = ROOT / "studies" / "default.yaml"
    assert main(["spec", "validate", str(default)]) == 0
    out = capsys.readouterr().out
    assert f"ok {default}: study spec, 2 objectives, 2 searched terms, base study-default" in out
    # a study spec's errors are one line naming the file and the field, exit 2
    bad = tmp_path / "study.yaml"
    bad.write_text(f"base: {SEED}\nobjectives: [validity, novelty]\n")
    assert main(["spec", "validate", str(bad)]) == 2
    line = one_error_line(capsys)
    assert line.startswith(f"{bad}: objectives") and "unknown metric 'novelty'" in line, line
    bad.write_text("base: missing.yaml\n")
    assert main(["spec", "validate", str(bad)]) == 2
    assert one_error_line(capsys) == f"{bad}: base: missing.yaml: file not found"
