"""ScheduleSpec: shorthand, YAML files, the shipped schedules/ and their trajectories."""

from __future__ import annotations

from pathlib import Path

import pytest

from lossbalance._errors import LossbalanceError
from lossbalance.schedulers import (
    CurriculumScheduler,
    GradNormScheduler,
    ScheduleSpec,
    build_schedulers,
    load_schedules,
)
from lossbalance.training import TrainState

SCHEDULES = Path(__file__).resolve().parents[1] / "schedules"
SHIPPED = sorted(SCHEDULES.glob("*.yaml"))


def test_the_five_documented_schedules_ship() -> None:
    assert {p.stem for p in SHIPPED} >= {
        "validity_first",
        "coherence_first",
        "linear_decay",
        "metric_triggered",
        "gradnorm",
    }


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_schedule_loads_builds_and_is_commented(path: Path) -> None:
    spec = ScheduleSpec.from_yaml(path)
    sched = spec.build()
    assert sched.terms == spec.terms
    assert path.read_text().lstrip().startswith("#")
    assert load_schedules(path) == [spec]
    assert ScheduleSpec.from_mapping(spec.to_dict()) == spec  # round trip


def _at_epoch(sched: CurriculumScheduler, epoch: float, spe: int = 10) -> dict[str, float]:
    return sched.weights(TrainState(step=round(epoch * spe), steps_per_epoch=spe))


def test_validity_first_trajectory() -> None:
    sched = ScheduleSpec.from_yaml(SCHEDULES / "validity_first.yaml").build()
    assert isinstance(sched, CurriculumScheduler)
    assert _at_epoch(sched, 9.9) == {"age": 0.3, "sex": 0.2}
    mid = _at_epoch(sched, 11)  # half-way through the 2-epoch blend
    assert mid == {"age": pytest.approx(0.1505), "sex": pytest.approx(0.1005)}
    assert _at_epoch(sched, 12) == {"age": 0.001, "sex": 0.001}


def test_linear_decay_and_coherence_first_trajectories() -> None:
    lin = ScheduleSpec.from_yaml(SCHEDULES / "linear_decay.yaml").build()
    assert lin.weights(TrainState(step=100, steps_per_epoch=10)) == {
        "age": pytest.approx(0.0055),
        "sex": pytest.approx(0.1005),
    }
    coh = ScheduleSpec.from_yaml(SCHEDULES / "coherence_first.yaml").build()
    assert coh.weights(TrainState(step=79, steps_per_epoch=10)) == {"age": 0.0, "sex": 0.0}
    assert coh.weights(TrainState(step=100, steps_per_epoch=10)) == {
        "age": pytest.approx(0.005),
        "sex": pytest.approx(0.1),
    }


def test_gradnorm_file() -> None:
    sched = ScheduleSpec.from_yaml(SCHEDULES / "gradnorm.yaml").build()
    assert isinstance(sched, GradNormScheduler)
    assert sched.params.alpha == 1.5 and sched.terms == ("lm", "age", "sex")


def test_shorthand_and_terms() -> None:
    assert ScheduleSpec.model_validate(0.2) == ScheduleSpec(family="fixed", params={"weight": 0.2})
    assert ScheduleSpec.model_validate("dwa").params == {}
    spec = ScheduleSpec(family="linear", params={"start": 0.2, "end": 0.0, "duration": 2})
    assert spec.build("sex").terms == ("sex",)
    with pytest.raises(LossbalanceError, match="no terms given"):
        spec.build()
    joint = ScheduleSpec(family="dwa", terms=("lm", "age"))
    with pytest.raises(LossbalanceError, match="spec owns"):
        joint.build(["lm"])


def test_multi_schedule_file(tmp_path: Path) -> None:
    f = tmp_path / "two.yaml"
    f.write_text(
        "schedules:\n"
        "  - {family: linear, terms: [age], params: {start: 0.01, end: 0.001, duration: 5}}\n"
        "  - {family: fixed, terms: [sex], params: {weight: 0.2}}\n"
    )
    specs = load_schedules(f)
    built = build_schedulers(specs)
    assert [s.terms for s in built] == [("age",), ("sex",)]
    with pytest.raises(LossbalanceError, match=r"holds several schedules"):
        ScheduleSpec.from_yaml(f)
