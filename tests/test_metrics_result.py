"""The result object: flat values, JSON round trip, dominance, targets and the table."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import pytest
from rich.console import Console

from lossbalance._errors import LossbalanceError
from lossbalance.data import Cohort
from lossbalance.metrics import (
    DEFINITIONS_VERSION,
    METRIC_DIRECTIONS,
    METRIC_NAMES,
    MetricsResult,
    check_metric_names,
    evaluate,
    load_targets,
    metric_direction,
    parse_targets,
)
from lossbalance.metrics.testing import Edit, HandRules

RULES = HandRules({"O80": Edit(12, 55, "F", "Maternity_Only")})
R = Cohort.from_records(
    [
        {"age": 50, "sex": "F", "visits": [["A", "B", "C"], ["A", "B"]]},
        {"age": 60, "sex": "M", "visits": [["B", "C"], ["D"]]},
    ]
)
GOOD = Cohort.from_records(
    [
        {"age": 30, "sex": "F", "visits": [["A", "B"], ["B", "C"]]},
        {"age": 40, "sex": "M", "visits": [["A", "B", "C"]]},
    ]
)
BAD = Cohort.from_records(
    [
        {"age": 30, "sex": "M", "visits": [["O80", "O80"], ["C", "E"]]},
        {"age": 40, "sex": "M", "visits": [["E"]]},
    ]
)

REQUIRED = [
    "validity",
    "age_valid",
    "sex_valid",
    "duplicate_rate",
    "rule_coverage",
    "coherence",
    "code_js",
    "js",
    "pair_js",
    "top100",
    "codes_per_visit_ks",
    "visits_per_patient_ks",
    "coherence_gap",
    "cooccurrence",
    "cooccurrence_ratio",
    "coverage",
    "distinct_ratio",
    "entropy_ratio",
    "unique_patient_rate",
    "copy_rate",
    "copy_rate_floor",
    "dcr_ratio",
    "mia_auc",
    "nnaar",
]


def result(g: Cohort = GOOD) -> MetricsResult:
    return evaluate(g, R, R.select([1, 0]), rules=RULES)


def test_flat_has_every_metric_and_its_floor() -> None:
    flat = result().flat()
    for name in REQUIRED:
        assert name in METRIC_DIRECTIONS
        assert name in flat and f"floor_{name}" in flat
    assert list(flat) == list(METRIC_NAMES) + [f"floor_{n}" for n in METRIC_NAMES]
    assert set(REQUIRED) == set(METRIC_NAMES)
    assert all(isinstance(v, float) for v in flat.values())
    assert set(METRIC_DIRECTIONS.values()) == {"maximize", "minimize"}
    assert METRIC_DIRECTIONS["js"] == "minimize" and METRIC_DIRECTIONS["validity"] == "maximize"
    assert metric_direction("floor_js") == "minimize"
    assert DEFINITIONS_VERSION == "lossbalance-metrics/2"
    with pytest.raises(LossbalanceError, match="unknown metric 'jsd'"):
        metric_direction("jsd")
    with pytest.raises(LossbalanceError, match=r"^study\.yaml: unknown metric 'x'"):
        check_metric_names(["js", "x"], source="study.yaml")


def test_directions_follow_design() -> None:
    up = ["validity", "age_valid", "sex_valid", "coherence", "top100", "coverage"]
    up += ["unique_patient_rate"]
    down = ["code_js", "pair_js", "codes_per_visit_ks", "visits_per_patient_ks"]
    down += ["coherence_gap", "duplicate_rate", "copy_rate", "mia_auc", "nnaar"]
    assert all(metric_direction(n) == "maximize" for n in up)
    assert all(metric_direction(n) == "minimize" for n in down)


@pytest.mark.parametrize("name", ["distinct_ratio", "entropy_ratio", "dcr_ratio"])
def test_metrics_best_at_one_are_constraints_only(name: str) -> None:
    with pytest.raises(LossbalanceError) as e:
        metric_direction(name)
    assert "best at 1" in str(e.value) and "constraint" in str(e.value)
    assert "\n" not in str(e.value)
    with pytest.raises(LossbalanceError, match=f"^--objectives: metric '{name}'"):
        check_metric_names([name], source="--objectives")
    res = result()
    assert res.value(name) == pytest.approx(res.flat()[name], nan_ok=True)  # still readable


def test_old_names_say_what_became_of_them() -> None:
    with pytest.raises(LossbalanceError, match="renamed 'codes_per_visit_ks'"):
        metric_direction("ks_codes_per_visit")
    with pytest.raises(LossbalanceError, match="'r2_pair': dropped"):
        result().value("r2_pair")


def test_json_round_trip_keeps_nan_and_everything() -> None:
    res = evaluate(BAD, R, rules=RULES, floor=False)
    text = res.to_json()
    json.loads(text)  # standard JSON: NaN written as the string "NaN"
    assert '"NaN"' in text
    back = MetricsResult.from_json(text)
    assert back.to_json() == text
    assert back.definitions_version == DEFINITIONS_VERSION
    assert back.flat() == pytest.approx(res.flat(), nan_ok=True)
    assert back.validity.top_sex[0].code == "icd10:dx:O80"
    assert back.notes == res.notes and "mia_auc" in back.notes
    full = result()
    assert MetricsResult.from_json(full.to_json()).to_json() == full.to_json()


def test_dominates() -> None:
    good, bad = result(GOOD), result(BAD)
    assert good.dominates(bad, ["validity", "js"])
    assert not bad.dominates(good, ["validity", "js"])
    assert not good.dominates(good, ["validity", "js"])  # equal: no strict gain
    # directions come from the table: a lower js is better
    assert good.flat()["js"] < bad.flat()["js"]
    assert good.dominates(bad, ["js"])
    # NaN counts as the worst value
    no_floor = evaluate(GOOD, R, rules=RULES, floor=False)
    assert math.isnan(no_floor.flat()["coherence_gap"])
    assert good.dominates(no_floor, ["coherence_gap"])
    assert not no_floor.dominates(good, ["coherence_gap"])
    with pytest.raises(LossbalanceError, match="unknown metric 'jsd'"):
        good.dominates(bad, ["jsd"])
    with pytest.raises(LossbalanceError, match="at least one"):
        good.dominates(bad, [])


def test_targets_parse_and_check() -> None:
    targets = parse_targets(
        {
            "validity": ">=0.95",
            "js": "< 0.3",
            "top100": 0.5,
            "duplicate_rate": 0.01,
            "coverage": "0.2",
        }
    )
    ops = {t.metric: (t.op, t.threshold) for t in targets}
    assert ops == {
        "validity": (">=", 0.95),
        "js": ("<", 0.3),
        "top100": (">=", 0.5),
        "duplicate_rate": ("<=", 0.01),
        "coverage": (">=", 0.2),
    }
    checks = result(BAD).check_targets(targets)
    assert checks["validity"] is False and checks["duplicate_rate"] is False
    assert result(GOOD).check_targets(targets)["validity"] is True


def test_targets_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "targets.yaml"
    path.write_text("validity: '>=0.95'\nnot_a_metric: '<1'\n")
    with pytest.raises(LossbalanceError) as e:
        load_targets(path)
    assert str(e.value).startswith(f"{path}: unknown metric 'not_a_metric'")
    assert "\n" not in str(e.value)
    bad_op = tmp_path / "t.json"
    bad_op.write_text('{"js": "about 0.3"}')
    with pytest.raises(LossbalanceError, match=r"t\.json: target of 'js' must be like"):
        load_targets(bad_op)
    broken = tmp_path / "b.json"
    broken.write_text("{")
    with pytest.raises(LossbalanceError, match=r"b\.json: not valid json"):
        load_targets(broken)
    listed = tmp_path / "l.yaml"
    listed.write_text("- validity\n")
    with pytest.raises(LossbalanceError, match="must be a mapping"):
        load_targets(listed)
    with pytest.raises(LossbalanceError, match="not found"):
        load_targets(tmp_path / "missing.yaml")
    ok = tmp_path / "ok.json"
    ok.write_text('{"validity": ">=0.9", "js": "<0.3"}')
    assert [t.metric for t in load_targets(ok)] == ["validity", "js"]


def _render(res: MetricsResult, targets: list | None = None) -> str:
    buf = io.StringIO()
    Console(file=buf, width=160, color_system=None).print(res.table(targets or []))
    return buf.getvalue()


def test_table_marks_targets() -> None:
    res = result(BAD)
    # BAD's distinct codes O80 C E share only C with R's A B C D: coverage 1/4
    text = _render(res, parse_targets({"validity": ">=0.95", "coverage": ">=0.25"}))
    rows = {line.split("│")[1].strip(): line for line in text.splitlines() if "│" in line}
    assert "FAIL" in rows["validity"] and ">=0.95" in rows["validity"]
    assert "pass" in rows["coverage"] and "0.2500" in rows["coverage"]
    plain = _render(result(GOOD))
    assert "floor" in plain and "target" not in plain
    for group in ("validity", "coherence", "diversity", "memorization"):
        assert group in rows
    assert DEFINITIONS_VERSION in plain
    assert "(ideal)" in plain  # the no-leak floors of mia_auc, dcr_ratio, nnaar
    no_train = _render(evaluate(GOOD, R, rules=RULES))
    assert "no train cohort given" in no_train and "no floor" in no_train


def test_study_constraints_and_objectives_use_the_metric_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lossbalance.cli import main
    from lossbalance.study import parse_conditions, parse_objectives

    ok = parse_conditions(["mia_auc<=0.6", "distinct_ratio>=0.8"], field="--constraint")
    assert [c.metric for c in ok] == ["mia_auc", "distinct_ratio"]
    assert [o.name for o in parse_objectives("validity,coherence,nnaar")] == [
        "validity",
        "coherence",
        "nnaar",
    ]
    with pytest.raises(LossbalanceError, match=r"^--objectives: metric 'dcr_ratio' is best at 1"):
        parse_objectives("validity,dcr_ratio")
    storage = tmp_path / "s.journal"
    for flag, value, message in [
        ("--constraint", "mia_aucc<=0.6", "mia_aucc"),
        ("--objectives", "validity,entropy_ratio", "'entropy_ratio' is best at 1"),
    ]:
        code = main(["study", "run", "--toy", "--storage", str(storage), flag, value, "--quiet"])
        err = capsys.readouterr().err.strip()
        assert code == 2 and "\n" not in err and message in err, err
