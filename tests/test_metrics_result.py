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
    "js",
    "top100",
    "cooccurrence",
    "cooccurrence_ratio",
    "coverage",
    "coherence",
    "ks_codes_per_visit",
    "ks_visits_per_patient",
    "r2_unigram",
    "r2_pair",
]


def result(g: Cohort = GOOD) -> MetricsResult:
    return evaluate(g, R, R.select([0, 1]), rules=RULES)


def test_flat_has_every_metric_and_its_floor() -> None:
    flat = result().flat()
    for name in REQUIRED:
        assert name in METRIC_DIRECTIONS
        assert name in flat and f"floor_{name}" in flat
    assert list(flat) == list(METRIC_NAMES) + [f"floor_{n}" for n in METRIC_NAMES]
    assert all(isinstance(v, float) for v in flat.values())
    assert set(METRIC_DIRECTIONS.values()) == {"maximize", "minimize"}
    assert METRIC_DIRECTIONS["js"] == "minimize" and METRIC_DIRECTIONS["validity"] == "maximize"
    assert metric_direction("floor_js") == "minimize"
    with pytest.raises(LossbalanceError, match="unknown metric 'jsd'"):
        metric_direction("jsd")
    with pytest.raises(LossbalanceError, match=r"^study\.yaml: unknown metric 'x'"):
        check_metric_names(["js", "x"], source="study.yaml")


def test_json_round_trip_keeps_nan_and_everything() -> None:
    res = evaluate(BAD, R, rules=RULES, floor=False)
    text = res.to_json()
    json.loads(text)  # standard JSON: NaN written as the string "NaN"
    assert '"NaN"' in text
    back = MetricsResult.from_json(text)
    assert back.to_json() == text
    assert back.definitions_version == DEFINITIONS_VERSION
    assert back.flat() == pytest.approx(res.flat(), nan_ok=True)
    assert back.generated.validity.top_sex[0].code == "icd10:dx:O80"
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
    assert math.isnan(no_floor.flat()["coherence"])
    assert good.dominates(no_floor, ["coherence"])
    assert not no_floor.dominates(good, ["coherence"])
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
    assert "floor (H vs R)" in plain and "target" not in plain
    assert DEFINITIONS_VERSION in plain
