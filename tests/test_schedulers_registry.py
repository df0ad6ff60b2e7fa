"""The scheduler registry: built-ins, lookup errors, entry-point plugins."""

from __future__ import annotations

import pytest

from lossbalance._errors import LossbalanceError
from lossbalance.schedulers import (
    FixedScheduler,
    available_schedulers,
    create,
    get_scheduler_class,
    register_scheduler,
)
from lossbalance.training import TrainState


def test_fixed_is_registered_and_creates() -> None:
    assert "fixed" in available_schedulers()
    assert get_scheduler_class("fixed") is FixedScheduler
    sched = create("fixed", ["age", "sex"], {"weight": 0.01})
    assert sched.weights(TrainState(step=123)) == {"age": 0.01, "sex": 0.01}
    assert create("fixed", ["age"]).weights(TrainState()) == {"age": 1.0}


def test_unknown_family_lists_known_names() -> None:
    with pytest.raises(
        LossbalanceError, match=r"unknown scheduler family 'nope'; known families: .*fixed"
    ):
        get_scheduler_class("nope")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"weight": -0.5}, "params.weight"),
        ({"weight": float("nan")}, "params.weight"),
        ({"wieght": 1}, "params.wieght"),
    ],
)
def test_fixed_bad_params_one_line(params: dict[str, float], field: str) -> None:
    with pytest.raises(LossbalanceError, match=field) as info:
        create("fixed", ["age"], params)
    assert "\n" not in str(info.value)


def test_no_terms_is_an_error() -> None:
    with pytest.raises(LossbalanceError, match="terms"):
        create("fixed", [])


def test_register_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="already taken"):
        register_scheduler("fixed")(type("Other", (FixedScheduler,), {}))
