"""Tier conditions, intervals, boxes, and the exact conflict rules of outcome tiers."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from lossbalance._errors import LossbalanceError
from lossbalance.spec import Condition, Interval, SpecFieldError, Tier, check_tiers, classify_tier
from lossbalance.spec._conditions import box_minus, conditions_box, contradiction, uncovered


def cond(text: str) -> Condition:
    return Condition.model_validate(text)


def tier(name: str, *conditions: str) -> Tier:
    return Tier(name=name, conditions=list(conditions))  # type: ignore[arg-type]


SEED_TIERS = [
    tier("best", "validity >= 0.95", "js < 0.3", "top100 > 0.5", "cooccurrence > 20"),
    tier("acceptable", "validity >= 0.90", "js < 0.4", "top100 > 0.3", "cooccurrence > 10"),
    tier("worst", "validity < 0.85"),
]


def test_condition_parses_and_prints_back() -> None:
    c = cond("  validity>=0.95 ")
    assert (c.metric, c.op, c.value) == ("validity", ">=", 0.95)
    assert str(c) == "validity >= 0.95"
    assert str(cond("cooccurrence > 20")) == "cooccurrence > 20"
    assert cond("js < 3e-1").value == 0.3
    assert c.model_dump() == "validity >= 0.95"
    assert Condition.model_validate({"metric": "js", "op": "<", "value": 0.3}) == cond("js < 0.3")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("validity = 0.9", "is not 'metric op number'"),
        ("validity >= ", "is not 'metric op number'"),
        ("validity >= nan", "is not 'metric op number'"),
        ("accuracy > 0.5", "unknown metric 'accuracy'"),
    ],
)
def test_condition_rejects(text: str, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        cond(text)


def test_condition_holds_at_the_boundary_and_never_on_nan() -> None:
    assert cond("validity >= 0.95").holds(0.95)
    assert not cond("validity > 0.95").holds(0.95)
    assert cond("js <= 0.3").holds(0.3)
    assert not cond("js < 0.3").holds(0.3)
    assert not cond("js < 0.3").holds(math.nan)
    assert not cond("js >= 0.3").holds(math.nan)


def test_interval_algebra() -> None:
    a = Interval(0.0, 1.0, True, True)
    b = Interval(0.5, 2.0, False, True)
    assert a.intersect(b) == Interval(0.5, 1.0, False, True)
    assert a.minus(b) == [Interval(0.0, 0.5, True, True)]
    assert b.minus(a) == [Interval(1.0, 2.0, False, True)]
    assert Interval(0.5, 0.5, True, True).empty is False
    assert Interval(0.5, 0.5, True, False).empty is True
    inner = Interval(0.2, 0.4, True, False)
    assert a.minus(inner) == [Interval(0.0, 0.2, True, False), Interval(0.4, 1.0, True, True)]
    # conditions clip to the metric's domain: validity lies in [0, 1]
    assert cond("validity >= 0.9").interval() == Interval(0.9, 1.0, True, True)
    assert cond("cooccurrence > 10").interval() == Interval(10.0, math.inf, False, False)


def test_box_difference_is_exact() -> None:
    # [0,1]x[0,1] minus [0.5,1]x[0,1] leaves [0,0.5)x[0,1]: one piece
    a = {"validity": Interval(0, 1, True, True), "top100": Interval(0, 1, True, True)}
    b = {"validity": Interval(0.5, 1, True, True)}
    assert box_minus(a, b) == [
        {"validity": Interval(0, 0.5, True, False), "top100": Interval(0, 1, True, True)}
    ]
    # two half-spaces that together cover the line leave nothing
    covers = [conditions_box([cond("validity >= 0.5")]), conditions_box([cond("validity < 0.5")])]
    assert uncovered(conditions_box([cond("js < 0.3")]), covers) == []
    # a gap at exactly 0.5 remains when both are open there
    covers = [conditions_box([cond("validity > 0.5")]), conditions_box([cond("validity < 0.5")])]
    left = uncovered(conditions_box([]), covers)
    assert left == [{"validity": Interval(0.5, 0.5, True, True)}]


def test_contradiction_names_the_conditions() -> None:
    why = contradiction([cond("validity >= 0.95"), cond("validity < 0.9"), cond("js < 0.3")])
    assert why == "'validity >= 0.95' and 'validity < 0.9' contradict each other"
    assert (
        contradiction([cond("top100 > 1")]) == "'top100 > 1' is outside the range of top100, [0, 1]"
    )
    assert contradiction([cond("validity >= 0.9"), cond("validity <= 0.9")]) is None


def test_seed_tiers_are_consistent_and_classify() -> None:
    check_tiers(SEED_TIERS)
    good = {"validity": 0.97, "js": 0.2, "top100": 0.6, "cooccurrence": 25.0}
    assert classify_tier(SEED_TIERS, good) == "best"
    # the seed's own first try: valid but incoherent -> no tier
    seed = {"validity": 0.975, "js": 0.606, "top100": 0.038, "cooccurrence": 3.39}
    assert classify_tier(SEED_TIERS, seed) is None
    assert classify_tier(SEED_TIERS, {**good, "cooccurrence": 15.0}) == "acceptable"
    assert classify_tier(SEED_TIERS, {**good, "validity": 0.84}) == "worst"
    assert classify_tier(SEED_TIERS, {**good, "validity": 0.85}) is None
    assert classify_tier(SEED_TIERS, {**good, "js": math.nan}) is None


def test_classify_needs_every_metric_it_tests() -> None:
    with pytest.raises(
        LossbalanceError, match=r"tier 'best' needs metric\(s\) cooccurrence, top100"
    ):
        classify_tier(SEED_TIERS, {"validity": 0.99, "js": 0.1})


@pytest.mark.parametrize(
    ("tiers", "loc", "fragment"),
    [
        (
            [tier("a", "validity >= 0.95", "validity < 0.9")],
            (0, "conditions"),
            "tier 'a' can never be reached: 'validity >= 0.95' and 'validity < 0.9' contradict",
        ),
        (
            [tier("a", "coverage < 0")],
            (0, "conditions"),
            "is outside the range of coverage",
        ),
        (
            [SEED_TIERS[1], SEED_TIERS[0]],
            (1,),
            "tier 'best' can never be reached: tier 'acceptable' (listed before it) includes it",
        ),
        (
            [tier("hi", "validity >= 0.5"), tier("lo", "validity < 0.5"), tier("any", "js < 0.3")],
            (2,),
            "the tiers listed before it ('hi', 'lo') cover it together",
        ),
        (
            [tier("all-runs"), tier("worst", "validity < 0.85")],
            (1,),
            "tier 'all-runs' (listed before it) includes it",
        ),
        ([tier("a", "js < 0.3"), tier("a", "js < 0.4")], (1, "name"), "defined twice"),
    ],
)
def test_conflicting_tiers(tiers: list[Tier], loc: tuple[object, ...], fragment: str) -> None:
    with pytest.raises(SpecFieldError) as info:
        check_tiers(tiers)
    assert info.value.loc == loc
    assert fragment in info.value.message


def test_overlapping_tiers_are_fine_when_each_can_win() -> None:
    # 'b' overlaps 'a' but also holds where 'a' does not (js in [0.3, 0.4))
    check_tiers([tier("a", "js < 0.3", "validity > 0.9"), tier("b", "js < 0.4")])
    # a catch-all last tier is fine
    check_tiers([*SEED_TIERS, tier("rest")])


@pytest.mark.parametrize("name", ["none", "all", "9lives", "a b"])
def test_bad_tier_names(name: str) -> None:
    with pytest.raises(ValidationError):
        Tier(name=name)
