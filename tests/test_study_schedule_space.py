"""The schedule search space: registry-validated families, flattening, resolving, errors."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from lossbalance import LossbalanceError
from lossbalance.schedulers import ScheduleSpec
from lossbalance.study._schedule_space import ScheduleSearchSpace, default_schedule_space
from lossbalance.study._space import Choice, FloatRange, IntRange

SPACE = {
    "terms": {
        "age": {
            "families": {
                "fixed": {"weight": {"low": 1e-4, "high": 1.0, "log": True}},
                "linear": {
                    "start": {"low": 1e-3, "high": 1.0, "log": True},
                    "end": 0.0,
                    "duration": {"low": 2, "high": 20, "integer": True},
                    "unit": "epoch",
                },
            }
        },
        "lm+sex": {"families": {"dwa": {"temperature": {"choices": [1.0, 2.0]}}}},
    },
    "sampling": {"temperature": {"low": 0.7, "high": 1.3}, "top_p": 0.95},
}


def test_flatten_into_a_conditional_space() -> None:
    flat = ScheduleSearchSpace.from_mapping(SPACE).to_search_space()
    assert list(flat.params) == [
        "age.family",
        "age.fixed.weight",
        "age.linear.start",
        "age.linear.duration",
        "lm+sex.family",
        "lm+sex.dwa.temperature",
        "sampling.temperature",
    ]
    assert flat.params["age.family"] == Choice(choices=["fixed", "linear"])
    assert flat.params["age.linear.start"] == FloatRange(
        low=1e-3, high=1.0, log=True, when={"age.family": ["linear"]}
    )
    assert isinstance(flat.params["age.linear.duration"], IntRange)
    assert flat.has_conditional


def test_resolve_gives_schedule_specs() -> None:
    space = ScheduleSearchSpace.from_mapping(SPACE)
    point = space.resolve(
        {
            "age.family": "linear",
            "age.linear.start": 0.2,
            "age.linear.duration": 5,
            "lm+sex.family": "dwa",
            "lm+sex.dwa.temperature": 2.0,
            "sampling.temperature": 0.9,
        }
    )
    assert point.schedules["age"] == ScheduleSpec(
        family="linear",
        params={"start": 0.2, "end": 0.0, "duration": 5, "unit": "epoch"},
        terms=("age",),
    )
    assert point.schedules["lm+sex"].terms == ("lm", "sex")
    assert point.sampling == {"temperature": 0.9, "top_p": 0.95}
    assert point.schedules["age"].build().terms == ("age",)


def test_every_sampled_point_of_the_default_space_resolves() -> None:
    space = default_schedule_space()
    study = optuna.create_study(
        directions=["maximize", "maximize"], sampler=optuna.samplers.RandomSampler(seed=0)
    )
    flat = space.to_search_space()
    for _ in range(30):
        trial = study.ask()
        point = space.resolve(flat.suggest(trial))
        assert set(point.schedules) == {"age", "sex"}
        assert 0.3 <= point.sampling["temperature"] <= 1.5
        assert 0.5 <= point.sampling["top_p"] <= 1.0
        study.tell(trial, [0.0, 0.0])


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (
            {"terms": {"age": {"families": {"nope": {}}}}},
            "terms.age.families.nope: unknown family (known: ",
        ),
        (
            {"terms": {"age": {"families": {"fixed": {"wieght": 1.0}}}}},
            "terms.age.families.fixed.wieght: not a parameter of fixed (parameters: weight)",
        ),
        (
            {"terms": {"age": {"families": {"fixed": {"weight": {"low": 0.5, "high": 0.5}}}}}},
            "terms.age.families.fixed.weight: empty range [0.5, 0.5]",
        ),
        (
            {"terms": {"age": {"families": {"fixed": {"weight": {"low": -1.0, "high": 1.0}}}}}},
            "terms.age.families.fixed.weight: -1.0 is not valid for fixed",
        ),
        (
            {"terms": {"age": {"families": {"linear": {"start": 1.0}}}}},
            "terms.age.families.linear.duration: required by linear",
        ),
        (
            {"terms": {"age": {"families": {"gradnorm": {}}}}},
            "terms.age.families.gradnorm: gradnorm owns 2 to any terms, key names 1",
        ),
        (
            {"terms": {"height": {"families": {"fixed": {}}}}},
            "terms.height: unknown loss term 'height'",
        ),
        ({"terms": {"age": {"families": {}}}}, "terms.age.families"),
        (
            {"terms": {"age": {"families": {"fixed": {}}}}, "sampling": {"top_p": 1.5}},
            "sampling.top_p: must lie in (0, 1]",
        ),
    ],
)
def test_bad_spaces(patch: dict[str, object], message: str) -> None:
    with pytest.raises(LossbalanceError) as info:
        ScheduleSearchSpace.from_mapping(patch, source="study.yaml")
    assert str(info.value).startswith("study.yaml: ")
    assert message in str(info.value)


def test_yaml(tmp_path: Path) -> None:
    path = tmp_path / "space.yaml"
    path.write_text(
        "terms:\n  age:\n    families:\n      fixed: {weight: {low: 0.001, high: 1, log: true}}\n",
        encoding="utf-8",
    )
    assert list(ScheduleSearchSpace.from_yaml(path).to_search_space().params) == [
        "age.family",
        "age.fixed.weight",
    ]
    with pytest.raises(LossbalanceError, match="search space file not found"):
        ScheduleSearchSpace.from_yaml(tmp_path / "missing.yaml")
