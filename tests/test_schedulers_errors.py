"""Bad input: one-line LossbalanceError naming the file and the field."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from lossbalance._errors import LossbalanceError
from lossbalance.schedulers import ScheduleSpec, create, get_scheduler_class, load_schedules
from lossbalance.training import TrainState


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def fails(path: Path, *fragments: str) -> str:
    with pytest.raises(LossbalanceError) as info:
        ScheduleSpec.from_yaml(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert msg.startswith(f"{path}: "), msg
    for fragment in fragments:
        assert fragment in msg, msg
    return msg


CURRICULUM = """\
family: curriculum
terms: [age, sex]
params:
  phases:
{phases}
"""


def curriculum(tmp_path: Path, phases: str) -> Path:
    return write(
        tmp_path, CURRICULUM.format(phases=textwrap.indent(textwrap.dedent(phases), "    "))
    )


def test_overlapping_phases(tmp_path: Path) -> None:
    p = curriculum(
        tmp_path,
        """\
        - {weight: 0.2, until: {epoch: 5}}
        - {weight: 0.001, start: {epoch: 3}}
    """,
    )
    fails(p, "params.phases.1.start", "overlap")


def test_unordered_phases(tmp_path: Path) -> None:
    p = curriculum(
        tmp_path,
        """\
        - {weight: 0.2, until: {epoch: 5}}
        - {weight: 0.1, until: {epoch: 3}}
        - {weight: 0.001}
    """,
    )
    fails(p, "params.phases.1.until", "out of order")


def test_gap_and_missing_boundary(tmp_path: Path) -> None:
    gap = curriculum(
        tmp_path,
        """\
        - {weight: 0.2, until: {epoch: 5}}
        - {weight: 0.001, start: {epoch: 6}}
    """,
    )
    fails(gap, "params.phases.1.start", "gap")
    none = curriculum(
        tmp_path,
        """\
        - {weight: 0.2}
        - {weight: 0.001}
    """,
    )
    fails(none, "params.phases.0.until", "missing")


def test_unknown_metric(tmp_path: Path) -> None:
    p = curriculum(
        tmp_path,
        """\
        - {weight: 0.2, until: {metric: sex_vlaid, at_least: 0.95, for: 2}}
        - {weight: 0.001}
    """,
    )
    fails(p, "params.phases.0.until.metric", "unknown metric 'sex_vlaid'", "sex_valid")


def test_negative_weights(tmp_path: Path) -> None:
    p = curriculum(
        tmp_path,
        """\
        - {weights: {age: 0.01, sex: -0.2}, until: {epoch: 2}}
        - {weight: 0.001}
    """,
    )
    fails(p, "params.phases.0.weights.sex", ">= 0")
    fixed = write(tmp_path, "family: fixed\nparams: {weight: -1}\n")
    fails(fixed, "params.weight", "greater than or equal to 0")


def test_decay_below_zero(tmp_path: Path) -> None:
    p = write(tmp_path, "family: linear\nparams: {start: 0.2, slope: -0.1, duration: 5}\n")
    fails(p, "params.slope", "below zero", "-0.3")
    nested = curriculum(
        tmp_path,
        """\
        - weight: {family: linear, params: {start: 0.01, end: -0.01, duration: 5}}
    """,
    )
    fails(nested, "params.phases.0.weight.params.end", "below zero")


def test_unknown_family(tmp_path: Path) -> None:
    p = write(tmp_path, "family: gradnrom\nterms: [lm, age]\n")
    fails(p, "family: unknown scheduler family 'gradnrom'", "gradnorm", "fixed")


def test_unknown_field_and_bad_yaml(tmp_path: Path) -> None:
    fails(
        write(tmp_path, "family: dwa\nterms: [a, b]\nparams: {temprature: 2}\n"),
        "params.temprature",
    )
    fails(write(tmp_path, "family: [unclosed\n"), "not valid YAML", "line")
    with pytest.raises(LossbalanceError, match="not found"):
        ScheduleSpec.from_yaml(tmp_path / "missing.yaml")


def test_term_owned_twice(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        """\
        schedules:
          - {family: fixed, terms: [age], params: {weight: 0.1}}
          - {family: dwa, terms: [lm, age]}
    """,
    )
    with pytest.raises(LossbalanceError, match=r"schedules\.1\.terms: 'age' is already owned"):
        load_schedules(p)


def test_metric_absent_at_evaluation() -> None:
    sched = create(
        "curriculum",
        ["sex"],
        {
            "phases": [
                {"weight": 0.2, "until": {"metric": "sex_valid", "at_least": 0.9}},
                {"weight": 0.0},
            ]
        },
    )
    with pytest.raises(
        LossbalanceError, match=r"phases\.0\.until\.metric: 'sex_valid' is not among"
    ):
        sched.on_evaluation(TrainState(metrics={"js": 0.1}))


def test_plugin_raising_at_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "exploding_mod.py").write_text("raise RuntimeError('boom\\nsecond line')\n")
    info = tmp_path / "exploding-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: exploding\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[lossbalance.schedulers]\nexploding = exploding_mod:Scheduler\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "exploding_mod", raising=False)
    with pytest.raises(LossbalanceError) as err:
        get_scheduler_class("exploding")
    msg = str(err.value)
    assert "\n" not in msg
    assert "scheduler plugin 'exploding'" in msg and "exploding_mod:Scheduler" in msg
    assert "RuntimeError: boom second line" in msg
    # a broken plugin does not break the built-ins
    assert create("fixed", ["age"]).weights(TrainState()) == {"age": 1.0}
